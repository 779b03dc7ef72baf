//! Recording from the microphone in the window: the level monitor, the recording itself
//! and the recovery of recordings a crash left unfinished.
//!
//! [`RecordingService`] lives in the app's state. Its methods block (opening a device,
//! waiting for the model), so commands call them on the blocking thread pool. The core's
//! [`Recording`] runs on its own threads, and a session thread ([`session`]) owns it and
//! passes on the page's pause, resume and stop. Everything the page shows is kept on the
//! [`Board`], whose updates become events.
//!
//! Recording and file jobs never run whisper at the same time: a recording or a recovery
//! holds the job queue (files added meanwhile wait), and cannot start while a job runs. The
//! recording uses the model the job thread has loaded, so its weights sit in memory once.

mod board;
mod hub;
mod monitor;
mod session;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::export::Format;
use whisperrr_core::jobs::{ManagerError, QueueHold};
use whisperrr_core::record::{
    self, files, LiveTuning, RecordError, RecordRequest, Recording, RecordingOutcome, UnfinishedRecording,
};
use whisperrr_core::transcript::Segment;

pub use board::{BoardUpdate, Level, MonitorState, RecordingSummary};
pub use session::SessionCommand;

use self::board::Board;
use self::hub::Hub;
use self::monitor::Monitor;
use super::error::{CommandError, ErrorCode};
use super::state::AppState;

/// How often a closing window checks whether the recording has been saved.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Everything the Record tab shows, for a page that has just loaded.
#[derive(Clone, Debug, Serialize, Type)]
pub struct RecordingSnapshot {
    pub summary: RecordingSummary,
    /// The committed text of the current or last take.
    pub segments: Vec<Segment>,
}

pub struct RecordingService {
    hub: Arc<Hub>,
    control: Mutex<Control>,
}

/// The service's activity and level monitor. Both change only under its lock, so two
/// commands cannot both start something.
#[derive(Default)]
struct Control {
    activity: Activity,
    monitor: Option<Monitor>,
    /// True while the Record tab is open, so the monitor comes back after a recording.
    monitor_requested: bool,
    /// True once the window asked to close; the app exits when the activity ends.
    closing: bool,
}

#[derive(Default)]
enum Activity {
    #[default]
    Idle,
    /// Waiting for the model or the device; cancelling gives up the start.
    Starting(CancelToken),
    Recording(Sender<SessionCommand>),
    Recovering(CancelToken),
}

