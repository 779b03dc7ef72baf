//! The result of transcribing one recording: timed segments of text.

use serde::{Deserialize, Serialize};

/// One stretch of speech as whisper produced it.
///
/// Times are integer milliseconds from the start of the audio. whisper.cpp reports them in
/// 10 ms ticks, so they are always multiples of 10 when they come from the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Segment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// Every segment of one recording, in time order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub segments: Vec<Segment>,
    /// ISO 639-1 code of the spoken language: the one requested, or the one whisper
    /// detected. `None` when detection was asked for and there was no speech to detect.
    pub language: Option<String>,
    /// Length of the audio that was transcribed, in milliseconds.
    pub duration_ms: u64,
}

impl Transcript {
    /// True when the recording held no speech, so no segment was kept.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The text of every segment, one per line.
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        lines.join("\n")
    }
}
