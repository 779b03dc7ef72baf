//! IEEE 754 binary16 conversions on raw bits.
//!
//! Stable Rust has no `f16` type yet, and the converter needs only three operations: exact
//! widening of binary16 and bfloat16 to f32, and round-to-nearest-even narrowing from f32.

/// Widens binary16 bits to f32. Every binary16 value, NaN payloads included, is exact in f32.
pub(crate) fn f16_to_f32(half: u16) -> f32 {
    let negative = half & 0x8000 != 0;
    let exponent = u32::from((half >> 10) & 0x1f);
    let mantissa = u32::from(half & 0x03ff);

    let magnitude = match exponent {
        // Zero and subnormals: mantissa × 2^-24, which f32 represents exactly.
        0 => mantissa as f32 * (1.0 / 16_777_216.0),
        // Infinity and NaN keep their payload in the top mantissa bits.
        0x1f => f32::from_bits(0x7f80_0000 | (mantissa << 13)),
        // Normal numbers: rebias the exponent from 15 to 127.
        _ => f32::from_bits(((exponent + 112) << 23) | (mantissa << 13)),
    };

    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Widens bfloat16 bits to f32. bfloat16 is the upper half of an f32, so this is exact.
pub(crate) fn bf16_to_f32(half: u16) -> f32 {
    f32::from_bits(u32::from(half) << 16)
}

/// Narrows an f32 to binary16 bits, rounding to nearest with ties to even.
///
/// Returns `None` when a finite value is too large for binary16 (it would round to
/// infinity, so from 65520 up). Infinities stay infinities, and NaN becomes a quiet NaN.
pub(crate) fn f32_to_f16(value: f32) -> Option<u16> {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let biased_exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x007f_ffff;

    if biased_exponent == 0xff {
        let quiet_nan = if mantissa != 0 { 0x0200 } else { 0 };
        return Some(sign | 0x7c00 | quiet_nan);
    }

    let exponent = biased_exponent - 127;
    if exponent > 15 {
        return None;
    }

    if exponent >= -14 {
        // Normal binary16 range: keep the top 10 mantissa bits and round on the other 13.
        let mut half = (((exponent + 15) as u32) << 10) | (mantissa >> 13);
        let rest = mantissa & 0x1fff;
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) {
            // A carry out of the mantissa correctly bumps the exponent.
            half += 1;
        }
        if half >= 0x7c00 {
            return None;
        }
        return Some(sign | half as u16);
    }

    if exponent < -25 {
        // Below half the smallest subnormal (2^-24), so the value rounds to zero.
        return Some(sign);
    }

    // Subnormal binary16: count units of 2^-24. The value is significand × 2^(exponent-23)
    // with the implicit bit restored, so it is significand >> -(exponent + 1) units.
    let significand = mantissa | 0x0080_0000;
    let shift = (-(exponent + 1)) as u32;
    let mut half = significand >> shift;
    let rest = significand & ((1 << shift) - 1);
    let halfway = 1 << (shift - 1);
    if rest > halfway || (rest == halfway && half & 1 == 1) {
        // Rounding up from 0x3ff gives 0x400, the smallest normal number, as it should.
        half += 1;
    }
    Some(sign | half as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_widens_exactly() {
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(bf16_to_f32(0xc040), -3.0);
        assert_eq!(bf16_to_f32(0x0000), 0.0);
        assert!(bf16_to_f32(0x7fc0).is_nan());
    }

    /// Neighbours of a positive, finite f32 (`f32::next_up` needs Rust 1.86).
    fn next_up(value: f32) -> f32 {
        f32::from_bits(value.to_bits() + 1)
    }

    fn next_down(value: f32) -> f32 {
        f32::from_bits(value.to_bits() - 1)
    }

    fn is_nan_bits(half: u16) -> bool {
        half & 0x7c00 == 0x7c00 && half & 0x03ff != 0
    }

    #[test]
    fn widen_known_values() {
        assert_eq!(f16_to_f32(0x0000).to_bits(), 0.0f32.to_bits());
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn narrow_inverts_widen_for_all_values() {
        for half in 0..=u16::MAX {
            if is_nan_bits(half) {
                continue;
            }
            assert_eq!(f32_to_f16(f16_to_f32(half)), Some(half), "bits {half:#06x}");
        }
    }

    #[test]
    fn narrow_rounds_ties_to_even() {
        // Every positive finite pair of neighbours, including the subnormal range.
        for low in 0u16..0x7bff {
            let high = low + 1;
            let a = f64::from(f16_to_f32(low));
            let b = f64::from(f16_to_f32(high));
            // The midpoint needs 12 significant bits, so f32 represents it exactly.
            let mid = ((a + b) / 2.0) as f32;
            let even = if low % 2 == 0 { low } else { high };

            assert_eq!(f32_to_f16(mid), Some(even), "midpoint of {low:#06x}");
            assert_eq!(
                f32_to_f16(next_up(mid)),
                Some(high),
                "above midpoint of {low:#06x}"
            );
            assert_eq!(
                f32_to_f16(next_down(mid)),
                Some(low),
                "below midpoint of {low:#06x}"
            );
            assert_eq!(
                f32_to_f16(-mid),
                Some(even | 0x8000),
                "negative midpoint of {low:#06x}"
            );
        }
    }

    #[test]
    fn narrow_tiny_values_to_zero_or_min_subnormal() {
        let min_subnormal = 2f32.powi(-24);
        assert_eq!(f32_to_f16(min_subnormal / 2.0), Some(0x0000));
        assert_eq!(f32_to_f16(next_up(min_subnormal / 2.0)), Some(0x0001));
        assert_eq!(f32_to_f16(1e-30), Some(0x0000));
        assert_eq!(f32_to_f16(-1e-30), Some(0x8000));
        assert_eq!(f32_to_f16(f32::from_bits(1)), Some(0x0000));
    }

    #[test]
    fn narrow_rejects_overflow() {
        assert_eq!(f32_to_f16(65504.0), Some(0x7bff));
        assert_eq!(f32_to_f16(65519.996), Some(0x7bff));
        assert_eq!(f32_to_f16(65520.0), None);
        assert_eq!(f32_to_f16(-65520.0), None);
        assert_eq!(f32_to_f16(1e10), None);
        assert_eq!(f32_to_f16(f32::MAX), None);
    }

    #[test]
    fn narrow_special_values() {
        assert_eq!(f32_to_f16(f32::INFINITY), Some(0x7c00));
        assert_eq!(f32_to_f16(f32::NEG_INFINITY), Some(0xfc00));
        assert_eq!(f32_to_f16(f32::NAN).map(is_nan_bits), Some(true));
        assert_eq!(f32_to_f16(-0.0), Some(0x8000));
    }
}
