//! Minimal reading and writing of PCM WAV (RIFF) files.
//!
//! Writing produces the canonical 44-byte header: a 16-byte `fmt ` chunk with format tag 1
//! followed by the `data` chunk, the same layout that Python's `wave` module writes, so the
//! joined and wrapped clips hash to their pinned values.

use thiserror::Error;

const FORMAT_PCM: u16 = 1;

/// A WAV file that cannot be read as plain PCM.
#[derive(Debug, Error)]
pub enum WavError {
    #[error("no RIFF/WAVE header")]
    NotRiffWave,

    #[error("chunk {id:?} at byte {offset} runs past the end of the file")]
    Truncated { id: String, offset: usize },

    #[error("missing {0} chunk")]
    MissingChunk(&'static str),

    #[error("fmt chunk is {0} bytes, expected at least 16")]
    ShortFormat(usize),

    #[error("format tag {0}, expected 1 (integer PCM)")]
    NotPcm(u16),

    #[error("invalid format: {channels} channel(s), {bits_per_sample} bits per sample")]
    InvalidFormat { channels: u16, bits_per_sample: u16 },

    #[error("cannot join files of format {first:?} and {other:?}")]
    FormatMismatch { first: PcmFormat, other: PcmFormat },

    #[error("{0} bytes of 16-bit PCM is not a whole number of samples")]
    OddLength(usize),
}

/// Layout of integer PCM samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcmFormat {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
}

impl PcmFormat {
    /// Bytes per frame, one sample for each channel.
    fn block_align(self) -> usize {
        usize::from(self.channels) * usize::from(self.bits_per_sample / 8)
    }
}

/// A parsed WAV file, borrowing its sample bytes.
#[derive(Debug)]
pub struct Wav<'a> {
    pub format: PcmFormat,
    /// Whole frames of the `data` chunk; a trailing partial frame is dropped.
    pub frames: &'a [u8],
}

impl Wav<'_> {
    pub fn frame_count(&self) -> usize {
        self.frames.len() / self.format.block_align()
    }

    pub fn duration_s(&self) -> f64 {
        self.frame_count() as f64 / f64::from(self.format.sample_rate)
    }
}

/// Parses a RIFF/WAVE file with an integer PCM `fmt ` chunk.
pub fn parse(bytes: &[u8]) -> Result<Wav<'_>, WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotRiffWave);
    }

    let mut format = None;
    let mut data = None;
    let mut offset = 12;
    while offset + 8 <= bytes.len() {
        let id = &bytes[offset..offset + 4];
        let size = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) as usize;
        let body_start = offset + 8;
        let body_end = body_start
            .checked_add(size)
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| WavError::Truncated {
                id: String::from_utf8_lossy(id).into_owned(),
                offset,
            })?;
        let body = &bytes[body_start..body_end];

        match id {
            b"fmt " => format = Some(parse_format(body)?),
            b"data" => data = Some(body),
            _ => {}
        }

        // RIFF pads every chunk body to an even length.
        offset = body_end + (size % 2);
    }

    let format = format.ok_or(WavError::MissingChunk("fmt "))?;
    let data = data.ok_or(WavError::MissingChunk("data"))?;
    let whole = data.len() - data.len() % format.block_align();
    Ok(Wav {
        format,
        frames: &data[..whole],
    })
}

fn parse_format(body: &[u8]) -> Result<PcmFormat, WavError> {
    if body.len() < 16 {
        return Err(WavError::ShortFormat(body.len()));
    }

    let read_u16 = |at: usize| u16::from_le_bytes([body[at], body[at + 1]]);
    let tag = read_u16(0);
    if tag != FORMAT_PCM {
        return Err(WavError::NotPcm(tag));
    }

    let format = PcmFormat {
        channels: read_u16(2),
        sample_rate: u32::from_le_bytes(body[4..8].try_into().unwrap()),
        bits_per_sample: read_u16(14),
    };
    if format.channels == 0 || format.bits_per_sample == 0 || format.bits_per_sample % 8 != 0 {
        return Err(WavError::InvalidFormat {
            channels: format.channels,
            bits_per_sample: format.bits_per_sample,
        });
    }
    Ok(format)
}

