//! The speech the benchmark plays: clips with reference transcripts, separated by silence.

use std::path::Path;

use whisperrr_core::audio::{decode_for_whisper, WHISPER_SAMPLE_RATE};
use whisperrr_core::cancel::CancelToken;

const RATE: usize = WHISPER_SAMPLE_RATE as usize;
const FRAME: usize = RATE / 50;

/// Silence before the first clip and after the last one, in ms.
const EDGE_MS: u64 = 1_000;

/// A frame counts as speech when it is within this many dB of the clip's loudest frame.
const SPEECH_RANGE_DB: f32 = 35.0;

/// One clip in the playlist; times in ms from the start of the playlist.
pub struct Phrase {
    pub name: String,
    /// End of the last speech frame of the clip.
    pub speech_end_ms: u64,
    pub reference: String,
}

pub struct Playlist {
    /// 16 kHz mono.
    pub samples: Vec<f32>,
    pub phrases: Vec<Phrase>,
}

impl Playlist {
    /// Joins the clips with `gap_ms` of silence between them.
    pub fn build(clips: &[String], gap_ms: u64) -> Self {
        let mut samples = silence(EDGE_MS);
        let mut phrases = Vec::new();

        for (index, name) in clips.iter().enumerate() {
            if index > 0 {
                samples.extend(silence(gap_ms));
            }
            let decoded = decode_for_whisper(&whisperrr_testkit::clip(name), &mut |_| {}, &CancelToken::new())
                .unwrap_or_else(|error| panic!("cannot decode {name}: {error}"));
            let start = samples.len();
            let speech_end = start + last_speech_sample(&decoded.samples);
            samples.extend_from_slice(&decoded.samples);
            phrases.push(Phrase {
                name: name.clone(),
                speech_end_ms: to_ms(speech_end),
                reference: whisperrr_testkit::reference(name),
            });
        }
        samples.extend(silence(EDGE_MS));
        Self { samples, phrases }
    }

    pub fn duration_ms(&self) -> u64 {
        to_ms(self.samples.len())
    }

    pub fn reference_text(&self) -> String {
        let texts: Vec<&str> = self.phrases.iter().map(|phrase| phrase.reference.as_str()).collect();
        texts.join(" ")
    }

    /// Writes the playlist as a 16-bit WAV file for `paplay`.
    pub fn write_wav(&self, path: &Path) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: WHISPER_SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).expect("the playlist file can be created");
        for &sample in &self.samples {
            writer
                .write_sample((sample.clamp(-1.0, 1.0) * 32767.0) as i16)
                .expect("the playlist file can be written");
        }
        writer.finalize().expect("the playlist file can be written");
    }
}

/// Levels of 20 ms frames, in dBFS.
pub fn frame_levels(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(FRAME)
        .map(|frame| {
            let energy = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
            10.0 * (energy + 1e-12).log10()
        })
        .collect()
}

/// Returns the sample just after the last frame within [`SPEECH_RANGE_DB`] of the loudest.
fn last_speech_sample(samples: &[f32]) -> usize {
    let levels = frame_levels(samples);
    let loudest = levels.iter().copied().fold(f32::MIN, f32::max);
    let last = levels
        .iter()
        .rposition(|&level| level >= loudest - SPEECH_RANGE_DB)
        .unwrap_or(0);
    ((last + 1) * FRAME).min(samples.len())
}

fn silence(ms: u64) -> Vec<f32> {
    vec![0.0; (ms as usize) * RATE / 1000]
}

fn to_ms(samples: usize) -> u64 {
    samples as u64 * 1000 / RATE as u64
}

/// Returns the offset in ms at which `recorded` (16 kHz) best matches `played`, by the correlation
/// of their frame levels, searched up to `max_ms`.
pub fn find_offset_ms(played: &[f32], recorded: &[f32], max_ms: u64) -> u64 {
    let played = frame_levels(played);
    let recorded = frame_levels(recorded);
    let max_shift = (max_ms / 20) as usize;

    // Pearson correlation of the overlapping levels, floored at -80 dBFS.
    let score = |shift: usize| -> f64 {
        let pairs: Vec<(f64, f64)> = played
            .iter()
            .zip(recorded.iter().skip(shift))
            .map(|(&a, &b)| (f64::from(a.max(-80.0)), f64::from(b.max(-80.0))))
            .collect();
        let n = pairs.len().max(1) as f64;
        let (mean_a, mean_b) = pairs.iter().fold((0.0, 0.0), |(x, y), (a, b)| (x + a / n, y + b / n));
        let (mut covariance, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
        for (a, b) in &pairs {
            covariance += (a - mean_a) * (b - mean_b);
            var_a += (a - mean_a).powi(2);
            var_b += (b - mean_b).powi(2);
        }
        covariance / (var_a * var_b).sqrt().max(1e-9)
    };
    let best = (0..=max_shift)
        .max_by(|&a, &b| score(a).total_cmp(&score(b)))
        .unwrap_or(0);
    best as u64 * 20
}
