//! JSON: the transcript as data, for scripts and other programs.
//!
//! ```json
//! {
//!   "language": "en",
//!   "duration_ms": 11000,
//!   "segments": [{ "start_ms": 0, "end_ms": 8000, "text": "And so" }]
//! }
//! ```
//!
//! Times are integer milliseconds from the start of the audio. `language` is `null` when
//! detection was requested on audio without speech.

use serde::Serialize;

use crate::transcript::Transcript;

#[derive(Serialize)]
struct JsonTranscript<'a> {
    language: Option<&'a str>,
    duration_ms: u64,
    segments: Vec<JsonSegment<'a>>,
}

#[derive(Serialize)]
struct JsonSegment<'a> {
    start_ms: u64,
    end_ms: u64,
    text: &'a str,
}

/// Renders the transcript as pretty-printed JSON ending with a newline. Segment text is
/// trimmed and empty segments are left out, as in the other formats.
pub fn to_json(transcript: &Transcript) -> String {
    let segments = transcript
        .segments
        .iter()
        .map(|segment| JsonSegment { start_ms: segment.start_ms, end_ms: segment.end_ms, text: segment.text.trim() })
        .filter(|segment| !segment.text.is_empty())
        .collect();
    let document = JsonTranscript {
        language: transcript.language.as_deref(),
        duration_ms: transcript.duration_ms,
        segments,
    };

    // Serializing strings and integers into memory cannot fail.
    let mut out = serde_json::to_string_pretty(&document).expect("transcript serializes to JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::transcript::Segment;

    #[test]
    fn fields_and_segments() {
        let transcript = Transcript {
            segments: vec![
                Segment { start_ms: 0, end_ms: 8000, text: " And so, \"my\" friends".into() },
                Segment { start_ms: 8000, end_ms: 9000, text: "  ".into() },
                Segment { start_ms: 9000, end_ms: 11000, text: "ask not é".into() },
            ],
            language: Some("en".into()),
            duration_ms: 11000,
        };

        let text = to_json(&transcript);
        let parsed: Value = serde_json::from_str(&text).unwrap();

        assert!(text.ends_with("}\n"), "{text}");
        assert_eq!(
            parsed,
            json!({
                "language": "en",
                "duration_ms": 11000,
                "segments": [
                    { "start_ms": 0, "end_ms": 8000, "text": "And so, \"my\" friends" },
                    { "start_ms": 9000, "end_ms": 11000, "text": "ask not é" },
                ],
            })
        );
    }

    #[test]
    fn unknown_language_is_null() {
        let parsed: Value = serde_json::from_str(&to_json(&Transcript::default())).unwrap();

        assert_eq!(parsed, json!({ "language": null, "duration_ms": 0, "segments": [] }));
    }
}
