use std::f32::consts::TAU;

use super::*;

const RATE: usize = SAMPLE_RATE as usize;

fn ms_to_samples(ms: u64) -> usize {
    (ms * SAMPLE_RATE / 1000) as usize
}

/// Quiet background noise, deterministic, at about -66 dBFS.
fn noise(ms: u64, seed: u32) -> Vec<f32> {
    let mut state = seed.max(1);
    (0..ms_to_samples(ms))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32 * 2.0 - 1.0) * 0.001
        })
        .collect()
}

/// Syllables: a 150 Hz voice with harmonics, in bursts at 4 per second with 40 ms gaps.
fn syllables(ms: u64) -> Vec<f32> {
    let mut samples = noise(ms, 11);
    for (i, sample) in samples.iter_mut().enumerate() {
        let t = i as f32 / RATE as f32;
        let phase = (t * 4.0).fract();
        let envelope = if phase < 0.84 {
            (phase / 0.84 * std::f32::consts::PI).sin().max(0.3)
        } else {
            0.0
        };
        let voice: f32 = (1..=8).map(|h| (TAU * 150.0 * h as f32 * t).sin() / h as f32).sum();
        *sample += 0.2 * envelope * voice;
    }
    samples
}

/// Speech with no pause at all: a voice whose loudness swings by 14 dB but never stops.
fn continuous_speech(ms: u64) -> Vec<f32> {
    (0..ms_to_samples(ms))
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let envelope = 0.6 + 0.4 * (TAU * 3.0 * t).sin();
            0.2 * envelope * (TAU * 150.0 * t).sin()
        })
        .collect()
}

fn concat(parts: &[Vec<f32>]) -> Vec<f32> {
    parts.concat()
}

fn cuts(boundaries: &[Boundary]) -> Vec<(u64, u64, bool)> {
    boundaries
        .iter()
        .filter_map(|boundary| match *boundary {
            Boundary::Cut {
                end,
                next_start,
                forced,
                ..
            } => Some((end, next_start, forced)),
            Boundary::Skip(_) => None,
        })
        .collect()
}

fn split_in_pieces(samples: &[f32], piece: usize) -> Vec<Boundary> {
    let mut splitter = PauseSplitter::new();
    let mut boundaries = Vec::new();
    for chunk in samples.chunks(piece) {
        boundaries.extend(splitter.push(chunk));
    }
    boundaries
}

#[test]
fn silence_never_cut_and_preroll_kept() {
    let mut splitter = PauseSplitter::new();

    let boundaries = splitter.push(&noise(5_000, 3));

    assert!(cuts(&boundaries).is_empty(), "{boundaries:?}");
    assert_eq!(boundaries.last(), Some(&Boundary::Skip(ms_to_samples(4_000) as u64)));
    assert_eq!(splitter.chunk_start(), ms_to_samples(4_000) as u64);
}

#[test]
fn phrase_cut_in_following_pause() {
    let samples = concat(&[noise(1_500, 1), syllables(2_000), noise(1_500, 2)]);
    // The last syllable ends 40 ms before the burst does.
    let speech_end = ms_to_samples(3_460) as u64;

    let boundaries = PauseSplitter::new().push(&samples);
    let cuts = cuts(&boundaries);

    assert_eq!(cuts.len(), 1, "{boundaries:?}");
    let (end, next_start, forced) = cuts[0];
    assert!(!forced);
    assert_eq!(end, next_start);
    assert!(
        end >= speech_end + ms_to_samples(PAUSE_MS) as u64,
        "cut at {end}, speech ends at {speech_end}"
    );
    assert!(
        end <= speech_end + ms_to_samples(PAUSE_MS + 100) as u64,
        "cut at {end}, speech ends at {speech_end}"
    );
    assert!(
        boundaries.contains(&Boundary::Skip(ms_to_samples(500) as u64)),
        "preroll before speech: {boundaries:?}"
    );
    assert!(
        boundaries
            .iter()
            .any(|b| matches!(b, Boundary::Cut { start, .. } if *start == ms_to_samples(500) as u64)),
        "chunk starts one second before the speech: {boundaries:?}"
    );
}

#[test]
fn short_gap_kept_inside_phrase() {
    let samples = concat(&[syllables(1_500), noise(250, 4), syllables(1_500), noise(1_000, 5)]);

    let cuts = cuts(&PauseSplitter::new().push(&samples));

    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert!(cuts[0].0 > ms_to_samples(3_250) as u64);
}

