//! The job thread: loads models and runs queued jobs one at a time, in order.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::manager::{JobConfig, Shared};
use super::model_cache::ModelCache;
use super::observer::JobUpdate;
use super::record::Change;
use super::snapshot::{JobStatus, ModelStatus};
use crate::cancel::CancelToken;
use crate::job::{self, JobId, JobRequest};

pub(super) fn spawn(shared: Arc<Shared>) -> io::Result<JoinHandle<()>> {
    thread::Builder::new().name("jobs".into()).spawn(move || run(&shared))
}

enum Task {
    LoadModel(PathBuf),
    RunJob(StartedJob),
}

/// What the job thread needs from a job it has just marked running.
struct StartedJob {
    id: JobId,
    input: PathBuf,
    config: JobConfig,
    cancel: CancelToken,
}

fn run(shared: &Shared) {
    let mut models = ModelCache::default();
    let report_model = |status: ModelStatus| shared.lock().set_model_status(status);

    while let Some(task) = next_task(shared, models.loaded_path()) {
        match task {
            Task::LoadModel(path) => {
                // A failure is reported as the model's status; the next job retries.
                let _ = models.get(&path, &report_model);
            }
            Task::RunJob(job) => run_job(shared, &mut models, job),
        }
    }
}

/// Waits for the next thing to do: a requested model that is not loaded yet, else the
/// oldest queued job. Returns `None` once the manager shuts down.
fn next_task(shared: &Shared, loaded_model: Option<&Path>) -> Option<Task> {
    let mut state = shared.lock();
    loop {
        if state.shutdown {
            return None;
        }

        if let Some(path) = state.preload.take() {
            if loaded_model != Some(path.as_path()) {
                return Some(Task::LoadModel(path));
            }
            continue;
        }

        let now = Instant::now();
        if let Some(job) = state.jobs.iter_mut().find(|job| job.status == JobStatus::Queued) {
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

fn run_job(shared: &Shared, models: &mut ModelCache, job: StartedJob) {
    let report_model = |status: ModelStatus| shared.lock().set_model_status(status);
    let model = match models.get(&job.config.model, &report_model) {
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
