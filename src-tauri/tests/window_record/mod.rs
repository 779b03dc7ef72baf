//! The Record tab in the real window. A private PulseAudio server per test is the
//! microphone (see `whisperrr_testkit::virtual_mic`), and `paplay` plays real speech into
//! it while the app records and transcribes with tiny.en on one thread.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use whisperrr_core::audio::decode_for_whisper;
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::record::wav::WavWriter;
use whisperrr_testkit::clip;
use whisperrr_testkit::virtual_mic::VirtualMic;

use crate::window_support::{run_tool, Setup, TestWindow};
use crate::{names_in, words, MODEL_READY, QUEUE_IDLE};

const RECORD_TAB: &str = "button.tab[data-view='record']";

/// Words of `jfk.wav` that tiny.en gets right in live text; it sometimes hears "ask not"
/// as "S not".
const JFK_KEY_WORDS: &[&str] = &["fellow", "americans", "country"];

/// The app's PulseAudio client reads this, so the app records from the test's server.
const PULSE_SERVER: &str = "PULSE_SERVER";

fn setup(pulse_server: &str, recordings_dir: Option<&Path>) -> Setup {
    let mut settings = json!({ "model": "tiny.en", "language": "en", "threads": 1 });
    if let Some(folder) = recordings_dir {
        settings["recordings_dir"] = json!(folder);
    }
    Setup { settings: Some(settings.to_string()), env: vec![(PULSE_SERVER, pulse_server.to_string())], ..Setup::default() }
}

fn start_mic() -> VirtualMic {
    VirtualMic::start().unwrap_or_else(|error| panic!("cannot start the virtual microphone: {error}"))
}

fn phase(window: &TestWindow) -> String {
    window.js("return document.getElementById('record-state').dataset.phase").as_str().unwrap().to_string()
}

fn wait_phase(window: &TestWindow, phase: &str) {
    window.wait_until(
        &format!("the recording to be {phase}"),
        &format!("return document.getElementById('record-state').dataset.phase === '{phase}'"),
    );
}

/// Committed and tentative text as shown.
fn live_text(window: &TestWindow) -> (String, String) {
    let texts = window.js(
        "return [document.getElementById('record-committed').textContent, document.getElementById('record-tentative').textContent]",
    );
    (texts[0].as_str().unwrap().to_string(), texts[1].as_str().unwrap().to_string())
}

fn level_updates(window: &TestWindow) -> u64 {
    window.js("return Number(document.getElementById('record-level').dataset.updates)").as_u64().unwrap()
}

fn level_dbfs(window: &TestWindow) -> f64 {
    window.js("return Number(document.getElementById('record-level').dataset.rms)").as_f64().unwrap()
}

/// Counts the meter's updates over two seconds and returns them per second.
fn level_rate(window: &TestWindow) -> f64 {
    let (first, started) = (level_updates(window), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let (last, elapsed) = (level_updates(window), started.elapsed());
    (last - first) as f64 / elapsed.as_secs_f64()
}

/// Returns the saved files the Record tab lists.
fn saved_paths(window: &TestWindow) -> Vec<PathBuf> {
    let shown = window.js("return [...document.querySelectorAll('#record-saved-list .saved-path')].map((e) => e.textContent)");
    shown.as_array().unwrap().iter().map(|path| PathBuf::from(path.as_str().unwrap())).collect()
}

fn with_extension<'a>(paths: &'a [PathBuf], extension: &str) -> &'a Path {
    paths
        .iter()
        .find(|path| path.extension().is_some_and(|found| found == extension))
        .unwrap_or_else(|| panic!("no .{extension} among {paths:?}"))
}

fn duration_s(path: &Path) -> f64 {
    let decoded = decode_for_whisper(path, &mut |_| {}, &CancelToken::new())
        .unwrap_or_else(|error| panic!("{} does not decode: {error}", path.display()));
    decoded.samples.len() as f64 / 16_000.0
}

