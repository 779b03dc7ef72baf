//! The error every command returns to the page: a machine-readable code and a message for
//! the user.

use serde::Serialize;
use specta::Type;
use whisperrr_core::jobs::ManagerError;
use whisperrr_core::models::ModelError;
use whisperrr_core::save::SaveError;

/// The kind of problem a command hit, so the page can react to it (offer to fetch a model,
/// say) without parsing the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No job, model or path with the id or name given.
    NotFound,
    /// A value from the page is invalid, such as a setting out of range.
    InvalidInput,
    /// The page asked for a path the app was not given and did not write, or for a
    /// command that only test automation may use.
    NotAllowed,
    /// The chosen model is not installed.
    ModelMissing,
    /// The job or download is still running.
    Busy,
    /// Writing a file failed.
    SaveFailed,
    /// Opening a folder or a dialog failed.
    Desktop,
    /// There is no input device, or the chosen one cannot be found, opened or heard.
    Device,
    /// An unexpected failure inside the app, such as a background task that panicked.
    Internal,
}

/// The error of a command, as the page receives it: `{ code, message }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<ManagerError> for CommandError {
    fn from(error: ManagerError) -> Self {
        let code = match &error {
            ManagerError::NotFound(_) | ManagerError::NoTranscript(_) | ManagerError::NotUnsaved(_) => {
                ErrorCode::NotFound
            }
            ManagerError::StillActive(_) | ManagerError::JobRunning { .. } | ManagerError::Cancelled => ErrorCode::Busy,
            ManagerError::Save { .. } => ErrorCode::SaveFailed,
            ManagerError::ModelFailed { .. } => ErrorCode::ModelMissing,
        };
        Self::new(code, error.to_string())
    }
}

impl From<SaveError> for CommandError {
    fn from(error: SaveError) -> Self {
        Self::new(ErrorCode::SaveFailed, error.to_string())
    }
}

impl From<ModelError> for CommandError {
    fn from(error: ModelError) -> Self {
        let code = match &error {
            ModelError::UnknownModel { .. } | ModelError::FileNotFound { .. } => ErrorCode::NotFound,
            ModelError::NotInstalled { .. } => ErrorCode::ModelMissing,
            _ => ErrorCode::InvalidInput,
        };
        Self::new(code, error.to_string())
    }
}
