//! Readable names for audio codec ids, including codecs that symphonia cannot decode.

use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::{AudioCodecId, CODEC_ID_NULL_AUDIO};

/// Returns the name of `codec` for messages: the registered decoder's short name when
/// symphonia has one, else a common name, else the id in hex.
pub(in crate::audio) fn codec_name(codec: AudioCodecId) -> String {
    if let Some(name) = super::registered_name(codec) {
        return name.to_owned();
    }

    let name = match codec {
        CODEC_ID_NULL_AUDIO => "unknown",
        CODEC_ID_OPUS => "opus",
        CODEC_ID_SPEEX => "speex",
        CODEC_ID_MUSEPACK => "musepack",
        CODEC_ID_AC3 => "ac3",
        CODEC_ID_EAC3 => "eac3",
        CODEC_ID_AC4 => "ac4",
        CODEC_ID_DCA => "dts",
        CODEC_ID_ATRAC1 | CODEC_ID_ATRAC3 | CODEC_ID_ATRAC3PLUS | CODEC_ID_ATRAC9 => "atrac",
        CODEC_ID_WMA => "wma",
        CODEC_ID_RA10 | CODEC_ID_RA20 | CODEC_ID_SIPR | CODEC_ID_COOK => "realaudio",
        CODEC_ID_SBC => "sbc",
        CODEC_ID_APTX | CODEC_ID_APTX_HD => "aptx",
        CODEC_ID_LDAC => "ldac",
        CODEC_ID_WAVPACK => "wavpack",
        CODEC_ID_MONKEYS_AUDIO => "ape",
        CODEC_ID_TTA => "tta",
        CODEC_ID_TRUEHD => "truehd",
        CODEC_ID_ADPCM_G722 | CODEC_ID_ADPCM_G726 | CODEC_ID_ADPCM_G726LE => "adpcm_g72x",
        _ => return format!("{codec} (unknown id)"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_name_covers_supported_and_unsupported() {
        assert_eq!(codec_name(CODEC_ID_MP3), "mp3");
        assert_eq!(codec_name(CODEC_ID_OPUS), "opus");
        assert_eq!(codec_name(CODEC_ID_WMA), "wma");
        assert_eq!(codec_name(CODEC_ID_NULL_AUDIO), "unknown");
    }
}
