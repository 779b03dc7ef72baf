//! Everything the commands share, kept in Tauri's managed state.

use std::path::PathBuf;
use std::sync::Arc;

use tauri::AppHandle;
use whisperrr_core::jobs::{JobConfig, JobManager};
use whisperrr_core::models::ModelStore;
use whisperrr_core::paths::AppDirs;
use whisperrr_core::record::files;
use whisperrr_core::settings::{Settings, SettingsStore};

use super::active_model::{self, ActiveModel};
use super::allowed_paths::AllowedPaths;
use super::error::{CommandError, ErrorCode};
use super::events::{self, ActiveModelChanged, PageObserver};
use super::fetches::Fetches;
use super::recording::RecordingService;
use super::settings_handle::SettingsHandle;

pub struct AppState {
    pub jobs: JobManager,
    pub settings: Arc<SettingsHandle>,
    pub models: ModelStore,
    pub fetches: Fetches,
    pub recording: RecordingService,
    pub allowed: AllowedPaths,
    /// True when the app runs under WebDriver, which enables the commands that stand in
    /// for what WebDriver cannot do (dropping files).
    pub automation: bool,
}

impl AppState {
    /// Loads the settings, starts the job manager, starts loading the active model and
    /// starts looking for recordings a crash left unfinished.
    pub fn start(app: &AppHandle, dirs: &AppDirs, automation: bool) -> std::io::Result<Self> {
        let settings = Arc::new(SettingsHandle::load(SettingsStore::new(&dirs.config())));
        let models = ModelStore::new(dirs.models(), dirs.cache());
        let observer = PageObserver { app: app.clone(), settings: settings.clone(), models: models.clone() };
        let jobs = JobManager::start(observer)?;

        let recordings_dir = files::recordings_dir(settings.get().recordings_dir.as_deref());
        let page = app.clone();
        let recording =
            RecordingService::new(recordings_dir.clone(), move |update| events::send_recording_update(&page, update));
        recording.scan_unfinished_in_background(recordings_dir);

        let state = Self {
            jobs,
            settings,
            models,
            fetches: Fetches::default(),
            recording,
            allowed: AllowedPaths::default(),
            automation,
        };
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

    /// Returns the file of the active model, or why it cannot be used.
    pub fn resolve_model(&self) -> Result<PathBuf, CommandError> {
        let name = self.settings.get().model;
        self.models.resolve(&name).map_err(|_| {
            let active = self.active_model();
            CommandError::new(
                ErrorCode::ModelMissing,
                active.message.unwrap_or_else(|| format!("The model {name} cannot be used.")),
            )
        })
    }

    /// Returns the settings a job added now runs with, taken from the current settings.
    pub fn job_config(&self) -> Result<JobConfig, CommandError> {
        let settings: Settings = self.settings.get();
        let model = self.resolve_model()?;

        Ok(JobConfig {
            model,
            options: settings.transcribe_options(),
            formats: settings.formats.clone(),
            output_dir: settings.output_dir().map(Into::into),
        })
    }
}
