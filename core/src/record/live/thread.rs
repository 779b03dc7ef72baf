//! Running a [`LiveTranscriber`] on a thread of its own, fed through a channel.
//!
//! The channel is unbounded: when whisper is slower than speech, samples wait in it and in
//! the transcriber's queue rather than being dropped, and the backlog is reported.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::{LiveEvent, LiveTranscriber};
use crate::cancel::CancelToken;
use crate::transcribe::TranscribeError;
use crate::transcript::Transcript;

/// How long the idle thread waits for samples before checking again.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// The feeding end of a live transcriber running on its own thread.
pub struct LiveHandle {
    samples: Sender<Vec<f32>>,
    thread: JoinHandle<Result<Transcript, TranscribeError>>,
    cancel: CancelToken,
}

impl LiveHandle {
    /// Queues 16 kHz samples for transcription. Never blocks and never drops them.
    pub fn feed(&self, samples: Vec<f32>) {
        // A send fails only after the thread ended with an error, which `finish` returns.
        let _ = self.samples.send(samples);
    }

    /// Ends the stream, waits until every queued sample is transcribed, and returns the
    /// transcript.
    pub fn finish(self) -> Result<Transcript, TranscribeError> {
        drop(self.samples);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(TranscribeError::Whisper("the live transcription thread panicked".into())))
    }

    /// Stops transcribing as soon as possible; [`finish`](Self::finish) then returns
    /// [`TranscribeError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// Starts `transcriber` on a new thread. `on_event` receives its events on that thread.
pub fn spawn(
    transcriber: LiveTranscriber,
    on_event: impl FnMut(LiveEvent) + Send + 'static,
) -> Result<LiveHandle, std::io::Error> {
    let (samples, receiver) = mpsc::channel();
    let cancel = transcriber.cancel_token();
    let thread = thread::Builder::new()
        .name("live-transcriber".into())
        .spawn(move || run(transcriber, receiver, on_event))?;
    Ok(LiveHandle { samples, thread, cancel })
}

fn run(
    mut transcriber: LiveTranscriber,
    receiver: Receiver<Vec<f32>>,
    mut on_event: impl FnMut(LiveEvent),
) -> Result<Transcript, TranscribeError> {
    let mut reported_backlog = 0;

    loop {
        let wait = if transcriber.has_work() { Duration::ZERO } else { IDLE_WAIT };
        match receiver.recv_timeout(wait) {
            Ok(samples) => transcriber.feed(&samples),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Take everything queued meanwhile, so a chunk is cut as soon as its pause arrived.
        let mut ended = false;
        loop {
            match receiver.try_recv() {
                Ok(samples) => transcriber.feed(&samples),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            break;
        }

        let backlog = transcriber.backlog_ms();
        if backlog != reported_backlog {
            reported_backlog = backlog;
            on_event(LiveEvent::Backlog { pending_ms: backlog });
        }
        for event in transcriber.step()? {
            on_event(event);
        }
    }

    transcriber.finish(&mut on_event)
}
