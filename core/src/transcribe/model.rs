//! A loaded whisper model, shared by every job that uses it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use whisper_rs::{WhisperContext, WhisperContextParameters};

use super::cleanup::{is_spoken, with_speech_start};
use super::pass::{run_pass, PassEvent};
use super::recording::RecordingRun;
use super::worker::{RawSegment, WorkerRequest};
use super::{ChunkHints, Language, TranscribeError, TranscribeEvent, TranscribeOptions};
use crate::audio::{SampleSource, SamplesInMemory, WHISPER_SAMPLE_RATE};
use crate::cancel::CancelToken;
use crate::transcript::{Segment, Transcript};
use crate::vad::SpeechActivity;

/// whisper.cpp returns nothing for less than one second of audio, so shorter recordings
/// are padded with silence to this many samples (1.5 s at 16 kHz).
const MIN_SAMPLES: usize = WHISPER_SAMPLE_RATE as usize * 3 / 2;

/// Encoder frames per second of audio: whisper's 30 s window is 1500 frames.
const ENCODER_FRAMES_PER_SECOND: usize = 50;

/// Encoder frames of a whole 30 s window.
const FULL_AUDIO_CONTEXT: usize = 1500;

/// Encoder frames of silence after the audio (4 s). whisper was trained on 30 s windows
/// in which speech is followed by silence. With less than about 4 s of it, tiny.en often
/// repeats the last sentence instead of ending. Measured word error rate on seven short
/// clips: 65 % with 1 s, 10 % with 2 s, 3 % with 4 s, and 6 % with the full window.
const AUDIO_CONTEXT_MARGIN: usize = 200;

/// One loaded `WhisperContext`. Cloning is cheap and shares the same weights.
#[derive(Clone)]
pub struct Model {
    context: Arc<WhisperContext>,
    path: PathBuf,
    multilingual: bool,
}

