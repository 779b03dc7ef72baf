//! Which of whisper's segments to keep.
//!
//! whisper was trained on subtitles, so where it hears nothing it tends to write what
//! subtitles say over silence: "Thank you.", "you", "[BLANK_AUDIO]", "(music)". A segment is
//! kept only when it has words and the audio under it was voiced.

use super::worker::RawSegment;
use crate::vad::{SpeechActivity, FRAME_MS};

/// Whisper's segment times are only accurate to about a second with small models, so the
/// audio this far either side of a segment counts as under it, in milliseconds.
const SEGMENT_MARGIN_MS: u64 = 500;

/// Less voiced time than this under a segment means whisper made the words up, in
/// milliseconds.
const MIN_VOICED_MS: u64 = 100;

/// True when `segment` holds words spoken in the audio.
pub(super) fn is_spoken(segment: &RawSegment, activity: &SpeechActivity) -> bool {
    let text = segment.text.trim();
    if text.is_empty() || is_annotation(text) {
        return false;
    }

    let start_ms = segment.start_ms.saturating_sub(SEGMENT_MARGIN_MS);
    let end_ms = segment.end_ms.saturating_add(SEGMENT_MARGIN_MS);
    activity.voiced_ms(start_ms, end_ms) >= MIN_VOICED_MS
}

/// Unvoiced audio at least this long near the start of a segment separates it from the
/// speech it belongs to, in milliseconds. After a pause, whisper often starts the next
/// segment where the previous one ended, seconds before the speech.
const MIN_PAUSE_MS: u64 = 1_000;

/// Voiced audio before such a pause that still counts as the tail of earlier speech, in
/// milliseconds.
const MAX_STRAY_MS: u64 = 500;

/// Audio kept before the first voiced frame when a segment's start is moved, in
/// milliseconds: soft onsets such as "h" or "f" fall below the voicing threshold.
const ONSET_MARGIN_MS: u64 = 200;

/// Returns `segment` starting at its speech. When the segment opens with at most
/// [`MAX_STRAY_MS`] of voiced audio and then a pause of [`MIN_PAUSE_MS`] or more, its
/// start moves to [`ONSET_MARGIN_MS`] before the speech after the pause.
pub(super) fn with_speech_start(mut segment: RawSegment, activity: &SpeechActivity) -> RawSegment {
    let first = (segment.start_ms / FRAME_MS) as usize;
    let last = (segment.end_ms / FRAME_MS) as usize;
    let (mut stray_ms, mut pause_ms) = (0, 0);

    for frame in first..last {
        if !activity.is_voiced(frame) {
            pause_ms += FRAME_MS;
            continue;
        }
        if pause_ms >= MIN_PAUSE_MS {
            let onset_ms = frame as u64 * FRAME_MS;
            segment.start_ms = segment.start_ms.max(onset_ms.saturating_sub(ONSET_MARGIN_MS));
            break;
        }
        pause_ms = 0;
        stray_ms += FRAME_MS;
        if stray_ms > MAX_STRAY_MS {
            break;
        }
    }
    segment
}

/// True for text that only describes sound, such as `[BLANK_AUDIO]`, `(music)` or
/// `*applause*`, which whisper writes where there are no words.
fn is_annotation(text: &str) -> bool {
    let pairs = [('[', ']'), ('(', ')'), ('*', '*'), ('♪', '♪')];
    pairs.iter().any(|&(open, close)| {
        text.len() >= 2 && text.starts_with(open) && text.ends_with(close)
    }) || text.chars().all(|c| c == '♪' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> RawSegment {
        RawSegment { start_ms, end_ms, text: text.into() }
    }

    /// `len` samples of syllable-like bursts at 16 kHz.
    fn bursts(len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                let envelope = (t * 4.0 * std::f32::consts::PI).sin().max(0.0);
                0.3 * envelope * (t * 200.0 * 2.0 * std::f32::consts::PI).sin()
            })
            .collect()
    }

    /// Two seconds of syllable-like bursts, then three seconds of silence.
    fn speech_then_silence() -> SpeechActivity {
        let mut samples = bursts(32_000);
        samples.extend(vec![0.0; 48_000]);
        SpeechActivity::analyze(&samples)
    }

    /// Three seconds of silence, then two seconds of syllable-like bursts.
    fn silence_then_speech() -> SpeechActivity {
        let mut samples = vec![0.0; 48_000];
        samples.extend(bursts(32_000));
        SpeechActivity::analyze(&samples)
    }

    #[test]
    fn segment_over_speech_kept() {
        assert!(is_spoken(&segment(0, 2000, " Hello there."), &speech_then_silence()));
    }

    #[test]
    fn segment_over_silence_dropped() {
        assert!(!is_spoken(&segment(3000, 5000, " Thank you."), &speech_then_silence()));
    }

    #[test]
    fn start_moved_to_speech_after_a_pause() {
        let activity = silence_then_speech();

        let moved = with_speech_start(segment(0, 5000, " Hello there."), &activity);

        assert!((2_700..=3_000).contains(&moved.start_ms), "{}", moved.start_ms);
        assert_eq!(moved.end_ms, 5000);
    }

    #[test]
    fn start_moved_past_the_tail_of_earlier_speech() {
        // Bursts until 2 s, silence until 4 s, bursts again: the segment opens on the
        // last 400 ms of the first speech.
        let mut samples = bursts(32_000);
        samples.extend(vec![0.0; 32_000]);
        samples.extend(bursts(32_000));
        let activity = SpeechActivity::analyze(&samples);

        let moved = with_speech_start(segment(1_600, 6_000, " Hello."), &activity);

        assert!((3_700..=4_000).contains(&moved.start_ms), "{}", moved.start_ms);
    }

    #[test]
    fn start_near_speech_kept() {
        let activity = silence_then_speech();

        assert_eq!(with_speech_start(segment(2_500, 5000, " Hello."), &activity).start_ms, 2_500);
    }

    #[test]
    fn annotations_dropped() {
        let activity = speech_then_silence();
        for text in ["[BLANK_AUDIO]", " (music)", "*applause*", " ♪ ♪"] {
            assert!(!is_spoken(&segment(0, 2000, text), &activity), "{text}");
        }
    }
}
