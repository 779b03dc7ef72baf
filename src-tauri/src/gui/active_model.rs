//! The window's view of the model that transcriptions use: its name and whether it is
//! missing, loading or ready.

use serde::Serialize;
use specta::Type;
use whisperrr_core::jobs::ModelStatus;
use whisperrr_core::models::{catalog, ModelError, ModelStore, DEFAULT_MODEL};

/// State of the active model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ActiveModelState {
    /// The setting names a model that is not installed or not a usable file.
    Missing,
    /// Installed, and not loaded yet; the next job loads it.
    Installed,
    Loading,
    Ready,
    /// Installed, but whisper.cpp could not load it.
    Failed,
}

/// The active model as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub struct ActiveModel {
    /// The model setting: a catalog name such as `base`, or a path to a ggml file.
    pub name: String,
    pub state: ActiveModelState,
    /// The reason the model is missing or failed, for the user.
    pub message: Option<String>,
    /// True when no model at all is installed.
    pub none_installed: bool,
    /// The model the page offers to fetch: the active one when it is a catalog model that
    /// is not installed, else the default model when none is installed.
    pub fetch_offer: Option<String>,
}

/// Describes the model `setting` names, given what the job thread reports about the model
/// it holds.
pub fn describe(setting: &str, store: &ModelStore, loaded: &ModelStatus) -> ActiveModel {
    let none_installed = store.installed().is_empty();
    let (state, message) = match store.resolve(setting) {
        Err(error) => (ActiveModelState::Missing, Some(missing_message(setting, &error))),
        Ok(path) => match loaded {
            ModelStatus::Loading { path: loading } if *loading == path => (ActiveModelState::Loading, None),
            ModelStatus::Ready { path: ready } if *ready == path => (ActiveModelState::Ready, None),
            ModelStatus::Failed { path: failed, error } if *failed == path => {
                (ActiveModelState::Failed, Some(error.clone()))
            }
            _ => (ActiveModelState::Installed, None),
        },
    };

    let fetch_offer = if state == ActiveModelState::Missing && catalog::find(setting).is_some() {
        Some(setting.to_string())
    } else if none_installed {
        Some(DEFAULT_MODEL.to_string())
    } else {
        None
    };

    ActiveModel { name: setting.to_string(), state, message, none_installed, fetch_offer }
}

/// Returns the window's wording for a model that cannot be used, because the command-line
/// remedy in [`ModelError::NotInstalled`] does not apply here.
fn missing_message(setting: &str, error: &ModelError) -> String {
    match error {
        ModelError::NotInstalled { name, .. } => {
            format!("The model {name} is not installed. Fetch it on the Models page, or choose another model.")
        }
        _ => format!("The model '{setting}' cannot be used: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use super::*;

    /// Returns a store with `ggml-tiny.en.bin` installed: a file that starts with the ggml
    /// magic, which is all `resolve` checks.
    fn store_with_tiny() -> (tempfile::TempDir, ModelStore, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("models");
        fs::create_dir(&models).unwrap();
        let path = models.join("ggml-tiny.en.bin");
        fs::write(&path, 0x6767_6d6c_u32.to_le_bytes()).unwrap();
        let store = ModelStore::new(models, dir.path().join("cache"));
        (dir, store, path)
    }

    #[test]
    fn uninstalled_catalog_model_missing() {
        let (_dir, store, _) = store_with_tiny();

        let model = describe("base", &store, &ModelStatus::Unloaded);

        assert_eq!(model.state, ActiveModelState::Missing);
        assert!(model.message.unwrap().contains("Models page"));
        assert!(!model.none_installed);
        assert_eq!(model.fetch_offer.as_deref(), Some("base"));
    }

    #[test]
    fn missing_file_outside_catalog_offers_nothing() {
        let (_dir, store, _) = store_with_tiny();

        let model = describe("/gone/ggml-custom.bin", &store, &ModelStatus::Unloaded);

        assert_eq!(model.state, ActiveModelState::Missing);
        assert_eq!(model.fetch_offer, None);
    }

    #[test]
    fn empty_store_offers_default() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::new(dir.path().join("models"), dir.path().join("cache"));

        let model = describe("/gone/ggml-custom.bin", &store, &ModelStatus::Unloaded);

        assert!(model.none_installed);
        assert_eq!(model.fetch_offer.as_deref(), Some("base"));
    }

    #[test]
    fn state_follows_job_thread_for_same_file() {
        let (_dir, store, path) = store_with_tiny();
        let cases = [
            (ModelStatus::Unloaded, ActiveModelState::Installed),
            (ModelStatus::Loading { path: path.clone() }, ActiveModelState::Loading),
            (ModelStatus::Ready { path: path.clone() }, ActiveModelState::Ready),
            (ModelStatus::Failed { path: path.clone(), error: "bad".into() }, ActiveModelState::Failed),
            (ModelStatus::Ready { path: "/other/ggml-base.bin".into() }, ActiveModelState::Installed),
        ];

        for (loaded, expected) in cases {
            assert_eq!(describe("tiny.en", &store, &loaded).state, expected, "{loaded:?}");
        }
    }
}
