//! Downloading the pinned archives into the cache, and reusing verified copies.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::FixtureError;
use crate::files::{sha256_file, temporary_file_in};
use crate::http::{self, BodyError};
use crate::pypi;
use crate::sources::{Origin, Source};

/// Accept header for archive downloads.
const ANY_MEDIA_TYPE: &str = "*/*";

/// A pinned archive present in the cache.
#[derive(Debug, Clone)]
pub struct ArchiveStatus {
    pub file_name: &'static str,
    pub path: PathBuf,
    /// The download that brought it, or `None` if a verified copy was already cached.
    pub download: Option<Download>,
}

/// A completed and verified download.
#[derive(Debug, Clone)]
pub struct Download {
    pub url: String,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Returns the cached copy of `source` in `folder`, downloading it first unless a copy with
/// the pinned sha256 is already there.
pub(crate) fn ensure_archive(
    agent: &ureq::Agent,
    folder: &Path,
    source: &'static Source,
) -> Result<ArchiveStatus, FixtureError> {
    let path = folder.join(source.file_name);
    if path.is_file() {
        let actual = sha256_file(&path).map_err(|error| FixtureError::io("read", &path, error))?;
        if actual == source.sha256 {
            return Ok(ArchiveStatus {
                file_name: source.file_name,
                path,
                download: None,
            });
        }
        eprintln!(
            "whisperrr-testkit: cached {} has sha256 {actual}, expected {}; downloading it again",
            path.display(),
            source.sha256
        );
    }

    std::fs::create_dir_all(folder).map_err(|error| FixtureError::io("create", folder, error))?;
    let download = download(agent, source, &path)?;
    Ok(ArchiveStatus {
        file_name: source.file_name,
        path,
        download: Some(download),
    })
}

fn download(
    agent: &ureq::Agent,
    source: &'static Source,
    path: &Path,
) -> Result<Download, FixtureError> {
    let started = Instant::now();
    let url = match source.origin {
        Origin::Url(url) => url.to_string(),
        Origin::PypiFile { project } => {
            pypi::file_url(agent, project, source.file_name, source.sha256)?
        }
    };
    eprintln!("whisperrr-testkit: downloading {url}");

    let folder = path.parent().unwrap_or(Path::new("."));
    let (temporary, bytes, actual) =
        http::get(agent, &url, ANY_MEDIA_TYPE, |body| save_body(body, folder))?;

    if actual != source.sha256 {
        return Err(FixtureError::DownloadChecksum {
            url,
            expected: source.sha256,
            actual,
        });
    }
    temporary
        .persist(path)
        .map_err(|error| FixtureError::io("replace", path, error.error))?;

    let elapsed = started.elapsed();
    eprintln!(
        "whisperrr-testkit: saved {} ({bytes} bytes in {:.1} s)",
        path.display(),
        elapsed.as_secs_f64()
    );
    Ok(Download {
        url,
        bytes,
        elapsed,
    })
}

/// Streams `body` into a new temporary file in `folder`, returning the file, its length and
/// its sha256.
fn save_body(
    body: &mut dyn Read,
    folder: &Path,
) -> Result<(tempfile::NamedTempFile, u64, String), BodyError> {
    let mut temporary = temporary_file_in(folder).map_err(BodyError::Local)?;

    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let count = match body.read(&mut buffer) {
            Ok(count) => count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        if count == 0 {
            break;
        }

        let chunk = &buffer[..count];
        hasher.update(chunk);
        temporary.write_all(chunk).map_err(|error| {
            BodyError::Local(FixtureError::io("write", temporary.path(), error))
        })?;
        bytes += count as u64;
    }

    Ok((temporary, bytes, format!("{:x}", hasher.finalize())))
}
