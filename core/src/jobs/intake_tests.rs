use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use super::*;

/// Writes one second of a 440 Hz tone as 16-bit mono WAV at `path`.
fn write_tone(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..16_000 {
        let t = n as f32 / 16_000.0;
        writer.write_sample(((t * 440.0 * std::f32::consts::TAU).sin() * 8000.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

fn accepted_paths(intake: &Intake) -> Vec<PathBuf> {
    intake.accepted.iter().map(|input| input.path.clone()).collect()
}

#[test]
fn odd_names_used_exactly_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<&OsStr> = vec![
        OsStr::new("two words.wav"),
        OsStr::new("é ü 日本語.wav"),
        OsStr::new("100% sure.wav"),
        OsStr::new("#1 take.wav"),
        OsStr::new("a%20b.wav"),
        OsStr::new("file:name?.wav"),
        // Not valid UTF-8: Linux file names are bytes.
        OsStr::from_bytes(b"caf\xe9.wav"),
    ];
    let paths: Vec<PathBuf> = names.iter().map(|name| dir.path().join(name)).collect();
    for path in &paths {
        write_tone(path);
    }

    let intake = collect_inputs(&paths);

    assert!(intake.rejected.is_empty(), "{:?}", intake.rejected);
    assert_eq!(accepted_paths(&intake), paths);
    assert!(!dir.path().join("a b.wav").exists(), "a%20b must not be decoded into a space");
}

#[test]
fn folders_searched_recursively_for_media_only() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("talks #2").join("day 1");
    fs::create_dir_all(&nested).unwrap();
    write_tone(&dir.path().join("talks #2").join("b.wav"));
    write_tone(&nested.join("a.WAV"));
    fs::write(nested.join("a.txt"), "an old transcript").unwrap();
    fs::write(nested.join("a.srt"), "1\n").unwrap();
    fs::write(nested.join("cover.jpg"), [0xff, 0xd8, 0xff]).unwrap();

    let intake = collect_inputs(&[dir.path().join("talks #2")]);

    assert!(intake.rejected.is_empty(), "{:?}", intake.rejected);
    assert_eq!(
        accepted_paths(&intake),
        vec![dir.path().join("talks #2/b.wav"), nested.join("a.WAV")]
    );
}

#[test]
fn broken_file_rejected_with_name_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken take.mp3");
    fs::write(&broken, b"this is not audio at all, just some text bytes").unwrap();
    let good = dir.path().join("good.wav");
    write_tone(&good);

    let intake = collect_inputs(&[broken.clone(), good.clone()]);

    assert_eq!(accepted_paths(&intake), vec![good]);
    assert_eq!(intake.rejected.len(), 1);
    assert_eq!(intake.rejected[0].path, broken);
    let message = &intake.rejected[0].message;
    assert!(message.contains("broken take.mp3"), "{message}");
    assert!(message.contains("not an audio or video file"), "{message}");
}

#[test]
fn missing_and_empty_files_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.wav");
    let empty = dir.path().join("empty.wav");
    fs::write(&empty, b"").unwrap();

    let intake = collect_inputs(&[missing, empty]);

    assert!(intake.accepted.is_empty());
    let messages: Vec<&str> = intake.rejected.iter().map(|r| r.message.as_str()).collect();
    assert!(messages[0].ends_with("gone.wav: file not found"), "{messages:?}");
    assert!(messages[1].contains("empty.wav: the file is empty"), "{messages:?}");
}

#[test]
fn text_file_given_directly_is_probed_and_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, "meeting notes").unwrap();

    let intake = collect_inputs(&[notes]);

    assert_eq!(intake.rejected.len(), 1);
    assert!(intake.rejected[0].message.contains("notes.txt"));
}

#[test]
fn folder_without_media_rejected() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readme.txt"), "no audio here").unwrap();

    let intake = collect_inputs(&[dir.path().to_path_buf()]);

    assert!(intake.accepted.is_empty());
    assert_eq!(intake.rejected.len(), 1);
    assert!(intake.rejected[0].message.ends_with("the folder contains no audio or video files"));
}

#[test]
fn same_file_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    write_tone(&tone);

    let intake = collect_inputs(&[tone.clone(), dir.path().to_path_buf(), tone.clone()]);

    assert_eq!(accepted_paths(&intake), vec![tone]);
}

#[test]
fn link_to_parent_folder_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner");
    fs::create_dir(&inner).unwrap();
    write_tone(&inner.join("tone.wav"));
    std::os::unix::fs::symlink(dir.path(), inner.join("loop")).unwrap();

    let intake = collect_inputs(&[dir.path().to_path_buf()]);

    assert_eq!(accepted_paths(&intake), vec![inner.join("tone.wav")]);
}

#[test]
fn probed_duration_kept() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    write_tone(&tone);

    let intake = collect_inputs(&[tone]);

    assert_eq!(intake.accepted[0].info.duration_ms, Some(1000));
}

#[test]
fn media_extensions_case_insensitive() {
    assert!(is_media_file_name(Path::new("a.MP3")));
    assert!(is_media_file_name(Path::new("dir.d/a.m4a")));
    assert!(!is_media_file_name(Path::new("a.srt")));
    assert!(!is_media_file_name(Path::new("wav")));
}
