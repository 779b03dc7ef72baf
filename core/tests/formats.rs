//! Every supported format, written at test time from the same real speech (`jfk.wav`,
//! 11 s) and transcribed by a whole job with tiny.en on one thread. Each transcript must
//! match the reference text. Files are made with sox, ffmpeg and lame, or with the small
//! writers below where the tools cannot produce the layout (a plain 24-bit WAV header, a
//! large ID3 cover, an HE-AAC configuration).
//!
//! These tests run whisper, so they run one at a time: `-- --test-threads=1`.

mod support;

use std::path::PathBuf;

use support::transcription::{tiny_model, transcribe_file, wer_of, Failures};
use support::{ffmpeg, path_str, run_tool, Workspace};
use whisperrr_core::audio::DecodeError;
use whisperrr_core::job::JobError;
use whisperrr_testkit::{clip, reference};

/// Word error rate allowed on the 11 s clip, whose clean WAV tiny.en transcribes with none.
const MAX_WER: f64 = 0.10;

/// A file to write from `jfk.wav`, and what its job must report.
struct Case {
    name: &'static str,
    write: fn(&Workspace) -> PathBuf,
    /// Expected container and codec, as [`whisperrr_core::audio::AudioInfo`] names them.
    container: &'static str,
    codec: &'static str,
    max_wer: f64,
}

/// Runs every case and checks its transcript, its format and that it raised no warning.
fn check_cases(cases: &[Case]) {
    let model = tiny_model();
    let expected = reference("jfk.wav");
    let mut failures = Failures::default();

    for case in cases {
        let workspace = Workspace::new();
        let path = (case.write)(&workspace);
        let run = transcribe_file(&model, &path);
        let outcome = match &run.result {
            Ok(outcome) => outcome,
            Err(error) => {
                failures.check(false, || format!("{}: the job failed: {error}", case.name));
                continue;
            }
        };

        let wer = wer_of(case.name, &expected, &run.text());
        failures.check(wer <= case.max_wer, || format!("{}: WER {wer:.3}: {}", case.name, run.text()));
        failures.check(outcome.source.container == case.container, || {
            format!("{}: container {}, expected {}", case.name, outcome.source.container, case.container)
        });
        failures.check(outcome.source.codec == case.codec, || {
            format!("{}: codec {}, expected {}", case.name, outcome.source.codec, case.codec)
        });
        failures.check(outcome.warnings.is_empty(), || format!("{}: warnings {:?}", case.name, outcome.warnings));
        let duration_ms = outcome.transcript.duration_ms;
        failures.check((10_900..=11_200).contains(&duration_ms), || {
            format!("{}: {duration_ms} ms decoded, expected 11 s at the right speed", case.name)
        });
    }
    failures.assert_none();
}

fn jfk() -> PathBuf {
    clip("jfk.wav")
}

/// Encodes `jfk.wav` with ffmpeg into `name`, with `args` between input and output.
fn with_ffmpeg(workspace: &Workspace, name: &str, args: &[&str]) -> PathBuf {
    let path = workspace.path(name);
    ffmpeg(&jfk(), args, &path);
    path
}

/// Converts `jfk.wav` with sox into `name`, with `args` as output options.
fn with_sox(workspace: &Workspace, name: &str, args: &[&str]) -> PathBuf {
    with_sox_effects(workspace, name, args, &[])
}

/// Converts `jfk.wav` with sox into `name`, with `args` as output options and `effects`
/// after the output.
fn with_sox_effects(workspace: &Workspace, name: &str, args: &[&str], effects: &[&str]) -> PathBuf {
    let path = workspace.path(name);
    let source = jfk();
    let mut all = vec![path_str(&source)];
    all.extend_from_slice(args);
    all.push(path_str(&path));
    all.extend_from_slice(effects);
    run_tool("sox", &all);
    path
}

/// Encodes `jfk.wav` with lame into `name`.
fn with_lame(workspace: &Workspace, name: &str, args: &[&str]) -> PathBuf {
    let path = workspace.path(name);
    let source = jfk();
    let mut all = vec!["--quiet"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[path_str(&source), path_str(&path)]);
    run_tool("lame", &all);
    path
}

/// The 16-bit samples of `jfk.wav` (16 kHz mono).
fn jfk_samples() -> Vec<i16> {
    hound::WavReader::open(jfk()).unwrap().samples::<i16>().map(Result::unwrap).collect()
}

