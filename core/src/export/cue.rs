//! Cue timing shared by the subtitle formats.

use crate::transcript::Segment;

/// Clamps one segment's times so that `previous_start <= start <= end <= duration`, which
/// subtitle players require.
///
/// A duration of 0 means unknown, and leaves the upper bound open.
pub(super) fn cue_times(segment: &Segment, previous_start: u64, duration_ms: u64) -> (u64, u64) {
    let limit = if duration_ms == 0 { u64::MAX } else { duration_ms };
    let start = segment.start_ms.max(previous_start).min(limit);
    let end = segment.end_ms.min(limit).max(start);
    (start, end)
}
