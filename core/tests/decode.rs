//! Decoding real files, written at test time, to 16 kHz mono.
//!
//! Formats other than WAV are encoded with ffmpeg, sox or lame, which must be installed.

mod support;

use std::path::Path;

use support::*;
use whisperrr_core::audio::{
    decode_for_whisper, probe, DecodeError, DecodeWarning, DecodedAudio, ResamplerError,
};
use whisperrr_core::cancel::CancelToken;

/// Length of the encoded test files in seconds.
const SECONDS: f32 = 3.0;

/// Samples at 16 kHz in a file of [`SECONDS`].
const SAMPLES: usize = 48_000;

fn assert_names_file(error: &DecodeError, path: &Path) {
    let name = path.file_name().unwrap().to_str().unwrap();
    let message = error.to_string();
    assert!(
        message.contains(name),
        "message does not name {name}: {message}"
    );
    assert!(
        !message.contains('\n'),
        "message spans several lines: {message}"
    );
}

fn assert_no_warnings(decoded: &DecodedAudio) {
    assert!(
        decoded.warnings.is_empty(),
        "unexpected warnings: {:?}",
        decoded.warnings
    );
}

fn assert_len_within(decoded: &DecodedAudio, min: usize, max: usize, context: &str) {
    let len = decoded.samples.len();
    assert!(
        (min..=max).contains(&len),
        "{context}: {len} samples, expected {min}..={max}"
    );
}

fn truncated_warning(decoded: &DecodedAudio) -> Option<&DecodeWarning> {
    decoded
        .warnings
        .iter()
        .find(|warning| matches!(warning, DecodeWarning::Truncated { .. }))
}

// WAV files written with hound.

#[test]
fn wav_sample_formats_decode() {
    let workspace = Workspace::new();
    let formats = [
        (8, false, "pcm_u8"),
        (16, false, "pcm_s16le"),
        (24, false, "pcm_s24le"),
        (32, false, "pcm_s32le"),
        (32, true, "pcm_f32le"),
    ];

    for (bits, float, codec) in formats {
        let path = workspace.path(&format!("tone_{bits}_{float}.wav"));
        write_wav(&path, 44_100, 1, bits, float, &tone(44_100, 1.0));

        let decoded = decode_ok(&path);

        assert_eq!(decoded.source.codec, codec);
        assert_eq!(decoded.source.sample_rate, Some(44_100));
        assert_eq!(decoded.source.channels, Some(1));
        assert_len_within(&decoded, 15_999, 16_001, codec);
        assert_tone(&decoded.samples, TONE_AMPLITUDE, LOSSLESS_LEVEL, codec);
        assert_no_warnings(&decoded);
    }
}

#[test]
fn float_wav_with_huge_values_decodes_finite() {
    // Found by fuzzing: values near f32::MAX overflowed the resampler's FFT to infinity.
    let workspace = Workspace::new();
    let path = workspace.path("huge.wav");
    let mut samples = tone(44_100, 1.0);
    for sample in samples.iter_mut().step_by(7) {
        *sample = f32::MAX;
    }
    write_wav(&path, 44_100, 1, 32, true, &samples);

    let decoded = decode_ok(&path);

    assert!(decoded.samples.iter().all(|sample| sample.is_finite()), "non-finite samples");
    assert_len_within(&decoded, 15_999, 16_001, "1 s of float samples");
}