/// Writes a WAV file with a plain 16-byte `fmt ` chunk (no extensible header) of format
/// `tag` (1 integer PCM, 3 float), mono at 16 kHz, holding `data`.
fn write_plain_wav(workspace: &Workspace, name: &str, tag: u16, bits: u16, data: &[u8]) -> PathBuf {
    let block_align = bits / 8;
    let mut bytes = b"RIFF".to_vec();
    bytes.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&tag.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&16_000u32.to_le_bytes());
    bytes.extend_from_slice(&(16_000 * u32::from(block_align)).to_le_bytes());
    bytes.extend_from_slice(&block_align.to_le_bytes());
    bytes.extend_from_slice(&bits.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
    bytes.extend_from_slice(data);
    workspace.write(name, &bytes)
}

/// Bytes from a linear congruential generator, never 0xFF, so they hold no MPEG sync word.
fn junk(len: usize) -> Vec<u8> {
    let mut state = 0x1234_5678_u32;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((state >> 16) % 255) as u8
        })
        .collect()
}

/// An ID3v2.3 tag with one APIC frame (an attached picture) of `picture_len` bytes.
fn id3_with_cover(picture_len: usize) -> Vec<u8> {
    let mut body = vec![0]; // text encoding: ISO-8859-1
    body.extend_from_slice(b"image/jpeg\0");
    body.push(3); // picture type: front cover
    body.push(0); // empty description
    body.extend(junk(picture_len));

    let mut frame = b"APIC".to_vec();
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend(body);

    // The tag size is "syncsafe": seven bits per byte.
    let size = frame.len() as u32;
    let mut tag = b"ID3\x03\x00\x00".to_vec();
    tag.extend((0..4).rev().map(|byte| ((size >> (7 * byte)) & 0x7F) as u8));
    tag.extend(frame);
    tag
}

#[test]
fn wav_variants_transcribed() {
    check_cases(&[
        Case {
            // Normalised to -1 dBFS first, as 8-bit recordings are made: at the clip's own
            // level, 8 bits leave too little signal above the quantisation noise.
            name: "WAV PCM 8-bit unsigned",
            write: |w| with_sox_effects(w, "u8.wav", &["-b", "8", "-e", "unsigned-integer"], &["gain", "-n", "-1"]),
            container: "wave",
            codec: "pcm_u8",
            // 8-bit noise costs tiny.en two words ("America asked", 0.136 when measured).
            max_wer: 0.15,
        },
        Case { name: "WAV PCM 16-bit, 44.1 kHz", write: |w| with_sox(w, "s16.wav", &["-r", "44100"]), container: "wave", codec: "pcm_s16le", max_wer: MAX_WER },
        Case {
            name: "WAV PCM 24-bit",
            write: |w| {
                let data: Vec<u8> = jfk_samples().iter().flat_map(|s| (i32::from(*s) << 8).to_le_bytes()[..3].to_vec()).collect();
                write_plain_wav(w, "s24.wav", 1, 24, &data)
            },
            container: "wave",
            codec: "pcm_s24le",
            max_wer: MAX_WER,
        },
        Case {
            name: "WAV PCM 32-bit",
            write: |w| {
                let data: Vec<u8> = jfk_samples().iter().flat_map(|s| (i32::from(*s) << 16).to_le_bytes()).collect();
                write_plain_wav(w, "s32.wav", 1, 32, &data)
            },
            container: "wave",
            codec: "pcm_s32le",
            max_wer: MAX_WER,
        },
        Case {
            name: "WAV float 32-bit",
            write: |w| {
                let data: Vec<u8> = jfk_samples().iter().flat_map(|s| (f32::from(*s) / 32768.0).to_le_bytes()).collect();
                write_plain_wav(w, "f32.wav", 3, 32, &data)
            },
            container: "wave",
            codec: "pcm_f32le",
            max_wer: MAX_WER,
        },
        Case { name: "WAV A-law, 8 kHz", write: |w| with_ffmpeg(w, "alaw.wav", &["-ar", "8000", "-c:a", "pcm_alaw"]), container: "wave", codec: "pcm_alaw", max_wer: MAX_WER },
        Case { name: "WAV mu-law, 8 kHz", write: |w| with_ffmpeg(w, "mulaw.wav", &["-ar", "8000", "-c:a", "pcm_mulaw"]), container: "wave", codec: "pcm_mulaw", max_wer: MAX_WER },
        Case {
            // ffmpeg writes WAVE_FORMAT_EXTENSIBLE for samples wider than 16 bits.
            name: "WAV extensible, 24-bit 48 kHz",
            write: |w| with_ffmpeg(w, "extensible.wav", &["-ar", "48000", "-c:a", "pcm_s24le"]),
            container: "wave",
            codec: "pcm_s24le",
            max_wer: MAX_WER,
        },
        Case {
            name: "WAV 5.1, speech on the centre",
            write: |w| with_ffmpeg(w, "surround.wav", &["-af", "pan=5.1|FC=c0", "-c:a", "pcm_s16le"]),
            container: "wave",
            codec: "pcm_s16le",
            max_wer: MAX_WER,
        },
    ]);
}

