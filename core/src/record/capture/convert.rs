//! Conversion of every sample format cpal delivers to `f32`.
//!
//! The arithmetic is dasp's (cpal re-exports its `Sample` and `FromSample`): a signed
//! integer is divided by 2^(bits-1), an unsigned one is first shifted so that its midpoint
//! becomes zero, and floats pass through (f64 rounded to f32). Integer full scale maps to
//! -1.0 and just under 1.0; floats louder than 1.0 stay louder, and the WAV writer clips them.

use cpal::{FromSample, Sample, SampleFormat};

/// Converts one sample to `f32` in -1.0..1.0 for integer formats.
#[inline]
pub fn to_f32<T>(sample: T) -> f32
where
    T: Sample,
    f32: FromSample<T>,
{
    sample.to_sample::<f32>()
}

/// Appends `input`, converted to `f32`, to `output`. For tests and offline use; the audio
/// callback converts sample by sample straight into its ring buffer instead.
pub fn extend_f32<T>(input: &[T], output: &mut Vec<f32>)
where
    T: Sample,
    f32: FromSample<T>,
{
    output.extend(input.iter().map(|&sample| to_f32(sample)));
}

/// True for the formats the recorder can open. DSD bitstreams are not PCM, and formats a
/// later cpal adds are unknown here.
pub fn is_supported(format: SampleFormat) -> bool {
    matches!(
        format,
        SampleFormat::I8
            | SampleFormat::I16
            | SampleFormat::I24
            | SampleFormat::I32
            | SampleFormat::I64
            | SampleFormat::U8
            | SampleFormat::U16
            | SampleFormat::U24
            | SampleFormat::U32
            | SampleFormat::U64
            | SampleFormat::F32
            | SampleFormat::F64
    )
}

#[cfg(test)]
mod tests {
    use cpal::{I24, U24};

    use super::*;

    /// Converts (minimum, origin, maximum) of one format and checks -1.0, 0.0 and almost 1.0.
    fn assert_full_scale<T>(name: &str, min: T, origin: T, max: T, bits: i32)
    where
        T: Sample,
        f32: FromSample<T>,
    {
        let step = 2f32.powi(1 - bits);
        let mut converted = Vec::new();

        extend_f32(&[min, origin, max], &mut converted);

        assert_eq!(converted[0], -1.0, "{name} minimum");
        assert_eq!(converted[1], 0.0, "{name} origin");
        assert!(
            (converted[2] - (1.0 - step)).abs() <= f32::EPSILON,
            "{name} maximum gave {}",
            converted[2]
        );
    }

    #[test]
    fn signed_formats_span_minus_one_to_one() {
        assert_full_scale("i8", i8::MIN, 0, i8::MAX, 8);
        assert_full_scale("i16", i16::MIN, 0, i16::MAX, 16);
        assert_full_scale(
            "i24",
            I24::new(-(1 << 23)).unwrap(),
            I24::new(0).unwrap(),
            I24::new((1 << 23) - 1).unwrap(),
            24,
        );
        assert_full_scale("i32", i32::MIN, 0, i32::MAX, 32);
        assert_full_scale("i64", i64::MIN, 0, i64::MAX, 64);
    }

    #[test]
    fn unsigned_formats_centre_on_midpoint() {
        assert_full_scale("u8", u8::MIN, 1 << 7, u8::MAX, 8);
        assert_full_scale("u16", u16::MIN, 1 << 15, u16::MAX, 16);
        assert_full_scale(
            "u24",
            U24::new(0).unwrap(),
            U24::new(1 << 23).unwrap(),
            U24::new((1 << 24) - 1).unwrap(),
            24,
        );
        assert_full_scale("u32", u32::MIN, 1 << 31, u32::MAX, 32);
        assert_full_scale("u64", u64::MIN, 1 << 63, u64::MAX, 64);
    }

    #[test]
    fn half_scale_values_give_one_half() {
        assert_eq!(to_f32(64i8), 0.5);
        assert_eq!(to_f32(-16_384i16), -0.5);
        assert_eq!(to_f32(I24::new(1 << 22).unwrap()), 0.5);
        assert_eq!(to_f32(1i32 << 30), 0.5);
        assert_eq!(to_f32(1i64 << 62), 0.5);
        assert_eq!(to_f32(192u8), 0.5);
        assert_eq!(to_f32(1u16 << 14), -0.5);
        assert_eq!(to_f32(U24::new(3 << 22).unwrap()), 0.5);
        assert_eq!(to_f32(3u32 << 30), 0.5);
        assert_eq!(to_f32(3u64 << 62), 0.5);
    }

    #[test]
    fn floats_pass_through_unclipped() {
        let mut converted = Vec::new();

        extend_f32(&[0.25f32, -1.0, 1.5], &mut converted);
        extend_f32(&[0.125f64, -2.0], &mut converted);

        assert_eq!(converted, vec![0.25, -1.0, 1.5, 0.125, -2.0]);
    }

    #[test]
    fn every_pcm_format_supported_and_dsd_not() {
        let pcm = [
            SampleFormat::I8,
            SampleFormat::I16,
            SampleFormat::I24,
            SampleFormat::I32,
            SampleFormat::I64,
            SampleFormat::U8,
            SampleFormat::U16,
            SampleFormat::U24,
            SampleFormat::U32,
            SampleFormat::U64,
            SampleFormat::F32,
            SampleFormat::F64,
        ];
        for format in pcm {
            assert!(is_supported(format), "{format}");
        }
        for format in [SampleFormat::DsdU8, SampleFormat::DsdU16, SampleFormat::DsdU32] {
            assert!(!is_supported(format), "{format}");
        }
    }
}
