//! Transcription while recording: text for each phrase shortly after it is spoken.
//!
//! [`LiveTranscriber::feed`] takes the recording as 16 kHz samples on the caller's thread
//! and splits it into chunks at pauses with [`PauseSplitter`], which is cheap and never
//! waits for whisper. A worker thread transcribes each finished chunk with the shared
//! [`Model`](crate::transcribe::Model) (a fresh whisper state per chunk); its text is
//! *committed* and never changes again. While a phrase is still being spoken, the worker
//! transcribes the open chunk about once a second as a *tentative* tail that the next pass
//! or the commit replaces. A finished chunk cancels a tentative pass still running, so
//! committed text never waits behind a guess.
//!
//! Context between chunks: each chunk starts with up to a second of the silence before its
//! first word, and the last committed text is whisper's prompt. After a cut forced by a
//! phrase longer than [`splitter::MAX_CHUNK_MS`], the next chunk repeats a second of audio
//! and the words both chunks heard are kept once.
//!
//! Nothing is dropped when whisper is slower than speech: finished chunks wait in a queue,
//! whose length [`LiveTranscriber::backlog_ms`] and [`LiveEvent::Backlog`] report.

mod feeder;
mod overlap;
mod worker;

use serde::Serialize;

use super::splitter;
use crate::transcript::Segment;

pub use feeder::LiveTranscriber;

/// Event of the live transcriber.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Final text for the audio up to `audio_end_ms`. Segment times are from the start of
    /// the recording.
    Committed { segments: Vec<Segment>, audio_end_ms: u64 },
    /// The current guess for the phrase being spoken, from `start_ms` to `end_ms`. It
    /// replaces the previous tentative text; an empty text clears it.
    Tentative { text: String, start_ms: u64, end_ms: u64 },
    /// Audio in finished phrases that wait for whisper, in ms, not counting the phrase it
    /// is transcribing. Zero while whisper keeps up with the speaker.
    Backlog { pending_ms: u64 },
}

/// Trade-offs between speed and accuracy of live transcription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveTuning {
    /// Pause that ends a phrase, in ms; see [`splitter::PAUSE_MS`].
    pub pause_ms: u64,
    /// See [`ChunkHints::fit_audio_context`](crate::transcribe::ChunkHints::fit_audio_context).
    pub fit_audio_context: bool,
    /// See [`ChunkHints::no_fallback`](crate::transcribe::ChunkHints::no_fallback).
    pub no_fallback: bool,
    /// Transcribe the phrase being spoken about once a second as tentative text.
    pub tentative: bool,
}

impl Default for LiveTuning {
    fn default() -> Self {
        Self {
            pause_ms: splitter::PAUSE_MS,
            fit_audio_context: true,
            no_fallback: true,
            tentative: true,
        }
    }
}

fn samples_to_ms(samples: u64) -> u64 {
    samples * 1000 / splitter::SAMPLE_RATE
}
