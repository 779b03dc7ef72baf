//! Turns an audio or video file into the 16 kHz mono `f32` samples that whisper expects.
//!
//! Decoding runs as a stream: each packet is decoded with symphonia, averaged to mono and
//! resampled to 16 kHz before the next one is read. The only full-length buffer is the
//! 16 kHz output, about 3.8 MB per minute of audio.
//!
//! Supported containers are WAV, AIFF, CAF, MP3, FLAC, Ogg, MP4/M4A/MOV and Matroska/WebM.
//! Supported codecs are PCM, ADPCM, MP1/MP2/MP3, FLAC, ALAC, AAC-LC and Vorbis. Other codecs,
//! Opus among them, produce [`DecodeError::UnsupportedCodec`].

mod codec_name;
mod decode;
mod downmix;
mod error;
mod guard;
mod pipeline;
mod progress;
mod resample;
mod source;

use serde::Serialize;

pub use decode::decode_for_whisper;
pub use downmix::downmix;
pub use error::{DecodeError, DecodeWarning};
pub use resample::{Resampler, ResamplerError, MAX_INPUT_RATE, MIN_INPUT_RATE};
pub use source::probe;

/// Sample rate in Hz of the audio that whisper.cpp takes as input.
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;

/// Facts about a media file and the audio track chosen from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AudioInfo {
    /// Symphonia's short name of the container format, such as `wave`, `mp3`, `isomp4` or
    /// `matroska`.
    pub container: String,
    /// Symphonia's short name of the codec of the chosen track, such as `pcm_s16le` or `aac`.
    pub codec: String,
    /// Sample rate in Hz. [`probe`] takes it from the container, which may omit it, and
    /// [`decode_for_whisper`] reports the rate of the first decoded packet.
    pub sample_rate: Option<u32>,
    /// Number of channels, with the same origin as `sample_rate`.
    pub channels: Option<usize>,
    /// Duration of the track in milliseconds as the container states it, if it does.
    pub duration_ms: Option<u64>,
}

/// Progress of [`decode_for_whisper`], sent about once per second of decoded audio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DecodeProgress {
    /// Milliseconds of audio decoded so far, counting silence that replaced skipped packets.
    pub decoded_ms: u64,
    /// Duration of the track in milliseconds as the container states it, if it does.
    pub total_ms: Option<u64>,
}

/// The result of [`decode_for_whisper`].
#[derive(Clone, Debug)]
pub struct DecodedAudio {
    /// Mono samples at [`WHISPER_SAMPLE_RATE`], nominally in -1.0..=1.0.
    pub samples: Vec<f32>,
    /// The file and track as decoded: `sample_rate` and `channels` come from the first
    /// decoded packet rather than from the container.
    pub source: AudioInfo,
    /// Problems that decoding worked around: sample rate changes in stream order, then
    /// skipped packets, then how the stream ended.
    pub warnings: Vec<DecodeWarning>,
}

impl DecodedAudio {
    /// Returns the duration of `samples` in milliseconds, rounded down.
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(WHISPER_SAMPLE_RATE)
    }
}
