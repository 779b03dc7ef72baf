//! Opus decoding with libopus, for the Opus tracks that symphonia's Ogg, Matroska/WebM and
//! MP4 readers find but symphonia 0.6 cannot decode.
//!
//! Every reader hands over the Opus identification header ("OpusHead", RFC 7845 section
//! 5.1) as the track's extra data. Only single-stream Opus (mono or stereo) is supported,
//! which covers voice notes, browser recordings and most videos.

use std::sync::Mutex;

use symphonia::core::audio::{AsGenericAudioBufferRef, AudioBuffer, AudioMut, AudioSpec, Channels, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions, FinalizeResult};
use symphonia::core::codecs::registry::{RegisterableAudioDecoder, SupportedAudioCodec};
use symphonia::core::codecs::CodecInfo;
use symphonia::core::errors::{decode_error, unsupported_error, Result};
use symphonia::core::packet::PacketRef;

/// Opus always decodes at 48 kHz here; pre-skip and trim counts are in 48 kHz frames too.
const OPUS_RATE: u32 = 48_000;

/// Frames per channel of the longest Opus packet: 120 ms at 48 kHz (RFC 6716 section 3.2.5).
const MAX_PACKET_FRAMES: usize = 5_760;

/// The fields of an Opus identification header that decoding needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpusHead {
    channels: u8,
    /// Frames at 48 kHz to drop from the start of the decoded stream (encoder delay).
    pre_skip: u16,
    /// Gain to apply to the output, in dB in Q7.8 fixed point.
    output_gain: i16,
    mapping_family: u8,
    /// Number of Opus streams in each packet; 1 unless `mapping_family` is not 0.
    stream_count: u8,
}

impl OpusHead {
    /// Parses the header, which starts with the magic `OpusHead` (RFC 7845 section 5.1).
    ///
    /// Symphonia 0.6.1's MP4 reader puts the body of the `dOps` box after the magic as it
    /// is. That body has the same layout but version 0 and big-endian fields (ffmpeg 5.1
    /// writes a pre-skip of 312 as `01 38`). Ogg and Matroska carry the little-endian
    /// header with version 1.
    fn parse(data: &[u8]) -> Option<Self> {
        if data.len() < 19 || &data[..8] != b"OpusHead" {
            return None;
        }
        let from_dops = data[8] == 0;
        let read_u16 = |at: usize| {
            let bytes = [data[at], data[at + 1]];
            if from_dops { u16::from_be_bytes(bytes) } else { u16::from_le_bytes(bytes) }
        };
        let mapping_family = data[18];
        let stream_count = if mapping_family == 0 { 1 } else { *data.get(19)? };

        Some(OpusHead {
            channels: data[9],
            pre_skip: read_u16(10),
            output_gain: read_u16(16) as i16,
            mapping_family,
            stream_count,
        })
    }
}

/// A symphonia decoder backed by libopus.
pub struct OpusDecoder {
    params: AudioCodecParameters,
    /// libopus's decoder state is not `Sync`, which symphonia's decoder trait requires.
    decoder: Mutex<opus::Decoder>,
    channels: usize,
    /// Decoded frames, interleaved, before they are copied into `buf`.
    interleaved: Vec<f32>,
    buf: AudioBuffer<f32>,
    /// Frames still to drop from the start when the reader does not trim the encoder delay
    /// itself, as symphonia's Matroska reader does not.
    pre_skip_left: usize,
    /// Whether a packet has been decoded since the start or the last reset.
    started: bool,
}

impl OpusDecoder {
    pub fn try_new(params: &AudioCodecParameters, _options: &AudioDecoderOptions) -> Result<Self> {
        if params.codec != CODEC_ID_OPUS {
            return unsupported_error("opus: invalid codec");
        }

        let head = params.extra_data.as_deref().and_then(OpusHead::parse);
        let (channel_count, pre_skip, gain) = match head {
            Some(head) if head.stream_count != 1 || head.channels > 2 => {
                return unsupported_error("opus: multistream Opus (more than two channels) is not supported");
            }
            Some(head) => (head.channels, head.pre_skip, head.output_gain),
            None => {
                let channels = params.channels.as_ref().map_or(0, Channels::count);
                (u8::try_from(channels).unwrap_or(0), 0, 0)
            }
        };
        let channels = match channel_count {
            1 => opus::Channels::Mono,
            2 => opus::Channels::Stereo,
            _ => return unsupported_error("opus: the channel count must be 1 or 2"),
        };

        let mut decoder = match opus::Decoder::new(OPUS_RATE, channels) {
            Ok(decoder) => decoder,
            Err(_) => return unsupported_error("opus: libopus could not create a decoder"),
        };
        if gain != 0 && decoder.set_gain(i32::from(gain)).is_err() {
            return decode_error("opus: invalid output gain in the header");
        }

        let layout = match channels {
            opus::Channels::Mono => Channels::Positioned(symphonia::core::audio::Position::FRONT_CENTER),
            opus::Channels::Stereo => Channels::Positioned(
                symphonia::core::audio::Position::FRONT_LEFT | symphonia::core::audio::Position::FRONT_RIGHT,
            ),
        };
        let mut params = params.clone();
        params.with_sample_rate(OPUS_RATE).with_channels(layout.clone());

        Ok(OpusDecoder {
            params,
            decoder: Mutex::new(decoder),
            channels: usize::from(channel_count),
            interleaved: vec![0.0; MAX_PACKET_FRAMES * usize::from(channel_count)],
            buf: AudioBuffer::new(AudioSpec::new(OPUS_RATE, layout), MAX_PACKET_FRAMES),
            pre_skip_left: usize::from(pre_skip),
            started: false,
        })
    }

