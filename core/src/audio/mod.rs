//! Turns an audio or video file into the 16 kHz mono `f32` samples that whisper expects.
//!
//! Decoding runs as a stream: each packet is decoded with symphonia, averaged to mono and
//! resampled to 16 kHz before the next one is read. [`DecodeStream`] hands the output out
//! block by block, so a file of any length can be read in constant memory;
//! [`decode_for_whisper`] collects it into one buffer of about 3.8 MB per minute of audio.
//!
//! Supported containers are WAV, AIFF, CAF, MP3, FLAC, Ogg, MP4/M4A/MOV and Matroska/WebM.
//! Supported codecs are PCM (integer, float, A-law, μ-law), ADPCM, MP1/MP2/MP3, FLAC, ALAC,
//! AAC-LC, Vorbis and Opus (through libopus). HE-AAC is decoded as its AAC-LC core, at the
//! right speed but without the band above a quarter of its output rate. Other codecs, and
//! recognised but unsupported formats such as WMA, produce [`DecodeError::UnsupportedCodec`]
//! naming the codec.

mod codecs;
mod decode;
mod downmix;
mod ebml;
mod error;
mod file_source;
mod guard;
mod header_repair;
mod matroska_resync;
mod mp3_frames;
mod mp3_gaps;
mod mp3_tail;
mod mp4_edits;
mod ogg_resync;
mod pipeline;
mod progress;
mod resample;
mod samples;
mod source;
mod timeline;
mod unsupported;

use serde::Serialize;

pub use decode::{decode_for_whisper, DecodeStream, DecodeSummary};
pub use downmix::downmix;
pub use error::{DecodeError, DecodeWarning};
pub use resample::{Resampler, ResamplerError, MAX_INPUT_RATE, MIN_INPUT_RATE};
pub use samples::{RedecodedSamples, SampleSource, SamplesInMemory};
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
    /// Duration of the track in milliseconds as the container states it, if it does. It can
    /// be wrong in a damaged file, so `decoded_ms` may exceed it.
    pub total_ms: Option<u64>,
    /// Bytes of the file read since the first packet. Unlike the stated duration, this is
    /// always known and reaches `file_bytes` at the end, though it moves in steps of the
    /// reader's buffer (32 kB) and unevenly where a reader jumps between index and samples.
    pub read_bytes: u64,
    /// Bytes of the file from the first packet to the end, so headers, tags and cover
    /// images do not count. Until the first packet is read, the whole file.
    pub file_bytes: u64,
}

impl DecodeProgress {
    /// Returns the share of the file read so far, from 0.0 to 1.0.
    pub fn fraction_read(&self) -> f32 {
        if self.file_bytes == 0 {
            return 0.0;
        }
        (self.read_bytes as f64 / self.file_bytes as f64).clamp(0.0, 1.0) as f32
    }
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
