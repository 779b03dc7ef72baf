//! Transcription of a whole recording, piece by piece.
//!
//! The recording's speech is cut into pieces (see `plan.rs`). Each piece is read from its
//! [`SampleSource`] only when its turn comes, and transcribed by one whisper pass with the
//! text before it as the prompt, as whisper.cpp itself carries text from one 30 s window
//! to the next. Segments whose audio holds no voice are dropped, repetition loops are
//! decoded again (see `redecode.rs`) before their segments are passed on, and voiced
//! stretches that whisper skipped are decoded on their own (see `missed.rs`).

use std::ops::Range;
use std::sync::Arc;

use super::cleanup::{is_spoken, with_speech_start};
use super::held::HeldSegments;
use super::missed::uncovered_speech;
use super::model::{ms_to_samples, pad_to_min_samples, samples_to_ms};
use super::pass::{run_pass, PassEvent};
use super::plan::plan_pieces;
use super::redecode::redecode_loops;
use super::worker::{RawSegment, WorkerRequest};
use super::{Language, TranscribeError, TranscribeEvent, TranscribeOptions};
use crate::audio::SampleSource;
use crate::cancel::CancelToken;
use crate::memory::release_free_heap;
use crate::transcript::{Segment, Transcript};
use crate::vad::SpeechActivity;

/// Audio kept before and after a stretch of skipped speech when it is decoded again, in
/// milliseconds.
const MISSED_PAD_MS: u64 = 500;

/// Characters of the previous piece's text given to whisper as the prompt of the next.
/// whisper.cpp keeps at most 224 tokens of prompt, about 900 characters of English.
const PROMPT_CHARS: usize = 800;

/// The settings and analysis shared by every piece of one recording.
pub(super) struct RecordingRun<'a> {
    pub context: &'a Arc<whisper_rs::WhisperContext>,
    pub options: &'a TranscribeOptions,
    /// The language checked against the model: `Auto` or a code.
    pub language: Language,
    pub activity: &'a SpeechActivity,
    pub cancel: &'a CancelToken,
}

impl RecordingRun<'_> {
    /// Transcribes every piece of `source` in order, reporting progress over the whole
    /// recording and each segment once it is final.
    pub fn transcribe(
        &self,
        source: &mut dyn SampleSource,
        on_event: &mut dyn FnMut(TranscribeEvent),
    ) -> Result<Transcript, TranscribeError> {
        let len = source.len();
        let duration_ms = samples_to_ms(len);
        let mut language = match &self.language {
            Language::Auto => None,
            Language::Code(code) => Some(code.clone()),
        };
        let mut segments = Vec::new();
        let mut progress = ProgressClamp { reported_ms: None, duration_ms };

        let pieces = plan_pieces(self.activity, len);
        tracing::debug!(pieces = pieces.len(), duration_ms, "transcribing recording");

        for piece in pieces {
            if self.cancel.is_cancelled() {
                return Err(TranscribeError::Cancelled);
            }
            progress.report(samples_to_ms(piece.start), on_event);

            let samples = source.read(piece.clone())?;
            let prompt = prompt_from(&segments);
            let piece_segments = self.transcribe_piece(samples, piece, prompt, &mut language, &mut progress, on_event)?;
            segments.extend(piece_segments);
            release_free_heap();
        }

        progress.report(duration_ms, on_event);
        Ok(Transcript { segments, language, duration_ms })
    }

    /// Transcribes one piece, whose `samples` start at sample `piece.start` of the
    /// recording, and returns its final segments in recording time. `language` is filled in
    /// from whisper's detection when it was `None`.
    fn transcribe_piece(
        &self,
        samples: Vec<f32>,
        piece: Range<usize>,
        prompt: Option<String>,
        language: &mut Option<String>,
        progress: &mut ProgressClamp,
        on_event: &mut dyn FnMut(TranscribeEvent),
    ) -> Result<Vec<Segment>, TranscribeError> {
        let offset_ms = samples_to_ms(piece.start);
        let piece_end_ms = samples_to_ms(piece.end);
        let samples = Arc::new(pad_to_min_samples(samples));

        let mut request = self.request(language.clone());
        request.prompt = prompt;

        let mut held = HeldSegments::default();
        let mut finished = Vec::new();
        let keep = |raw: &RawSegment| is_spoken(raw, self.activity);

        let output = run_pass(
            self.context,
            Arc::clone(&samples),
            request,
            &mut |event| match event {
                PassEvent::Progress(processed_ms) => progress.report(offset_ms + processed_ms, on_event),
                PassEvent::Segment(raw) => {
                    let raw = with_speech_start(to_recording_time(raw, offset_ms, piece_end_ms), self.activity);
                    if keep(&raw) {
                        for settled in held.push(raw) {
                            emit(&settled, on_event, &mut finished);
                        }
                    }
                }
            },
            self.cancel,
        )?;
        if language.is_none() {
            *language = output.language;
        }

        let redecoded = redecode_loops(self, &samples, offset_ms, piece_end_ms, &held, language.clone())?;
        held.replace(redecoded);
        for segment in held.release_all() {
            emit(&segment, on_event, &mut finished);
        }

        for segment in self.transcribe_missed(&samples, offset_ms..piece_end_ms, &finished, language.clone())? {
            emit(&segment, on_event, &mut finished);
        }
        finished.sort_by_key(|segment| segment.start_ms);
        Ok(finished)
    }

    /// Transcribes the voiced stretches of the piece that no segment in `finished` covers,
    /// each in a pass of its own, and returns their segments in recording time.
    fn transcribe_missed(
        &self,
        samples: &[f32],
        piece_ms: Range<u64>,
        finished: &[Segment],
        language: Option<String>,
    ) -> Result<Vec<RawSegment>, TranscribeError> {
        let covered: Vec<RawSegment> = finished
            .iter()
            .map(|segment| RawSegment { start_ms: segment.start_ms, end_ms: segment.end_ms, text: segment.text.clone() })
            .collect();
        let mut found = Vec::new();

        for stretch in uncovered_speech(self.activity, piece_ms.clone(), &covered) {
            let start_ms = stretch.start.saturating_sub(MISSED_PAD_MS).max(piece_ms.start);
            let end_ms = (stretch.end + MISSED_PAD_MS).min(piece_ms.end);
            let start = ms_to_samples(start_ms - piece_ms.start).min(samples.len());
            let end = ms_to_samples(end_ms - piece_ms.start).min(samples.len());
            let stretch_samples = Arc::new(pad_to_min_samples(samples[start..end].to_vec()));

            let output = run_pass(self.context, stretch_samples, self.request(language.clone()), &mut |_| {}, self.cancel)?;
            let segments: Vec<RawSegment> = output
                .segments
                .iter()
                .map(|raw| with_speech_start(to_recording_time(raw, start_ms, end_ms), self.activity))
                .filter(|raw| is_spoken(raw, self.activity))
                .collect();
            tracing::info!(start_ms, end_ms, segments = segments.len(), "decoded speech that whisper skipped");
            found.extend(segments);
        }
        Ok(found)
    }

    /// Builds a request for this recording's options in `language`, or with detection when
    /// `None`.
    pub(super) fn request(&self, language: Option<String>) -> WorkerRequest {
        let language = language.unwrap_or_else(|| self.language.as_whisper_str().to_owned());
        WorkerRequest::new(language, self.options.translate, self.options.threads)
    }
}

