//! Recording from a microphone, with live transcription and crash-safe files.
//!
//! [`Recording::start`] opens an input device, writes what it captures to a WAV file in
//! the recordings folder as it arrives, and transcribes it while the user speaks. Events
//! ([`RecordEvent`]) report the input level about 20 times a second, committed and
//! tentative text, and the transcription backlog. [`Recording::stop`] drains every
//! captured sample, finishes the transcript and saves `recording-<date>_<time>.wav` with
//! its TXT and SRT beside it, never replacing an existing file.
//!
//! Audio passes through these pieces in order. [`capture`] has the cpal device, sample
//! conversion, level meter and ring buffer. The recorder thread downmixes, writes the
//! [`wav`] file and resamples to 16 kHz. [`live`] splits at pauses ([`splitter`]) and runs
//! whisper. [`files`] and [`recovery`] handle what ends up on disk.

pub mod capture;
pub mod files;
pub mod live;
pub mod recovery;
pub mod splitter;
pub mod wav;

mod recorder;
mod session;

use std::io;
use std::path::PathBuf;

use serde::Serialize;

use crate::audio::ResamplerError;
use crate::save::SaveError;
use crate::transcribe::TranscribeError;
use crate::transcript::Segment;

pub use capture::devices::{list_input_devices, InputDevice};
pub use capture::meter::Level;
pub use capture::CaptureFormat;
pub use live::{LiveEvent, LiveTuning};
pub use recovery::{find_unfinished, finish_unfinished, keep_unfinished, UnfinishedRecording, UnfinishedScan};
pub use session::{RecordRequest, Recording, RecordingOutcome};

/// Seconds without any audio from the device after which the recording stops.
pub const NO_AUDIO_TIMEOUT_S: u64 = 2;

/// Event of a running recording, sent in order from the recorder's threads.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordEvent {
    /// The device is open and the file created.
    Started {
        format: CaptureFormat,
        path: PathBuf,
    },
    /// The input level, about 20 times a second, also while paused. `recorded_ms` is the
    /// length of the recording so far, without paused time.
    Level {
        rms_dbfs: f32,
        peak_dbfs: f32,
        recorded_ms: u64,
    },
    Paused {
        recorded_ms: u64,
    },
    Resumed {
        recorded_ms: u64,
    },
    /// Final text for the audio up to `audio_end_ms`, with times from the start of the
    /// recording.
    Committed {
        segments: Vec<Segment>,
        audio_end_ms: u64,
    },
    /// The current guess for the phrase being spoken; it replaces the previous one, and an
    /// empty text clears it.
    Tentative {
        text: String,
        start_ms: u64,
        end_ms: u64,
    },
    /// Audio in finished phrases that wait for whisper, in ms, not counting the phrase it
    /// is transcribing. Zero while whisper keeps up with the speaker.
    Backlog {
        pending_ms: u64,
    },
    /// Something went wrong that did not stop the recording, such as lost samples.
    Warning {
        message: String,
    },
    /// Capture ended for `reason`; the transcript of the rest is being finished.
    Stopped {
        reason: StopReason,
        recorded_ms: u64,
    },
}

impl From<LiveEvent> for RecordEvent {
    fn from(event: LiveEvent) -> Self {
        match event {
            LiveEvent::Committed { segments, audio_end_ms } => RecordEvent::Committed { segments, audio_end_ms },
            LiveEvent::Tentative { text, start_ms, end_ms } => RecordEvent::Tentative { text, start_ms, end_ms },
            LiveEvent::Backlog { pending_ms } => RecordEvent::Backlog { pending_ms },
        }
    }
}

/// Reason that capture ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    /// The user stopped it.
    Requested,
    /// The requested duration was reached.
    DurationReached,
    /// The device delivered no audio for [`NO_AUDIO_TIMEOUT_S`] seconds.
    NoAudio,
    /// The device was unplugged or disabled.
    DeviceLost { message: String },
    /// The audio stream reported an error it cannot recover from.
    StreamError { message: String },
    /// The recording could not be written, for example because the disk is full.
    WriteFailed { message: String },
    /// The WAV file reached its size limit of 4 GiB.
    SizeLimit,
    /// The recording was left unfinished by a crash and finished on a later start.
    Recovered,
}

impl StopReason {
    /// True when the recording ended because something failed, not because it was asked to.
    pub fn is_failure(&self) -> bool {
        !matches!(
            self,
            StopReason::Requested | StopReason::DurationReached | StopReason::Recovered
        )
    }

    /// Returns a sentence for the user.
    pub fn message(&self) -> String {
        match self {
            StopReason::Requested => "recording stopped".into(),
            StopReason::DurationReached => "recording reached the requested duration".into(),
            StopReason::NoAudio => format!(
                "the microphone delivered no audio for {NO_AUDIO_TIMEOUT_S} seconds, so recording stopped; \
                 check that it is connected and not used by another program"
            ),
            StopReason::DeviceLost { message } => {
                format!("the microphone was disconnected ({message}), so recording stopped")
            }
            StopReason::StreamError { message } => format!("the audio stream failed ({message}), so recording stopped"),
            StopReason::WriteFailed { message } => {
                format!("the recording could not be written ({message}), so it stopped")
            }
            StopReason::SizeLimit => "the recording reached the WAV size limit of 4 GiB, so it stopped".into(),
            StopReason::Recovered => "recording recovered after the app ended unexpectedly".into(),
        }
    }
}

/// A recording that could not start, or whose files could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no input device found; connect a microphone, or check that the sound system (PulseAudio, PipeWire or ALSA) lists one")]
    NoInputDevice,

    #[error("no input device named '{name}'; available: {}", available.join(", "))]
    DeviceNotFound { name: String, available: Vec<String> },

    #[error("several input devices are named '{name}'; choose one by id: {}", ids.join(", "))]
    AmbiguousDevice { name: String, ids: Vec<String> },

    #[error("cannot list input devices: {message}")]
    ListDevices { message: String },

    #[error("the input device '{device}' offers no format Whisperrr can record (it offers: {offered}); choose another device")]
    NoUsableConfig { device: String, offered: String },

    #[error("cannot open the input device '{device}': {message}")]
    OpenDevice { device: String, message: String },

    #[error("the input device '{device}' delivered no audio within {seconds} s of starting; check that it is connected and not used by another program")]
    NoAudio { device: String, seconds: u64 },

    #[error("cannot use the recordings folder '{}': {source}; choose another folder", dir.display())]
    RecordingsFolder { dir: PathBuf, source: io::Error },

    #[error(transparent)]
    Wav(#[from] wav::WavError),

    #[error(transparent)]
    Resampler(#[from] ResamplerError),

    #[error("the recording is saved as '{}', but transcribing it failed: {source}", wav.display())]
    Transcribe { wav: PathBuf, source: TranscribeError },

    #[error("cannot save the recording: {0}")]
    Save(SaveError),

    #[error("the recording is saved as '{}', but its transcript could not be saved: {source}", wav.display())]
    SaveTranscript { wav: PathBuf, source: SaveError },

    #[error("cannot recover '{}': {message}", path.display())]
    Recover { path: PathBuf, message: String },

    #[error("cannot start the recorder: {0}")]
    Thread(String),

    #[error("cancelled")]
    Cancelled,
}
