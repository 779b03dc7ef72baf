//! Finding speech that whisper skipped.
//!
//! whisper can end a window early. After a sentence and a pause of a second or two, it
//! sometimes predicts the end of the text and moves on to the next window, so the speech
//! after the pause is never written. Voiced stretches that no segment covers are therefore
//! decoded again on their own.

use std::ops::Range;

use super::worker::RawSegment;
use crate::vad::{SpeechActivity, FRAME_MS};

/// Unvoiced time that separates two stretches of speech, in milliseconds.
const JOIN_GAP_MS: u64 = 1_000;

/// Stretches with less voiced time than this, in milliseconds, are not worth a pass.
const MIN_VOICED_MS: u64 = 300;

/// How far from a stretch a segment may lie and still count as covering it, in
/// milliseconds: small models place segment boundaries up to about a second off.
const COVER_MARGIN_MS: u64 = 1_000;

/// Most stretches decoded again per piece. Audio the energy detector takes for speech but
/// whisper does not (music, noise bursts) would otherwise cost a pass per burst.
pub(super) const MAX_STRETCHES: usize = 8;

/// Returns the voiced stretches of `piece_ms` (recording time) that no segment of
/// `segments` comes near, at most [`MAX_STRETCHES`], in order.
pub(super) fn uncovered_speech(activity: &SpeechActivity, piece_ms: Range<u64>, segments: &[RawSegment]) -> Vec<Range<u64>> {
    let first = (piece_ms.start / FRAME_MS) as usize;
    let last = (piece_ms.end / FRAME_MS) as usize;
    let mut stretches: Vec<(Range<u64>, u64)> = Vec::new();

    for frame in (first..last).filter(|&frame| activity.is_voiced(frame)) {
        let start = frame as u64 * FRAME_MS;
        let end = start + FRAME_MS;
        match stretches.last_mut() {
            Some((range, voiced)) if start - range.end < JOIN_GAP_MS => {
                range.end = end;
                *voiced += FRAME_MS;
            }
            _ => stretches.push((start..end, FRAME_MS)),
        }
    }

    stretches
        .into_iter()
        .filter(|(_, voiced)| *voiced >= MIN_VOICED_MS)
        .map(|(range, _)| range)
        .filter(|range| !segments.iter().any(|segment| covers(segment, range)))
        .take(MAX_STRETCHES)
        .collect()
}

fn covers(segment: &RawSegment, range: &Range<u64>) -> bool {
    segment.start_ms < range.end + COVER_MARGIN_MS && range.start < segment.end_ms + COVER_MARGIN_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two seconds of syllable-like bursts at `start_s`, elsewhere silence, 20 s in all.
    fn speech_at(starts_s: &[usize]) -> SpeechActivity {
        let mut samples = vec![0.0f32; 20 * 16_000];
        for &start in starts_s {
            for i in 0..32_000 {
                let t = i as f32 / 16_000.0;
                let envelope = (t * 4.0 * std::f32::consts::PI).sin().max(0.0);
                samples[start * 16_000 + i] = 0.3 * envelope * (t * 200.0 * std::f32::consts::TAU).sin();
            }
        }
        SpeechActivity::analyze(&samples)
    }

    fn segment(start_ms: u64, end_ms: u64) -> RawSegment {
        RawSegment { start_ms, end_ms, text: " words".into() }
    }

    #[test]
    fn speech_after_the_last_segment_found() {
        let activity = speech_at(&[2, 12]);

        let missed = uncovered_speech(&activity, 0..20_000, &[segment(2_000, 4_000)]);

        assert_eq!(missed.len(), 1, "{missed:?}");
        assert!(missed[0].start >= 11_900, "{missed:?}");
        assert!(missed[0].end <= 14_100, "{missed:?}");
    }

    #[test]
    fn covered_speech_not_found() {
        let activity = speech_at(&[2, 12]);

        let missed = uncovered_speech(&activity, 0..20_000, &[segment(2_500, 3_500), segment(12_800, 13_200)]);

        assert!(missed.is_empty(), "{missed:?}");
    }
}