/// Moves `raw`, timed from the start of a piece at `offset_ms`, to recording time, keeping
/// it inside the piece.
pub(super) fn to_recording_time(raw: &RawSegment, offset_ms: u64, piece_end_ms: u64) -> RawSegment {
    RawSegment {
        start_ms: (offset_ms + raw.start_ms).min(piece_end_ms),
        end_ms: (offset_ms + raw.end_ms).min(piece_end_ms),
        text: raw.text.clone(),
    }
}

fn emit(raw: &RawSegment, on_event: &mut dyn FnMut(TranscribeEvent), finished: &mut Vec<Segment>) {
    let segment = Segment { start_ms: raw.start_ms, end_ms: raw.end_ms, text: raw.text.trim().to_string() };
    on_event(TranscribeEvent::Segment(segment.clone()));
    finished.push(segment);
}

/// Returns the end of the text so far, cut at a word boundary, as the next piece's prompt.
fn prompt_from(segments: &[Segment]) -> Option<String> {
    let text = segments.iter().map(|segment| segment.text.as_str()).collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    let mut start = text.len().saturating_sub(PROMPT_CHARS);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let tail = &text[start..];
    let tail = if start > 0 { tail.split_once(' ').map_or(tail, |(_, rest)| rest) } else { tail };
    Some(tail.to_owned())
}

/// Progress over the whole recording, which only moves forward and stays within it.
struct ProgressClamp {
    reported_ms: Option<u64>,
    duration_ms: u64,
}

impl ProgressClamp {
    fn report(&mut self, processed_ms: u64, on_event: &mut dyn FnMut(TranscribeEvent)) {
        let processed_ms = processed_ms.min(self.duration_ms);
        if self.reported_ms.is_none_or(|reported| processed_ms > reported) {
            self.reported_ms = Some(processed_ms);
            on_event(TranscribeEvent::Progress { processed_ms, duration_ms: self.duration_ms });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(text: &str) -> Segment {
        Segment { start_ms: 0, end_ms: 1000, text: text.into() }
    }

    #[test]
    fn prompt_keeps_end_of_text_at_word_boundary() {
        let long_word_list = "word ".repeat(400);
        let segments = [segment("first sentence."), segment(long_word_list.trim())];

        let prompt = prompt_from(&segments).unwrap();

        assert!(prompt.len() <= PROMPT_CHARS, "{}", prompt.len());
        assert!(prompt.starts_with("word "), "{prompt}");
        assert!(prompt.ends_with("word"), "{prompt}");
        assert_eq!(prompt_from(&[]), None);
    }

    #[test]
    fn segment_moved_into_recording_time_and_clamped() {
        let raw = RawSegment { start_ms: 1_000, end_ms: 9_000, text: " hi".into() };

        let moved = to_recording_time(&raw, 60_000, 65_000);

        assert_eq!((moved.start_ms, moved.end_ms), (61_000, 65_000));
    }
}
