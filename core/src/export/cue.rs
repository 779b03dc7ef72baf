//! Cue layout shared by the subtitle formats: which segments become cues, when each is on
//! screen, and how its text is split into lines.

use crate::transcript::{Segment, Transcript};

/// Shortest time a cue stays on screen, in milliseconds. Token timestamps can give a
/// segment the same start and end, and players skip such a cue entirely.
pub const MIN_CUE_MS: u64 = 1000;

/// Maximum characters on one subtitle line, as broadcasters' guidelines commonly set it.
const LINE_CHARS: usize = 42;

/// One subtitle: its time on screen and one or two lines of text.
pub(super) struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub lines: Vec<String>,
}

/// Lays out every non-empty segment as a cue.
///
/// Times are made safe for players: clamped to the audio's duration, never decreasing from
/// one cue to the next, each end at or after its start, and no cue shorter than
/// [`MIN_CUE_MS`] unless the next cue or the audio's end comes first. Text longer than one
/// line is split onto two balanced lines.
pub(super) fn cues(transcript: &Transcript) -> Vec<Cue> {
    let segments: Vec<&Segment> = transcript.segments.iter().filter(|s| !s.text.trim().is_empty()).collect();
    let mut cues = Vec::with_capacity(segments.len());
    let mut previous_start = 0;

    for (index, segment) in segments.iter().enumerate() {
        let next_start = segments.get(index + 1).map(|next| next.start_ms);
        let (start_ms, end_ms) = cue_times(segment, previous_start, next_start, transcript.duration_ms);
        previous_start = start_ms;
        cues.push(Cue { start_ms, end_ms, lines: split_lines(segment.text.trim()) });
    }
    cues
}

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
/// nearest the middle. Line breaks inside the text are treated as spaces.
fn split_lines(text: &str) -> Vec<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= LINE_CHARS {
        return vec![text];
    }

    let middle = text.len() / 2;
    let best_space = text
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(index, _)| index)
        .min_by_key(|&index| index.abs_diff(middle));
    match best_space {
        Some(index) => vec![text[..index].to_string(), text[index + 1..].to_string()],
        None => vec![text],
    }
}