impl Model {
    /// Loads the ggml model at `path` into memory.
    pub fn load(path: &Path) -> Result<Self, TranscribeError> {
        let load_error = |message: String| TranscribeError::LoadModel { path: path.to_path_buf(), message };

        // Route whisper.cpp's own log lines into `tracing` instead of stderr.
        whisper_rs::install_logging_hooks();

        let path_str = path.to_str().ok_or_else(|| load_error("the path is not valid UTF-8".into()))?;
        if !path.is_file() {
            return Err(load_error("no such file".into()));
        }
        let context = WhisperContext::new_with_params(path_str, WhisperContextParameters::default())
            .map_err(|error| load_error(format!("{error}; the file may be damaged or not a ggml model")))?;

        let multilingual = context.is_multilingual();
        tracing::info!(model = %path.display(), multilingual, "model loaded");
        Ok(Self { context: Arc::new(context), path: path.to_path_buf(), multilingual })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file name without `ggml-` and `.bin`, such as `base` or `tiny.en`.
    pub fn name(&self) -> String {
        let file_name = self.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let name = file_name.strip_prefix("ggml-").unwrap_or(&file_name);
        name.strip_suffix(".bin").unwrap_or(name).to_string()
    }

    /// True when the model knows languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }

    /// Transcribes `samples` (16 kHz mono), reporting progress and each segment through
    /// `on_event` as whisper produces them.
    ///
    /// A recording without speech returns an empty transcript without running whisper.
    /// Cancelling returns [`TranscribeError::Cancelled`] within about 50 ms, while the
    /// computation winds down on its own thread.
    pub fn transcribe(
        &self,
        samples: Vec<f32>,
        options: &TranscribeOptions,
        on_event: &mut dyn FnMut(TranscribeEvent),
        cancel: &CancelToken,
    ) -> Result<Transcript, TranscribeError> {
        let activity = SpeechActivity::analyze(&samples);
        self.transcribe_source(&mut SamplesInMemory::new(samples), &activity, options, on_event, cancel)
    }

    /// Transcribes the recording that `source` reads, whose voice `activity` describes.
    ///
    /// Only the stretches with speech are read and transcribed, in pieces of at most five
    /// minutes, so a source that decodes its file again keeps memory flat whatever the
    /// recording's length. Pauses of 10 s or more are skipped without running whisper.
    /// Repetition loops are decoded again. A segment is reported once it is final, which
    /// can be up to about 60 words after whisper produced it.
    pub fn transcribe_source(
        &self,
        source: &mut dyn SampleSource,
        activity: &SpeechActivity,
        options: &TranscribeOptions,
        on_event: &mut dyn FnMut(TranscribeEvent),
        cancel: &CancelToken,
    ) -> Result<Transcript, TranscribeError> {
        let run = RecordingRun {
            context: &self.context,
            options,
            language: self.whisper_language(options)?,
            activity,
            cancel,
        };
        run.transcribe(source, on_event)
    }

    /// Transcribes `samples` (16 kHz mono) as one piece of a longer stream, with the text
    /// before it as context, in a single whisper pass. A fresh whisper state is used, and
    /// nothing is kept from one call to the next. Every segment whisper produces over
    /// voiced audio is reported at once and returned.
    pub fn transcribe_chunk(
        &self,
        samples: Vec<f32>,
        options: &TranscribeOptions,
        hints: &ChunkHints,
        on_event: &mut dyn FnMut(TranscribeEvent),
        cancel: &CancelToken,
    ) -> Result<Transcript, TranscribeError> {
        let language = self.whisper_language(options)?;
        let duration_ms = samples_to_ms(samples.len());
        let requested_language = match &language {
            Language::Auto => None,
            Language::Code(code) => Some(code.clone()),
        };

        let activity = SpeechActivity::analyze(&samples);
        if !activity.has_speech() {
            on_event(TranscribeEvent::Progress { processed_ms: duration_ms, duration_ms });
            return Ok(Transcript { segments: Vec::new(), language: requested_language, duration_ms });
        }

        let samples = pad_to_min_samples(samples);
        let mut request = WorkerRequest::new(language.as_whisper_str().to_string(), options.translate, options.threads);
        request.prompt = Some(hints.previous_text.trim()).filter(|text| !text.is_empty()).map(str::to_string);
        request.audio_context = hints.fit_audio_context.then(|| audio_context_for(samples.len()));
        request.no_fallback = hints.no_fallback;
        request.one_window = hints.fit_audio_context;

        let keep = |raw: &RawSegment| is_spoken(raw, &activity);
        let to_segment = |raw: &RawSegment| {
            let raw = with_speech_start(raw.clone(), &activity);
            Segment {
                start_ms: raw.start_ms.min(duration_ms),
                end_ms: raw.end_ms.min(duration_ms),
                text: raw.text.trim().to_string(),
            }
        };

        let output = run_pass(
            &self.context,
            Arc::new(samples),
            request,
            &mut |event| match event {
                PassEvent::Progress(processed_ms) => {
                    let processed_ms = processed_ms.min(duration_ms);
                    on_event(TranscribeEvent::Progress { processed_ms, duration_ms });
                }
                PassEvent::Segment(raw) => {
                    if keep(raw) {
                        on_event(TranscribeEvent::Segment(to_segment(raw)));
                    }
                }
            },
            cancel,
        )?;

        on_event(TranscribeEvent::Progress { processed_ms: duration_ms, duration_ms });
        let segments = output.segments.iter().filter(|raw| keep(raw)).map(to_segment).collect();
        let language = requested_language.or(output.language);
        Ok(Transcript { segments, language, duration_ms })
    }

    /// The language to ask whisper for, checked against what this model can do.
    fn whisper_language(&self, options: &TranscribeOptions) -> Result<Language, TranscribeError> {
        if self.multilingual {
            return Ok(options.language.clone());
        }

        if options.translate {
            return Err(TranscribeError::CannotTranslate { model: self.name() });
        }
        match &options.language {
            Language::Code(code) if code != "en" => {
                Err(TranscribeError::EnglishOnlyModel { model: self.name(), language: code.clone() })
            }
            _ => Ok(Language::Code("en".into())),
        }
    }
}

/// Returns the encoder frames that `samples` (16 kHz) need, with the silence margin, at
/// most a full window. whisper.cpp pads the audio with silence, so the margin costs no samples.
fn audio_context_for(samples: usize) -> usize {
    let frames = (samples * ENCODER_FRAMES_PER_SECOND).div_ceil(WHISPER_SAMPLE_RATE as usize);
    (frames + AUDIO_CONTEXT_MARGIN).min(FULL_AUDIO_CONTEXT)
}

/// Pads `samples` with silence to the length whisper.cpp needs to return anything.
pub(super) fn pad_to_min_samples(mut samples: Vec<f32>) -> Vec<f32> {
    if samples.len() < MIN_SAMPLES {
        samples.resize(MIN_SAMPLES, 0.0);
    }
    samples
}

/// Returns the duration of `samples` at 16 kHz in milliseconds, rounded down.
pub(super) fn samples_to_ms(samples: usize) -> u64 {
    samples as u64 * 1000 / u64::from(WHISPER_SAMPLE_RATE)
}

/// Returns the number of 16 kHz samples in `ms` milliseconds.
pub(super) fn ms_to_samples(ms: u64) -> usize {
    (ms * u64::from(WHISPER_SAMPLE_RATE) / 1000) as usize
}
