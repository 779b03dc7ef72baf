//! `whisperrr record` run as a user would: the real binary records from a PulseAudio
//! virtual microphone into which `paplay` plays real speech, and transcribes it live with
//! tiny.en on one thread. Each test has its own PulseAudio server and home folder.

mod support;

use std::fs;
use std::time::Duration;

use support::{audio_of, key_words_in, speech_found_at, Duration16k, Recorder, Sandbox};
use whisperrr_testkit::{clip, reference, word_error_rate};

/// Length of `jfk.wav`, in seconds.
const JFK_SECONDS: f64 = 11.0;

#[test]
fn live_text_printed_while_recording() {
    let sandbox = Sandbox::new();
    let recorder = Recorder::start(&sandbox, &["--duration", "20"]);

    let mut player = sandbox.mic.play(&clip("jfk.wav")).unwrap();
    assert!(player.wait().unwrap().success());
    let output = recorder.wait_for_exit(Duration::from_secs(120));

    assert!(output.status.success(), "stderr:\n{}", output.stderr_text());
    let finishing = output
        .stderr_time("Finishing the transcript")
        .expect("the recorder reports the stop");
    let live_text = output.stdout_before(finishing);
    key_words_in(&live_text, &["fellow", "Americans", "country"]);

    let files = sandbox.recordings();
    assert_eq!(files.len(), 3, "{files:?}");
    let wav = sandbox.recording_with_extension("wav");
    let audio = audio_of(&wav);
    assert!(
        (audio.duration_s() - 20.0).abs() < 0.05,
        "WAV lasts {} s",
        audio.duration_s()
    );
    speech_found_at(&audio, &clip("jfk.wav"));

    let txt = fs::read_to_string(sandbox.recording_with_extension("txt")).unwrap();
    let wer = word_error_rate(&reference("jfk.wav"), &txt);
    assert!(wer <= 0.15, "WER {wer:.3}: {txt}");
    support::assert_valid_srt(&fs::read_to_string(sandbox.recording_with_extension("srt")).unwrap());
}

#[test]
fn ctrl_c_saves_what_was_played() {
    let sandbox = Sandbox::new();
    let recorder = Recorder::start(&sandbox, &[]);

    let mut player = sandbox.mic.play(&clip("jfk.wav")).unwrap();
    assert!(player.wait().unwrap().success());
    recorder.interrupt();
    let output = recorder.wait_for_exit(Duration::from_secs(120));

    assert!(output.status.success(), "stderr:\n{}", output.stderr_text());
    let audio = audio_of(&sandbox.recording_with_extension("wav"));
    assert!(
        (audio.duration_s() - JFK_SECONDS).abs() <= 0.5,
        "recorded {} s while {JFK_SECONDS} s were played",
        audio.duration_s()
    );
    speech_found_at(&audio, &clip("jfk.wav"));
    key_words_in(&output.stdout_text(), &["fellow", "Americans", "country"]);
    let txt = fs::read_to_string(sandbox.recording_with_extension("txt")).unwrap();
    key_words_in(&txt, &["fellow", "Americans", "country"]);
    support::assert_valid_srt(&fs::read_to_string(sandbox.recording_with_extension("srt")).unwrap());
}

#[test]
fn killed_recording_recovered_on_next_start() {
    let sandbox = Sandbox::new();
    let mut recorder = Recorder::start(&sandbox, &[]);
    let recording_since = recorder.started_at();

    let mut player = sandbox.mic.play(&clip("jfk.wav")).unwrap();
    std::thread::sleep(Duration::from_secs(7));
    recorder.kill();
    let recorded_for = recording_since.elapsed().as_secs_f64();
    let _ = player.kill();
    let _ = player.wait();

    let partial = sandbox.recording_with_extension("partial");
    assert!(
        partial.to_string_lossy().ends_with(".wav.partial"),
        "{}",
        partial.display()
    );

    // A new start finds it and offers it, before it fails on the missing device.
    let offer = sandbox.whisperrr(&["record", "--device", "no such microphone"]);
    assert!(!offer.status.success());
    let stderr = String::from_utf8_lossy(&offer.stderr);
    assert!(stderr.contains("1 unfinished recording"), "{stderr}");
    assert!(
        stderr.contains(&partial.file_name().unwrap().to_string_lossy().into_owned()),
        "{stderr}"
    );
    assert!(
        stderr.contains("no input device named 'no such microphone'"),
        "{stderr}"
    );

    let recovered = sandbox.whisperrr(&["record", "--recover"]);

    assert!(
        recovered.status.success(),
        "stderr:\n{}",
        String::from_utf8_lossy(&recovered.stderr)
    );
    assert!(!partial.exists());
    let wav = sandbox.recording_with_extension("wav");
    let audio = audio_of(&wav);
    assert!(
        audio.duration_s() >= recorded_for - 1.0 && audio.duration_s() <= recorded_for + 0.5,
        "recovered {} s of a recording killed after {recorded_for:.2} s",
        audio.duration_s()
    );
    let txt = fs::read_to_string(sandbox.recording_with_extension("txt")).unwrap();
    key_words_in(&txt, &["fellow", "Americans"]);
    let listed = String::from_utf8_lossy(&recovered.stdout).into_owned();
    assert!(listed.contains(&wav.display().to_string()), "{listed}");
}

#[test]
fn devices_listed_with_default_marked() {
    let sandbox = Sandbox::new();

    let output = sandbox.whisperrr(&["record", "--list-devices"]);

    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let defaults: Vec<&str> = stdout.lines().filter(|line| line.starts_with('*')).collect();
    assert_eq!(defaults.len(), 1, "{stdout}");
    assert!(stdout.lines().any(|line| line.ends_with("(pulse)")), "{stdout}");
}

#[test]
fn missing_sound_server_reports_no_device() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command();
    command
        .env("PULSE_SERVER", "unix:/nonexistent/whisperrr-test/native")
        .arg("record")
        .args(sandbox.record_options());

    let output = command.output().unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: no input device found"), "{stderr}");
    assert!(sandbox.recordings().is_empty(), "{:?}", sandbox.recordings());
}
