//! The job thread: loads models and runs queued jobs one at a time, in order.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::manager::{JobConfig, Shared};
use super::model_cache;
use super::observer::JobUpdate;
use super::record::Change;
use super::snapshot::JobStatus;
use crate::cancel::CancelToken;
use crate::job::{self, JobId, JobRequest};

/// Nice steps by which the job thread is scheduled below the rest of the app. Decoding and
/// whisper use every core they get, so running them below the window keeps it responsive
/// while a job runs. When the cores are otherwise idle, a job loses nothing by it.
const JOB_NICE_INCREMENT: i32 = 5;

pub(super) fn spawn(shared: Arc<Shared>) -> io::Result<JoinHandle<()>> {
    thread::Builder::new().name("jobs".into()).spawn(move || {
        lower_thread_priority();
        run(&shared)
    })
}

/// Lowers the scheduling priority of the calling thread. Threads it starts later, such as
/// whisper's workers, inherit the lower priority.
fn lower_thread_priority() {
    // On Linux the nice value belongs to each thread, and nice(2) changes the caller's only.
    #[cfg(target_os = "linux")]
    {
        // nice(2) may return -1 as a valid new value, so failure shows only in errno.
        // SAFETY: these calls take integers and write only this thread's errno.
        let failed = unsafe {
            *libc::__errno_location() = 0;
            libc::nice(JOB_NICE_INCREMENT) == -1 && *libc::__errno_location() != 0
        };
        if failed {
            tracing::warn!(error = %io::Error::last_os_error(), "cannot lower the job thread's priority");
        }
    }
}

enum Task {
    LoadModel(PathBuf),
    RunJob(StartedJob),
}

/// The parts of a job that the job thread needs once it has marked the job running.
struct StartedJob {
    id: JobId,
    input: PathBuf,
    config: JobConfig,
    cancel: CancelToken,
}

fn run(shared: &Shared) {
    while let Some(task) = next_task(shared) {
        match task {
            Task::LoadModel(path) => {
                // A failure is reported as the model's status; the next job retries.
                let _ = model_cache::get(shared, &path);
            }
            Task::RunJob(job) => run_job(shared, job),
        }
    }
}

/// Waits for the next thing to do: a requested model that is not loaded yet, else the
/// oldest queued job unless the queue is held. Returns `None` once the manager shuts down.
fn next_task(shared: &Shared) -> Option<Task> {
    let mut state = shared.lock();
    loop {
        if state.shutdown {
            return None;
        }

        if let Some(path) = state.preload.take() {
            let loaded = state.loaded.as_ref().map(|model| model.path());
            if loaded != Some(path.as_path()) {
                return Some(Task::LoadModel(path));
            }
            continue;
        }

        let now = Instant::now();
        let held = state.is_held();
        if let Some(job) = state.jobs.iter_mut().find(|job| !held && job.status == JobStatus::Queued) {
            job.start(now);
            let started = StartedJob {
                id: job.id,
                input: job.input.clone(),
                config: job.config.clone(),
                cancel: job.cancel.clone(),
            };
            state.send_summary(started.id, now);
            return Some(Task::RunJob(started));
        }

        state = shared.wake.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

fn run_job(shared: &Shared, job: StartedJob) {
    let model = match model_cache::get(shared, &job.config.model) {
        Ok(model) => model,
        Err(error) => {
            end_early(shared, job.id, JobStatus::Failed, Some(error.to_string()));
            return;
        }
    };
    if job.cancel.is_cancelled() {
        end_early(shared, job.id, JobStatus::Cancelled, None);
        return;
    }

    let request = JobRequest {
        input: job.input,
        options: job.config.options,
        formats: job.config.formats,
        output_dir: job.config.output_dir,
    };
    let mut on_event = |event| {
        let now = Instant::now();
        let mut state = shared.lock();
        let Some(record) = state.job_mut(job.id) else {
            return;
        };
        match record.apply(event, now) {
            Change::None => {}
            Change::Summary => state.send_summary(job.id, now),
            Change::Segment { index, segment } => state.send(JobUpdate::Segment { id: job.id, index, segment }),
        }
    };
    let result = job::run_job(job.id, &model, &request, &mut on_event, &job.cancel);

    let now = Instant::now();
    let mut state = shared.lock();
    if let Some(record) = state.job_mut(job.id) {
        record.finish(result, now);
        state.send_summary(job.id, now);
    }
}

fn end_early(shared: &Shared, id: JobId, status: JobStatus, error: Option<String>) {
    let now = Instant::now();
    let mut state = shared.lock();
    if let Some(record) = state.job_mut(id) {
        record.end_without_running(status, error, now);
        state.send_summary(id, now);
    }
}