#[test]
fn adpcm_with_runaway_step_size_decodes() {
    // Found by fuzzing: nibbles that keep raising MS ADPCM's step size overflow symphonia's
    // 32-bit state. Builds with overflow checks panicked inside the decoder; the app's
    // builds, and these tests, do not check dependencies for overflow and get noise.
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_mono_wav(&source, 44_100, &tone(44_100, 1.0));
    let adpcm = workspace.path("adpcm.wav");
    ffmpeg(&source, &["-c:a", "adpcm_ms"], &adpcm);

    let mut bytes = std::fs::read(&adpcm).unwrap();
    let block_align = usize::from(u16::from_le_bytes([bytes[32], bytes[33]]));
    let data = bytes.windows(4).position(|window| window == b"data").unwrap() + 8;
    for block in bytes[data..].chunks_mut(block_align) {
        // Keep the 7-byte block header; nibble 8 multiplies the step size by 3.
        block.iter_mut().skip(7).for_each(|byte| *byte = 0x88);
    }
    let path = workspace.write("runaway.wav", &bytes);

    let decoded = decode_ok(&path);

    assert!(decoded.samples.iter().all(|sample| sample.is_finite()), "non-finite samples");
    // The last ADPCM block is padded to its full size: up to 2036 frames, 739 samples here.
    assert_len_within(&decoded, 15_999, 16_740, "1 s of ADPCM");
}

#[test]
fn wav_rates_decode_to_exact_length() {
    let workspace = Workspace::new();

    for rate in [
        8_000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000, 96_000, 16_007, 44_056,
    ] {
        let path = workspace.path(&format!("tone_{rate}.wav"));
        let input = tone(rate, 1.3);
        write_mono_wav(&path, rate, &input);

        let decoded = decode_ok(&path);

        let expected = samples_at_16k(input.len(), rate);
        let context = format!("{rate} Hz");
        assert_len_within(&decoded, expected - 1, expected + 1, &context);
        assert_tone(&decoded.samples, TONE_AMPLITUDE, LOSSLESS_LEVEL, &context);
        assert_eq!(decoded.source.sample_rate, Some(rate));
    }
}

#[test]
fn wav_stereo_right_channel_survives() {
    let workspace = Workspace::new();
    let path = workspace.path("right_only.wav");
    let right_only: Vec<f32> = tone(48_000, 1.0)
        .iter()
        .flat_map(|sample| [0.0, *sample])
        .collect();
    write_wav(&path, 48_000, 2, 16, false, &right_only);

    let decoded = decode_ok(&path);

    assert_eq!(decoded.source.channels, Some(2));
    assert_tone(
        &decoded.samples,
        TONE_AMPLITUDE / 2.0,
        LOSSLESS_LEVEL,
        "right channel only",
    );
}

#[test]
fn wav_six_channels_are_averaged() {
    let workspace = Workspace::new();
    let path = workspace.path("surround.wav");
    let mut interleaved = Vec::new();
    for sample in tone(48_000, 1.0) {
        interleaved.extend_from_slice(&[0.0, 0.0, 0.0, 0.0, sample, 0.0]);
    }
    write_wav(&path, 48_000, 6, 16, false, &interleaved);

    let decoded = decode_ok(&path);

    assert_eq!(decoded.source.channels, Some(6));
    assert_len_within(&decoded, 15_999, 16_001, "6 channels");
    assert_tone(
        &decoded.samples,
        TONE_AMPLITUDE / 6.0,
        LOSSLESS_LEVEL,
        "one of six channels",
    );
}

#[test]
fn wav_click_keeps_its_time() {
    let workspace = Workspace::new();
    let path = workspace.path("click.wav");
    let mut stereo = vec![0.0; 2 * 44_100];
    let click_frame = 22_050;
    stereo[2 * click_frame] = 0.9;
    stereo[2 * click_frame + 1] = 0.9;
    write_wav(&path, 44_100, 2, 16, false, &stereo);

    let decoded = decode_ok(&path);

    let peak = (0..decoded.samples.len())
        .max_by(|a, b| {
            decoded.samples[*a]
                .abs()
                .total_cmp(&decoded.samples[*b].abs())
        })
        .unwrap();
    assert!(
        peak.abs_diff(8_000) <= 1,
        "click at 0.5 s decoded at sample {peak}"
    );
}