impl RecordingService {
    /// Creates the service for recordings in `recordings_dir`; `send` delivers every
    /// update to the page.
    pub fn new(recordings_dir: Option<PathBuf>, send: impl Fn(BoardUpdate) + Send + Sync + 'static) -> Self {
        let hub = Arc::new(Hub::new(Board::new(recordings_dir), Box::new(send)));
        Self { hub, control: Mutex::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn snapshot(&self) -> RecordingSnapshot {
        self.hub.read(|board| RecordingSnapshot { summary: board.summary().clone(), segments: board.segments().to_vec() })
    }

    /// Lists the recordings a crash left unfinished in `recordings_dir`, repairing their
    /// headers, on a thread of its own.
    pub fn scan_unfinished_in_background(&self, recordings_dir: Option<PathBuf>) {
        let hub = self.hub.clone();
        let spawned = thread::Builder::new().name("recordings-scan".into()).spawn(move || scan_unfinished(&hub, recordings_dir));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the scan for unfinished recordings");
        }
    }

    /// Turns the level monitor on (the Record tab is open) or off. It runs only while
    /// nothing records.
    pub fn watch_level(&self, state: &AppState, requested: bool) {
        let stopped = {
            let mut control = self.lock();
            control.monitor_requested = requested;
            if requested {
                self.start_monitor_if_idle(&mut control, state);
                None
            } else {
                control.monitor.take()
            }
        };
        if let Some(monitor) = stopped {
            monitor.stop();
            self.hub.update(|board| board.set_monitor(MonitorState::Off));
        }
    }

    /// Opens the level monitor again, for a newly chosen device.
    pub fn restart_monitor(&self, state: &AppState) {
        let previous = self.lock().monitor.take();
        if let Some(monitor) = previous {
            monitor.stop();
        }
        self.hub.update(|board| board.set_monitor(MonitorState::Off));
        let mut control = self.lock();
        self.start_monitor_if_idle(&mut control, state);
    }

    fn start_monitor_if_idle(&self, control: &mut Control, state: &AppState) {
        let running = control.monitor.is_some();
        if !control.monitor_requested || running || !matches!(control.activity, Activity::Idle) {
            return;
        }
        match Monitor::start(state.settings.get().input_device, self.hub.clone()) {
            Ok(monitor) => control.monitor = Some(monitor),
            Err(error) => {
                let message = format!("cannot start the level monitor: {error}");
                self.hub.update(|board| board.set_monitor(MonitorState::Failed { message }));
            }
        }
    }

    /// Stops the level monitor and waits until it has released the device.
    fn stop_monitor(&self) {
        let monitor = self.lock().monitor.take();
        if let Some(monitor) = monitor {
            monitor.stop();
        }
        self.hub.update(|board| board.set_monitor(MonitorState::Off));
    }

    /// Starts recording with the current settings, and returns once audio flows or with
    /// the reason it could not start.
    pub fn start(&self, app: &AppHandle) -> Result<(), CommandError> {
        let state = app.state::<AppState>();
        let cancel = CancelToken::new();
        {
            let mut control = self.lock();
            if let Some(message) = busy_message(&control.activity) {
                return Err(CommandError::new(ErrorCode::Busy, message));
            }
            control.activity = Activity::Starting(cancel.clone());
        }

        let (recording, hold) = match self.open(&state, &cancel) {
            Ok(started) => started,
            Err(error) => {
                let mut control = self.lock();
                control.activity = Activity::Idle;
                let message = (!cancel.is_cancelled()).then(|| error.message.clone());
                self.hub.update(|board| board.start_failed(message));
                self.start_monitor_if_idle(&mut control, &state);
                return if cancel.is_cancelled() { Ok(()) } else { Err(error) };
            }
        };

        let (commands, received) = mpsc::channel();
        self.lock().activity = Activity::Recording(commands.clone());
        let end_app = app.clone();
        let on_end = move |result| end_app.state::<AppState>().recording.recording_ended(&end_app, result);
        if let Err(error) = session::spawn(recording, hold, received, on_end) {
            // The recording was dropped with the closure, which stops it and still saves
            // its files; nothing is left to wait for it.
            tracing::error!(%error, "cannot start the recording session thread");
            self.lock().activity = Activity::Idle;
            let message = format!("cannot follow the recording: {error}; its files are saved in the recordings folder");
            self.hub.update(|board| board.start_failed(Some(message.clone())));
            return Err(CommandError::new(ErrorCode::Internal, message));
        }

        // A stop that arrived while the device opened ends the recording at once.
        if cancel.is_cancelled() {
            let _ = commands.send(SessionCommand::Stop);
        }
        Ok(())
    }

    /// Holds the queue, frees the device from the monitor, waits for the model and opens
    /// the recording.
    fn open(&self, state: &AppState, cancel: &CancelToken) -> Result<(Recording, QueueHold), CommandError> {
        let settings = state.settings.get();
        let model_path = state.resolve_model()?;
        let recordings_dir = recordings_dir_of(settings.recordings_dir.as_deref())?;
        let hold = state.jobs.hold_queue().map_err(|error| queue_busy(error, "recording"))?;

        self.hub.update(Board::begin_recording);
        self.stop_monitor();
        let model = state.jobs.model(&model_path, cancel).map_err(model_error)?;

        let request = RecordRequest {
            device: settings.input_device.clone(),
            recordings_dir,
            options: settings.transcribe_options(),
            formats: recording_formats(&settings.formats),
            max_duration: None,
            live: LiveTuning::default(),
        };
        let hub = self.hub.clone();
        let recording = Recording::start(request, model, move |event| hub.update(|board| board.apply(event)))
            .map_err(|error| CommandError::new(record_error_code(&error), error.to_string()))?;
        tracing::info!(partial = %recording.partial_path().display(), "recording started from the window");
        Ok((recording, hold))
    }

    /// Called on the session thread once the recording's files are saved, or failed to be.
    fn recording_ended(&self, app: &AppHandle, result: Result<RecordingOutcome, RecordError>) {
        let state = app.state::<AppState>();
        match &result {
            Ok(outcome) => allow_outputs(&state, &outcome.wav, &outcome.written),
            Err(RecordError::Transcribe { wav, .. } | RecordError::SaveTranscript { wav, .. }) => {
                allow_outputs(&state, wav, &[]);
            }
            Err(error) => tracing::error!(%error, "recording from the window failed"),
        }

        // Under the control lock, so a new start cannot slip in before the board shows idle.
        let mut control = self.lock();
        control.activity = Activity::Idle;
        self.hub.update(|board| board.finish_recording(result));
        self.start_monitor_if_idle(&mut control, &state);
    }

    /// Passes `command` to the running recording. Stop also gives up a start in progress
    /// and cancels a recovery.
    pub fn command(&self, command: SessionCommand) -> Result<(), CommandError> {
        let control = self.lock();
        match (&control.activity, command) {
            (Activity::Recording(commands), _) => {
                // A closed channel means the recording is ending by itself already.
                let _ = commands.send(command);
                Ok(())
            }
            (Activity::Starting(cancel) | Activity::Recovering(cancel), SessionCommand::Stop) => {
                cancel.cancel();
                Ok(())
            }
            (Activity::Starting(_), _) => {
                Err(CommandError::new(ErrorCode::Busy, "the recording is still starting; try again in a moment"))
            }
            _ => Err(CommandError::new(ErrorCode::NotFound, "no recording is running")),
        }
    }

    /// Stops what is running when the window is asked to close, and exits the app once the
    /// recording's files are saved. Returns false when the window may close at once:
    /// nothing runs, or this is the second request, which leaves the recording to be
    /// recovered on the next start.
    // NOTE: no test closes the window mid-recording, so this path has not run under test.
    pub fn finish_before_exit(&self, app: &AppHandle) -> bool {
        let mut control = self.lock();
        if control.closing || matches!(control.activity, Activity::Idle) {
            return false;
        }
        control.closing = true;
        match &control.activity {
            Activity::Recording(commands) => {
                let _ = commands.send(SessionCommand::Stop);
            }
            Activity::Starting(cancel) | Activity::Recovering(cancel) => cancel.cancel(),
            Activity::Idle => {}
        }
        tracing::info!("window closing: finishing the recording first");

        let exit_app = app.clone();
        let spawned = thread::Builder::new().name("exit-after-recording".into()).spawn(move || {
            let state = exit_app.state::<AppState>();
            while !matches!(state.recording.lock().activity, Activity::Idle) {
                thread::sleep(EXIT_POLL_INTERVAL);
            }
            exit_app.exit(0);
        });
        spawned.is_ok()
    }

    /// Starts transcribing the unfinished recording at `path`, which must be one the
    /// service listed. Returns once it has started; the result arrives as an update.
    pub fn recover(&self, app: &AppHandle, path: &Path) -> Result<(), CommandError> {
        let state = app.state::<AppState>();
        let recording = self.listed_unfinished(path)?;
        let cancel = CancelToken::new();
        {
            let mut control = self.lock();
            if let Some(message) = busy_message(&control.activity) {
                return Err(CommandError::new(ErrorCode::Busy, message));
            }
            control.activity = Activity::Recovering(cancel.clone());
        }

        let prepared = state.resolve_model().and_then(|model_path| {
            let hold = state.jobs.hold_queue().map_err(|error| queue_busy(error, "recovery"))?;
            Ok((model_path, hold))
        });
        let (model_path, hold) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                self.lock().activity = Activity::Idle;
                return Err(error);
            }
        };
        self.hub.update(|board| board.begin_recovery(recording.path.clone()));

