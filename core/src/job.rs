//! One transcription job: a file in, transcript files out.
//!
//! [`run_job`] decodes the file, transcribes it with an already loaded model and saves the
//! transcript beside the audio, reporting one overall percentage that only rises. Nothing
//! is written unless every step before saving succeeded, so a failed or cancelled job
//! leaves no files.
//!
//! The file is read twice when it is long. The first pass decodes it to measure its length
//! and where its voice is, keeping only 4 bytes per 20 ms. The second decodes it again while
//! whisper transcribes it piece by piece, so memory stays flat whatever the length. The
//! length and progress come from decoded samples, never from a duration the container
//! states, which can be missing or wrong. A file of up to [`KEEP_DECODED_S`] is
//! kept in memory after the first pass instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::audio::{self, AudioInfo, DecodeError, DecodeStream, RedecodedSamples, SampleSource, SamplesInMemory};
use crate::cancel::CancelToken;
use crate::export::Format;
use crate::memory::release_free_heap;
use crate::save::{self, OutputFile, OutputLocation, SaveError};
use crate::transcribe::{Model, TranscribeError, TranscribeEvent, TranscribeOptions};
use crate::transcript::{Segment, Transcript};
use crate::vad::{LevelMeter, SpeechActivity};

/// Identifies a job in logs and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job-{}", self.0)
    }
}

/// What to transcribe and where the result goes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    pub input: PathBuf,
    pub options: TranscribeOptions,
    /// Files to write; none means keep the transcript in memory only.
    pub formats: Vec<Format>,
    /// Folder for the files; `None` puts them beside the input.
    pub output_dir: Option<PathBuf>,
}

/// The step a job is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Decoding,
    Transcribing,
    Saving,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Decoding => "decoding",
            Phase::Transcribing => "transcribing",
            Phase::Saving => "saving",
        })
    }
}

/// What a running job reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum JobEvent {
    /// The job's phase and overall percentage (0 to 100, never decreasing).
    Progress { phase: Phase, percent: f32 },
    /// The total length of the audio became known, in milliseconds.
    Duration { duration_ms: u64 },
    /// A new segment of the transcript.
    Segment { segment: Segment },
    /// Something went wrong that did not stop the job, such as a truncated file.
    Warning { message: String },
}

/// A finished job.
#[derive(Clone, Debug, Serialize)]
pub struct JobOutcome {
    pub transcript: Transcript,
    /// The files written, in the order of the requested formats.
    pub written: Vec<PathBuf>,
    pub source: AudioInfo,
    pub warnings: Vec<String>,
}

