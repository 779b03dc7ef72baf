//! Commands that read and change the settings.

use std::path::PathBuf;

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, State};
use whisperrr_core::export::Format;
use whisperrr_core::models::catalog;
use whisperrr_core::settings::{SaveLocation, Settings};
use whisperrr_core::transcribe::{default_threads, whisper_languages, Language};

use super::run_blocking;
use crate::gui::dialogs;
use crate::gui::error::{CommandError, ErrorCode};
use crate::gui::state::AppState;

/// Most whisper threads the settings accept; whisper.cpp gains little past eight.
const MAX_THREADS: usize = 32;

/// The settings and what the page needs to offer valid values for them.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SettingsView {
    pub settings: Settings,
    /// Problems found when the settings file was loaded, such as a damaged file that was
    /// kept as `settings.json.bak`.
    pub load_warnings: Vec<String>,
    /// The languages the chosen model can transcribe, after "auto": only English for an
    /// English-only model.
    pub languages: Vec<LanguageOption>,
    /// Whether the chosen model can translate into English.
    pub model_translates: bool,
    /// Threads used when the setting is empty.
    pub default_threads: usize,
    pub max_threads: usize,
    pub formats: Vec<Format>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct LanguageOption {
    /// The code stored in the settings, such as `fr`.
    pub code: String,
    /// English name, such as `French`.
    pub name: String,
}

#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    view(&state)
}

/// Checks and saves `settings`, and starts loading the model they name. Returns the
/// settings as saved.
#[tauri::command]
#[specta::specta]
pub async fn update_settings(app: AppHandle, settings: Settings) -> Result<SettingsView, CommandError> {
    run_blocking(move || apply(&app, settings)).await?
}

fn apply(app: &AppHandle, settings: Settings) -> Result<SettingsView, CommandError> {
    let state = app.state::<AppState>();
    let previous = state.settings.get();
    validate(&state, &previous, &settings)?;

    state.settings.replace(settings.clone()).map_err(|error| CommandError::new(ErrorCode::SaveFailed, error.to_string()))?;
    if settings.model != previous.model {
        state.preload_active_model();
        state.announce_active_model(app);
    }
    Ok(view(&state))
}

/// Asks for the folder transcripts go to. Returns it, or `None` when the dialog was
/// closed without choosing; the page then saves it with [`update_settings`].
#[tauri::command]
#[specta::specta]
pub async fn choose_output_folder(app: AppHandle, state: State<'_, AppState>) -> Result<Option<PathBuf>, CommandError> {
    let current = state.settings.get().output_dir().map(PathBuf::from);
    let start = current.or_else(|| std::env::var_os("HOME").map(PathBuf::from));
    let folder = dialogs::pick_folder(&app, "Choose the folder for transcripts", start.as_deref()).await;
    if let Some(folder) = &folder {
        state.allowed.allow(folder.clone());
    }
    Ok(folder)
}

fn view(state: &AppState) -> SettingsView {
    let settings = state.settings.get();
    let capabilities = state.models.capabilities(&settings.model).ok();
    let languages = match &capabilities {
        Some(capabilities) => capabilities
            .languages()
            .into_iter()
            .map(|language| LanguageOption { code: language.code.to_string(), name: capitalize(language.name) })
            .collect(),
        // An unreadable model offers every language; the job then reports the problem.
        None => whisper_languages()
            .into_iter()
            .map(|language| LanguageOption { code: language.code.to_string(), name: capitalize(language.name) })
            .collect(),
    };
    SettingsView {
        settings,
        load_warnings: state.settings.load_warnings().to_vec(),
        languages,
        model_translates: capabilities.is_none_or(|capabilities| capabilities.translates),
        default_threads: default_threads(),
        max_threads: MAX_THREADS,
        formats: Format::ALL.to_vec(),
    }
}

/// Rejects values the page could not have offered, naming the value and the fix.
fn validate(state: &AppState, previous: &Settings, settings: &Settings) -> Result<(), CommandError> {
    let invalid = |message: String| Err(CommandError::new(ErrorCode::InvalidInput, message));

    if let Some(threads) = settings.threads {
        if !(1..=MAX_THREADS).contains(&threads) {
            return invalid(format!("threads must be between 1 and {MAX_THREADS}, not {threads}"));
        }
    }
    if settings.formats.is_empty() {
        return invalid("choose at least one transcript format".into());
    }
    if let Some(index) = (1..settings.formats.len()).find(|&i| settings.formats[..i].contains(&settings.formats[i])) {
        return invalid(format!("the format {} is listed twice", settings.formats[index]));
    }

    if let SaveLocation::Folder(folder) = &settings.save_location {
        let unchanged = previous.save_location == settings.save_location;
        if !unchanged {
            state.allowed.check(folder, &[])?;
        }
    }

    if settings.model != previous.model {
        let installed = state.models.resolve(&settings.model).is_ok();
        if !installed && catalog::find(&settings.model).is_none() {
            return invalid(format!(
                "'{}' is neither an installed model nor one that can be fetched ({})",
                settings.model,
                catalog::known_names()
            ));
        }
    }

    let Ok(capabilities) = state.models.capabilities(&settings.model) else {
        return Ok(());
    };
    if settings.translate && !capabilities.translates {
        return invalid(format!("the model {} cannot translate; choose another model", settings.model));
    }
    if let Language::Code(code) = &settings.language {
        if !capabilities.knows_language(code) {
            let kind = if capabilities.multilingual { "cannot transcribe" } else { "is English-only and cannot transcribe" };
            return invalid(format!("the model {} {kind} language '{code}'; choose another model", settings.model));
        }
    }
    Ok(())
}

fn capitalize(name: &str) -> String {
    let mut characters = name.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}
