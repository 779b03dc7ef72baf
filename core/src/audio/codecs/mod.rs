//! The audio decoders: symphonia's own, plus Opus through libopus, and HE-AAC through its
//! AAC-LC core.

mod codec_name;
mod he_aac;
mod opus;

use std::path::Path;
use std::sync::OnceLock;

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;

use super::guard::catch_panic;
use super::DecodeError;

pub(super) use codec_name::codec_name;

/// Returns symphonia's default decoders with the Opus decoder added. Built once, then only
/// read.
fn registry() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<opus::OpusDecoder>();
        registry
    })
}

/// Returns whether a decoder is registered for `params`' codec.
pub(super) fn is_supported(params: &AudioCodecParameters) -> bool {
    registry().get_audio_decoder(params.codec).is_some()
}

/// Creates the decoder for a track of `path` described by `params`.
pub(super) fn make_decoder(path: &Path, params: &AudioCodecParameters) -> Result<Box<dyn AudioDecoder>, DecodeError> {
    if !is_supported(params) {
        return Err(DecodeError::UnsupportedCodec {
            path: path.into(),
            codec: codec_name(params.codec),
        });
    }

    // Gapless mode trims encoder delay and padding where the codec and container support it,
    // so decoded durations match the original recording.
    let options = AudioDecoderOptions::default().gapless(true);
    let make = |params: &AudioCodecParameters| catch_panic(|| registry().make_audio_decoder(params, &options));

    match make(params) {
        Ok(Ok(decoder)) => Ok(decoder),
        Ok(Err(error)) => match he_aac::core_parameters(params) {
            Some(core_params) => {
                tracing::info!(path = %path.display(), "decoding the AAC-LC core of an HE-AAC track, without its high band");
                match make(&core_params) {
                    Ok(Ok(decoder)) => Ok(decoder),
                    _ => Err(DecodeError::UnsupportedCodec { path: path.into(), codec: "HE-AAC".to_owned() }),
                }
            }
            None => Err(DecodeError::Malformed { path: path.into(), detail: error.to_string() }),
        },
        Err(detail) => Err(DecodeError::DecoderPanic { path: path.into(), detail }),
    }
}

/// Returns the short name of the decoder registered for `codec`, if there is one.
fn registered_name(codec: symphonia::core::codecs::audio::AudioCodecId) -> Option<&'static str> {
    registry().get_audio_decoder(codec).map(|registered| registered.codec.info.short_name)
}
