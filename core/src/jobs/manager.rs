//! The public face of the job queue: adding, cancelling, removing and inspecting jobs.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::intake::AcceptedInput;
use super::observer::{JobObserver, JobUpdate};
use super::record::JobRecord;
use super::snapshot::{JobSnapshot, JobStatus, ModelStatus};
use super::worker;
use crate::cancel::CancelToken;
use crate::export::Format;
use crate::job::{self, JobId, JobRequest};
use crate::save::SaveError;
use crate::transcribe::{Model, TranscribeOptions};
use crate::transcript::Transcript;

/// How often [`JobManager::model`] checks its cancel token while it waits for a load.
const MODEL_WAIT_POLL: Duration = Duration::from_millis(100);

/// The settings one job transcribes and saves with, fixed when it is added.
#[derive(Clone, Debug, PartialEq)]
pub struct JobConfig {
    /// The ggml model file. Jobs naming the same file share one loaded model.
    pub model: PathBuf,
    pub options: TranscribeOptions,
    /// Files to write when the job finishes; none keeps the transcript in memory only.
    pub formats: Vec<Format>,
    /// Folder for the files; `None` puts them beside the input.
    pub output_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("{0} is not in the job list")]
    NotFound(JobId),

    #[error("{0} has not ended yet; cancel it first")]
    StillActive(JobId),

    #[error("{0} has no transcript: it did not finish")]
    NoTranscript(JobId),

    #[error("{0} has no unsaved transcript")]
    NotUnsaved(JobId),

    #[error("{id}: {source}")]
    Save { id: JobId, source: SaveError },

    #[error("{id} ('{}') is being transcribed", input.display())]
    JobRunning { id: JobId, input: PathBuf },

    #[error("the model '{}' failed to load: {error}", path.display())]
    ModelFailed { path: PathBuf, error: String },

    #[error("cancelled")]
    Cancelled,
}

/// Runs transcription jobs one at a time on a background thread; see the module
/// documentation. Dropping it cancels the running job and waits for both of its threads.
pub struct JobManager {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    notifier: Option<JoinHandle<()>>,
}

/// The state both the caller's threads and the job thread use.
pub(super) struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued, a model is requested, a hold ends or the manager
    /// shuts down.
    pub wake: Condvar,
    /// Signalled when the job thread starts or ends loading a model.
    model_changed: Condvar,
}

pub(super) struct State {
    /// Every job, in the order added, which is also the order they run in.
    pub jobs: Vec<JobRecord>,
    next_id: u64,
    pub model: ModelStatus,
    /// The model the job thread has loaded, which [`JobManager::model`] shares.
    pub loaded: Option<Model>,
    /// Counts the changes of `model`, so a waiter can tell a new failure from an old one.
    model_changes: u64,
    /// A model to load before the next job, so the first job does not wait for it.
    pub preload: Option<PathBuf>,
    /// Live [`QueueHold`]s; while there is one, no queued job starts.
    holds: usize,
    pub shutdown: bool,
    /// The revision given to the latest summary sent, counted across all jobs.
    revision: u64,
    /// Sending while the state is locked keeps updates in the order the changes happened.
    updates: Option<Sender<JobUpdate>>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic on another thread left the state as it was at that moment, which is
        // still consistent enough to report and to shut down.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the job thread's model and its status, tells the observer, and wakes callers
    /// of [`JobManager::model`].
    pub fn publish_model(&self, status: ModelStatus, model: Option<Model>) {
        let mut state = self.lock();
        state.loaded = model;
        state.model_changes += 1;
        state.set_model_status(status);
        drop(state);
        self.model_changed.notify_all();
    }
}

impl State {
    pub fn send(&self, update: JobUpdate) {
        if let Some(updates) = &self.updates {
            let _ = updates.send(update);
        }
    }

    pub fn job_mut(&mut self, id: JobId) -> Option<&mut JobRecord> {
        self.jobs.iter_mut().find(|job| job.id == id)
    }