#[test]
fn decode_reports_progress_every_second() {
    let workspace = Workspace::new();
    let path = workspace.path("long.wav");
    write_mono_wav(&path, 44_100, &tone(44_100, 5.5));
    let mut reports = Vec::new();

    decode_for_whisper(
        &path,
        &mut |progress| reports.push(progress),
        &CancelToken::new(),
    )
    .unwrap();

    assert!(
        reports.iter().all(|report| report.total_ms == Some(5_500)),
        "{reports:?}"
    );
    assert_eq!(reports.first().map(|report| report.decoded_ms), Some(0));
    assert_eq!(reports.last().map(|report| report.decoded_ms), Some(5_500));
    for pair in reports.windows(2) {
        let step = pair[1].decoded_ms - pair[0].decoded_ms;
        assert!(step <= 1_200, "{step} ms between reports: {reports:?}");
    }
}

#[test]
fn decode_stops_when_cancelled() {
    let workspace = Workspace::new();
    let path = workspace.path("cancel me.wav");
    write_mono_wav(&path, 44_100, &tone(44_100, 5.0));
    let cancel = CancelToken::new();

    let result = decode_for_whisper(
        &path,
        &mut |progress| {
            if progress.decoded_ms >= 1_000 {
                cancel.cancel();
            }
        },
        &cancel,
    );

    let error = result.unwrap_err();
    assert!(matches!(error, DecodeError::Cancelled { .. }), "{error}");
    assert_names_file(&error, &path);

    let error = decode_for_whisper(&path, &mut |_| {}, &cancel).unwrap_err();
    assert!(matches!(error, DecodeError::Cancelled { .. }), "{error}");
}

#[test]
fn probe_reads_container_facts() {
    let workspace = Workspace::new();
    let path = workspace.path("probe.wav");
    write_wav(&path, 22_050, 2, 16, false, &vec![0.1; 2 * 33_075]);

    let info = probe(&path).unwrap();

    assert_eq!(info.container, "wave");
    assert_eq!(info.codec, "pcm_s16le");
    assert_eq!(info.sample_rate, Some(22_050));
    assert_eq!(info.channels, Some(2));
    assert_eq!(info.duration_ms, Some(1_500));
}

// Inputs that must fail with a typed error that names the file.

fn assert_rejected(path: &Path, is_expected: fn(&DecodeError) -> bool) {
    for (step, result) in [
        ("probe", probe(path).map(|_| ())),
        ("decode", decode(path).map(|_| ())),
    ] {
        let error = result.expect_err(step);
        assert!(is_expected(&error), "{step}: unexpected error {error:?}");
        assert_names_file(&error, path);
    }
}

#[test]
fn zero_byte_file_is_empty() {
    let workspace = Workspace::new();
    let path = workspace.write("nothing.wav", b"");

    assert_rejected(&path, |error| matches!(error, DecodeError::Empty { .. }));
}

#[test]
fn wav_header_without_samples_is_rejected() {
    let workspace = Workspace::new();
    let mut header = Vec::new();
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&36u32.to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes()); // PCM
    header.extend_from_slice(&1u16.to_le_bytes()); // channels
    header.extend_from_slice(&16_000u32.to_le_bytes()); // sample rate
    header.extend_from_slice(&32_000u32.to_le_bytes()); // bytes per second
    header.extend_from_slice(&2u16.to_le_bytes()); // block align
    header.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    header.extend_from_slice(b"data");
    header.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(header.len(), 44);
    let path = workspace.write("header_only.wav", &header);

    let error = decode(&path).unwrap_err();

    assert!(matches!(error, DecodeError::NoSamples { .. }), "{error:?}");
    assert_names_file(&error, &path);
}

#[test]
fn text_renamed_to_mp3_is_unsupported() {
    let workspace = Workspace::new();
    let path = workspace.write("notes.mp3", b"hello");

    assert_rejected(&path, |error| {
        matches!(error, DecodeError::UnsupportedFormat { .. })
    });
}

#[test]
fn pdf_renamed_to_mp3_is_unsupported() {
    let workspace = Workspace::new();
    let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
        2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n\
        trailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let path = workspace.write("report.mp3", pdf);

    assert_rejected(&path, |error| {
        matches!(error, DecodeError::UnsupportedFormat { .. })
    });
}

