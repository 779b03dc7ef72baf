//! Transcription while recording: text for each phrase shortly after it is spoken.
//!
//! [`LiveTranscriber`] takes the recording as 16 kHz samples through
//! [`feed`](LiveTranscriber::feed), splits it into chunks at pauses with
//! [`PauseSplitter`], and transcribes each finished chunk with the shared
//! [`Model`] (a fresh whisper state per chunk). Its text is *committed*: it never changes
//! again. While a phrase is still being spoken, the open chunk is transcribed about once a
//! second as a *tentative* tail that the next pass or the commit replaces.
//!
//! Context between chunks: each chunk starts with up to a second of the silence before its
//! first word, and the last committed text is whisper's prompt. After a cut forced by a
//! phrase longer than [`splitter::MAX_CHUNK_MS`], the next chunk repeats a second of audio
//! and the words both chunks heard are kept once.
//!
//! Nothing is dropped when whisper is slower than speech: finished chunks wait in a queue,
//! whose length [`backlog_ms`](LiveTranscriber::backlog_ms) reports.

mod overlap;
mod thread;

use std::collections::VecDeque;

use serde::Serialize;

use super::splitter::{self, Boundary, PauseSplitter};
use crate::cancel::CancelToken;
use crate::transcribe::{ChunkHints, Model, TranscribeError, TranscribeOptions};
use crate::transcript::{Segment, Transcript};

pub use thread::{spawn, LiveHandle};

/// New audio the open chunk needs before the next tentative pass, in ms.
const TENTATIVE_STEP_MS: u64 = 1_000;

/// Characters of committed text given to whisper as the prompt of the next chunk.
const PROMPT_CHARS: usize = 200;

/// What the live transcriber reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Final text for the audio up to `audio_end_ms`. Segment times are from the start of
    /// the recording.
    Committed { segments: Vec<Segment>, audio_end_ms: u64 },
    /// The current guess for the phrase being spoken, from `start_ms` to `end_ms`. It
    /// replaces the previous tentative text; an empty text clears it.
    Tentative { text: String, start_ms: u64, end_ms: u64 },
    /// Audio waiting for transcription, in ms. Zero when whisper keeps up.
    Backlog { pending_ms: u64 },
}

/// A finished chunk waiting for transcription, in samples from the start of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Chunk {
    start: u64,
    end: u64,
    /// True when the chunk starts with audio the previous chunk also had.
    overlaps_previous: bool,
}

/// Live transcription of one recording; see the module documentation.
pub struct LiveTranscriber {
    model: Model,
    options: TranscribeOptions,
    fit_audio_context: bool,
    splitter: PauseSplitter,
    /// Audio from sample `audio_start` of the stream on.
    audio: Vec<f32>,
    audio_start: u64,
    /// Samples fed so far.
    received: u64,
    ready: VecDeque<Chunk>,
    next_overlaps: bool,
    committed: Vec<Segment>,
    language: Option<String>,
    /// End of the open chunk's audio at the last tentative pass, in samples.
    tentative_end: u64,
    tentative_shown: bool,
    cancel: CancelToken,
}

impl LiveTranscriber {
    /// A transcriber for a new stream. `fit_audio_context` trades a little accuracy for
    /// speed on short chunks; see [`ChunkHints::fit_audio_context`].
    pub fn new(model: Model, options: TranscribeOptions, fit_audio_context: bool) -> Self {
        Self {
            model,
            options,
            fit_audio_context,
            splitter: PauseSplitter::new(),
            audio: Vec::new(),
            audio_start: 0,
            received: 0,
            ready: VecDeque::new(),
            next_overlaps: false,
            committed: Vec::new(),
            language: None,
            tentative_end: 0,
            tentative_shown: false,
            cancel: CancelToken::new(),
        }
    }

    /// Cancelling stops the whisper pass in progress and makes the next one fail at once.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Appends 16 kHz mono samples. Fast: it only looks for pauses and never runs whisper.
    pub fn feed(&mut self, samples: &[f32]) {
        self.audio.extend_from_slice(samples);
        self.received += samples.len() as u64;
        for boundary in self.splitter.push(samples) {
            self.apply(boundary);
        }
        self.drop_unneeded_audio();
    }

    /// Audio in finished chunks that whisper has not transcribed yet, in ms.
    pub fn backlog_ms(&self) -> u64 {
        let samples: u64 = self.ready.iter().map(|chunk| chunk.end - chunk.start).sum();
        samples_to_ms(samples)
    }

    /// True when [`step`](Self::step) would run whisper.
    pub fn has_work(&self) -> bool {
        !self.ready.is_empty() || self.tentative_due()
    }

    /// Runs whisper at most once: on the oldest finished chunk, or else on the open chunk
    /// when it has grown by a second since the last pass. Returns what changed, which is
    /// nothing when there was no work.
    pub fn step(&mut self) -> Result<Vec<LiveEvent>, TranscribeError> {
        if let Some(chunk) = self.ready.pop_front() {
            let mut events = self.commit(chunk)?;
            if self.tentative_shown && self.splitter.chunk_voiced_ms() == 0 {
                self.tentative_shown = false;
                let at = samples_to_ms(self.splitter.chunk_start());
                events.push(LiveEvent::Tentative { text: String::new(), start_ms: at, end_ms: at });
            }
            self.drop_unneeded_audio();
            return Ok(events);
        }

        if self.tentative_due() {
            return self.tentative_pass().map(|event| vec![event]);
        }
        Ok(Vec::new())
    }