        let thread_app = app.clone();
        let spawned = thread::Builder::new().name("recovery".into()).spawn(move || {
            let state = thread_app.state::<AppState>();
            let result = transcribe_unfinished(&state, &recording, &model_path, &cancel);
            drop(hold);
            state.recording.recovery_ended(&state, result);
        });
        if let Err(error) = spawned {
            let message = format!("cannot start the recovery: {error}");
            self.recovery_ended(&state, Err(RecordError::Thread(message.clone())));
            return Err(CommandError::new(ErrorCode::Internal, message));
        }
        Ok(())
    }

    fn recovery_ended(&self, state: &AppState, result: Result<RecordingOutcome, RecordError>) {
        match &result {
            Ok(outcome) => allow_outputs(state, &outcome.wav, &outcome.written),
            Err(RecordError::Transcribe { wav, .. } | RecordError::SaveTranscript { wav, .. }) => {
                allow_outputs(state, wav, &[]);
            }
            Err(RecordError::Cancelled) => tracing::info!("recovery cancelled"),
            Err(error) => tracing::error!(%error, "recovery failed"),
        }
        let mut control = self.lock();
        control.activity = Activity::Idle;
        self.hub.update(|board| board.finish_recovery(result));
        self.start_monitor_if_idle(&mut control, state);
    }

    /// Saves the unfinished recording at `path` as a WAV file without transcribing it.
    pub fn keep_unfinished(&self, state: &AppState, path: &Path) -> Result<PathBuf, CommandError> {
        let recording = self.listed_unfinished(path)?;
        let control = self.lock();
        if matches!(&control.activity, Activity::Recovering(_)) && self.hub.read(|board| board.summary().recovering.as_deref() == Some(path)) {
            return Err(CommandError::new(ErrorCode::Busy, "this recording is being transcribed"));
        }
        let wav = record::keep_unfinished(&recording).map_err(|error| {
            let message = error.to_string();
            self.hub.update(|board| board.set_error(message.clone()));
            CommandError::new(ErrorCode::SaveFailed, message)
        })?;
        allow_outputs(state, &wav, &[]);
        self.hub.update(|board| board.kept_unfinished(&recording, wav.clone()));
        drop(control);
        Ok(wav)
    }

    fn listed_unfinished(&self, path: &Path) -> Result<UnfinishedRecording, CommandError> {
        self.hub.read(|board| board.unfinished(path)).ok_or_else(|| {
            tracing::warn!(path = %path.display(), "page asked to recover a path that is not listed");
            CommandError::new(
                ErrorCode::NotAllowed,
                format!("'{}' is not an unfinished recording that Whisperrr listed", path.display()),
            )
        })
    }
}

