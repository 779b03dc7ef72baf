//! Runs `whisper_full` on a thread of its own.
//!
//! whisper.cpp checks for cancellation only between graph computations, and one encoder
//! pass of a large model can take seconds. Running it on its own thread lets the job return
//! as soon as it is cancelled, while the abandoned computation notices the same flag and
//! stops on its own shortly after.

use std::ffi::c_void;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext};

use super::callbacks::{self, CallbackState};
use crate::cancel::CancelToken;

/// A segment as whisper.cpp produced it, before any cleanup.
#[derive(Clone, Debug)]
pub(super) struct RawSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// Everything whisper produced for one recording.
pub(super) struct WhisperOutput {
    pub segments: Vec<RawSegment>,
    /// The language whisper used: the one requested, or the one it detected.
    pub language: Option<String>,
}

pub(super) enum WorkerMessage {
    Progress { processed_ms: u64 },
    Segment(RawSegment),
    Finished(Result<WhisperOutput, String>),
}

/// What the worker needs besides the audio.
pub(super) struct WorkerRequest {
    /// `auto` or a language code.
    pub language: String,
    pub translate: bool,
    pub threads: usize,
    /// Text to give whisper as the preceding context.
    pub prompt: Option<String>,
    /// Encoder frames to compute instead of a whole 30 s window (1500).
    pub audio_context: Option<usize>,
    /// Never retry at a higher temperature.
    pub no_fallback: bool,
    /// Decode the audio as one window, with at most [`max_tokens_for`] tokens.
    pub one_window: bool,
    /// Decode each 30 s window without the text of the windows before it, and without
    /// `prompt`. Used to decode a repetition loop again.
    pub no_context: bool,
    /// Temperature of the first decode; whisper's default is 0.0 (greedy). A higher one
    /// samples less likely tokens, which can break a repetition loop.
    pub temperature: f32,
}

impl WorkerRequest {
    /// Builds a request for `language` with whisper's defaults and no prompt.
    pub fn new(language: String, translate: bool, threads: usize) -> Self {
        WorkerRequest {
            language,
            translate,
            threads,
            prompt: None,
            audio_context: None,
            no_fallback: false,
            one_window: false,
            no_context: false,
            temperature: 0.0,
        }
    }
}

/// Greedy decoding keeps this many candidates when whisper falls back to sampling at a
/// higher temperature; whisper.cpp's command-line tool uses the same number.
const BEST_OF: i32 = 5;

/// Room for tokens beyond one per byte of prompt text, which whisper.cpp's tokenizer
/// requires as the buffer size (a byte never makes more than one token).
const PROMPT_TOKEN_SLACK: usize = 8;

/// Text tokens per second of audio that a one-window decode may produce: fast speech is
/// about 4 words a second, 5 to 6 tokens with punctuation.
const MAX_TOKENS_PER_SECOND: usize = 8;

/// Tokens a one-window decode may produce on top of [`MAX_TOKENS_PER_SECOND`].
const MIN_TOKENS: usize = 16;

/// The most text tokens a one-window decode of `samples` (16 kHz) may produce. A decode
/// caught in a repetition loop stops there instead of at whisper's limit of 220.
fn max_tokens_for(samples: usize) -> i32 {
    let tokens = samples * MAX_TOKENS_PER_SECOND / crate::audio::WHISPER_SAMPLE_RATE as usize + MIN_TOKENS;
    tokens.min(i32::MAX as usize) as i32
}

/// Longest segment text, in bytes: two subtitle lines of about 42 characters.
const MAX_SEGMENT_BYTES: i32 = 84;

/// Starts transcribing `samples` (16 kHz mono) on a new thread and returns the channel its
/// messages arrive on. The last message is always `Finished`, unless the thread panics.
pub(super) fn spawn(
    context: Arc<WhisperContext>,
    samples: Arc<Vec<f32>>,
    request: WorkerRequest,
    cancel: CancelToken,
) -> Result<Receiver<WorkerMessage>, String> {
    let (sender, receiver) = mpsc::channel();

    thread::Builder::new()
        .name("whisper".into())
        .spawn(move || {
            let result = run(&context, &samples, &request, &cancel, sender.clone());
            let _ = sender.send(WorkerMessage::Finished(result));
        })
        .map_err(|error| format!("failed to start the transcription thread: {error}"))?;

    Ok(receiver)
}

fn run(
    context: &WhisperContext,
    samples: &[f32],
    request: &WorkerRequest,
    cancel: &CancelToken,
    sender: mpsc::Sender<WorkerMessage>,
) -> Result<WhisperOutput, String> {
    let mut state = context.create_state().map_err(|error| error.to_string())?;
    let prompt_tokens = match &request.prompt {
        Some(text) if !request.no_context => {
            context.tokenize(text, text.len() + PROMPT_TOKEN_SLACK).map_err(|error| error.to_string())?
        }
        _ => Vec::new(),
    };

    let mut callback_state = CallbackState {
        sender,
        duration_ms: samples.len() as u64 * 1000 / crate::audio::WHISPER_SAMPLE_RATE as u64,
        reported_ms: 0,
        segments: Vec::new(),
    };

    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: BEST_OF });
    params.set_n_threads(request.threads.clamp(1, i32::MAX as usize) as i32);
    params.set_language(Some(&request.language));
    params.set_translate(request.translate);
    if !prompt_tokens.is_empty() {
        params.set_tokens(&prompt_tokens);
    }
    if request.no_fallback {
        params.set_temperature_inc(0.0);
    }
    if request.no_context {
        params.set_n_max_text_ctx(0);
    }
    if request.temperature > 0.0 {
        params.set_temperature(request.temperature);
    }
    if request.one_window {
        // One decode over the whole window. Without this, whisper.cpp moves past each
        // segment and decodes the rest again, which on short audio tends to repeat text.
        params.set_single_segment(true);
        params.set_max_tokens(max_tokens_for(samples.len()));
    }
    if let Some(frames) = request.audio_context {
        params.set_audio_ctx(frames.clamp(1, i32::MAX as usize) as i32);
    }
    params.set_print_special(false);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_timestamps(false);

    // Short segments make readable subtitles, and progress, which moves with each segment
    // end, then advances a few seconds of audio at a time. whisper.cpp splits at word
    // boundaries, using token timestamps, once a segment reaches this many bytes of text.
    params.set_token_timestamps(true);
    params.set_max_len(MAX_SEGMENT_BYTES);
    params.set_split_on_word(true);

    // SAFETY: both pointers stay valid until `full` returns, because `callback_state` and
    // `cancel` outlive this function's call to it, and whisper.cpp calls these callbacks
    // only from inside `full`. The state is reached only through these callbacks meanwhile.
    unsafe {
        let state_ptr = &mut callback_state as *mut CallbackState as *mut c_void;
        params.set_new_segment_callback(Some(callbacks::on_new_segments));
        params.set_new_segment_callback_user_data(state_ptr);
        params.set_progress_callback(Some(callbacks::on_progress));
        params.set_progress_callback_user_data(state_ptr);
        params.set_abort_callback(Some(callbacks::should_abort));
        params.set_abort_callback_user_data(cancel.flag() as *const _ as *mut c_void);
    }

    let status = state.full(params, samples);
    if cancel.is_cancelled() {
        return Err("cancelled".into());
    }
    status.map_err(|error| error.to_string())?;

    let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).map(str::to_string);
    Ok(WhisperOutput { segments: callback_state.segments, language })
}