#[test]
fn missing_path_is_not_found() {
    let workspace = Workspace::new();
    let path = workspace.path("gone.wav");

    assert_rejected(&path, |error| matches!(error, DecodeError::NotFound { .. }));
}

#[test]
fn directory_is_rejected() {
    let workspace = Workspace::new();
    let path = workspace.path("folder.wav");
    std::fs::create_dir(&path).unwrap();

    assert_rejected(&path, |error| {
        matches!(error, DecodeError::IsDirectory { .. })
    });
}

#[test]
fn video_without_audio_has_no_audio_track() {
    let workspace = Workspace::new();
    let path = workspace.path("silent film.mp4");
    run_tool(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=10:duration=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            path_str(&path),
        ],
    );

    assert_rejected(&path, |error| {
        matches!(error, DecodeError::NoAudioTrack { .. })
    });
}

#[test]
fn wav_rate_below_minimum_is_rejected() {
    let workspace = Workspace::new();
    let path = workspace.path("infrasound.wav");
    write_mono_wav(&path, 800, &tone(800, 1.0));

    let error = decode(&path).unwrap_err();

    assert!(
        matches!(
            &error,
            DecodeError::Resample {
                source: ResamplerError::UnsupportedRate { rate: 800 },
                ..
            }
        ),
        "{error:?}"
    );
    assert_names_file(&error, &path);
    assert!(error.to_string().contains("800 Hz"), "{error}");
}

#[test]
fn wma_is_unsupported_codec_named() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_mono_wav(&source, 44_100, &tone(44_100, 1.0));
    let path = workspace.path("voice.wma");
    ffmpeg(&source, &["-c:a", "wmav2"], &path);

    assert_rejected(&path, |error| {
        matches!(error, DecodeError::UnsupportedCodec { codec, .. } if codec.contains("Windows Media Audio"))
    });
    let message = probe(&path).unwrap_err().to_string();
    assert!(message.contains("WMA 2"), "{message}");
}

// Truncated and damaged files keep what can be decoded.

/// Writes the first `fraction` of the bytes of `path` to a new file named `name`.
fn write_prefix(
    workspace: &Workspace,
    path: &Path,
    fraction: f64,
    name: &str,
) -> std::path::PathBuf {
    let bytes = std::fs::read(path).unwrap();
    let keep = (bytes.len() as f64 * fraction) as usize;
    workspace.write(name, &bytes[..keep])
}

#[test]
fn truncated_wav_keeps_decoded_part() {
    let workspace = Workspace::new();
    let full = workspace.path("full.wav");
    write_mono_wav(&full, 44_100, &tone(44_100, 2.0));
    let path = write_prefix(&workspace, &full, 0.5, "cut.wav");

    let decoded = decode_ok(&path);

    // The reader may drop the packet that the cut splits, at most 1152 frames (418 samples
    // at 16 kHz) in symphonia 0.6.1.
    assert_len_within(&decoded, 15_550, 16_000, "half of a 2 s WAV");
    assert_eq!(
        truncated_warning(&decoded),
        Some(&DecodeWarning::Truncated {
            decoded_ms: decoded.duration_ms(),
            expected_ms: Some(2_000),
        })
    );
}

#[test]
fn truncated_mp3_keeps_decoded_part() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_mono_wav(&source, 44_100, &tone(44_100, SECONDS));
    let full = workspace.path("full.mp3");
    run_tool("lame", &["--quiet", path_str(&source), path_str(&full)]);
    let path = write_prefix(&workspace, &full, 0.5, "cut.mp3");

    let decoded = decode_ok(&path);

    assert_len_within(&decoded, 20_000, 28_000, "half of a 3 s MP3");
    let warning = truncated_warning(&decoded).expect("no Truncated warning");
    assert!(warning.to_string().contains("truncated"), "{warning}");
}

