//! The handle of a running recording.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::Serialize;

use super::live::LiveTuning;
use super::recorder;
use super::{CaptureFormat, RecordError, RecordEvent, StopReason};
use crate::export::Format;
use crate::transcribe::{Model, TranscribeOptions};
use crate::transcript::Transcript;

/// Request for a recording: device, folder, transcription and limits.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordRequest {
    /// Input device name or id; `None` records from the system default.
    pub device: Option<String>,
    /// Folder for the WAV and its transcript files; created when missing.
    pub recordings_dir: PathBuf,
    pub options: TranscribeOptions,
    /// Transcript files to write beside the WAV.
    pub formats: Vec<Format>,
    /// Stop by itself after this much recorded audio (paused time not counted).
    pub max_duration: Option<Duration>,
    /// Speed and accuracy trade-offs of the live transcription.
    pub live: LiveTuning,
}

/// A finished recording.
#[derive(Clone, Debug, Serialize)]
pub struct RecordingOutcome {
    /// The saved WAV file.
    pub wav: PathBuf,
    /// Transcript files written beside it; none when it held no speech.
    pub written: Vec<PathBuf>,
    pub transcript: Transcript,
    /// Length of the recording, without paused time, in milliseconds.
    pub duration_ms: u64,
    pub stop_reason: StopReason,
    /// Problems that did not stop the recording, one line each.
    pub warnings: Vec<String>,
    /// Format the device was opened in, or `None` for a recording recovered after a crash.
    pub format: Option<CaptureFormat>,
}

/// Receives the events of a recording, from the recorder's threads.
pub type EventSink = Arc<dyn Fn(RecordEvent) + Send + Sync>;

pub(super) enum Command {
    Pause,
    Resume,
    Stop,
}

/// A recording in progress. Dropping it stops the recording, which still saves its files.
pub struct Recording {
    commands: Sender<Command>,
    thread: Option<JoinHandle<Result<RecordingOutcome, RecordError>>>,
    path: PathBuf,
    format: CaptureFormat,
}

impl Recording {
    /// Opens the device, creates the WAV file and starts recording and transcribing with
    /// `model`. Returns once the device has delivered its first audio (within 5 s), or
    /// with the reason it could not start.
    pub fn start(
        request: RecordRequest,
        model: Model,
        on_event: impl Fn(RecordEvent) + Send + Sync + 'static,
    ) -> Result<Self, RecordError> {
        let (commands, command_receiver) = mpsc::channel();
        let (started_sender, started) = mpsc::sync_channel(1);
        let events: EventSink = Arc::new(on_event);

        let thread = thread::Builder::new()
            .name("recorder".into())
            .spawn(move || recorder::run(request, model, events, command_receiver, started_sender))
            .map_err(|error| RecordError::Thread(error.to_string()))?;

        match started.recv() {
            Ok(Ok((path, format))) => Ok(Self {
                commands,
                thread: Some(thread),
                path,
                format,
            }),
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => {
                let _ = thread.join();
                Err(RecordError::Thread("the recorder ended before it started".into()))
            }
        }
    }

    /// Returns the `.wav.partial` file being written.
    pub fn partial_path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> &CaptureFormat {
        &self.format
    }

    /// Stops keeping audio until [`resume`](Self::resume); the level meter keeps running.
    pub fn pause(&self) {
        let _ = self.commands.send(Command::Pause);
    }

    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    /// Asks the recording to stop without waiting; [`wait`](Self::wait) returns the result.
    pub fn request_stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }

    /// True once capture has ended, by request, duration or failure. The transcript may
    /// still be finishing.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the recording, drains every captured sample, finishes the transcript and
    /// saves the files.
    pub fn stop(self) -> Result<RecordingOutcome, RecordError> {
        self.request_stop();
        self.wait()
    }

    /// Waits until the recording ends by itself (duration reached or a failure), or after
    /// [`request_stop`](Self::request_stop), and returns its result.
    pub fn wait(mut self) -> Result<RecordingOutcome, RecordError> {
        let thread = self.thread.take().expect("the recorder thread is joined only once");
        thread
            .join()
            .unwrap_or_else(|_| Err(RecordError::Thread("the recorder thread panicked".into())))
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
    }
}