    fn job(&self, id: JobId) -> Option<&JobRecord> {
        self.jobs.iter().find(|job| job.id == id)
    }

    /// Sends the current summary of job `id` under a new revision, if it is still listed.
    pub fn send_summary(&mut self, id: JobId, now: Instant) {
        let revision = self.revision + 1;
        let Some(job) = self.job_mut(id) else {
            return;
        };
        job.revision = revision;
        let summary = job.summary(now);
        self.revision = revision;
        self.send(JobUpdate::Changed(summary));
    }

    pub fn set_model_status(&mut self, status: ModelStatus) {
        self.model = status.clone();
        self.send(JobUpdate::Model(status));
    }

    /// True while a [`QueueHold`] keeps queued jobs from starting.
    pub fn is_held(&self) -> bool {
        self.holds > 0
    }

    /// Cancels a queued job at once, or asks a running one to stop. Ended jobs stay as
    /// they are.
    fn cancel(&mut self, id: JobId, now: Instant) -> Result<(), ManagerError> {
        let job = self.job_mut(id).ok_or(ManagerError::NotFound(id))?;
        match job.status {
            JobStatus::Queued => {
                job.cancel.cancel();
                job.end_without_running(JobStatus::Cancelled, None, now);
                tracing::info!(job = %id, "queued job cancelled");
                self.send_summary(id, now);
            }
            JobStatus::Running => {
                job.cancel.cancel();
                tracing::info!(job = %id, "cancel requested");
            }
            _ => {}
        }
        Ok(())
    }
}

