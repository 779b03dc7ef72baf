//! Encoder delay (priming): decoded audio must start on time in every lossy format.
//!
//! Lossy encoders put silent frames in front of the audio (AAC 1024 or 2112, Opus 312 at
//! 48 kHz, and MP3 from LAME 1105 with the decoder's delay), and the container or codec
//! header states how many to drop. Each case encodes 1 s of digital silence followed by a 1 kHz tone, decodes it to 16 kHz and
//! checks that the tone starts 1 s in. Only decoding runs here, no whisper.
//!
//! Formats are encoded with ffmpeg and lame, which must be installed.

mod support;

use std::f32::consts::TAU;
use std::path::Path;

use support::{decode_ok, ffmpeg, path_str, run_tool, write_mono_wav, Workspace};

/// Time of the tone's onset in the source, in seconds.
const ONSET_S: f64 = 1.0;

/// Length of the tone after the onset, in seconds.
const TONE_S: f64 = 1.0;

/// Frequency of the tone in Hz, well inside every codec's pass band.
const TONE_HZ: f32 = 1_000.0;

/// Peak amplitude of the tone.
const AMPLITUDE: f32 = 0.5;

/// The onset is the first output sample whose magnitude reaches this share of the peak.
/// Lossy codecs spread quantization noise in front of a transient (pre-echo), and the
/// resampler's filter rings before it, but both stay well below half the tone's peak.
const ONSET_THRESHOLD: f32 = 0.5;

/// Onset error allowed, in milliseconds. It covers the 16 kHz output grid (0.06 ms), the
/// sine's rise to the threshold (0.08 ms at 1 kHz) and codec smearing of the attack. It is
/// below the smallest delay that could go untrimmed, Opus pre-skip: 312 frames at 48 kHz
/// or 6.5 ms.
const TOLERANCE_MS: f64 = 2.0;

/// How a case's file is written from the source WAV.
enum Encoder {
    /// The source WAV itself.
    Copy,
    /// lame with these arguments before the input and output paths.
    Lame(&'static [&'static str]),
    /// ffmpeg with these arguments between the input and the output path.
    Ffmpeg(&'static [&'static str]),
}

/// One encoded file: its label in messages, the source's sample rate, the encoder and the
/// output name, whose extension picks ffmpeg's container.
struct Case {
    name: &'static str,
    /// 48 kHz for Opus, so ffmpeg does not resample before encoding.
    rate: u32,
    encoder: Encoder,
    file_name: &'static str,
}

/// AAC in Matroska is left out: ffmpeg 5.1 writes no `CodecDelay` element for it, so the
/// file does not state its 1024 priming frames, and ffmpeg's own decoder plays it 23 ms late.
const CASES: &[Case] = &[
    Case { name: "WAV", rate: 44_100, encoder: Encoder::Copy, file_name: "tone.wav" },
    Case { name: "FLAC", rate: 44_100, encoder: Encoder::Ffmpeg(&["-c:a", "flac"]), file_name: "tone.flac" },
    // Lame writes its Info header, with the encoder delay and padding, by default.
    Case { name: "MP3, lame CBR", rate: 44_100, encoder: Encoder::Lame(&["--cbr", "-b", "128"]), file_name: "lame.mp3" },
    Case { name: "MP3, ffmpeg", rate: 44_100, encoder: Encoder::Ffmpeg(&["-c:a", "libmp3lame", "-b:a", "128k"]), file_name: "ffmpeg.mp3" },
    Case { name: "Ogg Vorbis", rate: 44_100, encoder: Encoder::Ffmpeg(&["-c:a", "libvorbis"]), file_name: "tone.ogg" },
    Case { name: "Opus in Ogg", rate: 48_000, encoder: Encoder::Ffmpeg(&["-c:a", "libopus"]), file_name: "tone.opus" },
    Case { name: "Opus in WebM", rate: 48_000, encoder: Encoder::Ffmpeg(&["-c:a", "libopus"]), file_name: "tone.webm" },
    Case { name: "Opus in MP4", rate: 48_000, encoder: Encoder::Ffmpeg(&["-c:a", "libopus"]), file_name: "opus.mp4" },
    Case { name: "AAC in M4A, index at the end", rate: 44_100, encoder: Encoder::Ffmpeg(&["-c:a", "aac"]), file_name: "end.m4a" },
    Case {
        name: "AAC in M4A, index at the start",
        rate: 44_100,
        encoder: Encoder::Ffmpeg(&["-c:a", "aac", "-movflags", "+faststart"]),
        file_name: "start.m4a",
    },
    Case { name: "ALAC in M4A", rate: 44_100, encoder: Encoder::Ffmpeg(&["-c:a", "alac"]), file_name: "alac.m4a" },
];

