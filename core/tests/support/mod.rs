//! Test media generated at test time: WAV files written with hound, and other formats
//! encoded from them with ffmpeg, sox or lame. No audio file is stored in the repository.

#![allow(dead_code)]

pub mod transcription;

use std::f32::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::Command;

use hound::{SampleFormat, WavSpec, WavWriter};
use whisperrr_core::audio::{decode_for_whisper, DecodeError, DecodeProgress, DecodedAudio};
use whisperrr_core::cancel::CancelToken;

/// Frequency of the test tone in Hz, low enough to survive every codec and rate used here.
pub const TONE_HZ: f32 = 440.0;

/// Peak amplitude of the test tone.
pub const TONE_AMPLITUDE: f32 = 0.5;

/// A temporary folder for one test's files, removed when dropped.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("cannot create a temporary folder"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Returns a sine at [`TONE_HZ`] with peak [`TONE_AMPLITUDE`].
pub fn tone(rate: u32, seconds: f32) -> Vec<f32> {
    let frames = (seconds * rate as f32).round() as usize;
    (0..frames)
        .map(|i| TONE_AMPLITUDE * (TAU * TONE_HZ * i as f32 / rate as f32).sin())
        .collect()
}

/// Returns a speech-like signal: a 140 Hz voice with harmonics up to 2.8 kHz, shaped into
/// syllables by a 4 Hz envelope, with peaks below 0.6.
pub fn speech_like(rate: u32, seconds: f32) -> Vec<f32> {
    let frames = (seconds * rate as f32).round() as usize;
    (0..frames)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let envelope = 0.5 - 0.5 * (TAU * 4.0 * t).cos();
            let voice: f32 = (1..=20)
                .map(|harmonic| (TAU * 140.0 * harmonic as f32 * t).sin() / harmonic as f32)
                .sum();
            0.3 * envelope * voice
        })
        .collect()
}

/// Writes interleaved samples in -1.0..1.0 as a WAV file with the given sample format.
/// `bits` 8, 16, 24 and 32 write integers, and `float` writes 32-bit IEEE floats.
pub fn write_wav(path: &Path, rate: u32, channels: u16, bits: u16, float: bool, samples: &[f32]) {
    let spec = WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            SampleFormat::Float
        } else {
            SampleFormat::Int
        },
    };
    let mut writer = WavWriter::create(path, spec).unwrap();
    let full_scale = (1_i64 << (bits - 1)) as f64;

    for sample in samples {
        if float {
            writer.write_sample(*sample).unwrap();
        } else {
            let value = (f64::from(*sample) * full_scale)
                .round()
                .clamp(-full_scale, full_scale - 1.0);
            match bits {
                8 => writer.write_sample(value as i8).unwrap(),
                16 => writer.write_sample(value as i16).unwrap(),
                _ => writer.write_sample(value as i32).unwrap(),
            }
        }
    }

    writer.finalize().unwrap();
}

/// Writes a mono 16-bit WAV file.
pub fn write_mono_wav(path: &Path, rate: u32, samples: &[f32]) {
    write_wav(path, rate, 1, 16, false, samples);
}

/// Runs an external encoder and fails the test with its output if it fails. A missing tool
/// fails the test with the package to install, so a machine without it cannot pass silently.
pub fn run_tool(tool: &str, args: &[&str]) {
    let output = match Command::new(tool).args(args).output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` is not installed, and this test needs it to generate its input; \
             install the `{tool}` package (Debian and Ubuntu: `apt-get install {tool}`)"
        ),
        Err(error) => panic!("cannot run `{tool}`: {error}"),
    };

    assert!(
        output.status.success(),
        "`{tool} {}` failed with {}:\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Encodes `input` with ffmpeg, quietly and without metadata, with `codec_args` between the
/// input and the output path.
pub fn ffmpeg(input: &Path, codec_args: &[&str], output: &Path) {
    let mut args = vec![
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-i",
        path_str(input),
    ];
    args.extend_from_slice(codec_args);
    args.extend_from_slice(&["-map_metadata", "-1", path_str(output)]);
    run_tool("ffmpeg", &args);
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Decodes `path` and checks that progress was reported in order, ending at the decoded
/// duration.
pub fn decode(path: &Path) -> Result<DecodedAudio, DecodeError> {
    let mut reports: Vec<DecodeProgress> = Vec::new();
    let result = decode_for_whisper(
        path,
        &mut |progress| reports.push(progress),
        &CancelToken::new(),
    );

    if let Ok(decoded) = &result {
        let decoded_ms: Vec<u64> = reports.iter().map(|report| report.decoded_ms).collect();
        assert!(
            decoded_ms.windows(2).all(|pair| pair[0] < pair[1]),
            "{decoded_ms:?}"
        );
        let last = decoded_ms.last().copied().unwrap_or(0);
        assert!(
            last.abs_diff(decoded.duration_ms()) <= 2,
            "last progress {last} ms, decoded {} ms",
            decoded.duration_ms()
        );
    }
    result
}

/// Decodes `path` and fails the test with the error message if decoding fails.
pub fn decode_ok(path: &Path) -> DecodedAudio {
    decode(path).unwrap_or_else(|error| panic!("decoding failed: {error}"))
}

pub fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// Returns the frequency at 16 kHz estimated from rising zero crossings.
pub fn frequency(samples: &[f32]) -> f32 {
    let rising = samples
        .windows(2)
        .filter(|pair| pair[0] < 0.0 && pair[1] >= 0.0)
        .count();
    rising as f32 * 16_000.0 / samples.len() as f32
}

/// Relative RMS error allowed for lossless paths, which only the resampler's ripple affects.
pub const LOSSLESS_LEVEL: f32 = 0.02;

/// Relative RMS error allowed after lossy codecs. LAME at its default 128 kb/s lowers the
/// test tone by about 5 %, and ffmpeg's decoder measures the same.
pub const LOSSY_LEVEL: f32 = 0.08;

/// Checks that `samples` is the test tone between 0.2 s and 0.8 s: frequency within 1 %
/// and RMS within `level_tolerance` (relative) of `amplitude / sqrt(2)`.
pub fn assert_tone(samples: &[f32], amplitude: f32, level_tolerance: f32, context: &str) {
    let middle = &samples[3_200..12_800];

    let measured = frequency(middle);
    assert!(
        (measured - TONE_HZ).abs() < TONE_HZ * 0.01,
        "{context}: frequency {measured} Hz"
    );

    let level = rms(middle);
    let expected = amplitude / 2f32.sqrt();
    assert!(
        (level - expected).abs() < expected * level_tolerance,
        "{context}: RMS {level}, expected {expected}"
    );
}

/// Returns the sample count at 16 kHz of `frames` frames at `rate`.
pub fn samples_at_16k(frames: usize, rate: u32) -> usize {
    (frames as f64 * 16_000.0 / f64::from(rate)).round() as usize
}
