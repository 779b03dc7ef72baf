//! The stretches of a recording that whisper runs on.
//!
//! whisper.cpp turns its whole input into a log-mel spectrogram before decoding, and spends
//! a full encoder pass on every 30 s window, silent or not. A long recording is therefore
//! cut into pieces: stretches of speech, with long pauses left out and no piece longer than
//! [`MAX_PIECE_S`]. Memory then depends on the piece length rather than the recording's,
//! and an hour of silence costs no whisper time at all.

use std::ops::Range;

use crate::audio::WHISPER_SAMPLE_RATE;
use crate::vad::{SpeechActivity, FRAME_MS};

/// Frames per second of [`SpeechActivity`].
const FRAMES_PER_SECOND: usize = (1000 / FRAME_MS) as usize;

/// 16 kHz samples per activity frame.
const SAMPLES_PER_FRAME: usize = WHISPER_SAMPLE_RATE as usize / FRAMES_PER_SECOND;

/// Pauses at least this long, in seconds, are left out and separate two pieces. Shorter
/// ones stay inside a piece: a new piece costs a whole encoder window however short it is,
/// so joining stretches is cheaper than splitting them until the pause itself is long.
const SKIP_PAUSE_S: usize = 10;

/// Unvoiced audio kept before and after each stretch of speech, in seconds, so that
/// whisper hears where speech starts and ends.
const PAD_S: usize = 1;

/// Longest piece, in seconds. Five minutes of 16 kHz samples and their spectrogram take
/// about 30 MB.
pub(super) const MAX_PIECE_S: usize = 300;

/// A piece longer than [`MAX_PIECE_S`] is cut at the longest pause within this many
/// seconds before the limit.
const CUT_SEARCH_S: usize = 60;

/// Stretches with less voiced time than this, in milliseconds, are left out: a click or a
/// cough, not a word.
const MIN_VOICED_MS: usize = 200;

/// Returns the stretches to transcribe, in 16 kHz samples, in order and without overlap.
/// `len` is the recording's length in samples.
pub(super) fn plan_pieces(activity: &SpeechActivity, len: usize) -> Vec<Range<usize>> {
    let frame_count = activity.frame_count().min(len.div_ceil(SAMPLES_PER_FRAME));
    let mut pieces = Vec::new();

    for stretch in speech_stretches(activity, frame_count) {
        let voiced_frames = (stretch.clone()).filter(|&frame| activity.is_voiced(frame)).count();
        if voiced_frames * FRAME_MS as usize >= MIN_VOICED_MS {
            let padded = pad(stretch, frame_count);
            pieces.extend(split_long(activity, padded));
        }
    }

    pieces
        .into_iter()
        .map(|frames| frames.start * SAMPLES_PER_FRAME..(frames.end * SAMPLES_PER_FRAME).min(len))
        .collect()
}

/// Returns the frame ranges from the first to the last voiced frame of each run of speech
/// whose inner pauses are all shorter than [`SKIP_PAUSE_S`].
fn speech_stretches(activity: &SpeechActivity, frame_count: usize) -> Vec<Range<usize>> {
    let skip_frames = SKIP_PAUSE_S * FRAMES_PER_SECOND;
    let mut stretches: Vec<Range<usize>> = Vec::new();

    for frame in (0..frame_count).filter(|&frame| activity.is_voiced(frame)) {
        match stretches.last_mut() {
            Some(last) if frame - last.end < skip_frames => last.end = frame + 1,
            _ => stretches.push(frame..frame + 1),
        }
    }
    stretches
}

fn pad(stretch: Range<usize>, frame_count: usize) -> Range<usize> {
    let pad_frames = PAD_S * FRAMES_PER_SECOND;
    stretch.start.saturating_sub(pad_frames)..(stretch.end + pad_frames).min(frame_count)
}