#[test]
fn truncated_flac_keeps_decoded_part() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_mono_wav(&source, 44_100, &tone(44_100, SECONDS));
    let full = workspace.path("full.flac");
    ffmpeg(&source, &["-c:a", "flac"], &full);
    let path = write_prefix(&workspace, &full, 0.6, "cut.flac");

    let decoded = decode_ok(&path);

    assert_len_within(&decoded, 20_000, 34_000, "60 % of a 3 s FLAC");
    assert!(
        truncated_warning(&decoded).is_some(),
        "{:?}",
        decoded.warnings
    );
}

#[test]
fn mp3_with_corrupt_frame_keeps_length() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_mono_wav(&source, 44_100, &tone(44_100, SECONDS));
    let clean = workspace.path("clean.mp3");
    run_tool("lame", &["--quiet", path_str(&source), path_str(&clean)]);

    // Overwrite the side information and audio data of the first frame after the middle of
    // the file, keeping its 4-byte header so the reader still finds the frame.
    let mut bytes = std::fs::read(&clean).unwrap();
    let middle = bytes.len() / 2;
    let frame = (middle..bytes.len() - 1)
        .find(|&i| bytes[i] == 0xFF && bytes[i + 1] & 0xE0 == 0xE0)
        .expect("no MP3 frame header after the middle");
    bytes[frame + 4..frame + 200].fill(0xFF);
    let damaged = workspace.write("damaged.mp3", &bytes);

    let reference = decode_ok(&clean);
    let decoded = decode_ok(&damaged);

    assert_eq!(decoded.samples.len(), reference.samples.len());
    let skipped = decoded
        .warnings
        .iter()
        .find_map(|warning| match warning {
            DecodeWarning::SkippedPackets {
                count, silence_ms, ..
            } => Some((*count, *silence_ms)),
            _ => None,
        })
        .expect("no SkippedPackets warning");
    assert!(skipped.0 >= 1, "{skipped:?}");
    assert!(
        skipped.1 >= 26,
        "an MP3 frame at 44.1 kHz lasts 26 ms: {skipped:?}"
    );

    // Audio well after the damage lines up with the clean decode, so the silence had the
    // right length.
    let tail = 40_000..46_000;
    let difference = rms(&decoded.samples[tail.clone()]
        .iter()
        .zip(&reference.samples[tail])
        .map(|(a, b)| a - b)
        .collect::<Vec<_>>());
    assert!(
        difference < 1e-4,
        "tail differs from the clean decode by RMS {difference}"
    );
}

// Formats encoded by external tools. Lossless codecs and gapless lossy streams decode to the
// source length within a sample. Some codec and container pairs add encoder delay or padding
// that symphonia 0.6 does not trim, and the bounds below state how much.

/// Extra samples at 16 kHz allowed after AAC in MP4: the priming frames are dropped as the
/// edit list states, but symphonia's AAC decoder keeps the padding of the last frame, up to
/// 1024 frames at 44.1 kHz.
const AAC_EXTRA: usize = 372;

/// Extra samples at 16 kHz allowed after Vorbis in Matroska, which has no end trimming in
/// symphonia: up to one 2048-frame block at 44.1 kHz.
const VORBIS_MKV_EXTRA: usize = 744;

struct Expected {
    container: &'static str,
    codec: &'static str,
    /// Samples at 16 kHz that the decoder may add after the source length.
    extra: usize,
    /// Relative RMS error allowed: [`LOSSLESS_LEVEL`] or [`LOSSY_LEVEL`].
    level: f32,
}

fn tone_source(workspace: &Workspace, channels: u16) -> std::path::PathBuf {
    let path = workspace.path("source.wav");
    let mono = tone(44_100, SECONDS);
    let interleaved: Vec<f32> = mono
        .iter()
        .flat_map(|sample| std::iter::repeat_n(*sample, channels.into()))
        .collect();
    write_wav(&path, 44_100, channels, 16, false, &interleaved);
    path
}

