//! SubRip subtitles: numbered cues with `HH:MM:SS,mmm --> HH:MM:SS,mmm` timings.

use super::timestamp::format_srt_time;
use crate::transcript::{Segment, Transcript};

/// Renders every non-empty segment as a cue, numbered from 1, with a blank line after each.
///
/// Times are made safe for players: clamped to the audio's duration, never decreasing from
/// one cue to the next, each end at or after its start, and no cue shorter than
/// [`MIN_CUE_MS`] unless the audio ends first. Text longer than one subtitle line is
/// wrapped onto two balanced lines.
pub fn to_srt(transcript: &Transcript) -> String {
    let segments: Vec<&Segment> = transcript.segments.iter().filter(|s| !s.text.trim().is_empty()).collect();
    let mut out = String::new();
    let mut previous_start = 0;

    for (index, segment) in segments.iter().enumerate() {
        let next_start = segments.get(index + 1).map(|next| next.start_ms);
        let (start_ms, end_ms) = cue_times(segment, previous_start, next_start, transcript.duration_ms);
        previous_start = start_ms;

        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            index + 1,
            format_srt_time(start_ms),
            format_srt_time(end_ms),
            wrap_cue_text(segment.text.trim())
        ));
    }
    out
}

/// Shortest time a cue stays on screen, in milliseconds. Token timestamps can give a
/// segment the same start and end, and players skip such a cue entirely.
pub const MIN_CUE_MS: u64 = 1000;

/// Most characters on one subtitle line, as broadcasters' guidelines commonly set it.
const LINE_CHARS: usize = 42;

/// Clamps one segment's times so that `previous_start <= start <= end <= duration`, and
/// stretches a too-short cue up to the next cue's start.
///
/// A duration of 0 means unknown, and leaves the upper bound open.
fn cue_times(segment: &Segment, previous_start: u64, next_start: Option<u64>, duration_ms: u64) -> (u64, u64) {
    let limit = if duration_ms == 0 { u64::MAX } else { duration_ms };
    let start = segment.start_ms.max(previous_start).min(limit);
    let mut end = segment.end_ms.min(limit).max(start);

    if end - start < MIN_CUE_MS {
        let stretch_limit = match next_start {
            Some(next) if next > start => next.min(limit),
            _ => limit,
        };
        end = (start + MIN_CUE_MS).min(stretch_limit).max(end);
    }
    (start, end)
}

/// Splits text longer than one line into two lines of about equal length, at the space
/// nearest the middle.
fn wrap_cue_text(text: &str) -> String {
    if text.chars().count() <= LINE_CHARS {
        return text.to_string();
    }

    let middle = text.len() / 2;
    let best_space = text
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(index, _)| index)
        .min_by_key(|&index| index.abs_diff(middle));
    match best_space {
        Some(index) => format!("{}\n{}", &text[..index], &text[index + 1..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(segments: &[(u64, u64, &str)], duration_ms: u64) -> Transcript {
        Transcript {
            segments: segments
                .iter()
                .map(|&(start_ms, end_ms, text)| Segment { start_ms, end_ms, text: text.into() })
                .collect(),
            language: Some("en".into()),
            duration_ms,
        }
    }

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
