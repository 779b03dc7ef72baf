//! Decoding files with random bytes overwritten or cut off: every result must be a typed
//! error or finite samples, never a panic.
//!
//! The damage is pseudo-random with a fixed seed, so failures reproduce.

mod support;

use std::path::PathBuf;

use support::*;
use whisperrr_core::audio::DecodeError;

/// Damaged copies decoded per source file.
const COPIES_PER_FILE: usize = 30;

/// A linear congruential generator (Knuth's MMIX constants), enough to spread damage.
struct Damage(u64);

impl Damage {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    /// Overwrites 1 to 20 bytes at random places, and cuts every fifth copy short.
    fn apply(&mut self, copy: usize, bytes: &mut Vec<u8>) {
        let changes = 1 + self.next() % 20;
        for _ in 0..changes {
            let position = self.next() % bytes.len();
            bytes[position] = self.next() as u8;
        }

        if copy % 5 == 0 {
            let keep = (self.next() % bytes.len()).max(1);
            bytes.truncate(keep);
        }
    }
}

fn source_files(workspace: &Workspace) -> Vec<PathBuf> {
    let wav = workspace.path("speech.wav");
    let stereo: Vec<f32> = speech_like(44_100, 1.0)
        .iter()
        .flat_map(|sample| [*sample, -*sample])
        .collect();
    write_wav(&wav, 44_100, 2, 16, false, &stereo);

    let mut files = vec![wav.clone()];
    let encodings = [
        ("speech.mp3", "libmp3lame"),
        ("speech.flac", "flac"),
        ("speech.ogg", "libvorbis"),
        ("speech.m4a", "aac"),
        ("lossless.m4a", "alac"),
        ("speech.mka", "libvorbis"),
        ("adpcm.wav", "adpcm_ms"),
    ];
    for (name, codec) in encodings {
        let path = workspace.path(name);
        ffmpeg(&wav, &["-c:a", codec], &path);
        files.push(path);
    }
    files
}

#[test]
fn damaged_files_never_panic() {
    let workspace = Workspace::new();
    let mut damage = Damage(0x5EED);

    for source in source_files(&workspace) {
        let original = std::fs::read(&source).unwrap();
        let name = source.file_name().unwrap().to_str().unwrap().to_owned();

        for copy in 0..COPIES_PER_FILE {
            let mut bytes = original.clone();
            damage.apply(copy, &mut bytes);
            let path = workspace.write(&format!("damaged_{copy}_{name}"), &bytes);

            match decode(&path) {
                Ok(decoded) => {
                    let finite = decoded.samples.iter().all(|sample| sample.is_finite());
                    assert!(finite, "copy {copy} of {name}: non-finite samples");
                }
                Err(DecodeError::Cancelled { .. }) => panic!("copy {copy} of {name}: cancelled"),
                Err(error) => {
                    let message = error.to_string();
                    assert!(message.contains(&name), "copy {copy} of {name}: {message}");
                }
            }
        }
    }
}

#[test]
fn undecodable_packets_cannot_inflate_output() {
    // Found by fuzzing: a file of mostly undecodable packets, each replaced by silence of
    // its stated length, decoded to minutes of silence from a few kilobytes. Silence for
    // lost audio is limited to twice the audio decoded plus 60 s.
    let workspace = Workspace::new();
    let source = workspace.path("tone.wav");
    write_mono_wav(&source, 24_000, &tone(24_000, 100.0));
    let clean = workspace.path("clean.mp3");
    run_tool("lame", &["--quiet", "-b", "32", "-t", path_str(&source), path_str(&clean)]);

    // Keep the first ten frames and destroy the audio data of every later one, keeping
    // each 4-byte header so the reader still finds the frames.
    let mut bytes = std::fs::read(&clean).unwrap();
    let frames: Vec<usize> = (0..bytes.len() - 1).filter(|&i| bytes[i] == 0xFF && bytes[i + 1] & 0xE0 == 0xE0).collect();
    let mut damaged = 0;
    for pair in frames.windows(2).skip(10) {
        let (start, end) = (pair[0], pair[1]);
        if end - start > 8 && bytes[start + 1] & 0xE0 == 0xE0 {
            bytes[start + 4..end].fill(0xFF);
            damaged += 1;
        }
    }
    assert!(damaged > 3_000, "only {damaged} frames damaged");
    let path = workspace.write("mostly damaged.mp3", &bytes);

    match decode(&path) {
        Ok(decoded) => {
            let seconds = decoded.samples.len() as f32 / 16_000.0;
            assert!(seconds <= 61.0, "{seconds} s decoded from 0.24 s of intact audio");
        }
        Err(error) => assert!(matches!(error, DecodeError::Undecodable { .. }), "{error}"),
    }
}