fn check_decoded(path: &Path, expected: Expected) {
    let decoded = decode_ok(path);
    let context = path.file_name().unwrap().to_str().unwrap();

    assert_eq!(decoded.source.container, expected.container, "{context}");
    assert_eq!(decoded.source.codec, expected.codec, "{context}");
    assert_eq!(decoded.source.sample_rate, Some(44_100), "{context}");
    assert_len_within(&decoded, SAMPLES - 1, SAMPLES + 1 + expected.extra, context);
    assert_tone(&decoded.samples, TONE_AMPLITUDE, expected.level, context);
    assert_no_warnings(&decoded);
}

fn check_ffmpeg_audio(name: &str, codec_args: &[&str], expected: Expected) {
    let workspace = Workspace::new();
    let source = tone_source(&workspace, 2);
    let path = workspace.path(name);
    ffmpeg(&source, codec_args, &path);

    check_decoded(&path, expected);
}

#[test]
fn mp3_from_lame_decodes() {
    let workspace = Workspace::new();
    let source = tone_source(&workspace, 2);
    let path = workspace.path("lame.mp3");
    run_tool("lame", &["--quiet", path_str(&source), path_str(&path)]);

    check_decoded(
        &path,
        Expected {
            container: "mp3",
            codec: "mp3",
            extra: 0,
            level: LOSSY_LEVEL,
        },
    );
}

#[test]
fn mp3_from_ffmpeg_decodes() {
    let expected = Expected {
        container: "mp3",
        codec: "mp3",
        extra: 0,
        level: LOSSY_LEVEL,
    };
    check_ffmpeg_audio(
        "ffmpeg.mp3",
        &["-c:a", "libmp3lame", "-b:a", "96k"],
        expected,
    );
}

#[test]
fn flac_decodes() {
    let expected = Expected {
        container: "flac",
        codec: "flac",
        extra: 0,
        level: LOSSLESS_LEVEL,
    };
    check_ffmpeg_audio("tone.flac", &["-c:a", "flac"], expected);
}

#[test]
fn ogg_vorbis_decodes() {
    let expected = Expected {
        container: "ogg",
        codec: "vorbis",
        extra: 0,
        level: LOSSY_LEVEL,
    };
    check_ffmpeg_audio("tone.ogg", &["-c:a", "libvorbis"], expected);
}

/// Extra samples at 16 kHz allowed after Opus in Matroska, whose end padding symphonia
/// 0.6.1's reader does not pass on: up to one 20 ms packet.
const OPUS_MKV_EXTRA: usize = 320;

#[test]
fn ogg_opus_decodes() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_mono_wav(&source, 48_000, &tone(48_000, SECONDS));
    let path = workspace.path("voice note.opus");
    ffmpeg(&source, &["-c:a", "libopus", "-b:a", "32k"], &path);

    let decoded = decode_ok(&path);

    assert_eq!(decoded.source.container, "ogg");
    assert_eq!(decoded.source.codec, "opus");
    assert_eq!(decoded.source.sample_rate, Some(48_000));
    assert_len_within(&decoded, SAMPLES - 1, SAMPLES + 1, "Ogg Opus");
    assert_tone(&decoded.samples, TONE_AMPLITUDE, LOSSY_LEVEL, "Ogg Opus");
    assert_no_warnings(&decoded);
}

#[test]
fn webm_opus_decodes() {
    let workspace = Workspace::new();
    let source = workspace.path("source.wav");
    write_wav(&source, 48_000, 2, 16, false, &tone(48_000, SECONDS).iter().flat_map(|s| [*s, *s]).collect::<Vec<_>>());
    let path = workspace.path("recording.webm");
    ffmpeg(&source, &["-c:a", "libopus"], &path);

    let decoded = decode_ok(&path);

    assert_eq!(decoded.source.container, "matroska");
    assert_eq!(decoded.source.codec, "opus");
    assert_eq!(decoded.source.channels, Some(2));
    assert_len_within(&decoded, SAMPLES - 1, SAMPLES + 1 + OPUS_MKV_EXTRA, "WebM Opus");
    assert_tone(&decoded.samples, TONE_AMPLITUDE, LOSSY_LEVEL, "WebM Opus");
    assert_no_warnings(&decoded);
}