#[test]
fn long_gap_splits_two_phrases() {
    let samples = concat(&[syllables(1_500), noise(800, 4), syllables(1_500), noise(1_000, 5)]);

    let cuts = cuts(&PauseSplitter::new().push(&samples));

    assert_eq!(cuts.len(), 2, "{cuts:?}");
    assert!(
        cuts[0].0 > ms_to_samples(1_500) as u64 && cuts[0].0 < ms_to_samples(2_300) as u64,
        "{cuts:?}"
    );
}

#[test]
fn click_in_silence_not_a_phrase() {
    let mut click = noise(3_000, 6);
    for sample in &mut click[16_000..16_000 + 320] {
        *sample = 0.5;
    }

    let boundaries = PauseSplitter::new().push(&click);

    assert!(cuts(&boundaries).is_empty(), "{boundaries:?}");
}

#[test]
fn endless_speech_forced_cut_with_overlap() {
    let samples = continuous_speech(30_000);

    let cuts = cuts(&PauseSplitter::new().push(&samples));

    assert_eq!(cuts.len(), 1, "{cuts:?}");
    let (end, next_start, forced) = cuts[0];
    assert!(forced);
    assert!(end <= ms_to_samples(MAX_CHUNK_MS) as u64);
    assert!(end >= ms_to_samples(MAX_CHUNK_MS - 4_000) as u64);
    assert_eq!(end - next_start, ms_to_samples(OVERLAP_MS) as u64);

    // The cut lies in a trough of the 3 Hz loudness swing, whose minima fall at 0.25 s
    // and every third of a second after.
    let period = RATE as f64 / 3.0;
    let trough_offset = 0.25 * RATE as f64;
    let phase = (end as f64 - trough_offset).rem_euclid(period);
    let distance = phase.min(period - phase);
    assert!(
        distance < 0.05 * RATE as f64,
        "cut at sample {end} is {distance} samples from a trough"
    );
}

#[test]
fn long_phrase_accepts_shorter_pause() {
    // 12 s of syllables, a 300 ms gap (shorter than the normal pause), then more speech.
    let samples = concat(&[syllables(12_000), noise(300, 7), syllables(2_000), noise(1_000, 8)]);

    let cuts = cuts(&PauseSplitter::new().push(&samples));

    assert!(cuts.len() >= 2, "{cuts:?}");
    assert!(
        cuts[0].0 >= ms_to_samples(12_000) as u64 && cuts[0].0 <= ms_to_samples(12_300) as u64,
        "{cuts:?}"
    );
}

#[test]
fn loud_steady_noise_adapts_floor() {
    let hum: Vec<f32> = (0..ms_to_samples(6_000))
        .map(|i| 0.01 * (TAU * 50.0 * i as f32 / RATE as f32).sin())
        .collect();
    let mut samples = hum.clone();
    let speech = syllables(2_000);
    for (sample, voice) in samples[ms_to_samples(2_000)..].iter_mut().zip(&speech) {
        *sample += 5.0 * voice;
    }

    let cuts = cuts(&PauseSplitter::new().push(&samples));

    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert!(cuts[0].0 > ms_to_samples(4_000) as u64, "{cuts:?}");
}

#[test]
fn piece_size_does_not_change_boundaries() {
    let samples = concat(&[
        noise(1_200, 1),
        syllables(2_000),
        noise(900, 2),
        syllables(1_000),
        noise(1_200, 3),
    ]);

    let whole = split_in_pieces(&samples, samples.len());

    for piece in [1, 7, 320, 333, 4_096] {
        assert_eq!(
            cuts(&split_in_pieces(&samples, piece)),
            cuts(&whole),
            "pieces of {piece}"
        );
    }
}

#[test]
fn finish_cuts_open_speech_and_skips_silence() {
    let mut speaking = PauseSplitter::new();
    speaking.push(&syllables(1_000));
    let mut silent = PauseSplitter::new();
    silent.push(&noise(500, 9));

    assert_eq!(
        speaking.finish(16_005),
        Boundary::Cut {
            start: 0,
            end: 16_005,
            next_start: 16_005,
            forced: false
        }
    );
    assert_eq!(silent.finish(8_000), Boundary::Skip(8_000));
}