#[test]
fn onset_on_time_in_every_format() {
    let workspace = Workspace::new();
    let mut measured = Vec::new();

    for case in CASES {
        let source = workspace.path(&format!("source_{}.wav", case.rate));
        if !source.exists() {
            write_mono_wav(&source, case.rate, &silence_then_tone(case.rate));
        }
        let path = workspace.path(case.file_name);
        encode(&case.encoder, &source, &path);

        let decoded = decode_ok(&path);
        let onset = onset_s(&decoded.samples).unwrap_or_else(|| panic!("{}: no onset found", case.name));
        let error_ms = (onset - ONSET_S) * 1000.0;
        eprintln!("{:<32} {:<10} onset error {error_ms:+7.2} ms", case.name, decoded.source.codec);
        measured.push((case.name, error_ms, decoded.warnings));
    }

    for (name, error_ms, warnings) in measured {
        assert!(
            error_ms.abs() <= TOLERANCE_MS,
            "{name}: the tone starts {error_ms:+.2} ms from where it was encoded (tolerance {TOLERANCE_MS} ms)"
        );
        // Dropped delay that looked like lost audio would be filled with silence, with a warning.
        assert!(warnings.is_empty(), "{name}: unexpected warnings: {warnings:?}");
    }
}

/// Apple's AAC encoder primes 2112 frames, which a file can state in its edit list as
/// ffmpeg's do. An ffmpeg file is made to look like one: its source is delayed by the extra
/// 1088 frames, and its edit list is changed from 1024 to 2112, so the edit spans three
/// packets and is longer than a gap the decoder fills with silence.
#[test]
fn apple_priming_edit_trimmed() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    let extra_frames = APPLE_PRIMING - FFMPEG_AAC_PRIMING;
    let mut samples = vec![0.0; extra_frames as usize];
    samples.extend(silence_then_tone(44_100));
    write_mono_wav(&source, 44_100, &samples);
    let path = workspace.path("apple.m4a");
    ffmpeg(&source, &["-c:a", "aac"], &path);

    set_first_media_time(&path, FFMPEG_AAC_PRIMING, APPLE_PRIMING);
    let decoded = decode_ok(&path);

    let onset = onset_s(&decoded.samples).expect("no onset found");
    let error_ms = (onset - ONSET_S) * 1000.0;
    assert!(error_ms.abs() <= TOLERANCE_MS, "the tone starts {error_ms:+.2} ms from where it was encoded");
    assert!(decoded.warnings.is_empty(), "unexpected warnings: {:?}", decoded.warnings);
}

/// Priming frames of ffmpeg's AAC encoder and of Apple's, at the source rate.
const FFMPEG_AAC_PRIMING: u32 = 1024;
const APPLE_PRIMING: u32 = 2112;

/// Replaces the `media_time` of the first entry of the only version 0 edit list in the MP4
/// file at `path`, after checking that it is `expected`.
fn set_first_media_time(path: &Path, expected: u32, media_time: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    let elst = bytes.windows(4).position(|window| window == b"elst").expect("no edit list");
    assert_eq!(bytes[elst + 4], 0, "edit list version");
    // After the type: version and flags, entry count, then the first entry's segment
    // duration and media time, 4 bytes each.
    let at = elst + 16;

    assert_eq!(u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()), expected);
    bytes[at..at + 4].copy_from_slice(&media_time.to_be_bytes());
    std::fs::write(path, bytes).unwrap();
}

/// Returns [`ONSET_S`] of digital silence followed by [`TONE_S`] of the tone, at `rate`.
fn silence_then_tone(rate: u32) -> Vec<f32> {
    let silent_frames = (ONSET_S * f64::from(rate)) as usize;
    let tone_frames = (TONE_S * f64::from(rate)) as usize;
    let tone = (0..tone_frames).map(|i| AMPLITUDE * (TAU * TONE_HZ * i as f32 / rate as f32).sin());

    std::iter::repeat_n(0.0, silent_frames).chain(tone).collect()
}

/// Returns the time in seconds of the first 16 kHz sample at or above the onset threshold.
fn onset_s(samples: &[f32]) -> Option<f64> {
    let threshold = ONSET_THRESHOLD * AMPLITUDE;
    let index = samples.iter().position(|sample| sample.abs() >= threshold)?;
    Some(index as f64 / 16_000.0)
}

fn encode(encoder: &Encoder, source: &Path, output: &Path) {
    match encoder {
        Encoder::Copy => {
            std::fs::copy(source, output).unwrap();
        }
        Encoder::Lame(args) => {
            let mut all = vec!["--quiet"];
            all.extend_from_slice(args);
            all.extend_from_slice(&[path_str(source), path_str(output)]);
            run_tool("lame", &all);
        }
        Encoder::Ffmpeg(args) => ffmpeg(source, args, output),
    }
}
