//! What one fetch did, for logs and the `fetch-fixtures` command.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::download::ArchiveStatus;

/// The outcome of [`fetch_speech`](crate::fetch_speech).
#[derive(Debug, Clone)]
pub struct FetchReport {
    pub speech_dir: PathBuf,
    /// Download cache, or `None` when every clip was already present and no archive was needed.
    pub cache_dir: Option<PathBuf>,
    /// Archives that were needed, downloaded or reused from the cache.
    pub archives: Vec<ArchiveStatus>,
    /// Clips written by this fetch.
    pub written: Vec<&'static str>,
    /// Clips that were already present with the pinned sha256.
    pub verified: Vec<&'static str>,
    pub elapsed: Duration,
}

impl FetchReport {
    /// Returns the bytes downloaded by this fetch.
    pub fn downloaded_bytes(&self) -> u64 {
        self.archives
            .iter()
            .filter_map(|archive| archive.download.as_ref())
            .map(|download| download.bytes)
            .sum()
    }
}

impl fmt::Display for FetchReport {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        for archive in &self.archives {
            match &archive.download {
                Some(download) => writeln!(
                    out,
                    "downloaded {} ({} bytes in {:.1} s) from {}",
                    archive.file_name,
                    download.bytes,
                    download.elapsed.as_secs_f64(),
                    download.url
                )?,
                None => writeln!(out, "reused cached {}", archive.path.display())?,
            }
        }

        for name in &self.written {
            writeln!(out, "wrote {name}")?;
        }

        write!(
            out,
            "{} clips in {}: {} written, {} already verified; {} bytes downloaded; {:.1} s",
            self.written.len() + self.verified.len(),
            self.speech_dir.display(),
            self.written.len(),
            self.verified.len(),
            self.downloaded_bytes(),
            self.elapsed.as_secs_f64()
        )
    }
}
