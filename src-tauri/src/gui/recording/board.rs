//! The state behind the Record tab, kept in Rust so a reloaded page gets all of it back.
//! It covers the phase of the recording, its live text, the level monitor, the files of
//! the last recording and the recordings a crash left unfinished.
//!
//! [`Board`] only holds state. Each change returns the [`BoardUpdate`] the page needs, and
//! the caller sends it while still holding the board's lock, so updates reach the page in
//! the order they happened.

use std::path::{Path, PathBuf};

use serde::Serialize;
use specta::Type;
use whisperrr_core::record::{
    CaptureFormat, InputDevice, RecordError, RecordEvent, RecordingOutcome, UnfinishedRecording, UnfinishedScan,
};
use whisperrr_core::transcript::Segment;

/// Phase of the recorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum RecordingPhase {
    Idle,
    /// Waiting for the model and for the device's first audio.
    Starting,
    Recording,
    Paused,
    /// Capture ended; the last phrases are being transcribed and the files saved.
    Finishing,
    /// An unfinished recording is being transcribed.
    Recovering,
}

/// The level monitor that runs while the Record tab is open and nothing records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MonitorState {
    #[default]
    Off,
    Opening,
    Listening { device: InputDevice },
    /// The device could not be opened, or it stopped delivering audio.
    Failed { message: String },
}

/// The files of the recording that ended last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub struct SavedRecording {
    pub wav: PathBuf,
    /// Transcript files beside the WAV; none when it held no speech or its transcript
    /// could not be saved.
    pub written: Vec<PathBuf>,
    /// Length of the recording, in milliseconds; `None` when it is unknown because saving
    /// failed.
    pub duration_ms: Option<u64>,
    /// True for a recording that a crash left unfinished and that was saved later.
    pub recovered: bool,
    /// True when whisper found no speech in it.
    pub no_speech: bool,
}

/// Everything the Record tab shows except the committed text, which grows and is sent
/// piece by piece in [`RecordingTextCommitted`](crate::gui::events::RecordingTextCommitted).
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
pub struct RecordingSummary {
    /// Rises with every change, so the page can tell a stale snapshot from a newer event.
    pub revision: u64,
    /// Numbers the recordings of this run from 1 (0 before the first); the committed text
    /// belongs to this one.
    pub take: u64,
    pub phase: RecordingPhase,
    /// Device and format of the current or last recording.
    pub format: Option<CaptureFormat>,
    /// Length recorded so far, without paused time, in milliseconds.
    pub recorded_ms: u64,
    /// Committed segments of this take.
    pub segment_count: usize,
    /// The guess for the phrase being spoken; empty when there is none.
    pub tentative: String,
    /// Speech that waits for whisper, in milliseconds; zero while it keeps up.
    pub backlog_ms: u64,
    /// Problems that did not stop the recording.
    pub warnings: Vec<String>,
    /// Reason the last recording stopped, when a failure stopped it.
    pub failure: Option<String>,
    /// Reason the last start, save or recovery failed.
    pub error: Option<String>,
    pub saved: Option<SavedRecording>,
    pub monitor: MonitorState,
    /// The recording being recovered, while the phase is `recovering`.
    pub recovering: Option<PathBuf>,
    /// Recordings a crash left unfinished in the recordings folder, oldest first.
    pub unfinished: Vec<UnfinishedRecording>,
    /// Unfinished recordings that could not be repaired, one line each.
    pub unfinished_problems: Vec<String>,
    /// The folder recordings go to; `None` when there is no home folder to put it in.
    pub recordings_dir: Option<PathBuf>,
}

/// One input level reading, about 20 a second.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Type)]
pub struct Level {
    pub rms_dbfs: f32,
    pub peak_dbfs: f32,
    /// Length recorded so far in milliseconds, while recording; `None` from the monitor.
    pub recorded_ms: Option<u64>,
}

/// Message for the page about a change.
#[derive(Clone, Debug, PartialEq)]
pub enum BoardUpdate {
    None,
    Summary(RecordingSummary),
    Level(Level),
    /// Segments `index..` of take `take` were committed; the summary changed too.
    Committed { take: u64, index: usize, segments: Vec<Segment>, summary: RecordingSummary },
}

/// The Record tab's state; see the module documentation.
#[derive(Debug)]
pub struct Board {
    summary: RecordingSummary,
    segments: Vec<Segment>,
}

