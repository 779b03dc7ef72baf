//! Plain text: the transcript's words, one segment per line.

use crate::transcript::Transcript;

/// Renders one trimmed segment per line, ending with a newline when there is any text.
pub fn to_txt(transcript: &Transcript) -> String {
    let mut out = String::new();
    for segment in &transcript.segments {
        let text = segment.text.trim();
        if text.is_empty() {
            continue;
        }
        out.push_str(text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Segment;

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> Segment {
        Segment { start_ms, end_ms, text: text.to_string() }
    }

    #[test]
    fn one_segment_per_line() {
        let transcript = Transcript {
            segments: vec![segment(0, 1000, " Hello there."), segment(1000, 2000, " General Kenobi. ")],
            language: Some("en".into()),
            duration_ms: 2000,
        };

        assert_eq!(to_txt(&transcript), "Hello there.\nGeneral Kenobi.\n");
    }

    #[test]
    fn empty_transcript_is_empty_text() {
        assert_eq!(to_txt(&Transcript::default()), "");
    }
}
