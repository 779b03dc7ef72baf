//! Commands for the models page and the active model.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, State};
use whisperrr_core::models::catalog::CATALOG;

use super::run_blocking;
use crate::gui::active_model::ActiveModel;
use crate::gui::dialogs;
use crate::gui::drop::require_automation;
use crate::gui::error::{CommandError, ErrorCode};
use crate::gui::events::ModelFetchProgress;
use crate::gui::state::AppState;

/// One row of the models page: a catalog model, installed or not, or an installed file
/// that is not in the catalog.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ModelEntry {
    pub name: String,
    pub description: Option<String>,
    /// Size of the installed file, or of the file a fetch installs.
    pub size_bytes: u64,
    /// False for English-only models; `None` when unknown (a file outside the catalog).
    pub multilingual: Option<bool>,
    pub in_catalog: bool,
    pub installed_path: Option<PathBuf>,
    /// Bytes of an interrupted download that the next fetch resumes from.
    pub partial_bytes: Option<u64>,
    /// Approximate memory the model needs while transcribing, in MB, from the catalog.
    pub memory_mb: Option<u64>,
    pub fetching: bool,
    pub active: bool,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ModelsView {
    pub models: Vec<ModelEntry>,
    pub active: ActiveModel,
    /// The latest progress of each download in progress.
    pub fetches: Vec<ModelFetchProgress>,
}

/// Lists the catalog, in its order, then installed files outside it, by name.
#[tauri::command]
#[specta::specta]
pub async fn list_models(app: AppHandle) -> Result<ModelsView, CommandError> {
    run_blocking(move || models_view(&app.state::<AppState>())).await
}

fn models_view(state: &AppState) -> ModelsView {
    let active_name = state.settings.get().model;
    let mut installed: BTreeMap<String, (PathBuf, u64)> =
        state.models.installed().into_iter().map(|model| (model.name, (model.path, model.size))).collect();

    let mut models: Vec<ModelEntry> = CATALOG
        .iter()
        .map(|model| {
            let installed = installed.remove(model.name);
            ModelEntry {
                name: model.name.to_string(),
                description: Some(model.description.to_string()),
                size_bytes: installed.as_ref().map_or(model.size, |(_, size)| *size),
                multilingual: Some(model.multilingual),
                in_catalog: true,
                partial_bytes: installed.is_none().then(|| state.models.partial_download(model.name)).flatten(),
                memory_mb: model.memory_mb,
                installed_path: installed.map(|(path, _)| path),
                fetching: state.fetches.is_running(model.name),
                active: model.name == active_name,
            }
        })
        .collect();
    models.extend(installed.into_iter().map(|(name, (path, size))| ModelEntry {
        active: name == active_name,
        name,
        description: None,
        size_bytes: size,
        multilingual: None,
        in_catalog: false,
        installed_path: Some(path),
        partial_bytes: None,
        memory_mb: None,
        fetching: false,
    }));

    ModelsView { models, active: state.active_model(), fetches: state.fetches.progress() }
}

#[tauri::command]
#[specta::specta]
pub async fn get_active_model(app: AppHandle) -> Result<ActiveModel, CommandError> {
    run_blocking(move || app.state::<AppState>().active_model()).await
}

/// Starts downloading catalog model `name`, resuming an interrupted download. Progress
/// and the end arrive as events.
#[tauri::command]
#[specta::specta]
pub fn fetch_model(app: AppHandle, state: State<'_, AppState>, name: String) -> Result<(), CommandError> {
    state.fetches.start(&app, &state.models, &name)
}

#[tauri::command]
#[specta::specta]
pub fn cancel_model_fetch(state: State<'_, AppState>, name: String) -> Result<(), CommandError> {
    state.fetches.cancel(&name)
}

/// Asks for a ggml model file (`folder` false) or a faster-whisper / CTranslate2 model
/// folder (`folder` true) and starts installing it. Returns the name it is installed
/// under, or `None` when the dialog was closed. Progress and the end arrive as the events
/// of a download.
#[tauri::command]
#[specta::specta]
pub async fn import_model(app: AppHandle, folder: bool) -> Result<Option<String>, CommandError> {
    let source = if folder {
        dialogs::pick_folder(&app, "Import a faster-whisper model folder", None).await
    } else {
        dialogs::pick_model_file(&app).await
    };
    let Some(source) = source else {
        return Ok(None);
    };
    let state = app.state::<AppState>();
    state.fetches.start_import(&app, &state.models, source).map(Some)
}

/// Starts installing the model file or folder at `path` as [`import_model`] does after its
/// dialog. WebDriver cannot use native dialogs, so tests use this; it works only when the
/// app runs under test automation.
#[tauri::command]
#[specta::specta]
pub fn import_model_for_automation(app: AppHandle, state: State<'_, AppState>, path: String) -> Result<String, CommandError> {
    require_automation(&state)?;
    state.fetches.start_import(&app, &state.models, PathBuf::from(path))
}

/// Deletes installed model `name` and its partial download. A model being fetched or
/// imported is left alone. Removing the active model makes the default model active, as
/// `whisperrr models remove` does.
#[tauri::command]
#[specta::specta]
pub async fn remove_model(app: AppHandle, name: String) -> Result<(), CommandError> {
    run_blocking(move || remove(&app, &name)).await?
}

fn remove(app: &AppHandle, name: &str) -> Result<(), CommandError> {
    let state = app.state::<AppState>();
    if state.fetches.is_running(name) {
        return Err(CommandError::new(
            ErrorCode::Busy,
            format!("{name} is being installed; cancel that first to remove it"),
        ));
    }

    let removed = state.models.remove(name)?;
    tracing::info!(model = name, files = removed.paths.len(), "model removed from the window");

    let mut default_chosen = false;
    state
        .settings
        .update(|settings| default_chosen = settings.forget_model(name))
        .map_err(|error| CommandError::new(ErrorCode::SaveFailed, error.to_string()))?;
    if default_chosen {
        state.preload_active_model();
    }
    state.announce_active_model(app);
    Ok(())
}

/// Makes `name` the model new jobs use, and starts loading it if it is installed.
#[tauri::command]
#[specta::specta]
pub async fn use_model(app: AppHandle, name: String) -> Result<ActiveModel, CommandError> {
    run_blocking(move || choose_model(&app, name)).await?
}

fn choose_model(app: &AppHandle, name: String) -> Result<ActiveModel, CommandError> {
    let state = app.state::<AppState>();
    let known = CATALOG.iter().any(|model| model.name == name) || state.models.installed().iter().any(|m| m.name == name);
    if !known {
        return Err(CommandError::new(ErrorCode::NotFound, format!("there is no model named '{name}'")));
    }

    // Settings the new model cannot honour (a language or translation an English-only
    // model lacks) go back to what it can do.
    let capabilities = state.models.capabilities(&name).ok();
    state
        .settings
        .update(|settings| {
            settings.model = name.clone();
            if let Some(capabilities) = &capabilities {
                for note in settings.fit_to_model(&name, capabilities) {
                    tracing::info!(model = %name, "{note}");
                }
            }
        })
        .map_err(|error| CommandError::new(ErrorCode::SaveFailed, error.to_string()))?;
    tracing::info!(model = %name, "active model changed");

    state.preload_active_model();
    state.announce_active_model(app);
    Ok(state.active_model())
}
