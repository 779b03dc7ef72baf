//! One job's state inside the manager, and how each event changes it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::eta::EtaEstimator;
use super::manager::JobConfig;
use super::snapshot::{JobSnapshot, JobStatus, JobSummary};
use crate::cancel::CancelToken;
use crate::job::{JobError, JobEvent, JobId, JobOutcome, Phase};
use crate::transcript::{Segment, Transcript};

/// Progress alone is reported at most this often, so a fast decode of a long file does not
/// flood the observer.
const PROGRESS_REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// The effect of one event on a job, which decides the update the observer is sent.
pub(super) enum Change {
    /// Nothing worth reporting (progress within the report interval).
    None,
    Summary,
    Segment { index: usize, segment: Segment },
}

pub(super) struct JobRecord {
    pub id: JobId,
    pub input: PathBuf,
    pub config: JobConfig,
    pub status: JobStatus,
    pub cancel: CancelToken,
    /// The revision of the latest summary sent for this job.
    pub revision: u64,
    phase: Option<Phase>,
    percent: f32,
    duration_ms: Option<u64>,
    segments: Vec<Segment>,
    outputs: Vec<PathBuf>,
    error: Option<String>,
    language: Option<String>,
    warnings: Vec<String>,
    /// The whole transcript, kept once the job has finished, saved or not.
    transcript: Option<Transcript>,
    started: Option<Instant>,
    ended: Option<Instant>,
    eta: EtaEstimator,
    last_progress_report: Option<Instant>,
}

impl JobRecord {
    pub fn new(id: JobId, input: PathBuf, duration_ms: Option<u64>, config: JobConfig) -> Self {
        Self {
            id,
            input,
            config,
            status: JobStatus::Queued,
            cancel: CancelToken::new(),
            revision: 0,
            phase: None,
            percent: 0.0,
            duration_ms,
            segments: Vec::new(),
            outputs: Vec::new(),
            error: None,
            language: None,
            warnings: Vec::new(),
            transcript: None,
            started: None,
            ended: None,
            eta: EtaEstimator::default(),
            last_progress_report: None,
        }
    }

    pub fn start(&mut self, now: Instant) {
        self.status = JobStatus::Running;
        self.started = Some(now);
    }

    /// Applies one event from the running job.
    pub fn apply(&mut self, event: JobEvent, now: Instant) -> Change {
        match event {
            JobEvent::Progress { phase, percent } => self.apply_progress(phase, percent, now),
            JobEvent::Duration { duration_ms } => {
                self.duration_ms = Some(duration_ms);
                Change::Summary
            }
            JobEvent::Segment { segment } => {
                self.segments.push(segment.clone());
                Change::Segment { index: self.segments.len() - 1, segment }
            }
            JobEvent::Warning { message } => {
                self.warnings.push(message);
                Change::Summary
            }
        }
    }

    fn apply_progress(&mut self, phase: Phase, percent: f32, now: Instant) -> Change {
        let phase_changed = self.phase != Some(phase);
        self.percent = self.percent.max(percent);
        if phase_changed {
            self.phase = Some(phase);
            match phase {
                Phase::Transcribing => self.eta.start(now, self.percent),
                Phase::Decoding | Phase::Saving => self.eta.clear(),
            }
        } else {
            self.eta.update(now, self.percent);
        }

        let due = self
            .last_progress_report
            .is_none_or(|last| now.saturating_duration_since(last) >= PROGRESS_REPORT_INTERVAL);
        if phase_changed || due || self.percent >= 100.0 {
            self.last_progress_report = Some(now);
            Change::Summary
        } else {
            Change::None
        }
    }

    /// Records how the job ended.
    pub fn finish(&mut self, result: Result<JobOutcome, JobError>, now: Instant) {
        self.ended = Some(now);
        self.eta.clear();

        match result {
            Ok(outcome) => {
                self.status = JobStatus::Finished;
                self.percent = 100.0;
                self.outputs = outcome.written;
                self.language = outcome.transcript.language.clone();
                if outcome.transcript.is_empty() {
                    self.warnings.push("no speech found, so no files were written".into());
                }
                // The live segments are the same ones, but the finished transcript is the
                // authority: whisper may report a segment it later drops.
                self.segments = outcome.transcript.segments.clone();
                self.transcript = Some(outcome.transcript);
            }
            Err(error) => {
                let message = error.to_string();
                match error {
                    JobError::Cancelled { .. } => self.status = JobStatus::Cancelled,
                    JobError::Save { transcript, .. } => {
                        self.status = JobStatus::Unsaved;
                        self.percent = 100.0;
                        self.error = Some(message);
                        self.language = transcript.language.clone();
                        self.segments = transcript.segments.clone();
                        self.transcript = Some(*transcript);
                    }
                    JobError::Decode(_) | JobError::Transcribe { .. } => {
                        self.status = JobStatus::Failed;
                        self.error = Some(message);
                    }
                }
            }
        }
    }

    /// Marks a job that never started, or whose model could not be loaded, as ended.
    pub fn end_without_running(&mut self, status: JobStatus, error: Option<String>, now: Instant) {
        self.status = status;
        self.error = error;
        if self.started.is_some() {
            self.ended = Some(now);
        }
    }

    /// Records files written later for an unsaved job, which makes it finished.
    pub fn saved_elsewhere(&mut self, outputs: Vec<PathBuf>) {
        self.status = JobStatus::Finished;
        self.outputs = outputs;
        self.error = None;
    }

    pub fn add_output(&mut self, path: PathBuf) {
        if !self.outputs.contains(&path) {
            self.outputs.push(path);
        }
    }

    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }

    pub fn summary(&self, now: Instant) -> JobSummary {
        let elapsed = self.started.map(|started| self.ended.unwrap_or(now).saturating_duration_since(started));
        JobSummary {
            id: self.id,
            revision: self.revision,
            input: self.input.clone(),
            file_name: self
                .input
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.input.display().to_string()),
            status: self.status,
            phase: self.phase,
            percent: self.percent,
            duration_ms: self.duration_ms,
            elapsed_ms: elapsed.map(|elapsed| elapsed.as_millis() as u64),
            eta_ms: if self.status == JobStatus::Running { self.eta.remaining_ms(now) } else { None },
            segment_count: self.segments.len(),
            outputs: self.outputs.clone(),
            formats: self.config.formats.clone(),
            error: self.error.clone(),
            language: self.language.clone(),
            warnings: self.warnings.clone(),
        }
    }

    pub fn snapshot(&self, now: Instant) -> JobSnapshot {
        JobSnapshot { summary: self.summary(now), segments: self.segments.clone() }
    }
}