#[test]
fn mp3_variants_transcribed() {
    check_cases(&[
        Case { name: "MP3 CBR with Info header", write: |w| with_lame(w, "cbr.mp3", &["-b", "64", "--cbr"]), container: "mp3", codec: "mp3", max_wer: MAX_WER },
        Case { name: "MP3 CBR without header", write: |w| with_lame(w, "cbr bare.mp3", &["-b", "64", "--cbr", "-t"]), container: "mp3", codec: "mp3", max_wer: MAX_WER },
        Case { name: "MP3 VBR with Xing header", write: |w| with_lame(w, "vbr.mp3", &["-V", "5"]), container: "mp3", codec: "mp3", max_wer: MAX_WER },
        Case { name: "MP3 VBR without Xing header", write: |w| with_lame(w, "vbr bare.mp3", &["-V", "5", "-t"]), container: "mp3", codec: "mp3", max_wer: MAX_WER },
        Case {
            name: "MP3 with a 2 MB ID3v2 cover image",
            write: |w| {
                let mp3 = std::fs::read(with_lame(w, "plain.mp3", &["-b", "64"])).unwrap();
                let mut bytes = id3_with_cover(2 * 1024 * 1024);
                bytes.extend(mp3);
                w.write("cover.mp3", &bytes)
            },
            container: "mp3",
            codec: "mp3",
            max_wer: MAX_WER,
        },
        Case {
            name: "MP3 with junk before the first frame",
            write: |w| {
                let mp3 = std::fs::read(with_lame(w, "plain.mp3", &["-b", "64"])).unwrap();
                let mut bytes = junk(4_000);
                bytes.extend(mp3);
                w.write("junk.mp3", &bytes)
            },
            container: "mp3",
            codec: "mp3",
            max_wer: MAX_WER,
        },
    ]);
}

#[test]
fn lossless_and_xiph_formats_transcribed() {
    check_cases(&[
        Case { name: "FLAC 16-bit 44.1 kHz", write: |w| with_sox(w, "s16.flac", &["-r", "44100"]), container: "flac", codec: "flac", max_wer: MAX_WER },
        Case { name: "FLAC 24-bit 96 kHz", write: |w| with_sox(w, "hires.flac", &["-b", "24", "-r", "96000"]), container: "flac", codec: "flac", max_wer: MAX_WER },
        Case { name: "Ogg Vorbis", write: |w| with_ffmpeg(w, "speech.ogg", &["-c:a", "libvorbis"]), container: "ogg", codec: "vorbis", max_wer: MAX_WER },
        Case {
            name: "Opus voice note in Ogg, 16 kb/s",
            write: |w| with_ffmpeg(w, "voice note.opus", &["-c:a", "libopus", "-application", "voip", "-b:a", "16k"]),
            container: "ogg",
            codec: "opus",
            max_wer: MAX_WER,
        },
        Case { name: "Opus in WebM", write: |w| with_ffmpeg(w, "recording.webm", &["-c:a", "libopus"]), container: "matroska", codec: "opus", max_wer: MAX_WER },
        Case { name: "AIFF", write: |w| with_sox(w, "speech.aiff", &[]), container: "aiff", codec: "pcm_s16be", max_wer: MAX_WER },
    ]);
}

#[test]
fn mp4_audio_transcribed() {
    check_cases(&[
        Case { name: "M4A AAC, index at the end", write: |w| with_ffmpeg(w, "end.m4a", &["-c:a", "aac"]), container: "isomp4", codec: "aac", max_wer: MAX_WER },
        Case {
            name: "M4A AAC, index at the start",
            write: |w| with_ffmpeg(w, "start.m4a", &["-c:a", "aac", "-movflags", "+faststart"]),
            container: "isomp4",
            codec: "aac",
            max_wer: MAX_WER,
        },
        Case { name: "M4A ALAC", write: |w| with_ffmpeg(w, "lossless.m4a", &["-c:a", "alac"]), container: "isomp4", codec: "alac", max_wer: MAX_WER },
        Case { name: "HE-AAC (explicit SBR)", write: he_aac_m4a, container: "isomp4", codec: "aac", max_wer: MAX_WER },
    ]);
}

