//! Everything the commands share, kept in Tauri's managed state.

use std::sync::Arc;

use tauri::AppHandle;
use whisperrr_core::jobs::{JobConfig, JobManager};
use whisperrr_core::models::ModelStore;
use whisperrr_core::paths::AppDirs;
use whisperrr_core::settings::{Settings, SettingsStore};

use super::active_model::{self, ActiveModel};
use super::allowed_paths::AllowedPaths;
use super::error::{CommandError, ErrorCode};
use super::events::{self, ActiveModelChanged, PageObserver};
use super::fetches::Fetches;
use super::settings_handle::SettingsHandle;

pub struct AppState {
    pub jobs: JobManager,
    pub settings: Arc<SettingsHandle>,
    pub models: ModelStore,
    pub fetches: Fetches,
    pub allowed: AllowedPaths,
    /// True when the app runs under WebDriver, which enables the commands that stand in
    /// for what WebDriver cannot do (dropping files).
    pub automation: bool,
}

impl AppState {
    /// Loads the settings, starts the job manager and starts loading the active model.
    pub fn start(app: &AppHandle, dirs: &AppDirs, automation: bool) -> std::io::Result<Self> {
        let settings = Arc::new(SettingsHandle::load(SettingsStore::new(&dirs.config())));
        let models = ModelStore::new(dirs.models(), dirs.cache());
        let observer = PageObserver { app: app.clone(), settings: settings.clone(), models: models.clone() };
        let jobs = JobManager::start(observer)?;

        let state = Self { jobs, settings, models, fetches: Fetches::default(), allowed: AllowedPaths::default(), automation };
        state.preload_active_model();
        Ok(state)
    }

    pub fn active_model(&self) -> ActiveModel {
        active_model::describe(&self.settings.get().model, &self.models, &self.jobs.model_status())
    }

    /// Tells the page about the active model, after the setting or the installed models
    /// changed.
    pub fn announce_active_model(&self, app: &AppHandle) {
        events::emit(app, &ActiveModelChanged { model: self.active_model() });
    }

    /// Starts loading the active model in the background, if it is installed, so the
    /// first job does not wait for it.
    pub fn preload_active_model(&self) {
        if let Ok(path) = self.models.resolve(&self.settings.get().model) {
            self.jobs.preload_model(path);
        }
    }

    /// Returns the settings a job added now runs with, taken from the current settings.
    pub fn job_config(&self) -> Result<JobConfig, CommandError> {
        let settings: Settings = self.settings.get();
        let model = self.models.resolve(&settings.model).map_err(|_| {
            let active = self.active_model();
            CommandError::new(
                ErrorCode::ModelMissing,
                active.message.unwrap_or_else(|| format!("The model {} cannot be used.", settings.model)),
            )
        })?;

        Ok(JobConfig {
            model,
            options: settings.transcribe_options(),
            formats: settings.formats.clone(),
            output_dir: settings.output_dir().map(Into::into),
        })
    }
}
