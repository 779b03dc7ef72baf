use std::fs;
use std::sync::mpsc;

use whisperrr_core::export::Format;
use whisperrr_core::jobs::JobUpdate;
use whisperrr_core::transcribe::TranscribeOptions;
use whisperrr_testkit::{clip, model_path};

use super::*;
use crate::gui::error::ErrorCode;

fn manager() -> (JobManager, mpsc::Receiver<JobUpdate>) {
    let (sender, received) = mpsc::channel();
    (JobManager::start(sender).unwrap(), received)
}

fn config() -> JobConfig {
    JobConfig {
        model: model_path("tiny.en"),
        options: TranscribeOptions { threads: 1, ..TranscribeOptions::default() },
        formats: vec![Format::Txt],
        output_dir: None,
    }
}

/// Names a file manager can hand over, as the page receives and sends them back.
const ODD_NAMES: &[&str] = &["two words.wav", "é ü 日本語.wav", "100% sure.wav", "#1 take.wav", "a%20b.wav", "a+b&c=d?.wav"];

#[test]
fn paths_from_page_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let strings: Vec<String> = ODD_NAMES.iter().map(|name| dir.path().join(name).to_str().unwrap().to_string()).collect();

    let paths = paths_from_page(strings.clone());

    for (path, string) in paths.iter().zip(&strings) {
        assert_eq!(path.as_os_str().as_encoded_bytes(), string.as_bytes());
    }
}

#[test]
fn odd_names_queued_exactly_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("talks #2 100%");
    fs::create_dir(&folder).unwrap();
    let paths: Vec<PathBuf> = ODD_NAMES.iter().map(|name| folder.join(name)).collect();
    for path in &paths {
        fs::copy(clip("goforward.wav"), path).unwrap();
    }
    let (jobs, _updates) = manager();

    let report = check_and_queue(&jobs, Ok(config()), &paths);
    jobs.cancel_all();

    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.added.len(), paths.len());
    let queued: Vec<PathBuf> = jobs.snapshot().into_iter().map(|job| job.summary.input).collect();
    assert_eq!(queued, paths);
    assert!(!folder.join("a b.wav").exists());
}

#[test]
fn folder_expanded_and_broken_file_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    fs::create_dir_all(folder.join("inner")).unwrap();
    fs::copy(clip("goforward.wav"), folder.join("inner/go.wav")).unwrap();
    fs::write(folder.join("inner/notes.txt"), "not audio").unwrap();
    let broken = dir.path().join("broken #3.mp3");
    fs::write(&broken, vec![0x42; 2048]).unwrap();
    let (jobs, _updates) = manager();

    let report = check_and_queue(&jobs, Ok(config()), &[folder.clone(), broken.clone()]);
    jobs.cancel_all();

    assert_eq!(report.added.len(), 1);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].path, broken);
    assert!(report.rejected[0].message.contains("broken #3.mp3"), "{}", report.rejected[0].message);
    assert_eq!(jobs.snapshot()[0].summary.input, folder.join("inner/go.wav"));
}

#[test]
fn file_already_queued_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.wav");
    fs::copy(clip("asterisk_en_long_8k.wav"), &long).unwrap();
    let (jobs, _updates) = manager();

    let first = check_and_queue(&jobs, Ok(config()), std::slice::from_ref(&long));
    let second = check_and_queue(&jobs, Ok(config()), std::slice::from_ref(&long));
    jobs.cancel_all();

    assert_eq!(first.added.len(), 1);
    assert!(second.added.is_empty());
    assert!(second.rejected[0].message.ends_with("long.wav: already in the queue"), "{:?}", second.rejected);
}

#[test]
fn non_utf8_name_rejected_with_reason() {
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.wav"));
    fs::copy(clip("goforward.wav"), &path).unwrap();
    let (jobs, _updates) = manager();

    let report = check_and_queue(&jobs, Ok(config()), std::slice::from_ref(&path));

    assert!(report.added.is_empty());
    assert_eq!(report.rejected[0].path, path);
    assert!(report.rejected[0].message.contains("not valid UTF-8"), "{}", report.rejected[0].message);
}

#[test]
fn missing_model_queues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("go.wav");
    fs::copy(clip("goforward.wav"), &input).unwrap();
    let (jobs, _updates) = manager();
    let missing = Err(CommandError::new(ErrorCode::ModelMissing, "The model base is not installed."));

    let report = check_and_queue(&jobs, missing, &[input]);

    assert!(report.added.is_empty());
    assert_eq!(report.error.unwrap().code, ErrorCode::ModelMissing);
    assert!(jobs.snapshot().is_empty());
}
