//! Model downloads started from the window, each on a thread of its own.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{catalog, FetchPhase, FetchProgress, ModelStore};

use super::error::{CommandError, ErrorCode};
use super::events::{self, FetchOutcome, FetchStep, ModelFetchEnded, ModelFetchProgress};
use super::state::AppState;

/// Progress within one step is sent at most this often.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// The downloads in progress, by model name.
#[derive(Default)]
pub struct Fetches {
    running: Mutex<HashMap<String, Running>>,
}

struct Running {
    cancel: CancelToken,
    latest: Option<ModelFetchProgress>,
}

impl Fetches {
    /// Starts fetching catalog model `name` in the background. Progress and the outcome
    /// reach the page as events.
    pub fn start(&self, app: &AppHandle, store: &ModelStore, name: &str) -> Result<(), CommandError> {
        let model = catalog::find(name).ok_or_else(|| {
            CommandError::new(
                ErrorCode::NotFound,
                format!("unknown model '{name}'; the models that can be fetched are: {}", catalog::known_names()),
            )
        })?;

        let cancel = CancelToken::new();
        {
            let mut running = self.lock();
            if running.contains_key(model.name) {
                return Err(CommandError::new(ErrorCode::Busy, format!("{} is already being fetched", model.name)));
            }
            running.insert(model.name.to_string(), Running { cancel: cancel.clone(), latest: None });
        }

        let app = app.clone();
        let store = store.clone();
        let name = model.name;
        let spawned = thread::Builder::new().name(format!("fetch-{name}")).spawn(move || {
            let result = fetch(&app, &store, name, &cancel);
            finish(&app, name, result);
        });
        if let Err(error) = spawned {
            self.lock().remove(name);
            return Err(CommandError::new(ErrorCode::Desktop, format!("failed to start fetching {name}: {error}")));
        }
        Ok(())
    }

    /// Asks the download of `name` to stop; it ends with a [`ModelFetchEnded`] event.
    pub fn cancel(&self, name: &str) -> Result<(), CommandError> {
        let running = self.lock();
        let fetch = running
            .get(name)
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("{name} is not being fetched")))?;
        fetch.cancel.cancel();
        tracing::info!(model = name, "fetch cancel requested");
        Ok(())
    }

    /// Returns the latest progress of each download, for a page that has just loaded.
    pub fn progress(&self) -> Vec<ModelFetchProgress> {
        self.lock().values().filter_map(|fetch| fetch.latest.clone()).collect()
    }

    pub fn is_running(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn fetch(
    app: &AppHandle,
    store: &ModelStore,
    name: &'static str,
    cancel: &CancelToken,
) -> Result<std::path::PathBuf, whisperrr_core::models::ModelError> {
    let mut last_sent: Option<(FetchStep, Instant)> = None;
    let mut on_progress = |progress: FetchProgress| {
        let event = to_event(&progress);
        let now = Instant::now();
        let due = last_sent.is_none_or(|(step, at)| step != event.step || now.duration_since(at) >= PROGRESS_INTERVAL);
        if !due {
            return;
        }
        last_sent = Some((event.step, now));

        if let Some(fetch) = app.state::<AppState>().fetches.lock().get_mut(name) {
            fetch.latest = Some(event.clone());
        }
        events::emit(app, &event);
    };

    store.fetch(name, &mut on_progress, cancel)
}

fn to_event(progress: &FetchProgress) -> ModelFetchProgress {
    let (step, done_bytes, total_bytes) = match progress.phase {
        FetchPhase::Downloading { done_bytes, total_bytes } => (FetchStep::Downloading, done_bytes, total_bytes),
        FetchPhase::Converting => (FetchStep::Converting, 0, None),
        FetchPhase::Verifying => (FetchStep::Verifying, 0, None),
    };
    ModelFetchProgress { name: progress.model.to_string(), step, done_bytes, total_bytes }
}

/// Reports the end of a download, and loads the model if it is the active one.
fn finish(app: &AppHandle, name: &str, result: Result<std::path::PathBuf, whisperrr_core::models::ModelError>) {
    let state = app.state::<AppState>();
    state.fetches.lock().remove(name);

    let (outcome, message) = match result {
        Ok(_) => (FetchOutcome::Installed, None),
        Err(error) if error.is_cancelled() => (FetchOutcome::Cancelled, None),
        Err(error) => {
            tracing::error!(model = name, %error, "fetch from the window failed");
            (FetchOutcome::Failed, Some(error.to_string()))
        }
    };
    events::emit(app, &ModelFetchEnded { name: name.to_string(), outcome, message });

    if outcome == FetchOutcome::Installed {
        state.preload_active_model();
    }
    state.announce_active_model(app);
}
