//! WebVTT subtitles: a `WEBVTT` header, then cues with `HH:MM:SS.mmm --> HH:MM:SS.mmm`
//! timings, as browsers' `<track>` element reads them.

use super::cue::cues;
use super::timestamp::format_vtt_time;
use crate::transcript::Transcript;

/// Renders every non-empty segment as a cue, with a blank line after each.
///
/// Times and line breaks are the same as for SRT cues. Cue text is escaped, because WebVTT
/// parses `<` and `&` as markup.
pub fn to_vtt(transcript: &Transcript) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues(transcript) {
        let lines: Vec<String> = cue.lines.iter().map(|line| escape_cue_text(line)).collect();
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            format_vtt_time(cue.start_ms),
            format_vtt_time(cue.end_ms),
            lines.join("\n")
        ));
    }
    out
}

/// Escapes the characters WebVTT treats as markup.
fn escape_cue_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::test_transcript as transcript;

    #[test]
    fn header_then_cues() {
        let vtt = to_vtt(&transcript(&[(0, 8000, " And so"), (8000, 11000, " ask not.")], 11000));

        assert_eq!(
            vtt,
            "WEBVTT\n\n00:00:00.000 --> 00:00:08.000\nAnd so\n\n00:00:08.000 --> 00:00:11.000\nask not.\n\n"
        );
    }

    #[test]
    fn empty_transcript_is_header_only() {
        assert_eq!(to_vtt(&Transcript::default()), "WEBVTT\n\n");
    }

    #[test]
    fn markup_characters_escaped() {
        let vtt = to_vtt(&transcript(&[(0, 1000, "a <b> & c --> d")], 1000));

        assert!(vtt.contains("\na &lt;b&gt; &amp; c --&gt; d\n"), "{vtt}");
    }

    #[test]
    fn line_breaks_in_text_joined() {
        let vtt = to_vtt(&transcript(&[(0, 1000, "first\n\nsecond")], 1000));

        assert!(vtt.contains("\nfirst second\n\n"), "{vtt}");
    }

    #[test]
    fn times_clamped_like_srt() {
        let vtt = to_vtt(&transcript(&[(5000, 6000, "a"), (4000, 12000, "b")], 10500));

        assert!(vtt.contains("00:00:05.000 --> 00:00:10.500\nb"), "{vtt}");
    }
}
