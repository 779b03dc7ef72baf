//! SubRip subtitles: numbered cues with `HH:MM:SS,mmm --> HH:MM:SS,mmm` timings.

use super::cue::cues;
use super::timestamp::format_srt_time;
use crate::transcript::Transcript;

/// Renders every non-empty segment as a cue, numbered from 1, with a blank line after each.
/// [`super::cue::cues`] decides the times and the line breaks.
pub fn to_srt(transcript: &Transcript) -> String {
    let mut out = String::new();
    for (index, cue) in cues(transcript).iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            index + 1,
            format_srt_time(cue.start_ms),
            format_srt_time(cue.end_ms),
            cue.lines.join("\n")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::test_transcript as transcript;

    #[test]
    fn cues_numbered_from_one() {
        let srt = to_srt(&transcript(&[(0, 8000, " And so"), (8000, 11000, " ask not.")], 11000));

        assert_eq!(
            srt,
            "1\n00:00:00,000 --> 00:00:08,000\nAnd so\n\n2\n00:00:08,000 --> 00:00:11,000\nask not.\n\n"
        );
    }

    #[test]
    fn times_clamped_to_duration() {
        let srt = to_srt(&transcript(&[(9000, 12000, "tail")], 10500));

        assert!(srt.contains("00:00:09,000 --> 00:00:10,500"), "{srt}");
    }

    #[test]
    fn times_never_decrease() {
        let srt = to_srt(&transcript(&[(5000, 6000, "a"), (4000, 3000, "b")], 10000));

        assert!(srt.contains("2\n00:00:05,000 --> 00:00:06,000\nb"), "{srt}");
    }

    #[test]
    fn zero_length_cue_stretched_to_next_start() {
        let srt = to_srt(&transcript(&[(55_000, 55_000, "have at least"), (55_400, 58_000, "a modem")], 60_000));

        assert!(srt.contains("1\n00:00:55,000 --> 00:00:55,400\nhave at least"), "{srt}");
    }

    #[test]
    fn zero_length_cue_given_minimum_time() {
        let srt = to_srt(&transcript(&[(2000, 2000, "hello"), (9000, 9500, "world")], 10_000));

        assert!(srt.contains("00:00:02,000 --> 00:00:03,000"), "{srt}");
        assert!(srt.contains("00:00:09,000 --> 00:00:10,000"), "{srt}");
    }

    #[test]
    fn long_text_wrapped_onto_two_lines() {
        let text = "If you would like to learn more technical information about asterisk, dial 2";
        let srt = to_srt(&transcript(&[(0, 5000, text)], 5000));

        let lines: Vec<&str> = srt.lines().collect();
        assert_eq!(lines[2], "If you would like to learn more technical");
        assert_eq!(lines[3], "information about asterisk, dial 2");
        assert_eq!(lines[4], "");
    }

    #[test]
    fn short_text_stays_on_one_line() {
        let srt = to_srt(&transcript(&[(0, 2000, "ask not what your country can do")], 2000));

        assert_eq!(srt.lines().nth(2), Some("ask not what your country can do"));
        assert_eq!(srt.lines().nth(3), Some(""));
    }

    #[test]
    fn empty_segments_skipped_without_gaps_in_numbering() {
        let srt = to_srt(&transcript(&[(0, 1000, "a"), (1000, 2000, "  "), (2000, 3000, "c")], 3000));

        assert!(srt.contains("2\n00:00:02,000 --> 00:00:03,000\nc"), "{srt}");
        assert!(!srt.contains("3\n"), "{srt}");
    }

    #[test]
    fn times_past_one_hundred_hours() {
        let hours_100 = 100 * 3_600_000;
        let srt = to_srt(&transcript(&[(hours_100, hours_100 + 1500, "late")], 0));

        assert!(srt.contains("100:00:00,000 --> 100:00:01,500"), "{srt}");
    }
}