    fn decode_inner(&mut self, packet: &PacketRef<'_>) -> Result<()> {
        self.buf.clear();
        if packet.data.is_empty() {
            // An empty packet marks a lost one (RFC 7845 section 4); the caller fills its
            // duration with silence.
            return decode_error("opus: empty packet");
        }

        let decoder = self.decoder.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        let frames = match decoder.decode_float(packet.data, &mut self.interleaved, false) {
            Ok(frames) => frames.min(MAX_PACKET_FRAMES),
            Err(_) => return decode_error("opus: invalid packet"),
        };

        self.buf.render_uninit(Some(frames));
        for channel in 0..self.channels {
            let Some(plane) = self.buf.plane_mut(channel) else {
                return decode_error("opus: missing audio plane");
            };
            for (frame, sample) in plane.iter_mut().enumerate() {
                *sample = self.interleaved[frame * self.channels + channel];
            }
        }

        // A reader that trims the encoder delay marks the first packet with `trim_start`.
        if !self.started && !packet.trim_start.is_zero() {
            self.pre_skip_left = 0;
        }
        self.started = true;

        let own_trim = self.pre_skip_left.min(frames);
        self.pre_skip_left -= own_trim;
        let trim_start = own_trim + packet.trim_start.get() as usize;
        self.buf.trim(trim_start, packet.trim_end.get() as usize);
        Ok(())
    }
}

impl AudioDecoder for OpusDecoder {
    fn reset(&mut self) {
        let decoder = self.decoder.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = decoder.reset_state();
    }

    fn codec_info(&self) -> &CodecInfo {
        &Self::supported_codecs()[0].info
    }

    fn codec_params(&self) -> &AudioCodecParameters {
        &self.params
    }

    fn decode_ref(&mut self, packet: &PacketRef<'_>) -> Result<GenericAudioBufferRef<'_>> {
        match self.decode_inner(packet) {
            Ok(()) => Ok(self.buf.as_generic_audio_buffer_ref()),
            Err(error) => {
                self.buf.clear();
                Err(error)
            }
        }
    }

    fn finalize(&mut self) -> FinalizeResult {
        FinalizeResult::default()
    }

    fn last_decoded(&self) -> GenericAudioBufferRef<'_> {
        self.buf.as_generic_audio_buffer_ref()
    }
}

impl RegisterableAudioDecoder for OpusDecoder {
    fn try_registry_new(params: &AudioCodecParameters, options: &AudioDecoderOptions) -> Result<Box<dyn AudioDecoder>>
    where
        Self: Sized,
    {
        Ok(Box::new(OpusDecoder::try_new(params, options)?))
    }

    fn supported_codecs() -> &'static [SupportedAudioCodec] {
        const CODECS: [SupportedAudioCodec; 1] = [SupportedAudioCodec {
            id: CODEC_ID_OPUS,
            info: CodecInfo {
                short_name: "opus",
                long_name: "Opus (libopus)",
                profiles: &[],
            },
        }];
        &CODECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(channels: u8, family: u8, streams: u8) -> Vec<u8> {
        let mut bytes = b"OpusHead".to_vec();
        bytes.push(1); // version
        bytes.push(channels);
        bytes.extend_from_slice(&312u16.to_le_bytes());
        bytes.extend_from_slice(&48_000u32.to_le_bytes());
        bytes.extend_from_slice(&(-256i16).to_le_bytes());
        bytes.push(family);
        if family != 0 {
            bytes.extend_from_slice(&[streams, 1]);
            bytes.extend((0..channels).map(|channel| channel));
        }
        bytes
    }

    #[test]
    fn opus_head_fields_parsed() {
        let parsed = OpusHead::parse(&head(2, 0, 1)).unwrap();

        assert_eq!(
            parsed,
            OpusHead { channels: 2, pre_skip: 312, output_gain: -256, mapping_family: 0, stream_count: 1 }
        );
        assert_eq!(OpusHead::parse(&head(6, 1, 4)).unwrap().stream_count, 4);
        assert_eq!(OpusHead::parse(b"OpusTags and more bytes"), None);
    }

    #[test]
    fn dops_body_read_big_endian() {
        let mut dops = b"OpusHead".to_vec();
        dops.extend_from_slice(&[0, 2]); // version 0, two channels
        dops.extend_from_slice(&312u16.to_be_bytes());
        dops.extend_from_slice(&48_000u32.to_be_bytes());
        dops.extend_from_slice(&(-256i16).to_be_bytes());
        dops.push(0);

        let parsed = OpusHead::parse(&dops).unwrap();

        assert_eq!(parsed.pre_skip, 312);
        assert_eq!(parsed.output_gain, -256);
    }

    #[test]
    fn multistream_opus_rejected_by_name() {
        let mut params = AudioCodecParameters::new();
        params.for_codec(CODEC_ID_OPUS).with_extra_data(head(6, 1, 4).into_boxed_slice());

        let error = OpusDecoder::try_new(&params, &AudioDecoderOptions::default()).err().unwrap();

        assert!(error.to_string().contains("multistream"), "{error}");
    }
}
