//! Choosing the stream configuration to open an input device in.
//!
//! The device is opened in a configuration it offers (its own sample format, rate and
//! channel count) so the driver does no conversion of its own. The recorder converts to
//! `f32`, averages the channels and resamples to 16 kHz itself.

use cpal::{BufferSize, SupportedBufferSize, SupportedStreamConfig, SupportedStreamConfigRange};

use super::convert::is_supported;
use crate::audio::{MAX_INPUT_RATE, MIN_INPUT_RATE};

/// Preferred callback period, in milliseconds. The ALSA PulseAudio plugin delivers its
/// first buffer about 2 s after start with its default buffer and about 0.6 s with a
/// 10 ms one (measured on Debian 12), and short periods also keep the level meter smooth.
const PERIOD_MS: u32 = 20;

/// Sample rate chosen inside a range that contains neither 48 nor 44.1 kHz, if it can.
const PREFERRED_RATE: u32 = 48_000;

/// True when the recorder can take this configuration: a PCM format and a rate the
/// resampler accepts.
pub fn is_usable(config: &SupportedStreamConfig) -> bool {
    is_supported(config.sample_format())
        && config.channels() > 0
        && (MIN_INPUT_RATE..=MAX_INPUT_RATE).contains(&config.sample_rate())
}

/// Picks the configuration to record in: the device's default when usable, else the best
/// usable one it offers, by cpal's ranking (channels, then sample format). Returns `None`
/// when the device offers nothing usable.
pub fn choose(
    default: Option<SupportedStreamConfig>,
    offered: &[SupportedStreamConfigRange],
) -> Option<SupportedStreamConfig> {
    if let Some(config) = default.filter(is_usable) {
        return Some(config);
    }

    offered
        .iter()
        .filter_map(|range| with_usable_rate(*range).map(|config| (range, config)))
        .max_by(|(a, _), (b, _)| a.cmp_default_heuristics(b))
        .map(|(_, config)| config)
}

/// Returns the range at 48 or 44.1 kHz when it offers one, else at the rate closest to 48 kHz
/// that the resampler accepts.
fn with_usable_rate(range: SupportedStreamConfigRange) -> Option<SupportedStreamConfig> {
    if !is_supported(range.sample_format()) || range.channels() == 0 {
        return None;
    }
    if let Some(config) = range.try_with_standard_sample_rate() {
        return Some(config);
    }

    let low = range.min_sample_rate().max(MIN_INPUT_RATE);
    let high = range.max_sample_rate().min(MAX_INPUT_RATE);
    if low > high {
        return None;
    }
    range.try_with_sample_rate(PREFERRED_RATE.clamp(low, high))
}

/// Returns a fixed buffer of about [`PERIOD_MS`] within what the device allows.
pub fn buffer_size(config: &SupportedStreamConfig) -> BufferSize {
    let frames = (config.sample_rate() * PERIOD_MS / 1000).max(1);
    match *config.buffer_size() {
        SupportedBufferSize::Range { min, max } if min <= max => BufferSize::Fixed(frames.clamp(min, max)),
        _ => BufferSize::Fixed(frames),
    }
}

/// Describes each offered configuration, such as `2 ch, i16, 8000-48000 Hz`, for the
/// error message of a device that offers nothing usable.
pub fn describe(offered: &[SupportedStreamConfigRange]) -> String {
    if offered.is_empty() {
        return "no input configurations at all".into();
    }
    let lines: Vec<String> = offered
        .iter()
        .map(|range| {
            format!(
                "{} ch, {}, {}-{} Hz",
                range.channels(),
                range.sample_format(),
                range.min_sample_rate(),
                range.max_sample_rate()
            )
        })
        .collect();
    lines.join("; ")
}

#[cfg(test)]
mod tests {
    use cpal::SampleFormat;

    use super::*;

    fn range(channels: u16, min: u32, max: u32, format: SampleFormat) -> SupportedStreamConfigRange {
        SupportedStreamConfigRange::new(
            channels,
            min,
            max,
            SupportedBufferSize::Range { min: 64, max: 8192 },
            format,
        )
    }

    fn config(channels: u16, rate: u32, format: SampleFormat) -> SupportedStreamConfig {
        SupportedStreamConfig::new(channels, rate, SupportedBufferSize::Unknown, format)
    }

    #[test]
    fn usable_default_taken_as_is() {
        let default = config(1, 44_100, SampleFormat::I16);

        let chosen = choose(Some(default), &[range(2, 8_000, 96_000, SampleFormat::F32)]);

        assert_eq!(chosen, Some(default));
    }

    #[test]
    fn dsd_default_replaced_by_offered_pcm() {
        let default = config(2, 44_100, SampleFormat::DsdU8);

        let chosen = choose(
            Some(default),
            &[
                range(2, 44_100, 44_100, SampleFormat::DsdU8),
                range(1, 8_000, 96_000, SampleFormat::U16),
            ],
        )
        .unwrap();

        assert_eq!(chosen.sample_format(), SampleFormat::U16);
        assert_eq!(chosen.sample_rate(), 48_000);
        assert_eq!(chosen.channels(), 1);
    }

    #[test]
    fn best_format_and_standard_rate_preferred() {
        let offered = [
            range(2, 8_000, 192_000, SampleFormat::I16),
            range(2, 8_000, 192_000, SampleFormat::I24),
            range(2, 8_000, 192_000, SampleFormat::F32),
        ];

        let chosen = choose(None, &offered).unwrap();

        assert_eq!(chosen.sample_format(), SampleFormat::F32);
        assert_eq!(chosen.sample_rate(), 48_000);
    }

    #[test]
    fn odd_rate_range_clamped_toward_48k() {
        assert_eq!(
            choose(None, &[range(1, 8_000, 22_050, SampleFormat::I8)])
                .unwrap()
                .sample_rate(),
            22_050
        );
        assert_eq!(
            choose(None, &[range(1, 96_000, 96_000, SampleFormat::I32)])
                .unwrap()
                .sample_rate(),
            96_000
        );
    }

    #[test]
    fn nothing_usable_gives_none() {
        let offered = [
            range(2, 2_822_400, 2_822_400, SampleFormat::DsdU32),
            range(1, 500, 800, SampleFormat::I16),
            range(1, 1_000_000, 2_000_000, SampleFormat::F32),
        ];

        assert_eq!(choose(None, &offered), None);
        assert_eq!(choose(None, &[]), None);
    }

    #[test]
    fn buffer_fixed_near_period_within_range() {
        let at_48k = config(2, 48_000, SampleFormat::F32);
        let narrow = SupportedStreamConfig::new(
            2,
            48_000,
            SupportedBufferSize::Range { min: 2048, max: 4096 },
            SampleFormat::F32,
        );

        assert_eq!(buffer_size(&at_48k), BufferSize::Fixed(960));
        assert_eq!(buffer_size(&narrow), BufferSize::Fixed(2048));
    }

    #[test]
    fn description_lists_each_range() {
        let text = describe(&[range(2, 2_822_400, 2_822_400, SampleFormat::DsdU32)]);

        assert_eq!(text, "2 ch, dsdu32, 2822400-2822400 Hz");
        assert_eq!(describe(&[]), "no input configurations at all");
    }
}
