//! Which of whisper's segments to keep.
//!
//! whisper was trained on subtitles, so where it hears nothing it tends to write what
//! subtitles say over silence: "Thank you.", "you", "[BLANK_AUDIO]", "(music)". A segment is
//! kept only when it has words and the audio under it was voiced.

use super::worker::RawSegment;
use crate::vad::SpeechActivity;

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

    /// Two seconds of syllable-like bursts, then three seconds of silence, at 16 kHz.
    fn speech_then_silence() -> SpeechActivity {
        let mut samples: Vec<f32> = (0..32_000)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                let envelope = (t * 4.0 * std::f32::consts::PI).sin().max(0.0);
                0.3 * envelope * (t * 200.0 * 2.0 * std::f32::consts::PI).sin()
            })
            .collect();
        samples.extend(vec![0.0; 48_000]);
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
    fn annotations_dropped() {
        let activity = speech_then_silence();
        for text in ["[BLANK_AUDIO]", " (music)", "*applause*", " ♪ ♪"] {
            assert!(!is_spoken(&segment(0, 2000, text), &activity), "{text}");
        }
    }
}
