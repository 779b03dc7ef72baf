//! The thread that owns a running recording: it passes on the page's pause, resume and
//! stop, and collects the result once the recording ends, whether the user stopped it or
//! a failure did.

use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use whisperrr_core::jobs::QueueHold;
use whisperrr_core::record::{RecordError, Recording, RecordingOutcome};

/// How often the thread checks whether the recording ended by itself.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A request from the page for the running recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionCommand {
    Pause,
    Resume,
    Stop,
}

/// Starts the thread. It keeps the job queue held until the recording's files are saved,
/// then calls `on_end` with the result. Commands stop arriving when every sender is
/// dropped, which stops the recording too.
pub fn spawn(
    recording: Recording,
    hold: QueueHold,
    commands: Receiver<SessionCommand>,
    on_end: impl FnOnce(Result<RecordingOutcome, RecordError>) + Send + 'static,
) -> io::Result<()> {
    thread::Builder::new().name("recording-session".into()).spawn(move || {
        pass_commands(&recording, &commands);
        let result = recording.wait();
        drop(hold);
        on_end(result);
    })?;
    Ok(())
}

/// Forwards commands until the recording is asked to stop or ends by itself.
fn pass_commands(recording: &Recording, commands: &Receiver<SessionCommand>) {
    loop {
        match commands.recv_timeout(POLL_INTERVAL) {
            Ok(SessionCommand::Pause) => recording.pause(),
            Ok(SessionCommand::Resume) => recording.resume(),
            Ok(SessionCommand::Stop) | Err(RecvTimeoutError::Disconnected) => {
                recording.request_stop();
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if recording.is_finished() {
            return;
        }
    }
}