#[test]
fn m4a_aac_decodes() {
    let expected = Expected {
        container: "isomp4",
        codec: "aac",
        extra: AAC_EXTRA,
        level: LOSSY_LEVEL,
    };
    check_ffmpeg_audio("tone.m4a", &["-c:a", "aac"], expected);
}

#[test]
fn m4a_alac_decodes() {
    let expected = Expected {
        container: "isomp4",
        codec: "alac",
        extra: 0,
        level: LOSSLESS_LEVEL,
    };
    check_ffmpeg_audio("lossless.m4a", &["-c:a", "alac"], expected);
}

#[test]
fn caf_alac_decodes() {
    let expected = Expected {
        container: "caf",
        codec: "alac",
        extra: 0,
        level: LOSSLESS_LEVEL,
    };
    check_ffmpeg_audio("lossless.caf", &["-c:a", "alac"], expected);
}

#[test]
fn caf_pcm_decodes() {
    let expected = Expected {
        container: "caf",
        codec: "pcm_s16le",
        extra: 0,
        level: LOSSLESS_LEVEL,
    };
    check_ffmpeg_audio("tone.caf", &["-c:a", "pcm_s16le"], expected);
}

#[test]
fn aiff_from_sox_decodes() {
    let workspace = Workspace::new();
    let source = tone_source(&workspace, 2);
    let path = workspace.path("tone.aiff");
    run_tool("sox", &[path_str(&source), path_str(&path)]);

    check_decoded(
        &path,
        Expected {
            container: "aiff",
            codec: "pcm_s16be",
            extra: 0,
            level: LOSSLESS_LEVEL,
        },
    );
}

#[test]
fn mka_flac_decodes() {
    let expected = Expected {
        container: "matroska",
        codec: "flac",
        extra: 0,
        level: LOSSLESS_LEVEL,
    };
    check_ffmpeg_audio("tone.mka", &["-c:a", "flac"], expected);
}

#[test]
fn chained_ogg_follows_sample_rate_change() {
    let workspace = Workspace::new();
    let first = workspace.path("first.wav");
    write_mono_wav(&first, 44_100, &tone(44_100, 2.0));
    let second = workspace.path("second.wav");
    write_mono_wav(&second, 48_000, &tone(48_000, 1.0));
    let first_ogg = workspace.path("first.ogg");
    ffmpeg(&first, &["-c:a", "libvorbis"], &first_ogg);
    let second_ogg = workspace.path("second.ogg");
    ffmpeg(&second, &["-c:a", "libvorbis"], &second_ogg);

    // Concatenated Ogg files form one chained stream, where symphonia's reader returns
    // `ResetRequired` at the start of the second link.
    let mut chained = std::fs::read(&first_ogg).unwrap();
    chained.extend(std::fs::read(&second_ogg).unwrap());
    let path = workspace.write("chained.ogg", &chained);

    let decoded = decode_ok(&path);

    assert_len_within(&decoded, SAMPLES - 2, SAMPLES + 2, "2 s + 1 s");
    assert_tone(&decoded.samples, TONE_AMPLITUDE, LOSSY_LEVEL, "first link");
    assert_tone(
        &decoded.samples[32_000..],
        TONE_AMPLITUDE,
        LOSSY_LEVEL,
        "second link",
    );
    assert_eq!(
        decoded.warnings,
        vec![DecodeWarning::SampleRateChanged {
            from_hz: 44_100,
            to_hz: 48_000,
            at_ms: 2_000
        }]
    );
}

// Audio tracks of videos, with a speech-like signal.