fn scan_unfinished(hub: &Hub, recordings_dir: Option<PathBuf>) {
    let scan = recordings_dir.as_deref().map(record::find_unfinished).unwrap_or_default();
    if !scan.recordings.is_empty() {
        tracing::info!(count = scan.recordings.len(), "unfinished recordings found");
    }
    hub.update(|board| board.set_unfinished(recordings_dir, scan));
}

fn transcribe_unfinished(
    state: &AppState,
    recording: &UnfinishedRecording,
    model_path: &Path,
    cancel: &CancelToken,
) -> Result<RecordingOutcome, RecordError> {
    let model = state.jobs.model(model_path, cancel).map_err(|error| match error {
        ManagerError::Cancelled => RecordError::Cancelled,
        error => RecordError::Recover { path: recording.path.clone(), message: error.to_string() },
    })?;
    let settings = state.settings.get();
    let formats = recording_formats(&settings.formats);
    record::finish_unfinished(recording, &model, &settings.transcribe_options(), &formats, cancel)
}

/// Lets the page show the files of a recording in their folder.
fn allow_outputs(state: &AppState, wav: &Path, written: &[PathBuf]) {
    state.allowed.allow(wav.to_path_buf());
    for path in written {
        state.allowed.allow(path.clone());
    }
}

/// Returns why nothing new can start during `activity`, or `None` when idle.
fn busy_message(activity: &Activity) -> Option<&'static str> {
    match activity {
        Activity::Idle => None,
        Activity::Starting(_) | Activity::Recording(_) => Some("a recording is already running"),
        Activity::Recovering(_) => Some("an unfinished recording is being transcribed; wait for it or cancel it"),
    }
}

