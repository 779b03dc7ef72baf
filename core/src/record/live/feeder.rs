//! The feeding side of live transcription: pause detection on the caller's thread.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::worker::{self, Chunk, Queue, Shared};
use super::{samples_to_ms, splitter, LiveEvent, LiveTuning};
use crate::cancel::CancelToken;
use crate::record::splitter::{Boundary, PauseSplitter};
use crate::transcribe::{Model, TranscribeError, TranscribeOptions};
use crate::transcript::Transcript;

/// New audio the open chunk needs before the next tentative pass, in ms.
const TENTATIVE_STEP_MS: u64 = 1_000;

/// Live transcription of one recording; see the [module documentation](super).
pub struct LiveTranscriber {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<Result<Vec<crate::transcript::Segment>, TranscribeError>>>,
    tuning: LiveTuning,
    language: Option<String>,
    splitter: PauseSplitter,
    /// Audio from sample `audio_start` of the stream on.
    audio: Vec<f32>,
    audio_start: u64,
    /// Samples fed so far.
    received: u64,
    /// The next chunk repeats the end of the previous one.
    next_overlaps: bool,
    /// Length of the stream at the last tentative request, in samples.
    tentative_end: u64,
    cancel: CancelToken,
}

impl LiveTranscriber {
    /// Starts the worker thread that transcribes with `model`. `on_event` receives the
    /// events, from the worker thread and from the thread that calls [`feed`](Self::feed).
    pub fn start(
        model: Model,
        options: TranscribeOptions,
        tuning: LiveTuning,
        on_event: impl Fn(LiveEvent) + Send + Sync + 'static,
    ) -> Result<Self, std::io::Error> {
        let cancel = CancelToken::new();
        let language = match &options.language {
            crate::transcribe::Language::Code(code) => Some(code.clone()),
            crate::transcribe::Language::Auto => None,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            on_event: Box::new(on_event),
        });
        let worker = worker::spawn(shared.clone(), model, options, tuning, cancel.clone())?;

        Ok(Self {
            shared,
            worker: Some(worker),
            tuning,
            language,
            splitter: PauseSplitter::with_pause(tuning.pause_ms),
            audio: Vec::new(),
            audio_start: 0,
            received: 0,
            next_overlaps: false,
            tentative_end: 0,
            cancel,
        })
    }

    /// Appends 16 kHz mono samples. Fast: it looks for pauses and queues work, and never
    /// waits for whisper.
    pub fn feed(&mut self, samples: &[f32]) {
        self.audio.extend_from_slice(samples);
        self.received += samples.len() as u64;
        for boundary in self.splitter.push(samples) {
            self.apply(boundary);
        }
        self.request_tentative();
        self.drop_unneeded_audio();
    }

    /// Audio in finished chunks that wait for whisper, in ms, not counting the chunk it is
    /// transcribing.
    pub fn backlog_ms(&self) -> u64 {
        samples_to_ms(self.shared.lock().pending_samples)
    }

    /// Length of the audio fed so far, in ms.
    pub fn fed_ms(&self) -> u64 {
        samples_to_ms(self.received)
    }

    /// Stops transcribing as soon as possible; [`finish`](Self::finish) then returns
    /// [`TranscribeError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.cancel();
        if let Some((token, _)) = &self.shared.lock().running {
            token.cancel();
        }
        self.shared.wake.notify_all();
    }

    /// Ends the stream: waits until every chunk, the open one included, is transcribed,
    /// and returns the whole transcript.
    pub fn finish(mut self) -> Result<Transcript, TranscribeError> {
        let boundary = self.splitter.finish(self.received);
        self.apply(boundary);
        {
            let mut queue = self.shared.lock();
            queue.finished = true;
            queue.tentative = None;
            queue.cancel_tentative();
        }
        self.shared.wake.notify_all();

        let worker = self.worker.take().expect("the worker is joined only once");
        let segments = worker.join().unwrap_or_else(|_| {
            Err(TranscribeError::Whisper(
                "the live transcription thread panicked".into(),
            ))
        })?;
        Ok(Transcript {
            segments,
            language: self.language.take(),
            duration_ms: samples_to_ms(self.received),
        })
    }

    fn apply(&mut self, boundary: Boundary) {
        let Boundary::Cut {
            start,
            end,
            next_start,
            forced,
        } = boundary
        else {
            return;
        };
        let samples = self.slice(start, end).to_vec();
        let chunk = Chunk {
            start,
            end,
            samples,
            overlaps_previous: self.next_overlaps,
        };
        self.next_overlaps = forced;
        self.tentative_end = next_start;

        let waiting_ms = {
            let mut queue = self.shared.lock();
            queue.pending_samples += end - start;
            queue.commits.push_back(chunk);
            // A guess about audio that is now finished is stale: drop it, and stop one in
            // progress so the commit does not wait for it.
            queue.tentative = None;
            queue.cancel_tentative();
            let committing = matches!(queue.running, Some((_, false)));
            committing.then(|| samples_to_ms(queue.pending_samples))
        };
        self.shared.wake.notify_all();
        // The chunk waits only when whisper is busy committing another one.
        if let Some(pending_ms) = waiting_ms {
            (self.shared.on_event)(LiveEvent::Backlog { pending_ms });
        }
    }

    /// Queues a tentative pass over the open chunk once it has grown by a second, unless
    /// finished chunks are waiting.
    fn request_tentative(&mut self) {
        let since = self.tentative_end.max(self.splitter.chunk_start());
        let due = self.tuning.tentative
            && self.splitter.chunk_voiced_ms() >= splitter::MIN_SPEECH_MS
            && samples_to_ms(self.received - since.min(self.received)) >= TENTATIVE_STEP_MS;
        if !due {
            return;
        }

        let start = self.splitter.chunk_start();
        let samples = self.slice(start, self.received).to_vec();
        self.tentative_end = self.received;
        let mut queue = self.shared.lock();
        if queue.commits.is_empty() {
            queue.tentative = Some(Chunk {
                start,
                end: self.received,
                samples,
                overlaps_previous: false,
            });
            drop(queue);
            self.shared.wake.notify_all();
        }
    }

    /// Samples `start..end` of the stream that are still buffered.
    fn slice(&self, start: u64, end: u64) -> &[f32] {
        let first = (start.saturating_sub(self.audio_start) as usize).min(self.audio.len());
        let last = (end.saturating_sub(self.audio_start) as usize).min(self.audio.len());
        &self.audio[first..last.max(first)]
    }

    /// Frees the audio that the open chunk no longer needs.
    fn drop_unneeded_audio(&mut self) {
        let excess = self.splitter.chunk_start().saturating_sub(self.audio_start) as usize;

        // Draining shifts the rest, so wait until the excess is worth it (1 s).
        if excess >= splitter::SAMPLE_RATE as usize {
            self.audio.drain(..excess.min(self.audio.len()));
            self.audio_start += excess as u64;
        }
    }
}

impl Drop for LiveTranscriber {
    /// Stops the worker of a transcriber dropped without [`finish`](Self::finish).
    fn drop(&mut self) {
        if self.worker.is_some() {
            self.shared.lock().finished = true;
            self.cancel();
        }
    }
}