#[test]
fn video_audio_tracks_transcribed() {
    check_cases(&[
        Case { name: "MP4 video, AAC", write: |w| video(w, "clip.mp4", &["-c:v", "libx264", "-c:a", "aac"]), container: "isomp4", codec: "aac", max_wer: MAX_WER },
        Case { name: "MOV video, AAC", write: |w| video(w, "clip.mov", &["-c:v", "libx264", "-c:a", "aac"]), container: "isomp4", codec: "aac", max_wer: MAX_WER },
        Case { name: "MKV video, AAC", write: |w| video(w, "clip.mkv", &["-c:v", "libx264", "-c:a", "aac"]), container: "matroska", codec: "aac", max_wer: MAX_WER },
        Case { name: "WebM video, Opus", write: |w| video(w, "clip.webm", &["-c:v", "libvpx", "-c:a", "libopus"]), container: "matroska", codec: "opus", max_wer: MAX_WER },
    ]);
}

/// Writes an 11 s 64x64 test picture with `jfk.wav` as its sound.
fn video(workspace: &Workspace, name: &str, codec_args: &[&str]) -> PathBuf {
    let path = workspace.path(name);
    let source = jfk();
    let mut args = vec![
        "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=11",
        "-i", path_str(&source), "-map", "0:v", "-map", "1:a", "-pix_fmt", "yuv420p", "-shortest",
    ];
    args.extend_from_slice(codec_args);
    args.push(path_str(&path));
    run_tool("ffmpeg", &args);
    path
}

/// Writes an M4A whose AudioSpecificConfig announces HE-AAC (SBR over an AAC-LC core at
/// 24 kHz, 48 kHz output) with backward-compatible explicit signalling: the LC
/// configuration followed by the 0x2B7 sync extension with the SBR flag set.
///
/// No HE-AAC encoder is installed, so ffmpeg's AAC-LC stream at 24 kHz gets that
/// configuration: its packets are exactly an HE-AAC core without SBR data. A decoder that
/// took the 48 kHz output rate for the core's would play it at twice the speed. ffmpeg
/// writes the same extension with the SBR flag clear, so the configuration keeps its
/// length and no box size changes.
fn he_aac_m4a(workspace: &Workspace) -> PathBuf {
    let lc = with_ffmpeg(workspace, "lc.m4a", &["-ar", "24000", "-c:a", "aac"]);
    let mut bytes = std::fs::read(lc).unwrap();

    // LC, 24 kHz (index 6), mono; sync extension 0x2B7, object type 5, SBR present,
    // output rate index 3 (48 kHz).
    let lc_config = [0x13, 0x08, 0x56, 0xE5, 0x00];
    let he_aac_config = [0x13, 0x08, 0x56, 0xE5, 0x98];
    // The DecoderSpecificInfo descriptor: tag 5 and a four-byte size, as ffmpeg writes it.
    let mut descriptor = vec![0x05, 0x80, 0x80, 0x80, lc_config.len() as u8];
    descriptor.extend_from_slice(&lc_config);
    let at = find(&bytes, &descriptor).expect("ffmpeg's AAC-LC configuration with the sync extension");
    bytes[at + 5..at + 10].copy_from_slice(&he_aac_config);

    workspace.write("he-aac.m4a", &bytes)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[test]
fn wma_refused_naming_codec() {
    let workspace = Workspace::new();
    let path = with_ffmpeg(&workspace, "voice.wma", &["-c:a", "wmav2"]);

    let run = transcribe_file(&tiny_model(), &path);
    let phases: Vec<_> = run.progress().into_iter().map(|(phase, _)| phase).collect();

    let error = match run.result {
        Err(JobError::Decode(error @ DecodeError::UnsupportedCodec { .. })) => error,
        other => panic!("expected the codec to be refused, got {:?}", other.map(|outcome| outcome.transcript)),
    };
    assert_eq!(
        error.to_string(),
        format!("{}: the audio codec WMA 2 (Windows Media Audio) is not supported", path.display())
    );
    assert!(
        phases.iter().all(|phase| *phase == whisperrr_core::job::Phase::Decoding),
        "the file was not refused before transcription: {phases:?}"
    );
}
