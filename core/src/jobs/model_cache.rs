//! The one whisper model the job thread keeps loaded. It sits in the manager's shared
//! state, so [`JobManager::model`](super::JobManager::model) can hand the same weights to
//! work outside the queue, such as a live recording.

use std::path::Path;

use super::manager::Shared;
use super::snapshot::ModelStatus;
use crate::transcribe::{Model, TranscribeError};

/// Returns the model at `path`, loading it unless it is the one already loaded, and
/// publishes each state change. Runs on the job thread only, so two loads never overlap.
pub(super) fn get(shared: &Shared, path: &Path) -> Result<Model, TranscribeError> {
    if let Some(model) = shared.lock().loaded.as_ref().filter(|model| model.path() == path) {
        return Ok(model.clone());
    }

    // Drop the old weights first, so two models never sit in memory together. A caller
    // outside the queue that still holds a clone keeps them alive until it lets go.
    shared.publish_model(ModelStatus::Loading { path: path.to_path_buf() }, None);

    match Model::load(path) {
        Ok(model) => {
            shared.publish_model(ModelStatus::Ready { path: path.to_path_buf() }, Some(model.clone()));
            Ok(model)
        }
        Err(error) => {
            tracing::error!(model = %path.display(), %error, "model failed to load");
            shared.publish_model(ModelStatus::Failed { path: path.to_path_buf(), error: error.to_string() }, None);
            Err(error)
        }
    }
}
