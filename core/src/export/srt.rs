//! SubRip subtitles: numbered cues with `HH:MM:SS,mmm --> HH:MM:SS,mmm` timings.

use super::cue::cue_times;
use super::timestamp::format_srt_time;
use crate::transcript::Transcript;

/// Renders every non-empty segment as a cue, numbered from 1, with a blank line after each.
///
/// Times are made safe for players: clamped to the audio's duration, never decreasing from
/// one cue to the next, and each end at or after its start.
pub fn to_srt(transcript: &Transcript) -> String {
    let mut out = String::new();
    let mut index = 0;
    let mut previous_start = 0;

    for segment in &transcript.segments {
        let text = segment.text.trim();
        if text.is_empty() {
            continue;
        }

        let (start_ms, end_ms) = cue_times(segment, previous_start, transcript.duration_ms);
        previous_start = start_ms;
        index += 1;

        out.push_str(&format!(
            "{index}\n{} --> {}\n{text}\n\n",
            format_srt_time(start_ms),
            format_srt_time(end_ms)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Segment;

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

        assert!(srt.contains("2\n00:00:05,000 --> 00:00:05,000\nb"), "{srt}");
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