/// Fails unless every word in `expected` appears in `text`, ignoring case and punctuation.
fn key_words_in(text: &str, expected: &[&str]) {
    let found = words(text);
    for word in expected {
        assert!(found.split(' ').any(|found| found == *word), "'{word}' missing from: {text}");
    }
}

/// Waits until the live text has no tentative tail and its committed text stayed the
/// same for 1.5 s, and returns the committed text.
fn settled_text(window: &TestWindow) -> String {
    let mut last = live_text(window);
    let mut since = Instant::now();
    let deadline = Instant::now() + crate::window_support::WAIT_LIMIT;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = live_text(window);
        if now != last {
            last = now;
            since = Instant::now();
        } else if last.1.is_empty() && since.elapsed() >= Duration::from_millis(1500) {
            return last.0;
        }
        assert!(Instant::now() < deadline, "the live text never settled: {last:?}");
    }
}

/// Seconds in an `m:ss` clock.
fn clock_seconds(clock: &str) -> u64 {
    let (minutes, seconds) = clock.split_once(':').unwrap_or_else(|| panic!("'{clock}' is not m:ss"));
    minutes.parse::<u64>().unwrap() * 60 + seconds.parse::<u64>().unwrap()
}

fn player_running(player: &mut Child) -> bool {
    player.try_wait().unwrap().is_none()
}

