//! `whisperrr models list|fetch`, and obtaining the model a transcription needs.

use std::path::PathBuf;
use std::process::ExitCode;

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{catalog, FetchPhase, ModelError, ModelStore};
use whisperrr_core::paths::AppDirs;

use super::progress::ProgressLine;
use super::{print_error, ModelsCommand};

pub fn run(command: &ModelsCommand, dirs: &AppDirs) -> ExitCode {
    let store = store(dirs);
    match command {
        ModelsCommand::List => {
            list(&store);
            ExitCode::SUCCESS
        }
        ModelsCommand::Fetch { name } => {
            let cancel = CancelToken::new();
            let handler_cancel = cancel.clone();
            if let Err(error) = ctrlc::set_handler(move || handler_cancel.cancel()) {
                tracing::warn!(%error, "Ctrl-C handler not installed");
            }
            match fetch(&store, name, &cancel) {
                Ok(path) => {
                    println!("{}", path.display());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    print_error(error);
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// The app's model store: models in the data folder, downloads in the cache folder.
pub fn store(dirs: &AppDirs) -> ModelStore {
    ModelStore::new(dirs.models(), dirs.cache())
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

fn fetch(store: &ModelStore, name: &str, cancel: &CancelToken) -> Result<PathBuf, ModelError> {
    let line = ProgressLine::bytes(name.to_string());
    let result = store.fetch(
        name,
        &mut |progress| match progress.phase {
            FetchPhase::Downloading { done_bytes, total_bytes } => {
                if let Some(total) = total_bytes {
                    line.set_length(total);
                }
                line.set("downloading", done_bytes);
            }
            FetchPhase::Converting => line.set("converting", 0),
            FetchPhase::Verifying => line.set("verifying", 0),
        },
        cancel,
    );
    line.finish();
    result
}

fn list(store: &ModelStore) {
    let installed = store.installed();
    println!("{:<10} {:>9}  {:<13} {:<9} DESCRIPTION", "NAME", "SIZE", "LANGUAGES", "STATUS");
    for model in catalog::CATALOG {
        let is_installed = installed.iter().any(|m| m.name == model.name);
        let languages = if model.multilingual { "multilingual" } else { "English" };
        let status = if is_installed { "installed" } else { "available" };
        let default = if model.name == catalog::DEFAULT_MODEL { " (default)" } else { "" };
        println!(
            "{:<10} {:>6} MB  {:<13} {:<9} {}{default}",
            model.name,
            model.size / 1_000_000,
            languages,
            status,
            model.description
        );
    }

    for model in installed.iter().filter(|m| catalog::find(&m.name).is_none()) {
        println!("{:<10} {:>6} MB  {:<13} {:<9} {}", model.name, model.size / 1_000_000, "?", "installed", model.path.display());
    }
}