impl Board {
    pub fn new(recordings_dir: Option<PathBuf>) -> Self {
        let summary = RecordingSummary {
            revision: 0,
            take: 0,
            phase: RecordingPhase::Idle,
            format: None,
            recorded_ms: 0,
            segment_count: 0,
            tentative: String::new(),
            backlog_ms: 0,
            warnings: Vec::new(),
            failure: None,
            error: None,
            saved: None,
            monitor: MonitorState::Off,
            recovering: None,
            unfinished: Vec::new(),
            unfinished_problems: Vec::new(),
            recordings_dir,
        };
        Self { summary, segments: Vec::new() }
    }

    pub fn summary(&self) -> &RecordingSummary {
        &self.summary
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Returns the unfinished recording at exactly `path`, if it is listed.
    pub fn unfinished(&self, path: &Path) -> Option<UnfinishedRecording> {
        self.summary.unfinished.iter().find(|recording| recording.path == path).cloned()
    }

    /// Marks a recording as starting. The previous take stays shown until audio flows, so a
    /// start that fails leaves it in place.
    pub fn begin_recording(&mut self) -> BoardUpdate {
        let summary = &mut self.summary;
        summary.phase = RecordingPhase::Starting;
        summary.failure = None;
        summary.error = None;
        summary.monitor = MonitorState::Off;
        self.changed()
    }

    /// Starts a new take: clears the text and the outcome of the previous one.
    fn new_take(&mut self, segments: Vec<Segment>) {
        let summary = &mut self.summary;
        summary.take += 1;
        summary.format = None;
        summary.recorded_ms = 0;
        summary.segment_count = segments.len();
        summary.tentative.clear();
        summary.backlog_ms = 0;
        summary.warnings.clear();
        summary.saved = None;
        self.segments = segments;
    }

    /// Records that the recording did not start, with the reason unless the user gave it
    /// up.
    pub fn start_failed(&mut self, message: Option<String>) -> BoardUpdate {
        self.summary.phase = RecordingPhase::Idle;
        self.summary.error = message;
        self.changed()
    }

    /// Applies an event of the running recording.
    pub fn apply(&mut self, event: RecordEvent) -> BoardUpdate {
        let summary = &mut self.summary;
        match event {
            RecordEvent::Started { format, .. } => {
                self.new_take(Vec::new());
                self.summary.phase = RecordingPhase::Recording;
                self.summary.format = Some(format);
            }
            RecordEvent::Level { rms_dbfs, peak_dbfs, recorded_ms } => {
                // The elapsed time travels with the level, so it changes no summary.
                summary.recorded_ms = recorded_ms;
                return BoardUpdate::Level(Level { rms_dbfs, peak_dbfs, recorded_ms: Some(recorded_ms) });
            }
            RecordEvent::Paused { recorded_ms } => {
                summary.recorded_ms = recorded_ms;
                if summary.phase == RecordingPhase::Recording {
                    summary.phase = RecordingPhase::Paused;
                }
            }
            RecordEvent::Resumed { recorded_ms } => {
                summary.recorded_ms = recorded_ms;
                if summary.phase == RecordingPhase::Paused {
                    summary.phase = RecordingPhase::Recording;
                }
            }
            RecordEvent::Committed { segments, .. } => {
                let segments = spoken(segments);
                if segments.is_empty() {
                    return BoardUpdate::None;
                }
                let index = self.segments.len();
                self.segments.extend(segments.iter().cloned());
                summary.segment_count = self.segments.len();
                summary.revision += 1;
                return BoardUpdate::Committed {
                    take: summary.take,
                    index,
                    segments,
                    summary: summary.clone(),
                };
            }
            RecordEvent::Tentative { text, .. } => {
                let text = text.trim();
                if summary.tentative == text {
                    return BoardUpdate::None;
                }
                summary.tentative = text.to_string();
            }
            RecordEvent::Backlog { pending_ms } => {
                if summary.backlog_ms == pending_ms {
                    return BoardUpdate::None;
                }
                summary.backlog_ms = pending_ms;
            }
            RecordEvent::Warning { message } => summary.warnings.push(message),
            RecordEvent::Stopped { reason, recorded_ms } => {
                summary.phase = RecordingPhase::Finishing;
                summary.recorded_ms = recorded_ms;
                summary.failure = reason.is_failure().then(|| reason.message());
            }
        }
        self.changed()
    }

    /// Records how a recording ended: its saved files, or why saving failed.
    pub fn finish_recording(&mut self, result: Result<RecordingOutcome, RecordError>) -> BoardUpdate {
        let summary = &mut self.summary;
        summary.phase = RecordingPhase::Idle;
        summary.tentative.clear();
        summary.backlog_ms = 0;
        match result {
            Ok(outcome) => {
                summary.recorded_ms = outcome.duration_ms;
                summary.warnings = outcome.warnings.clone();
                if outcome.stop_reason.is_failure() {
                    summary.failure = Some(outcome.stop_reason.message());
                }
                summary.saved = Some(saved(outcome, false));
            }
            Err(error) => {
                summary.saved = wav_saved_despite(&error);
                summary.error = Some(error.to_string());
            }
        }
        self.changed()
    }

    /// Marks `path` as the unfinished recording being transcribed.
    pub fn begin_recovery(&mut self, path: PathBuf) -> BoardUpdate {
        let summary = &mut self.summary;
        summary.phase = RecordingPhase::Recovering;
        summary.recovering = Some(path);
        summary.error = None;
        summary.failure = None;
        summary.saved = None;
        self.changed()
    }

    /// Records how a recovery ended. A recording saved, fully or only as audio, leaves the
    /// list; one that failed or was cancelled before saving stays.
    pub fn finish_recovery(&mut self, result: Result<RecordingOutcome, RecordError>) -> BoardUpdate {
        self.summary.phase = RecordingPhase::Idle;
        let partial = self.summary.recovering.take();
        let error = match result {
            Ok(outcome) => return self.show_recovered(outcome, partial),
            Err(error) => error,
        };

        if matches!(error, RecordError::Cancelled) {
            return self.changed();
        }
        let summary = &mut self.summary;
        summary.saved = wav_saved_despite(&error).map(|saved| SavedRecording { recovered: true, ..saved });
        summary.error = Some(error.to_string());
        if summary.saved.is_some() {
            summary.unfinished.retain(|recording| Some(&recording.path) != partial.as_ref());
        }
        self.changed()
    }

    /// Shows a recovered recording as a take of its own: its transcript and its files.
    fn show_recovered(&mut self, outcome: RecordingOutcome, partial: Option<PathBuf>) -> BoardUpdate {
        let segments = spoken(outcome.transcript.segments.clone());
        self.new_take(segments.clone());
        let summary = &mut self.summary;
        summary.recorded_ms = outcome.duration_ms;
        summary.saved = Some(saved(outcome, true));
        summary.unfinished.retain(|recording| Some(&recording.path) != partial.as_ref());
        summary.revision += 1;
        BoardUpdate::Committed { take: summary.take, index: 0, segments, summary: summary.clone() }
    }

    /// Records that an unfinished recording was kept as a WAV file without a transcript.
    pub fn kept_unfinished(&mut self, kept: &UnfinishedRecording, wav: PathBuf) -> BoardUpdate {
        let summary = &mut self.summary;
        summary.unfinished.retain(|recording| recording.path != kept.path);
        summary.error = None;
        summary.saved = Some(SavedRecording {
            wav,
            written: Vec::new(),
            duration_ms: Some(kept.duration_ms),
            recovered: true,
            no_speech: false,
        });
        self.changed()
    }

    /// Shows `message` as the error of the last action.
    pub fn set_error(&mut self, message: String) -> BoardUpdate {
        self.summary.error = Some(message);
        self.changed()
    }

    /// Replaces the list of unfinished recordings with a new scan of `recordings_dir`.
    pub fn set_unfinished(&mut self, recordings_dir: Option<PathBuf>, scan: UnfinishedScan) -> BoardUpdate {
        self.summary.recordings_dir = recordings_dir;
        self.summary.unfinished = scan.recordings;
        self.summary.unfinished_problems = scan.problems;
        self.changed()
    }

    pub fn set_monitor(&mut self, monitor: MonitorState) -> BoardUpdate {
        if self.summary.monitor == monitor {
            return BoardUpdate::None;
        }
        self.summary.monitor = monitor;
        self.changed()
    }

    fn changed(&mut self) -> BoardUpdate {
        self.summary.revision += 1;
        BoardUpdate::Summary(self.summary.clone())
    }
}

/// Drops segments without words, which show nothing.
fn spoken(segments: Vec<Segment>) -> Vec<Segment> {
    segments.into_iter().filter(|segment| !segment.text.trim().is_empty()).collect()
}

fn saved(outcome: RecordingOutcome, recovered: bool) -> SavedRecording {
    SavedRecording {
        no_speech: outcome.transcript.is_empty(),
        wav: outcome.wav,
        written: outcome.written,
        duration_ms: Some(outcome.duration_ms),
        recovered,
    }
}

/// Returns the WAV file that stays saved when only the transcript failed.
fn wav_saved_despite(error: &RecordError) -> Option<SavedRecording> {
    match error {
        RecordError::Transcribe { wav, .. } | RecordError::SaveTranscript { wav, .. } => Some(SavedRecording {
            wav: wav.clone(),
            written: Vec::new(),
            duration_ms: None,
            recovered: false,
            no_speech: false,
        }),
        _ => None,
    }
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