#[test]
fn recording_shows_live_text_and_saves_files() {
    let mic = start_mic();
    let recordings = tempfile::tempdir().unwrap();
    let window =
        TestWindow::open_with("recording_shows_live_text_and_saves_files", setup(mic.server(), Some(recordings.path())));
    window.wait_until("the model to be ready", MODEL_READY);

    // Before recording: the device list and the level monitor.
    window.session.click(RECORD_TAB).unwrap();
    window.wait_until("the level monitor", "return document.getElementById('record-level').dataset.monitor === 'listening'");
    let devices = window.js("return [...document.querySelectorAll('#record-device option')].map((o) => o.textContent)");
    assert!(devices.to_string().contains("(system default)"), "{devices}");
    let rate = level_rate(&window);
    assert!(rate >= 10.0, "the level meter changed {rate:.1} times a second before recording");

    let mut warm_up = mic.play(&clip("jfk.wav")).unwrap();
    window.wait_until("the meter to show speech", "return Number(document.getElementById('record-level').dataset.rms) > -45");
    window.screenshot("monitor");
    warm_up.kill().unwrap();
    warm_up.wait().unwrap();

    // Recording: words while the clip plays, the level, the elapsed time, and a page that
    // never stalls.
    window.js(
        "window.maxTimerGap = 0;
        let last = performance.now();
        setInterval(() => {
            const now = performance.now();
            window.maxTimerGap = Math.max(window.maxTimerGap, now - last);
            last = now;
        }, 100);",
    );
    window.session.click("#record-start").unwrap();
    wait_phase(&window, "recording");
    assert!(window.js("return document.getElementById('record-start').disabled").as_bool().unwrap());
    window.session.click("#record-pause").unwrap();
    wait_phase(&window, "paused");
    assert_eq!(window.js("return document.getElementById('record-pause').textContent"), json!("Resume"));
    window.session.click("#record-pause").unwrap();
    wait_phase(&window, "recording");
    let mut player = mic.play(&clip("jfk.wav")).unwrap();

    let mut text_while_playing = String::new();
    let mut loudest = -100.0f64;
    while player_running(&mut player) {
        let (committed, tentative) = live_text(&window);
        if text_while_playing.is_empty() && !words(&format!("{committed} {tentative}")).is_empty() {
            text_while_playing = format!("{committed} | {tentative}");
            window.screenshot("words-while-playing");
        }
        loudest = loudest.max(level_dbfs(&window));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(player.wait().unwrap().success());
    assert!(!text_while_playing.is_empty(), "no live text appeared while the clip played");
    assert!(loudest > -40.0, "the meter peaked at {loudest} dBFS while speech played");
    let rate = level_rate(&window);
    assert!(rate >= 10.0, "the level meter changed {rate:.1} times a second while recording");

    window.wait_until(
        "the key words to be committed",
        "const text = document.getElementById('record-committed').textContent.toLowerCase();
        return ['fellow', 'americans', 'country'].every((word) => text.includes(word))",
    );
    let committed = settled_text(&window);
    key_words_in(&committed, JFK_KEY_WORDS);
    let elapsed = window.js("return document.getElementById('record-elapsed').textContent");
    assert!(clock_seconds(elapsed.as_str().unwrap()) >= 11, "elapsed time shown: {elapsed}");
    let tentative_style = window.js("return getComputedStyle(document.getElementById('record-tentative')).fontStyle");
    assert_eq!(tentative_style, json!("italic"), "the tentative tail must look different from committed text");
    let max_gap = window.js("return window.maxTimerGap").as_f64().unwrap();
    assert!(max_gap <= 250.0, "the page stalled for {max_gap:.0} ms while recording");

    // A reload loses nothing: the recording goes on and its text comes back.
    window.session.refresh().unwrap();
    window.wait_until("the page to load again", "return document.body.dataset.ready === 'true'");
    window.session.click(RECORD_TAB).unwrap();
    assert_eq!(phase(&window), "recording");
    let (reloaded, _) = live_text(&window);
    assert!(words(&reloaded).starts_with(&words(&committed)), "before the reload: {committed}\nafter: {reloaded}");
    let elapsed = window.js("return document.getElementById('record-elapsed').textContent");
    assert!(clock_seconds(elapsed.as_str().unwrap()) >= 11, "elapsed time after the reload: {elapsed}");

    // A file added while recording waits, so whisper never runs twice at once.
    let input = window.add_clip("jfk.wav", &window.work(), "queued.wav");
    let added = window.drop_paths(&[input]);
    let job = added["added"][0].as_u64().unwrap();
    let queue_text = window.js("return document.getElementById('queue-state').textContent");
    assert_eq!(queue_text, json!("1 waiting until the recording ends"));
    window.screenshot("live-text");

    // Stop: every file saved, listed and on disk.
    window.session.click("#record-stop").unwrap();
    wait_phase(&window, "idle");
    let saved = window.wait_until("the saved files", "return document.querySelectorAll('#record-saved-list .saved-path').length === 3");
    assert_eq!(saved, json!(true));
    let paths = saved_paths(&window);
    for path in &paths {
        assert!(path.is_file(), "{} is listed but not on disk", path.display());
        assert_eq!(path.parent(), Some(recordings.path()));
    }
    let wav = with_extension(&paths, "wav");
    assert!(wav.file_name().unwrap().to_string_lossy().starts_with("recording-"), "{}", wav.display());
    assert!(duration_s(wav) >= 11.0, "the WAV lasts {} s", duration_s(wav));
    let txt = fs::read_to_string(with_extension(&paths, "txt")).unwrap();
    key_words_in(&txt, JFK_KEY_WORDS);
    assert!(fs::read_to_string(with_extension(&paths, "srt")).unwrap().starts_with("1\n00:00:"));
    assert_eq!(window.js("return document.getElementById('record-message').hidden"), json!(true));
    let shown = window.js("return document.getElementById('record-saved').innerText");
    assert!(shown.as_str().unwrap().contains("Show in folder"), "{shown}");
    window.screenshot("saved");

    // The queued file runs once the recording has ended; the monitor is back.
    window.wait_until(
        "the queued job to finish",
        &format!("const job = document.querySelector('[data-job-id=\"{job}\"]'); return job && job.dataset.status === 'finished'"),
    );
    window.wait_until("the queue to be idle", QUEUE_IDLE);
    window.wait_until("the level monitor again", "return document.getElementById('record-level').dataset.monitor === 'listening'");
    assert_eq!(phase(&window), "idle");
}

#[test]
fn lost_microphone_keeps_what_was_recorded() {
    let mic = start_mic();
    let recordings = tempfile::tempdir().unwrap();
    let window =
        TestWindow::open_with("lost_microphone_keeps_what_was_recorded", setup(mic.server(), Some(recordings.path())));
    window.wait_until("the model to be ready", MODEL_READY);
    window.session.click(RECORD_TAB).unwrap();
    window.wait_until("the level monitor", "return document.getElementById('record-level').dataset.monitor === 'listening'");

    window.session.click("#record-start").unwrap();
    wait_phase(&window, "recording");
    let mut player = mic.play(&clip("jfk.wav")).unwrap();
    window.wait_until(
        "the first committed words",
        "return document.getElementById('record-committed').textContent.toLowerCase().includes('americans')",
    );
    let _ = player.kill();
    let _ = player.wait();
    drop(mic);

    wait_phase(&window, "idle");
    let message = window.wait_until(
        "the failure message",
        "const message = document.getElementById('record-message'); return !message.hidden && message.textContent",
    );
    let message = message.as_str().unwrap();
    assert!(
        message.contains("disconnected") || message.contains("no audio") || message.contains("stream failed"),
        "{message}"
    );
    assert!(message.contains("Everything recorded until then is saved and transcribed"), "{message}");
    window.wait_until("the saved files", "return document.querySelectorAll('#record-saved-list .saved-path').length === 3");
    let paths = saved_paths(&window);
    let txt = fs::read_to_string(with_extension(&paths, "txt")).unwrap();
    key_words_in(&txt, &["fellow", "americans"]);
    assert!(duration_s(with_extension(&paths, "wav")) >= 1.0);
    window.screenshot("lost");
}

/// Writes `samples` (16 kHz mono) as a recording the recorder left behind: the WAV header
/// still states that it contains no audio, as after a kill before the first header update.
fn abandoned_recording(path: &Path, samples: &[f32]) {
    let mut writer = WavWriter::new(File::create_new(path).unwrap(), path, 16_000, 1).unwrap();
    writer.append(samples).unwrap();
    drop(writer);
}

#[test]
fn unfinished_recording_in_chosen_folder_recovered() {
    let chosen = tempfile::tempdir().unwrap();
    let jfk = decode_for_whisper(&clip("jfk.wav"), &mut |_| {}, &CancelToken::new()).unwrap().samples;
    let speech = chosen.path().join("recording-2024-05-01_10-00-00.wav.partial");
    let short = chosen.path().join("recording-2024-05-01_09-00-00.wav.partial");
    abandoned_recording(&speech, &jfk);
    abandoned_recording(&short, &jfk[..16_000]);
    fs::write(chosen.path().join("recording-2024-05-01_08-00-00.wav.partial"), b"not a wav").unwrap();

    // No PulseAudio server listens there, so the app has no microphone at all.
    let window = TestWindow::open_with("unfinished_recording_in_chosen_folder_recovered", setup("unix:/nonexistent/pulse", None));
    window.wait_until("the model to be ready", MODEL_READY);

    // Settings: the recordings folder is chosen in the GTK folder chooser.
    window.session.click("button.tab[data-view='settings']").unwrap();
    let default = window.js("return document.getElementById('setting-recordings-path').textContent");
    assert!(default.as_str().unwrap().ends_with("Whisperrr (default)"), "{default}");
    window.session.click("#setting-choose-recordings").unwrap();
    let dialog = run_tool("xdotool", "xdotool", &["search", "--sync", "--onlyvisible", "--name", "Choose the folder for recordings"], &window.display);
    let dialog = dialog.lines().next().expect("xdotool found the dialog").to_string();
    run_tool("xdotool", "xdotool", &["windowfocus", "--sync", &dialog], &window.display);
    run_tool("xdotool", "xdotool", &["key", "--clearmodifiers", "ctrl+l"], &window.display);
    run_tool("xdotool", "xdotool", &["type", "--delay", "20", chosen.path().to_str().unwrap()], &window.display);
    window.screenshot("folder-dialog");
    run_tool("xdotool", "xdotool", &["key", "Return"], &window.display);
    window.wait_until(
        "the folder to be saved",
        &format!("return document.getElementById('setting-recordings-path').textContent === {}", json!(chosen.path())),
    );
    let saved: Value = serde_json::from_str(&fs::read_to_string(window.config_dir().join("settings.json")).unwrap()).unwrap();
    assert_eq!(saved["recordings_dir"], json!(chosen.path()));

    // Record tab: the unfinished recordings of the new folder, and no microphone.
    window.session.click(RECORD_TAB).unwrap();
    let listed = window.wait_until(
        "the unfinished recordings",
        "const items = [...document.querySelectorAll('#record-unfinished-list li')];
        return items.length === 2 && items.map((item) => item.innerText)",
    );
    let listed = listed.to_string();
    assert!(listed.contains("recording-2024-05-01_10-00-00.wav.partial"), "{listed}");
    assert!(listed.contains("0:11"), "{listed}");
    let problems = window.js("return document.getElementById('record-unfinished-problems').innerText");
    assert!(problems.as_str().unwrap().contains("recording-2024-05-01_08-00-00.wav.partial"), "{problems}");
    let device_message = window.wait_until(
        "the missing microphone message",
        "const message = document.getElementById('record-device-message'); return !message.hidden && message.textContent",
    );
    assert!(device_message.as_str().unwrap().to_lowercase().contains("input device"), "{device_message}");
    window.screenshot("unfinished");

    // Keep the short one as audio only, then transcribe the one with speech.
    window.session.click(&format!("li[data-path={}] button.keep", json!(short))).unwrap();
    window.wait_until("the kept WAV", "return document.querySelectorAll('#record-unfinished-list li').length === 1");
    assert!(chosen.path().join("recording-2024-05-01_09-00-00.wav").is_file());

    window.session.click(&format!("li[data-path={}] button.recover", json!(speech))).unwrap();
    window.wait_until("the recovered files", "return document.querySelectorAll('#record-saved-list .saved-path').length === 3");
    let paths = saved_paths(&window);
    let txt = fs::read_to_string(with_extension(&paths, "txt")).unwrap();
    assert!(words(&txt).contains("ask not what your country"), "{txt}");
    assert!((duration_s(with_extension(&paths, "wav")) - 11.0).abs() < 0.1);
    let title = window.js("return document.getElementById('record-saved-title').textContent");
    assert!(title.as_str().unwrap().starts_with("Recovered recording saved"), "{title}");
    assert_eq!(
        names_in(chosen.path()),
        [
            "recording-2024-05-01_08-00-00.wav.partial",
            "recording-2024-05-01_09-00-00.wav",
            "recording-2024-05-01_10-00-00.srt",
            "recording-2024-05-01_10-00-00.txt",
            "recording-2024-05-01_10-00-00.wav",
        ]
    );
    assert_eq!(window.js("return document.querySelectorAll('#record-unfinished-list li').length"), json!(0));
    let (shown_text, _) = live_text(&window);
    assert!(words(&shown_text).contains("ask not what your country"), "{shown_text}");
    window.screenshot("recovered");

    // Starting without any microphone fails with the reason, and the last take stays.
    window.session.click("#record-start").unwrap();
    window.wait_until(
        "the start to fail",
        "return document.getElementById('record-state').dataset.phase === 'idle' && !document.getElementById('record-start').disabled",
    );
    let refused = window
        .session
        .execute_async(
            "const done = arguments[arguments.length - 1];
            window.__TAURI__.core.invoke('start_recording').then(() => done(null), (error) => done(error));",
            json!([]),
        )
        .unwrap();
    assert_eq!(refused["code"], json!("device"), "{refused}");
    assert!(refused["message"].as_str().unwrap().starts_with("no input device found"), "{refused}");
    let shown = window.js(
        "return [...document.querySelectorAll('#record-device-message, #record-message')].filter((e) => !e.hidden).map((e) => e.textContent)",
    );
    assert!(shown.to_string().contains("No input device found"), "{shown}");
    assert_eq!(saved_paths(&window).len(), 3);
    window.screenshot("no-microphone");
}