/// Writes `frames` (interleaved little-endian samples) as a WAV file with a 44-byte header.
pub fn write(format: PcmFormat, frames: &[u8]) -> Vec<u8> {
    let data_len = frames.len() as u32;
    let block_align = format.block_align() as u16;
    let byte_rate = format.sample_rate * u32::from(block_align);

    let mut out = Vec::with_capacity(44 + frames.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVE");

    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
    out.extend_from_slice(&format.channels.to_le_bytes());
    out.extend_from_slice(&format.sample_rate.to_le_bytes());
    out.extend_from_slice(&byte_rate.to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&format.bits_per_sample.to_le_bytes());

    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(frames);
    out
}

/// Wraps headerless mono 16-bit little-endian PCM in a WAV header.
pub fn wrap_mono_s16(sample_rate: u32, pcm: &[u8]) -> Result<Vec<u8>, WavError> {
    if pcm.len() % 2 != 0 {
        return Err(WavError::OddLength(pcm.len()));
    }

    let format = PcmFormat {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
    };
    Ok(write(format, pcm))
}

/// Joins the samples of WAV files that share one format into a single WAV file.
pub fn join(files: &[&[u8]]) -> Result<Vec<u8>, WavError> {
    let mut format = None;
    let mut frames = Vec::new();
    for bytes in files {
        let wav = parse(bytes)?;
        match format {
            None => format = Some(wav.format),
            Some(first) if first != wav.format => {
                return Err(WavError::FormatMismatch {
                    first,
                    other: wav.format,
                })
            }
            Some(_) => {}
        }
        frames.extend_from_slice(wav.frames);
    }

    let format = format.ok_or(WavError::MissingChunk("data"))?;
    Ok(write(format, &frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONO_8K: PcmFormat = PcmFormat {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 16,
    };

    #[test]
    fn write_then_parse_round_trips() {
        let frames = [1u8, 0, 2, 0, 3, 0];

        let bytes = write(MONO_8K, &frames);
        let wav = parse(&bytes).unwrap();

        assert_eq!(bytes.len(), 44 + frames.len());
        assert_eq!(wav.format, MONO_8K);
        assert_eq!(wav.frames, &frames);
        assert_eq!(wav.frame_count(), 3);
    }

    #[test]
    fn parse_skips_unknown_and_odd_chunks() {
        let mut bytes = write(MONO_8K, &[5, 0]);
        // Insert a 3-byte LIST chunk plus its pad byte before the fmt chunk.
        let extra = [b'L', b'I', b'S', b'T', 3, 0, 0, 0, 9, 9, 9, 0];
        bytes.splice(12..12, extra);

        let wav = parse(&bytes).unwrap();

        assert_eq!(wav.frames, &[5, 0]);
    }

    #[test]
    fn parse_rejects_non_pcm() {
        let mut bytes = write(MONO_8K, &[0, 0]);
        bytes[20] = 3;

        let error = parse(&bytes).unwrap_err();

        assert!(matches!(error, WavError::NotPcm(3)), "{error}");
    }

    #[test]
    fn parse_rejects_truncated_chunk() {
        let mut bytes = write(MONO_8K, &[0, 0, 0, 0]);
        bytes.truncate(46);

        let error = parse(&bytes).unwrap_err();

        assert!(matches!(error, WavError::Truncated { .. }), "{error}");
    }

    #[test]
    fn join_concatenates_frames() {
        let first = write(MONO_8K, &[1, 0]);
        let second = write(MONO_8K, &[2, 0, 3, 0]);

        let joined = join(&[&first, &second]).unwrap();

        assert_eq!(parse(&joined).unwrap().frames, &[1, 0, 2, 0, 3, 0]);
    }

    #[test]
    fn join_rejects_mixed_formats() {
        let first = write(MONO_8K, &[1, 0]);
        let stereo = PcmFormat {
            channels: 2,
            ..MONO_8K
        };
        let second = write(stereo, &[1, 0, 2, 0]);

        let error = join(&[&first, &second]).unwrap_err();

        assert!(matches!(error, WavError::FormatMismatch { .. }), "{error}");
    }

    #[test]
    fn wrap_rejects_odd_length() {
        assert!(matches!(
            wrap_mono_s16(16_000, &[0, 0, 0]),
            Err(WavError::OddLength(3))
        ));
    }

    #[test]
    fn wrap_writes_16k_mono_header() {
        let bytes = wrap_mono_s16(16_000, &[0; 32_000]).unwrap();
        let wav = parse(&bytes).unwrap();

        assert_eq!(wav.format.sample_rate, 16_000);
        assert_eq!(wav.format.channels, 1);
        assert_eq!(wav.duration_s(), 1.0);
    }
}
