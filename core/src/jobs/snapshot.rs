//! What the job manager reports about each job and about the loaded model.

use std::path::PathBuf;

use serde::Serialize;

use crate::export::Format;
use crate::job::{JobId, Phase};
use crate::transcript::Segment;

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for the jobs before it.
    Queued,
    Running,
    /// Transcribed, and the files were written (none when the audio had no speech).
    Finished,
    /// Transcribed, but the files could not be written; the transcript is kept in memory
    /// until it is saved elsewhere or the job is removed.
    Unsaved,
    Failed,
    Cancelled,
}

impl JobStatus {
    /// True once the job will not run any more.
    pub fn is_done(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

/// Everything about a job except its segments.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobSummary {
    pub id: JobId,
    /// Rises with every change sent for any job, so a receiver can tell which of two
    /// summaries of a job is newer, such as an event and a snapshot that crossed it.
    pub revision: u64,
    /// The file as added, exactly as given.
    pub input: PathBuf,
    /// The last component of `input`, for display.
    pub file_name: String,
    pub status: JobStatus,
    /// The step a running job is in; the last step reached for a finished one.
    pub phase: Option<Phase>,
    /// Overall progress from 0 to 100, never decreasing.
    pub percent: f32,
    /// Length of the audio in milliseconds: the container's figure until decoding
    /// measures it. `None` when neither is known yet.
    pub duration_ms: Option<u64>,
    /// Milliseconds since the job started, frozen when it ends. `None` while queued.
    pub elapsed_ms: Option<u64>,
    /// Estimated milliseconds until the job ends, once transcription is under way.
    pub eta_ms: Option<u64>,
    pub segment_count: usize,
    /// Files written: those of `formats` in that order, then any saved later with
    /// [`super::JobManager::record_output`].
    pub outputs: Vec<PathBuf>,
    /// Formats the job writes when it finishes.
    pub formats: Vec<Format>,
    /// Why the job failed or could not be saved.
    pub error: Option<String>,
    /// ISO 639-1 code of the spoken language, known when the job finishes.
    pub language: Option<String>,
    /// Problems that did not stop the job, such as a truncated file or no speech found.
    pub warnings: Vec<String>,
}

/// A job with every segment transcribed so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobSnapshot {
    pub summary: JobSummary,
    pub segments: Vec<Segment>,
}

/// The model the job thread holds in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    /// No model has been asked for yet.
    #[default]
    Unloaded,
    Loading { path: PathBuf },
    Ready { path: PathBuf },
    /// Loading failed; jobs that need this model fail with `error`.
    Failed { path: PathBuf, error: String },
}

impl ModelStatus {
    /// The model file this status is about.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            ModelStatus::Unloaded => None,
            ModelStatus::Loading { path } | ModelStatus::Ready { path } | ModelStatus::Failed { path, .. } => {
                Some(path)
            }
        }
    }
}
