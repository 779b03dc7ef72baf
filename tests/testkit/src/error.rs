//! Errors of fetching and building the speech fixtures.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::wav::WavError;

/// A failure to download, read or write a fixture, naming the URL or file involved.
#[derive(Debug, Error)]
pub enum FixtureError {
    #[error(
        "no cache folder for downloads: HOME is not set; set WHISPERRR_TEST_CACHE to a \
         writable folder"
    )]
    NoCacheDir,

    #[error("failed to {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error(
        "download of {url} failed after {attempts} attempt(s): {source}; check the network \
         connection and run again"
    )]
    Download {
        url: String,
        attempts: u32,
        source: ureq::Error,
    },

    #[error(
        "{url} returned a file with sha256 {actual}, but {expected} is pinned; the file was \
         discarded. Run again, and if it persists, the registry serves different bytes and the \
         pin must be reviewed"
    )]
    DownloadChecksum {
        url: String,
        expected: &'static str,
        actual: String,
    },

    #[error("invalid JSON from the PyPI index {url}: {source}")]
    IndexJson {
        url: String,
        source: serde_json::Error,
    },

    #[error("the PyPI index {url} lists no file named {file_name}")]
    IndexFileMissing {
        url: String,
        file_name: &'static str,
    },

    #[error(
        "the PyPI index {url} lists sha256 {listed:?} for {file_name}, but {expected} is \
         pinned; the file was not downloaded"
    )]
    IndexChecksum {
        url: String,
        file_name: &'static str,
        listed: Option<String>,
        expected: &'static str,
    },

    #[error("failed to read archive {path}: {source}; delete it so that it is downloaded again")]
    ArchiveRead { path: PathBuf, source: io::Error },

    #[error("archive {path} is missing {member}")]
    MemberMissing { path: PathBuf, member: String },

    #[error("{member} in {path} is not a usable WAV file: {source}")]
    Wav {
        path: PathBuf,
        member: String,
        source: WavError,
    },

    #[error("{member} in {path} is not valid UTF-8 text")]
    TextEncoding { path: PathBuf, member: String },

    #[error("prompt script {member} in {path} has no prompt named {prompt}")]
    PromptMissing {
        path: PathBuf,
        member: String,
        prompt: &'static str,
    },

    #[error("transcription file {member} in {path} has no utterance ({utterance})")]
    UtteranceMissing {
        path: PathBuf,
        member: String,
        utterance: &'static str,
    },

    #[error(
        "clip {name} built from {archive} has sha256 {actual}, but {expected} is pinned; the \
         clip was not written"
    )]
    ClipChecksum {
        name: &'static str,
        archive: PathBuf,
        expected: &'static str,
        actual: String,
    },
}

impl FixtureError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        FixtureError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
