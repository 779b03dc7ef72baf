//! Model downloads and imports started from the window, each on a thread of its own.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{catalog, import_name, FetchPhase, FetchProgress, ModelError, ModelSource, ModelStore};

use super::error::{CommandError, ErrorCode};
use super::events::{self, FetchOutcome, FetchStep, ModelFetchEnded, ModelFetchProgress};
use super::state::AppState;

/// Progress within one step is sent at most this often.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// The downloads and imports in progress, by the name of the model they install.
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

        let store = store.clone();
        self.spawn(app, model.name.to_string(), move |app, name, cancel| {
            let mut on_progress = progress_sender(app, name);
            store.fetch(name, &mut |progress: FetchProgress| on_progress(to_event(name, &progress)), cancel)
        })
    }

    /// Starts importing the ggml file or CTranslate2 folder at `source` in the background,
    /// under the name [`import_name`] derives from it. Returns that name. Progress and the
    /// outcome reach the page as the same events as a download.
    pub fn start_import(&self, app: &AppHandle, store: &ModelStore, source: PathBuf) -> Result<String, CommandError> {
        let name = import_name(&source);
        let store = store.clone();
        self.spawn(app, name.clone(), move |app, name, cancel| {
            let mut on_progress = progress_sender(app, name);
            let result = store.import(
                &source,
                Some(name),
                &mut |phase| on_progress(phase_event(name, phase, ModelSource::Local, None)),
                cancel,
            );
            result.map(|outcome| outcome.path)
        })?;
        Ok(name)
    }

    /// Runs `work` for model `name` on a thread of its own, unless a download or import of
    /// that name is running already.
    fn spawn(
        &self,
        app: &AppHandle,
        name: String,
        work: impl FnOnce(&AppHandle, &str, &CancelToken) -> Result<PathBuf, ModelError> + Send + 'static,
    ) -> Result<(), CommandError> {
        let cancel = CancelToken::new();
        {
            let mut running = self.lock();
            if running.contains_key(&name) {
                return Err(CommandError::new(ErrorCode::Busy, format!("{name} is already being installed")));
            }
            running.insert(name.clone(), Running { cancel: cancel.clone(), latest: None });
        }

        let app = app.clone();
        let thread_name = format!("fetch-{name}");
        let spawned = thread::Builder::new().name(thread_name).spawn({
            let name = name.clone();
            move || {
                let result = work(&app, &name, &cancel);
                finish(&app, &name, result);
            }
        });
        if let Err(error) = spawned {
            self.lock().remove(&name);
            return Err(CommandError::new(ErrorCode::Desktop, format!("failed to start installing {name}: {error}")));
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

/// Returns a function that stores each progress event for a page that loads later and
/// sends it to the page, at most once per [`PROGRESS_INTERVAL`] within a step.
fn progress_sender<'a>(app: &'a AppHandle, name: &'a str) -> impl FnMut(ModelFetchProgress) + 'a {
    let mut last_sent: Option<(FetchStep, Instant)> = None;
    move |event: ModelFetchProgress| {
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
    }
}

fn to_event(name: &str, progress: &FetchProgress) -> ModelFetchProgress {
    phase_event(name, progress.phase, progress.source, progress.rate)
}

fn phase_event(
    name: &str,
    phase: FetchPhase,
    source: ModelSource,
    rate: Option<whisperrr_core::models::TransferRate>,
) -> ModelFetchProgress {
    let (step, done_bytes, total_bytes) = match phase {
        FetchPhase::Downloading { done_bytes, total_bytes } => (FetchStep::Downloading, done_bytes, total_bytes),
        FetchPhase::Converting => (FetchStep::Converting, 0, None),
        FetchPhase::Verifying => (FetchStep::Verifying, 0, None),
    };
    ModelFetchProgress {
        name: name.to_string(),
        step,
        done_bytes,
        total_bytes,
        source: source.to_string(),
        bytes_per_second: rate.map(|rate| rate.bytes_per_second),
        eta_seconds: rate.and_then(|rate| rate.eta_seconds),
    }
}

/// Reports the end of a download or import, and loads the model if it is the active one.
fn finish(app: &AppHandle, name: &str, result: Result<PathBuf, ModelError>) {
    let state = app.state::<AppState>();
    let source = state.fetches.lock().remove(name).and_then(|fetch| fetch.latest).map(|progress| progress.source);

    let (outcome, message) = match result {
        Ok(_) => (FetchOutcome::Installed, None),
        Err(error) if error.is_cancelled() => (FetchOutcome::Cancelled, None),
        Err(error) => {
            tracing::error!(model = name, %error, "installing a model from the window failed");
            (FetchOutcome::Failed, Some(error.to_string()))
        }
    };
    if let (FetchOutcome::Installed, Some(source)) = (outcome, &source) {
        tracing::info!(model = name, %source, "model installed from the window");
    }
    events::emit(app, &ModelFetchEnded { name: name.to_string(), outcome, source, message });

    if outcome == FetchOutcome::Installed {
        state.preload_active_model();
    }
    state.announce_active_model(app);
}