impl JobManager {
    /// Starts the job thread and the thread that delivers updates to `observer`.
    pub fn start(observer: impl JobObserver) -> io::Result<Self> {
        let (updates, received) = mpsc::channel::<JobUpdate>();
        let notifier = thread::Builder::new().name("job-updates".into()).spawn(move || {
            for update in received {
                observer.notify(update);
            }
        })?;

        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: Vec::new(),
                next_id: 1,
                model: ModelStatus::Unloaded,
                loaded: None,
                model_changes: 0,
                preload: None,
                holds: 0,
                shutdown: false,
                revision: 0,
                updates: Some(updates),
            }),
            wake: Condvar::new(),
            model_changed: Condvar::new(),
        });
        let worker = worker::spawn(shared.clone())?;

        Ok(Self { shared, worker: Some(worker), notifier: Some(notifier) })
    }

    /// Queues `input` behind every job added before it.
    pub fn add(&self, input: PathBuf, config: JobConfig) -> JobId {
        self.insert(input, None, config)
    }

    /// Queues an input that [`super::collect_inputs`] accepted, showing the duration its
    /// container states until decoding measures it.
    pub fn add_probed(&self, input: AcceptedInput, config: JobConfig) -> JobId {
        self.insert(input.path, input.info.duration_ms, config)
    }

    fn insert(&self, input: PathBuf, duration_ms: Option<u64>, config: JobConfig) -> JobId {
        let now = Instant::now();
        let mut state = self.shared.lock();
        let id = JobId(state.next_id);
        state.next_id += 1;

        tracing::info!(job = %id, input = %input.display(), model = %config.model.display(), "job queued");
        state.jobs.push(JobRecord::new(id, input, duration_ms, config));
        state.send_summary(id, now);
        drop(state);

        self.shared.wake.notify_all();
        id
    }

    /// Loads the model at `path` on the job thread while no job runs, so the next job
    /// starts at once. Progress shows in [`JobManager::model_status`].
    pub fn preload_model(&self, path: PathBuf) {
        self.shared.lock().preload = Some(path);
        self.shared.wake.notify_all();
    }

    pub fn model_status(&self) -> ModelStatus {
        self.shared.lock().model.clone()
    }

    /// Returns the model at `path` as the job thread holds it, so work outside the queue
    /// (a live recording) shares its weights instead of loading a second copy. Asks the job
    /// thread to load it first when needed, and waits for that, which also waits for a
    /// running job to end. Fails when loading fails or `cancel` is cancelled.
    pub fn model(&self, path: &Path, cancel: &CancelToken) -> Result<Model, ManagerError> {
        let mut state = self.shared.lock();
        let mut requested_at: Option<u64> = None;
        loop {
            if let Some(model) = state.loaded.as_ref().filter(|model| model.path() == path) {
                return Ok(model.clone());
            }
            if cancel.is_cancelled() {
                return Err(ManagerError::Cancelled);
            }

            // Only a failure reported after the request is about this attempt.
            if let (Some(changes), ModelStatus::Failed { path: failed, error }) = (requested_at, &state.model) {
                if failed == path && state.model_changes > changes {
                    return Err(ManagerError::ModelFailed { path: path.to_path_buf(), error: error.clone() });
                }
            }

            // Requested again when another request took the single preload slot.
            let loading = matches!(&state.model, ModelStatus::Loading { path: loading } if loading == path);
            if !loading && state.preload.as_deref() != Some(path) {
                state.preload = Some(path.to_path_buf());
                requested_at.get_or_insert(state.model_changes);
                self.shared.wake.notify_all();
            }

            state = self
                .shared
                .model_changed
                .wait_timeout(state, MODEL_WAIT_POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Keeps queued jobs from starting until the returned hold is dropped; jobs can still
    /// be added, cancelled and removed meanwhile. Fails with the running job, if there is
    /// one, so that two whisper runs never share the cores.
    pub fn hold_queue(&self) -> Result<QueueHold, ManagerError> {
        let mut state = self.shared.lock();
        if let Some(job) = state.jobs.iter().find(|job| job.status == JobStatus::Running) {
            return Err(ManagerError::JobRunning { id: job.id, input: job.input.clone() });
        }
        state.holds += 1;
        tracing::info!(holds = state.holds, "job queue held");
        Ok(QueueHold { shared: self.shared.clone() })
    }

    /// Cancels job `id`, and neither a queued nor a running job writes files after it. A
    /// queued job ends at once. A running one ends within about 50 ms once decoding or
    /// whisper runs, but a model being loaded for it finishes loading first. An ended job
    /// is left as it is.
    pub fn cancel(&self, id: JobId) -> Result<(), ManagerError> {
        self.shared.lock().cancel(id, Instant::now())
    }

    /// Cancels every queued and running job.
    pub fn cancel_all(&self) {
        let now = Instant::now();
        let mut state = self.shared.lock();
        let active: Vec<JobId> = state.jobs.iter().filter(|job| !job.status.is_done()).map(|job| job.id).collect();
        for id in active {
            let _ = state.cancel(id, now);
        }
    }

    /// Removes an ended job from the list, dropping its transcript from memory.
    pub fn remove(&self, id: JobId) -> Result<(), ManagerError> {
        let mut state = self.shared.lock();
        let index = state.jobs.iter().position(|job| job.id == id).ok_or(ManagerError::NotFound(id))?;
        if !state.jobs[index].status.is_done() {
            return Err(ManagerError::StillActive(id));
        }

        state.jobs.remove(index);
        state.send(JobUpdate::Removed(vec![id]));
        Ok(())
    }

    /// Removes every finished, failed and cancelled job, and returns their ids. Unsaved
    /// jobs stay, so no transcript is lost without being asked for by id.
    pub fn remove_finished(&self) -> Vec<JobId> {
        let mut state = self.shared.lock();
        let removable = |status: JobStatus| status.is_done() && status != JobStatus::Unsaved;
        let removed: Vec<JobId> =
            state.jobs.iter().filter(|job| removable(job.status)).map(|job| job.id).collect();

        state.jobs.retain(|job| !removable(job.status));
        if !removed.is_empty() {
            state.send(JobUpdate::Removed(removed.clone()));
        }
        removed
    }

    /// Returns every job, in the order added, with its segments so far.
    pub fn snapshot(&self) -> Vec<JobSnapshot> {
        let now = Instant::now();
        self.shared.lock().jobs.iter().map(|job| job.snapshot(now)).collect()
    }

    pub fn job(&self, id: JobId) -> Option<JobSnapshot> {
        self.shared.lock().job(id).map(|job| job.snapshot(Instant::now()))
    }

    /// True when no job is queued or running.
    pub fn is_idle(&self) -> bool {
        self.shared.lock().jobs.iter().all(|job| job.status.is_done())
    }

    /// True when `input` is queued or running already.
    pub fn is_pending(&self, input: &Path) -> bool {
        self.shared.lock().jobs.iter().any(|job| !job.status.is_done() && job.input == input)
    }

    /// Returns the whole transcript of a finished or unsaved job.
    pub fn transcript(&self, id: JobId) -> Result<Transcript, ManagerError> {
        let state = self.shared.lock();
        let job = state.job(id).ok_or(ManagerError::NotFound(id))?;
        job.transcript().cloned().ok_or(ManagerError::NoTranscript(id))
    }

    /// Writes the transcript of an unsaved job into `folder`, in the job's formats and
    /// under the input's name, which makes the job finished. Returns the files written.
    pub fn save_unsaved(&self, id: JobId, folder: &Path) -> Result<Vec<PathBuf>, ManagerError> {
        let (request, transcript) = {
            let state = self.shared.lock();
            let job = state.job(id).ok_or(ManagerError::NotFound(id))?;
            let transcript = match (job.status, job.transcript()) {
                (JobStatus::Unsaved, Some(transcript)) => transcript.clone(),
                _ => return Err(ManagerError::NotUnsaved(id)),
            };
            let request = JobRequest {
                input: job.input.clone(),
                options: job.config.options.clone(),
                formats: job.config.formats.clone(),
                output_dir: Some(folder.to_path_buf()),
            };
            (request, transcript)
        };

        // Written without the lock held, so a slow disk does not stall the job thread.
        let written = job::save_transcript(&request.input, &request, &transcript)
            .map_err(|source| ManagerError::Save { id, source })?;
        tracing::info!(job = %id, written = ?written, "unsaved transcript saved");

        let mut state = self.shared.lock();
        if let Some(job) = state.job_mut(id) {
            job.saved_elsewhere(written.clone());
            state.send_summary(id, Instant::now());
        }
        Ok(written)
    }
}

impl JobManager {
    /// Adds a file written for job `id` outside the job, such as an export the user saved
    /// elsewhere, to the job's outputs.
    pub fn record_output(&self, id: JobId, path: PathBuf) -> Result<(), ManagerError> {
        let mut state = self.shared.lock();
        let job = state.job_mut(id).ok_or(ManagerError::NotFound(id))?;
        job.add_output(path);
        state.send_summary(id, Instant::now());
        Ok(())
    }
}

/// Keeps the job queue from starting jobs while it lives; see [`JobManager::hold_queue`].
#[must_use = "the queue is released as soon as the hold is dropped"]
pub struct QueueHold {
    shared: Arc<Shared>,
}

impl Drop for QueueHold {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.holds -= 1;
        tracing::info!(holds = state.holds, "job queue hold released");
        drop(state);
        self.shared.wake.notify_all();
    }
}

impl Drop for JobManager {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.shutdown = true;
            for job in state.jobs.iter().filter(|job| job.status == JobStatus::Running) {
                job.cancel.cancel();
            }
        }
        self.shared.wake.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }

        // Closing the channel ends the notifier once it has delivered what is queued.
        self.shared.lock().updates = None;
        if let Some(notifier) = self.notifier.take() {
            let _ = notifier.join();
        }
    }
}
