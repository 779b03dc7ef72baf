//! HE-AAC (AAC with spectral band replication, SBR) decoded as its AAC-LC core.
//!
//! HE-AAC carries a low band coded as plain AAC-LC at half the output rate, plus SBR data
//! that rebuilds the high band. Symphonia 0.6.1 decodes AAC-LC only, and rejects a track
//! whose configuration announces SBR. Decoding the core alone at its own rate keeps the
//! speech at the right speed and pitch, and loses only the band above about a quarter of
//! the output rate (6 kHz for 48 kHz audio), which speech recognition can do without.

use symphonia::core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia::core::codecs::audio::AudioCodecParameters;

/// MPEG-4 audio object types (ISO/IEC 14496-3, table 1.17).
const OBJECT_TYPE_LC: u32 = 2;
const OBJECT_TYPE_SBR: u32 = 5;
const OBJECT_TYPE_PS: u32 = 29;

/// Sampling frequency index that says an explicit 24-bit frequency follows.
const EXPLICIT_FREQUENCY: u32 = 0xF;

/// The part of an AudioSpecificConfig that describes the AAC-LC core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CoreConfig {
    frequency_index: u32,
    /// The frequency in Hz when `frequency_index` is [`EXPLICIT_FREQUENCY`].
    explicit_frequency: u32,
    channel_config: u32,
}

/// Returns codec parameters that describe only the AAC-LC core of an HE-AAC or HE-AAC v2
/// track with explicit signalling, or `None` when `params` is not such a track.
pub(super) fn core_parameters(params: &AudioCodecParameters) -> Option<AudioCodecParameters> {
    if params.codec != CODEC_ID_AAC {
        return None;
    }
    let core = parse_sbr_config(params.extra_data.as_deref()?)?;

    let mut core_params = params.clone();
    core_params.extra_data = Some(lc_config(core).into_boxed_slice());
    core_params.sample_rate = None;
    Some(core_params)
}

/// Reads an AudioSpecificConfig (ISO/IEC 14496-3, 1.6.2.1) and returns its core when it
/// announces SBR: as object type 5 or 29 before an AAC-LC core, or as AAC-LC followed by
/// the 0x2B7 sync extension with SBR present.
fn parse_sbr_config(config: &[u8]) -> Option<CoreConfig> {
    let mut bits = BitReader::new(config);
    let object_type = read_object_type(&mut bits)?;
    let (frequency_index, explicit_frequency) = read_frequency(&mut bits)?;
    let channel_config = bits.read(4)?;
    let core = CoreConfig { frequency_index, explicit_frequency, channel_config };

    if object_type == OBJECT_TYPE_SBR || object_type == OBJECT_TYPE_PS {
        read_frequency(&mut bits)?; // the output rate, twice the core's
        return (read_object_type(&mut bits)? == OBJECT_TYPE_LC).then_some(core);
    }
    if object_type != OBJECT_TYPE_LC {
        return None;
    }

    // GASpecificConfig of AAC-LC: frame length, depends on core coder, extension flag.
    let frame_length_flag = bits.read(1)?;
    if frame_length_flag != 0 || bits.read(1)? != 0 || bits.read(1)? != 0 {
        return None;
    }
    let sync = bits.read(11)?;
    let extension_type = read_object_type(&mut bits)?;
    let sbr_present = bits.read(1)?;
    (sync == 0x2B7 && extension_type == OBJECT_TYPE_SBR && sbr_present == 1).then_some(core)
}

fn read_object_type(bits: &mut BitReader<'_>) -> Option<u32> {
    match bits.read(5)? {
        31 => Some(32 + bits.read(6)?),
        object_type => Some(object_type),
    }
}

fn read_frequency(bits: &mut BitReader<'_>) -> Option<(u32, u32)> {
    match bits.read(4)? {
        EXPLICIT_FREQUENCY => Some((EXPLICIT_FREQUENCY, bits.read(24)?)),
        index => Some((index, 0)),
    }
}

/// Writes the AudioSpecificConfig of a plain AAC-LC stream with `core`'s rate and channels.
fn lc_config(core: CoreConfig) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.write(OBJECT_TYPE_LC, 5);
    bits.write(core.frequency_index, 4);
    if core.frequency_index == EXPLICIT_FREQUENCY {
        bits.write(core.explicit_frequency, 24);
    }
    bits.write(core.channel_config, 4);
    bits.write(0, 3); // GASpecificConfig: 1024-frame packets, no core coder, no extension
    bits.into_bytes()
}

/// Reads big-endian bit fields, most significant bit first.
struct BitReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, position: 0 }
    }

    /// Reads `count` bits (at most 32), or returns `None` past the end.
    fn read(&mut self, count: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..count {
            let byte = self.bytes.get(self.position / 8)?;
            let bit = (byte >> (7 - self.position % 8)) & 1;
            value = (value << 1) | u32::from(bit);
            self.position += 1;
        }
        Some(value)
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    fn write(&mut self, value: u32, count: usize) {
        for shift in (0..count).rev() {
            if self.bits % 8 == 0 {
                self.bytes.push(0);
            }
            let bit = ((value >> shift) & 1) as u8;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= bit << (7 - self.bits % 8);
            self.bits += 1;
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(fields: &[(u32, usize)]) -> Vec<u8> {
        let mut bits = BitWriter::default();
        for &(value, count) in fields {
            bits.write(value, count);
        }
        bits.into_bytes()
    }

    #[test]
    fn explicit_he_aac_gives_lc_core() {
        // HE-AAC, 24 kHz core (index 6), mono, 48 kHz output (index 3), AAC-LC core.
        let he_aac = config(&[(5, 5), (6, 4), (1, 4), (3, 4), (2, 5), (0, 3)]);

        let core = parse_sbr_config(&he_aac).unwrap();

        assert_eq!(core, CoreConfig { frequency_index: 6, explicit_frequency: 0, channel_config: 1 });
        assert_eq!(lc_config(core), config(&[(2, 5), (6, 4), (1, 4), (0, 3)]));
    }

    #[test]
    fn he_aac_v2_gives_lc_core() {
        let he_aac_v2 = config(&[(29, 5), (6, 4), (1, 4), (3, 4), (2, 5), (0, 3)]);

        assert_eq!(parse_sbr_config(&he_aac_v2).map(|core| core.frequency_index), Some(6));
    }

    #[test]
    fn sync_extension_gives_lc_core() {
        let backward_compatible = config(&[(2, 5), (6, 4), (2, 4), (0, 3), (0x2B7, 11), (5, 5), (1, 1), (3, 4)]);

        assert_eq!(parse_sbr_config(&backward_compatible).map(|core| core.channel_config), Some(2));
    }

    #[test]
    fn plain_lc_is_left_alone() {
        assert_eq!(parse_sbr_config(&config(&[(2, 5), (4, 4), (2, 4), (0, 3)])), None);
    }
}