/// Encodes a 3 s test picture with the speech-like signal as its sound.
fn write_video(
    workspace: &Workspace,
    name: &str,
    codec_args: &[&str],
) -> (std::path::PathBuf, Vec<f32>) {
    let speech = speech_like(44_100, SECONDS);
    let source = workspace.path("speech.wav");
    write_mono_wav(&source, 44_100, &speech);
    let path = workspace.path(name);

    let mut args = vec![
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x64:rate=10:duration=3",
        "-i",
        path_str(&source),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-pix_fmt",
        "yuv420p",
    ];
    args.extend_from_slice(codec_args);
    args.push(path_str(&path));
    run_tool("ffmpeg", &args);

    (path, speech)
}

fn check_video(name: &str, codec_args: &[&str], expected: Expected) {
    let workspace = Workspace::new();
    let (path, speech) = write_video(&workspace, name, codec_args);

    let decoded = decode_ok(&path);

    assert_eq!(decoded.source.container, expected.container, "{name}");
    assert_eq!(decoded.source.codec, expected.codec, "{name}");
    assert_len_within(&decoded, SAMPLES - 1, SAMPLES + 1 + expected.extra, name);
    assert_no_warnings(&decoded);

    let level = rms(&decoded.samples[..SAMPLES]);
    let source_level = rms(&speech);
    assert!(
        (level - source_level).abs() < source_level * 0.05,
        "{name}: RMS {level}, source RMS {source_level}"
    );
}

#[test]
fn mp4_video_audio_track_decodes() {
    let expected = Expected {
        container: "isomp4",
        codec: "aac",
        extra: AAC_EXTRA,
        level: LOSSY_LEVEL,
    };
    check_video("clip.mp4", &["-c:v", "libx264", "-c:a", "aac"], expected);
}

#[test]
fn mov_video_audio_track_decodes() {
    let expected = Expected {
        container: "isomp4",
        codec: "pcm_s16le",
        extra: 0,
        level: LOSSLESS_LEVEL,
    };
    check_video(
        "clip.mov",
        &["-c:v", "mpeg4", "-c:a", "pcm_s16le"],
        expected,
    );
}

#[test]
fn mkv_video_audio_track_decodes() {
    let expected = Expected {
        container: "matroska",
        codec: "vorbis",
        extra: VORBIS_MKV_EXTRA,
        level: LOSSY_LEVEL,
    };
    check_video(
        "clip.mkv",
        &["-c:v", "libx264", "-c:a", "libvorbis"],
        expected,
    );
}

#[test]
fn webm_video_audio_track_decodes() {
    let expected = Expected {
        container: "matroska",
        codec: "vorbis",
        extra: VORBIS_MKV_EXTRA,
        level: LOSSY_LEVEL,
    };
    check_video(
        "clip.webm",
        &["-c:v", "libvpx", "-c:a", "libvorbis"],
        expected,
    );
}

#[test]
fn mkv_skips_undecodable_first_audio_track() {
    let workspace = Workspace::new();
    let long = workspace.path("long.wav");
    write_mono_wav(&long, 48_000, &tone(48_000, 3.0));
    let short = workspace.path("short.wav");
    write_mono_wav(&short, 44_100, &tone(44_100, 2.0));
    let path = workspace.path("two tracks.mkv");
    run_tool(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            path_str(&long),
            "-i",
            path_str(&short),
            "-map",
            "0:a",
            "-map",
            "1:a",
            "-c:a:0",
            "ac3",
            "-c:a:1",
            "libvorbis",
            path_str(&path),
        ],
    );

    let decoded = decode_ok(&path);

    // The AC-3 track comes first and cannot be decoded, so the Vorbis track is used. The
    // file's 3 s duration belongs to the AC-3 track and must not count as truncation.
    assert_eq!(decoded.source.codec, "vorbis");
    assert_eq!(decoded.source.sample_rate, Some(44_100));
    assert_len_within(
        &decoded,
        31_999,
        32_001 + VORBIS_MKV_EXTRA,
        "2 s Vorbis track",
    );
    assert_tone(
        &decoded.samples,
        TONE_AMPLITUDE,
        LOSSY_LEVEL,
        "Vorbis track",
    );
    assert_no_warnings(&decoded);
}