/// Cuts `frames` into pieces of at most [`MAX_PIECE_S`], each cut in the middle of the
/// longest pause shortly before the limit, or at the limit when there is no pause.
fn split_long(activity: &SpeechActivity, frames: Range<usize>) -> Vec<Range<usize>> {
    let max_frames = MAX_PIECE_S * FRAMES_PER_SECOND;
    let search_frames = CUT_SEARCH_S * FRAMES_PER_SECOND;
    let mut pieces = Vec::new();
    let mut start = frames.start;

    while frames.end - start > max_frames {
        let limit = start + max_frames;
        let cut = longest_pause_middle(activity, limit - search_frames..limit).unwrap_or(limit);
        pieces.push(start..cut);
        start = cut;
    }
    pieces.push(start..frames.end);
    pieces
}

/// Returns the middle frame of the longest run of unvoiced frames in `frames`, the later
/// one on ties.
fn longest_pause_middle(activity: &SpeechActivity, frames: Range<usize>) -> Option<usize> {
    let mut best: Option<Range<usize>> = None;
    let mut run_start = None;

    for frame in frames.start..=frames.end {
        let unvoiced = frame < frames.end && !activity.is_voiced(frame);
        match (unvoiced, run_start) {
            (true, None) => run_start = Some(frame),
            (false, Some(start)) => {
                if best.as_ref().is_none_or(|best| frame - start >= best.len()) {
                    best = Some(start..frame);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    best.map(|run| run.start + run.len() / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: usize = WHISPER_SAMPLE_RATE as usize;

    /// Bursts of a 200 Hz tone at syllable rate: a crude stand-in for speech.
    fn speech(seconds: usize) -> Vec<f32> {
        (0..seconds * SECOND)
            .map(|i| {
                let t = i as f32 / SECOND as f32;
                let envelope = (t * 4.0 * std::f32::consts::PI).sin().max(0.0);
                0.3 * envelope * (t * 200.0 * std::f32::consts::TAU).sin()
            })
            .collect()
    }

    fn silence(seconds: usize) -> Vec<f32> {
        vec![0.0; seconds * SECOND]
    }

    fn plan(parts: &[Vec<f32>]) -> Vec<Range<usize>> {
        let samples = parts.concat();
        plan_pieces(&SpeechActivity::analyze(&samples), samples.len())
    }

    fn seconds(range: &Range<usize>) -> (f32, f32) {
        (range.start as f32 / SECOND as f32, range.end as f32 / SECOND as f32)
    }

    #[test]
    fn silence_gives_no_pieces() {
        assert!(plan(&[silence(60)]).is_empty());
    }

    #[test]
    fn long_pause_left_out() {
        let pieces = plan(&[silence(5), speech(4), silence(30), speech(3), silence(5)]);

        assert_eq!(pieces.len(), 2, "{pieces:?}");
        let (first_start, first_end) = seconds(&pieces[0]);
        let (second_start, second_end) = seconds(&pieces[1]);
        assert!((3.9..=4.1).contains(&first_start), "{first_start}");
        assert!((9.5..=10.1).contains(&first_end), "{first_end}");
        assert!((37.9..=39.1).contains(&second_start), "{second_start}");
        assert!((42.5..=43.1).contains(&second_end), "{second_end}");
    }

    #[test]
    fn short_pause_kept_inside_piece() {
        let pieces = plan(&[speech(4), silence(6), speech(4)]);

        assert_eq!(pieces.len(), 1, "{pieces:?}");
    }

    #[test]
    fn long_speech_cut_at_a_pause() {
        let pieces = plan(&[speech(280), silence(2), speech(100)]);

        assert_eq!(pieces.len(), 2, "{pieces:?}");
        let (_, cut) = seconds(&pieces[0]);
        assert!((280.5..=281.5).contains(&cut), "cut at {cut} s");
        assert_eq!(pieces[0].end, pieces[1].start);
    }

    #[test]
    fn pieces_never_exceed_limit() {
        let pieces = plan(&[speech(700)]);

        assert_eq!(pieces.len(), 3, "{pieces:?}");
        for piece in &pieces {
            assert!(piece.len() <= MAX_PIECE_S * SECOND, "{piece:?}");
        }
        assert_eq!(pieces.last().unwrap().end, 700 * SECOND);
    }

    #[test]
    fn click_left_out() {
        let mut samples = silence(10);
        samples[5 * SECOND..5 * SECOND + 100].fill(0.9);

        assert!(plan(&[samples]).is_empty());
    }
}
