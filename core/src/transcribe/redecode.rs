//! Decoding the audio under a repetition loop again.
//!
//! The stretch that a loop's segments claim is decoded on its own, first without any text
//! context, then also at a higher temperature if it still loops. The result with the
//! fewest looped words replaces the loop; the original stays when nothing does better,
//! which keeps genuine repetition.

use std::sync::Arc;

use super::cleanup::{is_spoken, with_speech_start};
use super::held::HeldSegments;
use super::model::{ms_to_samples, pad_to_min_samples};
use super::pass::run_pass;
use super::recording::{to_recording_time, RecordingRun};
use super::repetition::{find_loops, looped_words};
use super::worker::RawSegment;
use super::TranscribeError;

/// Temperatures of the attempts, in order. At 0.0 whisper still falls back to higher
/// temperatures on its own when its output compresses too well or is unsure.
const ATTEMPT_TEMPERATURES: [f32; 2] = [0.0, 0.4];

/// Shortest stretch decoded again, in milliseconds. A loop's timestamps can collapse to
/// nearly nothing, and whisper needs some audio to decode.
const MIN_SPAN_MS: u64 = 2_000;

/// Returns the held segments of a piece with every loop among them decoded again.
///
/// `samples` are the piece's samples, which start at `offset_ms` in the recording and end
/// at `piece_end_ms`.
pub(super) fn redecode_loops(
    run: &RecordingRun<'_>,
    samples: &Arc<Vec<f32>>,
    offset_ms: u64,
    piece_end_ms: u64,
    held: &HeldSegments,
    language: Option<String>,
) -> Result<Vec<RawSegment>, TranscribeError> {
    let mut segments = held.held().to_vec();

    // From the last loop to the first, so earlier indices stay valid.
    for range in find_loops(&segments).into_iter().rev() {
        let span_start = match range.start {
            0 => held.released_end_ms().unwrap_or(offset_ms),
            start => segments[start - 1].end_ms,
        }
        .max(offset_ms);
        let next_start = segments.get(range.end).map_or(piece_end_ms, |next| next.start_ms);
        let span_end = next_start
            .max(segments[range.end - 1].end_ms)
            .max(span_start + MIN_SPAN_MS)
            .min(piece_end_ms);

        let original = &segments[range.clone()];
        let mut best = (looped_words(original), original.to_vec(), "the original");

        for temperature in ATTEMPT_TEMPERATURES {
            let start = ms_to_samples(span_start - offset_ms).min(samples.len());
            let end = ms_to_samples(span_end - offset_ms).min(samples.len());
            let stretch = Arc::new(pad_to_min_samples(samples[start..end].to_vec()));

            let mut request = run.request(language.clone());
            request.no_context = true;
            request.temperature = temperature;
            let output = run_pass(run.context, stretch, request, &mut |_| {}, run.cancel)?;

            let candidate: Vec<RawSegment> = output
                .segments
                .iter()
                .map(|raw| with_speech_start(to_recording_time(raw, span_start, span_end), run.activity))
                .filter(|raw| is_spoken(raw, run.activity))
                .collect();
            let score = looped_words(&candidate);
            tracing::debug!(span_start, span_end, temperature, looped_words = score, "decoded a repetition loop again");

            if score < best.0 {
                best = (score, candidate, if temperature > 0.0 { "a higher temperature" } else { "no context" });
            }
            if best.0 == 0 {
                break;
            }
        }

        tracing::info!(
            start_ms = span_start,
            end_ms = span_end,
            looped_words = looped_words(original),
            kept = best.2,
            "repetition loop decoded again"
        );
        segments.splice(range, best.1);
    }
    Ok(segments)
}