/// Returns the folder recordings go to: the one in the settings, else the default.
pub fn recordings_dir_of(configured: Option<&Path>) -> Result<PathBuf, CommandError> {
    files::recordings_dir(configured).ok_or_else(|| {
        CommandError::new(
            ErrorCode::InvalidInput,
            "there is no documents or home folder for recordings; choose a recordings folder in Settings",
        )
    })
}

/// Returns the transcript files a recording writes: TXT and SRT always, and any other
/// format chosen in the settings.
pub fn recording_formats(chosen: &[Format]) -> Vec<Format> {
    let mut formats = vec![Format::Txt, Format::Srt];
    formats.extend(chosen.iter().copied().filter(|format| !matches!(format, Format::Txt | Format::Srt)));
    formats
}

fn queue_busy(error: ManagerError, what: &str) -> CommandError {
    match error {
        ManagerError::JobRunning { input, .. } => {
            let name = input.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            CommandError::new(
                ErrorCode::Busy,
                format!(
                    "'{name}' is being transcribed, and whisper runs one transcription at a time; start the {what} \
                     when it has finished, or cancel it on the Transcribe tab"
                ),
            )
        }
        error => CommandError::from(error),
    }
}

fn model_error(error: ManagerError) -> CommandError {
    match error {
        ManagerError::Cancelled => CommandError::new(ErrorCode::Busy, "the recording was stopped while it started"),
        ManagerError::ModelFailed { .. } => CommandError::new(ErrorCode::ModelMissing, error.to_string()),
        error => CommandError::from(error),
    }
}

fn record_error_code(error: &RecordError) -> ErrorCode {
    match error {
        RecordError::NoInputDevice
        | RecordError::DeviceNotFound { .. }
        | RecordError::AmbiguousDevice { .. }
        | RecordError::ListDevices { .. }
        | RecordError::NoUsableConfig { .. }
        | RecordError::OpenDevice { .. }
        | RecordError::NoAudio { .. } => ErrorCode::Device,
        RecordError::RecordingsFolder { .. } | RecordError::Wav(_) | RecordError::Save(_) => ErrorCode::SaveFailed,
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_formats_always_txt_and_srt() {
        assert_eq!(recording_formats(&[Format::Txt]), [Format::Txt, Format::Srt]);
        assert_eq!(recording_formats(&[Format::Vtt, Format::Srt, Format::Json]), [Format::Txt, Format::Srt, Format::Vtt, Format::Json]);
    }

    #[test]
    fn running_job_named_in_busy_message() {
        let error = ManagerError::JobRunning { id: whisperrr_core::job::JobId(3), input: "/talks/jfk.wav".into() };

        let busy = queue_busy(error, "recording");

        assert_eq!(busy.code, ErrorCode::Busy);
        assert!(busy.message.starts_with("'jfk.wav' is being transcribed"), "{}", busy.message);
        assert!(busy.message.contains("start the recording when it has finished"), "{}", busy.message);
    }

    #[test]
    fn device_errors_have_device_code() {
        assert_eq!(record_error_code(&RecordError::NoInputDevice), ErrorCode::Device);
        assert_eq!(
            record_error_code(&RecordError::NoAudio { device: "mic".into(), seconds: 5 }),
            ErrorCode::Device
        );
    }
}
