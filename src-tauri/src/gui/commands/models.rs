//! Commands for the models page and the active model.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, State};
use whisperrr_core::models::catalog::CATALOG;
use whisperrr_core::transcribe::Language;

use super::run_blocking;
use crate::gui::active_model::ActiveModel;
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
        fetching: false,
    }));

    ModelsView { models, active: state.active_model(), fetches: state.fetches.progress() }
}

#[tauri::command]
#[specta::specta]
pub async fn get_active_model(app: AppHandle) -> Result<ActiveModel, CommandError> {
    run_blocking(move || app.state::<AppState>().active_model()).await
}

/// Starts downloading catalog model `name`; progress and the end arrive as events.
// TODO: import of local model files and removal of installed models belong here once the
// models module offers them.
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

    // English-only models can neither translate nor transcribe other languages, so those
    // settings go back to what such a model can do.
    let english_only = CATALOG.iter().any(|model| model.name == name && !model.multilingual);
    state
        .settings
        .update(|settings| {
            settings.model = name.clone();
            if english_only {
                settings.translate = false;
                if !matches!(&settings.language, Language::Code(code) if code == "en") {
                    settings.language = Language::Auto;
                }
            }
        })
        .map_err(|error| CommandError::new(ErrorCode::SaveFailed, error.to_string()))?;
    tracing::info!(model = %name, "active model changed");

    state.preload_active_model();
    state.announce_active_model(app);
    Ok(state.active_model())
}
