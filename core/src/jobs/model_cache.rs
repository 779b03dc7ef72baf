//! The one whisper model the job thread keeps loaded.

use std::path::Path;

use super::snapshot::ModelStatus;
use crate::transcribe::{Model, TranscribeError};

/// Holds the last model loaded, so consecutive jobs on the same file share it.
#[derive(Default)]
pub(super) struct ModelCache {
    loaded: Option<Model>,
}

impl ModelCache {
    pub fn loaded_path(&self) -> Option<&Path> {
        self.loaded.as_ref().map(Model::path)
    }

    /// Returns the model at `path`, loading it unless it is the one already loaded, and
    /// reports each state change through `report`.
    pub fn get(&mut self, path: &Path, report: &dyn Fn(ModelStatus)) -> Result<Model, TranscribeError> {
        if let Some(model) = self.loaded.as_ref().filter(|model| model.path() == path) {
            return Ok(model.clone());
        }

        // Free the old weights first, so two models never sit in memory together.
        self.loaded = None;
        report(ModelStatus::Loading { path: path.to_path_buf() });

        match Model::load(path) {
            Ok(model) => {
                self.loaded = Some(model.clone());
                report(ModelStatus::Ready { path: path.to_path_buf() });
                Ok(model)
            }
            Err(error) => {
                tracing::error!(model = %path.display(), %error, "model failed to load");
                report(ModelStatus::Failed { path: path.to_path_buf(), error: error.to_string() });
                Err(error)
            }
        }
    }
}