    /// Ends the stream: transcribes every chunk left, the open one included, reports each
    /// through `on_event`, and returns the whole transcript.
    pub fn finish(mut self, on_event: &mut dyn FnMut(LiveEvent)) -> Result<Transcript, TranscribeError> {
        let boundary = self.splitter.finish(self.received);
        self.apply(boundary);

        while let Some(chunk) = self.ready.pop_front() {
            on_event(LiveEvent::Backlog { pending_ms: self.backlog_ms() + samples_to_ms(chunk.end - chunk.start) });
            for event in self.commit(chunk)? {
                on_event(event);
            }
        }
        if self.tentative_shown {
            let end_ms = samples_to_ms(self.received);
            on_event(LiveEvent::Tentative { text: String::new(), start_ms: end_ms, end_ms });
        }
        on_event(LiveEvent::Backlog { pending_ms: 0 });

        let language = self.language.or_else(|| match &self.options.language {
            crate::transcribe::Language::Code(code) => Some(code.clone()),
            crate::transcribe::Language::Auto => None,
        });
        Ok(Transcript { segments: self.committed, language, duration_ms: samples_to_ms(self.received) })
    }

    fn apply(&mut self, boundary: Boundary) {
        if let Boundary::Cut { start, end, next_start, forced } = boundary {
            self.ready.push_back(Chunk { start, end, overlaps_previous: self.next_overlaps });
            self.next_overlaps = forced;
            self.tentative_end = next_start;
        }
    }

    fn commit(&mut self, chunk: Chunk) -> Result<Vec<LiveEvent>, TranscribeError> {
        let offset_ms = samples_to_ms(chunk.start);
        let transcript = self.transcribe(chunk.start, chunk.end)?;
        if self.language.is_none() {
            self.language = transcript.language.clone();
        }

        let mut segments: Vec<Segment> = transcript
            .segments
            .into_iter()
            .map(|segment| Segment {
                start_ms: segment.start_ms + offset_ms,
                end_ms: segment.end_ms + offset_ms,
                text: segment.text,
            })
            .collect();
        if chunk.overlaps_previous {
            self.remove_repeated_words(&mut segments);
        }

        self.committed.extend(segments.iter().cloned());
        Ok(vec![LiveEvent::Committed { segments, audio_end_ms: samples_to_ms(chunk.end) }])
    }

    fn tentative_due(&self) -> bool {
        self.ready.is_empty()
            && self.splitter.chunk_voiced_ms() >= splitter::MIN_SPEECH_MS
            && samples_to_ms(self.received.saturating_sub(self.tentative_end.max(self.splitter.chunk_start())))
                >= TENTATIVE_STEP_MS
    }

    fn tentative_pass(&mut self) -> Result<LiveEvent, TranscribeError> {
        let start = self.splitter.chunk_start();
        let end = self.received;
        self.tentative_end = end;

        let transcript = self.transcribe(start, end)?;
        let text = transcript.segments.iter().map(|segment| segment.text.as_str()).collect::<Vec<_>>().join(" ");
        self.tentative_shown = true;
        Ok(LiveEvent::Tentative { text, start_ms: samples_to_ms(start), end_ms: samples_to_ms(end) })
    }

    /// Runs whisper on samples `start..end` of the stream, with the committed text as the
    /// prompt.
    fn transcribe(&self, start: u64, end: u64) -> Result<Transcript, TranscribeError> {
        let first = (start.saturating_sub(self.audio_start)) as usize;
        let last = (end.saturating_sub(self.audio_start) as usize).min(self.audio.len());
        let samples = self.audio[first.min(last)..last].to_vec();

        let hints = ChunkHints { previous_text: self.prompt(), fit_audio_context: self.fit_audio_context };
        self.model.transcribe_chunk(samples, &self.options, &hints, &mut |_| {}, &self.cancel)
    }

    /// The end of the committed text, starting at a word.
    fn prompt(&self) -> String {
        let mut text = String::new();
        for segment in self.committed.iter().rev() {
            if text.len() >= PROMPT_CHARS {
                break;
            }
            text.insert_str(0, &format!("{} ", segment.text.trim()));
        }
        let text = text.trim_end();
        if text.len() <= PROMPT_CHARS {
            return text.to_string();
        }
        let cut = text.len() - PROMPT_CHARS;
        let start = text[cut..].find(' ').map(|space| cut + space + 1).unwrap_or(cut);
        text.get(start..).unwrap_or(text).to_string()
    }

    /// Removes from the front of `segments` the words the committed text already ends with.
    fn remove_repeated_words(&self, segments: &mut Vec<Segment>) {
        let previous = self.prompt();
        let new_text: String = segments.iter().map(|segment| segment.text.as_str()).collect::<Vec<_>>().join(" ");
        let mut repeated = overlap::repeated_words(&previous, &new_text);

        while repeated > 0 && !segments.is_empty() {
            let words = segments[0].text.split_whitespace().count();
            if words <= repeated {
                segments.remove(0);
                repeated -= words;
            } else {
                segments[0].text = overlap::drop_words(&segments[0].text, repeated).to_string();
                repeated = 0;
            }
        }
    }

    /// Frees the audio that no chunk, finished or open, still needs.
    fn drop_unneeded_audio(&mut self) {
        let needed_from = self.ready.front().map(|chunk| chunk.start).unwrap_or(self.splitter.chunk_start());
        let needed_from = needed_from.min(self.splitter.chunk_start());
        let excess = needed_from.saturating_sub(self.audio_start) as usize;

        // Draining shifts the rest, so wait until the excess is worth it (1 s).
        if excess >= splitter::SAMPLE_RATE as usize {
            self.audio.drain(..excess.min(self.audio.len()));
            self.audio_start += excess as u64;
        }
    }
}

fn samples_to_ms(samples: u64) -> u64 {
    samples * 1000 / splitter::SAMPLE_RATE
}
