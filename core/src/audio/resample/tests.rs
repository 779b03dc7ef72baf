use std::f32::consts::TAU;

use super::*;

/// Every rate the resampler must handle, including odd ones with few common factors.
const RATES: [u32; 9] = [
    8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 16_007, 44_056,
];

/// Resamples `input` pushed in pieces of the given sizes, cycling through them.
fn resample_in_pieces(rate: u32, input: &[f32], piece_sizes: &[usize]) -> Vec<f32> {
    let mut resampler = Resampler::new(rate).unwrap();
    let mut output = Vec::new();
    let mut rest = input;

    for size in piece_sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        resampler.push(piece, &mut output).unwrap();
        rest = tail;
    }

    resampler.finish(&mut output).unwrap();
    output
}

fn resample(rate: u32, input: &[f32]) -> Vec<f32> {
    resample_in_pieces(rate, input, &[1_000])
}

fn exact_output_len(frames: usize, rate: u32) -> f64 {
    frames as f64 * 16_000.0 / f64::from(rate)
}

fn sine(rate: u32, frequency: f32, amplitude: f32, seconds: f32) -> Vec<f32> {
    let frames = (seconds * rate as f32) as usize;
    (0..frames)
        .map(|i| amplitude * (TAU * frequency * i as f32 / rate as f32).sin())
        .collect()
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// Counts rising zero crossings and converts them to a frequency at 16 kHz.
fn frequency_16k(samples: &[f32]) -> f32 {
    let rising = samples
        .windows(2)
        .filter(|pair| pair[0] < 0.0 && pair[1] >= 0.0)
        .count();
    rising as f32 * 16_000.0 / samples.len() as f32
}

/// Returns the sub-sample position of the largest peak in `samples[from..to]`, refined by
/// fitting a parabola through the peak and its neighbours.
fn peak_position(samples: &[f32], from: usize, to: usize) -> f64 {
    let to = to.min(samples.len());
    let index = (from..to)
        .max_by(|a, b| samples[*a].abs().total_cmp(&samples[*b].abs()))
        .unwrap();

    if index == 0 || index + 1 >= samples.len() {
        return index as f64;
    }
    let (left, mid, right) = (samples[index - 1], samples[index], samples[index + 1]);
    let offset = 0.5 * (left - right) / (left - 2.0 * mid + right);
    index as f64 + f64::from(offset)
}

#[test]
fn resampled_length_matches_rate_ratio() {
    let lengths = [
        0, 1, 2, 100, 1_000, 2_047, 2_048, 2_049, 16_007, 44_117, 200_000,
    ];

    for rate in RATES {
        for frames in lengths {
            let input = vec![0.25; frames];
            let output = resample(rate, &input);

            let expected = exact_output_len(frames, rate).round();
            let difference = (output.len() as f64 - expected).abs();
            assert!(
                difference <= 1.0,
                "rate {rate}, {frames} frames: got {} samples, expected {expected}",
                output.len()
            );
        }
    }
}

#[test]
fn resampled_output_ignores_push_sizes() {
    let input = sine(44_056, 700.0, 0.5, 0.7);

    let whole = resample_in_pieces(44_056, &input, &[input.len()]);
    let ragged = resample_in_pieces(44_056, &input, &[1, 7, 333, 4_096, 2, 10_000]);

    assert_eq!(whole, ragged);
}

#[test]
fn resampled_impulses_keep_their_time() {
    let times_s = [0.0, 0.25, 0.5, 0.731];

    for rate in RATES {
        let mut input = vec![0.0; (0.8 * rate as f32) as usize];
        let positions: Vec<usize> = times_s
            .iter()
            .map(|t| (t * f64::from(rate)).round() as usize)
            .collect();
        for position in &positions {
            input[*position] = 1.0;
        }

        let output = resample(rate, &input);

        for position in positions {
            let expected = exact_output_len(position, rate);
            let from = (expected as usize).saturating_sub(40);
            let found = peak_position(&output, from, expected as usize + 40);
            assert!(
                (found - expected).abs() <= 1.0,
                "rate {rate}: impulse at input frame {position} should land at {expected:.2}, found {found:.2}"
            );
        }
    }
}

#[test]
fn resampled_tone_burst_starts_on_time() {
    let rate = 44_100;
    let onset_s = 0.3;
    let mut input = vec![0.0; rate as usize];
    let burst = sine(rate, 1_000.0, 0.5, 0.2);
    let onset = (onset_s * rate as f32) as usize;
    input[onset..onset + burst.len()].copy_from_slice(&burst);

    let output = resample(rate, &input);

    // The first output sample above half the amplitude, which a 1 kHz sine from phase zero
    // reaches after 1/12 of a period (1.3 samples at 16 kHz).
    let first_loud = output.iter().position(|s| s.abs() > 0.25).unwrap();
    let expected = (onset_s * 16_000.0) as usize;
    assert!(
        first_loud.abs_diff(expected) <= 3,
        "burst starts at {first_loud}, expected about {expected}"
    );
}

#[test]
fn resampled_sine_keeps_amplitude_and_frequency() {
    for rate in RATES {
        for frequency in [440.0, 3_000.0] {
            let input = sine(rate, frequency, 0.5, 1.0);
            let output = resample(rate, &input);
            let middle = &output[2_000..14_000];

            let level = rms(middle);
            assert!(
                (level - 0.5 / 2f32.sqrt()).abs() < 0.01,
                "rate {rate}, {frequency} Hz: RMS {level}"
            );

            let measured = frequency_16k(middle);
            assert!(
                (measured - frequency).abs() < frequency * 0.01,
                "rate {rate}, {frequency} Hz: measured {measured} Hz"
            );
        }
    }
}

#[test]
fn resampled_tone_above_8khz_is_removed() {
    // A linear interpolator would fold 12 kHz down to 4 kHz at almost full level.
    for rate in [44_100, 48_000, 96_000, 44_056] {
        let input = sine(rate, 12_000.0, 0.5, 0.5);
        let output = resample(rate, &input);

        let level = rms(&output[1_000..7_000]);
        assert!(level < 0.001, "rate {rate}: 12 kHz leaked with RMS {level}");
    }
}

#[test]
fn resampler_passes_16khz_through() {
    let input = sine(16_000, 440.0, 0.5, 0.1);

    assert_eq!(resample_in_pieces(16_000, &input, &[3, 100]), input);
}

#[test]
fn resampler_rejects_rates_out_of_range() {
    for rate in [0, 1, MIN_INPUT_RATE - 1, MAX_INPUT_RATE + 1, u32::MAX] {
        let error = Resampler::new(rate).err().unwrap();
        assert!(
            matches!(error, ResamplerError::UnsupportedRate { rate: r } if r == rate),
            "{error}"
        );
        assert!(error.to_string().contains(&rate.to_string()));
    }

    assert!(Resampler::new(MIN_INPUT_RATE).is_ok());
    assert!(Resampler::new(MAX_INPUT_RATE).is_ok());
}
