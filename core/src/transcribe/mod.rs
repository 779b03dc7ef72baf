//! Speech to text with whisper.cpp, through whisper-rs.
//!
//! A [`Model`] wraps one loaded `WhisperContext` and is shared by every job that uses that
//! model. Each whisper pass creates a fresh whisper state, so nothing from one recording
//! (prompt text, detected language) leaks into the next.
//!
//! A recording is transcribed in pieces of speech, with long pauses skipped, and each
//! piece's segments are checked for repetition loops, which are decoded again.
//!
//! ```no_run
//! # use whisperrr_core::{cancel::CancelToken, transcribe::{Model, TranscribeOptions}};
//! let model = Model::load("ggml-base.bin".as_ref())?;
//! let samples = vec![0.0f32; 16_000]; // 16 kHz mono
//! let transcript = model.transcribe(samples, &TranscribeOptions::default(), &mut |_| {}, &CancelToken::new())?;
//! # Ok::<(), whisperrr_core::transcribe::TranscribeError>(())
//! ```

mod callbacks;
mod cleanup;
mod held;
mod missed;
mod model;
mod options;
mod pass;
mod plan;
mod recording;
mod redecode;
mod repetition;
mod worker;

use std::path::PathBuf;

use crate::audio::DecodeError;
use crate::transcript::Segment;

pub use model::Model;
pub use options::{default_threads, whisper_languages, ChunkHints, Language, TranscribeOptions, WhisperLanguage};

/// What a running transcription reports before it returns.
#[derive(Clone, Debug, PartialEq)]
pub enum TranscribeEvent {
    /// Audio up to this point has been transcribed, in milliseconds. Never decreases.
    Progress { processed_ms: u64, duration_ms: u64 },
    /// A segment that will be part of the result.
    Segment(Segment),
}

#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error("failed to load the model '{}': {message}", path.display())]
    LoadModel { path: PathBuf, message: String },

    #[error("the model '{model}' is English-only and cannot transcribe language '{language}'; choose a multilingual model such as 'base'")]
    EnglishOnlyModel { model: String, language: String },

    #[error("the model '{model}' is English-only and cannot translate")]
    CannotTranslate { model: String },

    #[error("whisper failed: {0}")]
    Whisper(String),

    /// Decoding the audio again, piece by piece, failed.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    #[error("transcription cancelled")]
    Cancelled,
}
