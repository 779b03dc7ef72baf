//! One run of whisper over a buffer of samples, waited for on the calling thread.

use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use whisper_rs::WhisperContext;

use super::worker::{self, RawSegment, WhisperOutput, WorkerMessage, WorkerRequest};
use super::TranscribeError;
use crate::cancel::CancelToken;

/// How often the waiting thread checks for cancellation while whisper runs.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Report of a running pass.
pub(super) enum PassEvent<'a> {
    /// whisper has processed the samples up to this point, in milliseconds from their start.
    Progress(u64),
    /// A new segment, with times from the start of the samples.
    Segment(&'a RawSegment),
}

/// Runs whisper over `samples` (16 kHz mono) on its own thread, passing its progress and
/// segments to `on_event` as they come, and returns everything it produced.
///
/// Cancelling returns [`TranscribeError::Cancelled`] within about 50 ms, while the
/// computation winds down on its own thread.
pub(super) fn run_pass(
    context: &Arc<WhisperContext>,
    samples: Arc<Vec<f32>>,
    request: WorkerRequest,
    on_event: &mut dyn FnMut(PassEvent<'_>),
    cancel: &CancelToken,
) -> Result<WhisperOutput, TranscribeError> {
    let messages =
        worker::spawn(Arc::clone(context), samples, request, cancel.clone()).map_err(TranscribeError::Whisper)?;

    loop {
        if cancel.is_cancelled() {
            return Err(TranscribeError::Cancelled);
        }

        let message = match messages.recv_timeout(CANCEL_POLL) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(TranscribeError::Whisper("the transcription thread stopped unexpectedly".into()));
            }
        };

        match message {
            WorkerMessage::Progress { processed_ms } => on_event(PassEvent::Progress(processed_ms)),
            WorkerMessage::Segment(raw) => on_event(PassEvent::Segment(&raw)),
            WorkerMessage::Finished(Err(_)) if cancel.is_cancelled() => return Err(TranscribeError::Cancelled),
            WorkerMessage::Finished(Err(message)) => return Err(TranscribeError::Whisper(message)),
            WorkerMessage::Finished(Ok(output)) => return Ok(output),
        }
    }
}
