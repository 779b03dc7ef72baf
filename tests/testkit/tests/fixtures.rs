//! Fetches the real speech fixtures (downloading about 78 MB on the first run) and checks
//! every clip against its pin.

use std::path::Path;
use std::thread;

use sha2::{Digest, Sha256};
use whisperrr_testkit::{clips, fetch_speech, reference, speech_dir, wav};

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    format!("{:x}", Sha256::digest(bytes))
}

fn copy_folder(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn every_clip_matches_its_pin() {
    let folder = speech_dir();

    for clip in clips() {
        let path = folder.join(clip.name);

        assert_eq!(sha256_of(&path), clip.sha256, "{}", clip.name);
    }
}

#[test]
fn every_clip_has_a_reference() {
    for clip in clips() {
        let text = reference(clip.name);

        assert!(
            !text.trim().is_empty(),
            "{} has an empty reference",
            clip.name
        );
        assert!(
            !text.ends_with('\n'),
            "{} reference keeps its newline",
            clip.name
        );
    }
}

#[test]
fn references_come_from_packages() {
    assert_eq!(
        reference("jfk.wav"),
        "And so, my fellow Americans, ask not what your country can do for you, ask what you \
         can do for your country."
    );
    assert_eq!(reference("cards_004.wav"), "five five");
    assert_eq!(
        reference("librivox_0880.wav"),
        "he was not an ill disposed young man"
    );
    assert!(reference("asterisk_fr_demo-echotest_8k.wav")
        .starts_with("Vous etes sur le point d'entreprendre"));
    assert!(
        reference("asterisk_en_long_8k.wav").starts_with("Congratulations. You have successfully")
    );
    assert!(reference("asterisk_en_long_8k.wav").ends_with("send them to voicemail."));
}

#[test]
fn wav_headers_match_clip_info() {
    let folder = speech_dir();

    for clip in clips().iter().filter(|clip| clip.name.ends_with(".wav")) {
        let bytes = std::fs::read(folder.join(clip.name)).unwrap();
        let parsed = wav::parse(&bytes).unwrap_or_else(|error| panic!("{}: {error}", clip.name));

        assert_eq!(parsed.format.sample_rate, clip.sample_rate, "{}", clip.name);
        assert_eq!(parsed.format.channels, clip.channels, "{}", clip.name);
        assert_eq!(parsed.format.bits_per_sample, 16, "{}", clip.name);
        assert!(
            (parsed.duration_s() - clip.duration_s).abs() < 0.001,
            "{}: {} s in the file, {} s listed",
            clip.name,
            parsed.duration_s(),
            clip.duration_s
        );
    }
}

#[test]
fn clips_cover_both_languages() {
    let french = clips().iter().filter(|clip| clip.language == "fr").count();
    let english = clips().iter().filter(|clip| clip.language == "en").count();

    assert_eq!(clips().len(), 19);
    assert_eq!(french, 2);
    assert_eq!(english, 17);
}

#[test]
fn manifest_lists_every_clip() {
    let folder = speech_dir();
    let text = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = manifest["clips"].as_array().unwrap();

    assert_eq!(entries.len(), clips().len());
    for (entry, clip) in entries.iter().zip(clips()) {
        assert_eq!(entry["name"], clip.name);
        assert_eq!(entry["sha256"], clip.sha256, "{}", clip.name);
        assert_eq!(entry["language"], clip.language, "{}", clip.name);
        assert_eq!(entry["duration_s"], clip.duration_s, "{}", clip.name);
        assert_eq!(entry["reference"], reference(clip.name), "{}", clip.name);
    }
}

#[test]
fn second_fetch_only_verifies() {
    let folder = speech_dir();

    let report = fetch_speech(&folder).unwrap();

    assert!(report.written.is_empty(), "{report}");
    assert!(report.archives.is_empty(), "{report}");
    assert_eq!(report.verified.len(), clips().len());
    assert_eq!(report.downloaded_bytes(), 0);
}

#[test]
fn damaged_clip_is_rebuilt() {
    let folder = tempfile::tempdir().unwrap();
    copy_folder(&speech_dir(), folder.path());
    std::fs::write(folder.path().join("goforward.wav"), b"damaged").unwrap();
    std::fs::remove_file(folder.path().join("cards_002.wav.txt")).unwrap();

    let report = fetch_speech(folder.path()).unwrap();

    assert_eq!(
        report.written,
        ["goforward.wav", "cards_002.wav"],
        "{report}"
    );
    assert_eq!(report.downloaded_bytes(), 0, "{report}");
    assert_eq!(
        sha256_of(&folder.path().join("goforward.wav")),
        "97ec638609b9c7eeb616764b4e5713d7ed2d0a8e1a2f8246631d9074d47aaf11"
    );
    assert_eq!(
        std::fs::read_to_string(folder.path().join("cards_002.wav.txt")).unwrap(),
        "four queen of clubs\n"
    );
}

#[test]
fn concurrent_fetches_share_one_folder() {
    // Warm the download cache first, so this test only measures locking.
    speech_dir();
    let folder = tempfile::tempdir().unwrap();

    let handles: Vec<_> = (0..3)
        .map(|_| {
            let path = folder.path().to_path_buf();
            thread::spawn(move || fetch_speech(&path).map(|report| report.written.len()))
        })
        .collect();
    let written: Vec<usize> = handles
        .into_iter()
        .map(|handle| handle.join().unwrap().unwrap())
        .collect();

    // One fetch writes all clips while the others wait, then find them verified.
    assert_eq!(written.iter().sum::<usize>(), clips().len(), "{written:?}");
    for clip in clips() {
        assert_eq!(
            sha256_of(&folder.path().join(clip.name)),
            clip.sha256,
            "{}",
            clip.name
        );
    }
}