impl JobOutcome {
    /// True when the audio held no speech, so nothing was written.
    pub fn no_speech(&self) -> bool {
        self.transcript.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Decode(#[from] DecodeError),

    #[error("{}: {source}", input.display())]
    Transcribe { input: PathBuf, source: TranscribeError },

    #[error("{}: {source}", input.display())]
    Save { input: PathBuf, source: SaveError, transcript: Box<Transcript> },

    #[error("{}: cancelled", input.display())]
    Cancelled { input: PathBuf },
}

/// Shares of the overall percentage: decoding is fast next to whisper, and saving is
/// nearly instant.
const DECODE_SHARE: f32 = 10.0;
const TRANSCRIBE_SHARE: f32 = 89.0;

/// Maximum length of audio kept in memory after the first pass, in seconds (10 minutes,
/// 38 MB at 16 kHz). Longer files are decoded a second time while they are transcribed.
pub const KEEP_DECODED_S: u64 = 600;

/// Runs one job to the end, reporting through `on_event`.
pub fn run_job(
    id: JobId,
    model: &Model,
    request: &JobRequest,
    on_event: &mut dyn FnMut(JobEvent),
    cancel: &CancelToken,
) -> Result<JobOutcome, JobError> {
    let started = Instant::now();
    tracing::info!(job = %id, input = %request.input.display(), model = %model.name(), "job started");

    let result = run_steps(model, request, on_event, cancel);

    let elapsed_s = started.elapsed().as_secs_f32();
    match &result {
        Ok(outcome) => tracing::info!(
            job = %id,
            elapsed_s,
            segments = outcome.transcript.segments.len(),
            written = ?outcome.written,
            "job finished"
        ),
        Err(JobError::Cancelled { .. }) => tracing::info!(job = %id, elapsed_s, "job cancelled"),
        Err(error) => tracing::error!(job = %id, elapsed_s, %error, "job failed"),
    }
    result
}

fn run_steps(
    model: &Model,
    request: &JobRequest,
    on_event: &mut dyn FnMut(JobEvent),
    cancel: &CancelToken,
) -> Result<JobOutcome, JobError> {
    let input = request.input.as_path();
    let mut progress = ProgressTracker::default();
    let cancelled = || JobError::Cancelled { input: input.to_path_buf() };

    on_event(progress.update(Phase::Decoding, 0.0));
    let analysis = analyze(input, &mut |fraction| on_event(progress.update(Phase::Decoding, DECODE_SHARE * fraction)), cancel)
        .map_err(|error| decode_error(input, error))?;

    let warnings: Vec<String> = analysis.warnings.iter().map(|w| format!("{}: {w}", input.display())).collect();
    for message in &warnings {
        tracing::warn!(input = %input.display(), %message, "decode warning");
        on_event(JobEvent::Warning { message: message.clone() });
    }
    let duration_ms = analysis.len as u64 * 1000 / u64::from(audio::WHISPER_SAMPLE_RATE);
    on_event(JobEvent::Duration { duration_ms });
    if cancel.is_cancelled() {
        return Err(cancelled());
    }

    let mut samples: Box<dyn SampleSource> = match analysis.samples {
        Some(samples) => Box::new(SamplesInMemory::new(samples)),
        None => {
            let stream = DecodeStream::open(input).map_err(|error| decode_error(input, error))?;
            Box::new(RedecodedSamples::new(stream, analysis.len, cancel.clone()))
        }
    };

    on_event(progress.update(Phase::Transcribing, DECODE_SHARE));
    let transcript = model
        .transcribe_source(
            samples.as_mut(),
            &analysis.activity,
            &request.options,
            &mut |event| match event {
                TranscribeEvent::Progress { processed_ms, duration_ms } => {
                    let fraction = processed_ms as f32 / duration_ms.max(1) as f32;
                    on_event(progress.update(Phase::Transcribing, DECODE_SHARE + TRANSCRIBE_SHARE * fraction));
                }
                TranscribeEvent::Segment(segment) => on_event(JobEvent::Segment { segment }),
            },
            cancel,
        )
        .map_err(|source| match source {
            TranscribeError::Cancelled => cancelled(),
            TranscribeError::Decode(error) => decode_error(input, error),
            source => JobError::Transcribe { input: input.to_path_buf(), source },
        })?;
    drop(samples);
    release_free_heap();

    on_event(progress.update(Phase::Saving, DECODE_SHARE + TRANSCRIBE_SHARE));
    if cancel.is_cancelled() {
        return Err(cancelled());
    }
    let written = if transcript.is_empty() {
        Vec::new()
    } else {
        save_transcript(input, request, &transcript).map_err(|source| JobError::Save {
            input: input.to_path_buf(),
            source,
            transcript: Box::new(transcript.clone()),
        })?
    };

    on_event(progress.update(Phase::Saving, 100.0));
    Ok(JobOutcome { transcript, written, source: analysis.source, warnings })
}

/// Findings of the first pass over a file.
struct Analysis {
    /// Length in 16 kHz samples.
    len: usize,
    activity: SpeechActivity,
    /// The samples, when the file is short enough to keep them.
    samples: Option<Vec<f32>>,
    source: AudioInfo,
    warnings: Vec<audio::DecodeWarning>,
}

/// Decodes `input` once to measure its length and voice activity, reporting the share of
/// the file read (0.0 to 1.0) through `on_fraction`.
fn analyze(input: &Path, on_fraction: &mut dyn FnMut(f32), cancel: &CancelToken) -> Result<Analysis, DecodeError> {
    let keep_limit = (KEEP_DECODED_S * u64::from(audio::WHISPER_SAMPLE_RATE)) as usize;
    let mut stream = DecodeStream::open(input)?;
    let mut meter = LevelMeter::default();
    let mut kept = Some(Vec::new());
    let mut block = Vec::new();
    let mut len = 0;

    loop {
        block.clear();
        if stream.read(&mut block, cancel)? == 0 {
            break;
        }
        len += block.len();
        meter.push(&block);
        kept = kept.filter(|_| len <= keep_limit).map(|mut kept| {
            kept.extend_from_slice(&block);
            kept
        });
        on_fraction(stream.progress().fraction_read());
    }
    if len == 0 {
        return Err(DecodeError::NoSamples { path: input.to_path_buf() });
    }

    let summary = stream.finish();
    release_free_heap();
    on_fraction(1.0);
    Ok(Analysis { len, activity: meter.finish(), samples: kept, source: summary.source, warnings: summary.warnings })
}

fn decode_error(input: &Path, error: DecodeError) -> JobError {
    match error {
        DecodeError::Cancelled { .. } => JobError::Cancelled { input: input.to_path_buf() },
        error => JobError::Decode(error),
    }
}

/// Writes `transcript` in every requested format, all or nothing.
pub fn save_transcript(input: &Path, request: &JobRequest, transcript: &Transcript) -> Result<Vec<PathBuf>, SaveError> {
    if request.formats.is_empty() {
        return Ok(Vec::new());
    }

    let rendered: Vec<(Format, String)> =
        request.formats.iter().map(|&format| (format, format.render(transcript))).collect();
    let files: Vec<OutputFile<'_>> = rendered
        .iter()
        .map(|(format, text)| OutputFile { extension: format.extension(), contents: text.as_bytes() })
        .collect();

    let location = OutputLocation::for_input(input, request.output_dir.as_deref());
    save::save_all(&location, &files)
}

/// Turns per-phase progress into one percentage that never goes back.
#[derive(Default)]
struct ProgressTracker {
    percent: f32,
}

impl ProgressTracker {
    fn update(&mut self, phase: Phase, percent: f32) -> JobEvent {
        self.percent = self.percent.max(percent.clamp(0.0, 100.0));
        JobEvent::Progress { phase, percent: self.percent }
    }
}
