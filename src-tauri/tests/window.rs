//! The real window under a virtual display, driven through WebDriver as a user would.
//! Files go in through the same handler a native drop uses, and whisper runs with the
//! tiny.en model on one thread. Every test saves screenshots to `target/e2e-artifacts/`.
//!
//! Needs Xvfb, WebKitWebDriver, ImageMagick's `import`, xdotool, ffmpeg and, for the
//! Record tab (`window_record`), PulseAudio with `paplay` (`.ci/install-deps --test`); a
//! missing tool fails the test with what to install.

mod window_record;
mod window_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use whisperrr_testkit::{reference, word_error_rate};
use window_support::{names_in, run_tool, FileLease, Setup, TestWindow};

const MODEL_READY: &str = "return document.getElementById('model-status').dataset.state === 'ready'";
const QUEUE_IDLE: &str = "return document.getElementById('queue-state').dataset.idle === 'true'";

/// Script that returns the transcript text of job `id` once it has finished, else false.
fn finished_text(id: u64) -> String {
    format!(
        "const job = document.querySelector('[data-job-id=\"{id}\"]');
        return job && job.dataset.status === 'finished'
            && [...job.querySelectorAll('.segment-text')].map((e) => e.textContent).join(' ')"
    )
}

fn job_ids(report: &Value) -> Vec<u64> {
    report["added"].as_array().expect("report lists added jobs").iter().map(|id| id.as_u64().unwrap()).collect()
}

/// Lowercase words only, for comparing transcript text.
fn words(text: &str) -> String {
    let kept: String = text.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns the values the progress bar of job `id` took, `None` where it was indeterminate.
fn progress_values(window: &TestWindow, id: u64) -> Vec<Option<f64>> {
    let values = window.js_with("return (window.progressSeen || {})[String(arguments[0])] || []", json!([id]));
    values.as_array().unwrap().iter().map(Value::as_f64).collect()
}

/// Checks that the progress bar of job `id` was indeterminate only before its first
/// percentage, showed values between 0 and 100, only rose, and ended full.
fn assert_progress_moved(window: &TestWindow, id: u64) {
    let seen = progress_values(window, id);
    let first_progress = seen.iter().position(|value| value.is_some_and(|value| value > 0.0)).unwrap_or(seen.len());
    assert!(seen[first_progress..].iter().all(Option::is_some), "indeterminate after progress: {seen:?}");

    let values: Vec<f64> = seen.iter().flatten().copied().collect();
    let between = values.iter().filter(|&&value| value > 0.0 && value < 100.0).count();
    assert!(between > 0, "no value between 0 and 100: {values:?}");
    assert!(values.windows(2).all(|pair| pair[0] <= pair[1]), "progress went back: {values:?}");
    assert_eq!(values.last(), Some(&100.0), "{values:?}");
}

#[test]
fn jfk_dropped_transcribed_and_saved() {
    let window = TestWindow::open("jfk_dropped_transcribed_and_saved");
    let folder = window.work().join("talks #1 100% é");
    let input = window.add_clip("jfk.wav", &folder, "jfk.wav");
    window.wait_until("the model to be ready", MODEL_READY);
    assert!(window.page_text().contains("tiny.en"));

    window.record_progress();
    let report = window.drop_paths(std::slice::from_ref(&input));
    let ids = job_ids(&report);
    assert_eq!(ids.len(), 1, "{report}");
    assert_eq!(report["rejected"], json!([]));

    let text = window.wait_until("the transcript", &finished_text(ids[0]));
    assert!(words(text.as_str().unwrap()).contains("ask not what your country can do for you"), "{text}");
    assert_progress_moved(&window, ids[0]);

    let txt = folder.join("jfk.txt");
    let srt = folder.join("jfk.srt");
    assert!(words(&fs::read_to_string(&txt).unwrap()).contains("ask not"));
    assert!(fs::read_to_string(&srt).unwrap().starts_with("1\n00:00:0"));
    let shown = window.js("return [...document.querySelectorAll('.output-path')].map((e) => e.textContent)");
    assert_eq!(shown, json!([txt.to_str().unwrap(), srt.to_str().unwrap()]));
    window.wait_until("the queue to be idle", QUEUE_IDLE);
    assert_eq!(window.js("return document.querySelector('.job-name').textContent"), json!("jfk.wav"));

    // The app opens only paths it was given or wrote.
    let refused = window.session.execute_async(
        "const done = arguments[arguments.length - 1];
        window.__TAURI__.core.invoke('show_in_folder', { path: '/etc/passwd' }).then(() => done(null), (error) => done(error));",
        json!([]),
    );
    assert_eq!(refused.unwrap()["code"], json!("not_allowed"));

    let unnamed = window.js(
        "return [...document.querySelectorAll('button, select, input, progress')]
            .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() || (e.id && document.querySelector(`label[for='${e.id}']`))))
            .map((e) => e.outerHTML)",
    );
    assert_eq!(unnamed, json!([]), "controls without an accessible name");
    window.screenshot("finished");
}

#[test]
fn cancel_long_clip_returns_to_idle() {
    let window = TestWindow::open("cancel_long_clip_returns_to_idle");
    let folder = window.work();
    let input = window.add_clip("asterisk_en_long_8k.wav", &folder, "long talk.wav");

    let ids = job_ids(&window.drop_paths(&[input]));
    window.wait_until(
        "the transcription to move",
        "const job = document.querySelector('.job');
        return job && job.dataset.status === 'running' && Number(job.querySelector('progress').value) > 10",
    );
    window.screenshot("running");
    window.session.click(".job button.cancel").unwrap();

    window.wait_until(
        "the job to be cancelled",
        &format!("return document.querySelector('[data-job-id=\"{}\"]').dataset.status === 'cancelled'", ids[0]),
    );
    window.wait_until("the queue to be idle", QUEUE_IDLE);
    assert_eq!(window.js("return document.getElementById('queue-state').textContent"), json!("Idle"));
    assert_eq!(names_in(&folder), ["long talk.wav"]);
    window.screenshot("cancelled");
}

#[test]
fn progress_indeterminate_until_known() {
    let window = TestWindow::open("progress_indeterminate_until_known");
    let folder = window.work();
    let first = window.add_clip("asterisk_en_long_8k.wav", &folder, "long.wav");
    let input = window.add_clip("jfk.wav", &folder, "jfk.wav");
    window.record_progress();

    // A job runs without progress for a few milliseconds only, too short to check
    // reliably. So it waits behind a long job while the test takes a write lease on its
    // input, which the drop has already probed and closed. Once the long job is
    // cancelled, the job starts and its open(2) of the input waits for the lease: the job
    // stays running, reading audio, at 0 %.
    let ids = job_ids(&window.drop_paths(&[first, input.clone()]));
    assert_eq!(ids.len(), 2, "both files are added");
    let lease = FileLease::take(&input).unwrap_or_else(|error| panic!("cannot take a write lease on {}: {error}", input.display()));
    // The job's buttons are drawn again when it starts running, so click once it runs.
    let long_job = format!("[data-job-id=\"{}\"]", ids[0]);
    window.wait_until("the long job to run", &format!("return document.querySelector('{long_job}').dataset.status === 'running'"));
    window.session.click(&format!("{long_job} button.cancel")).unwrap();

    let job = format!("[data-job-id=\"{}\"]", ids[1]);
    let waiting = window.wait_until(
        "the job to start reading its input",
        &format!(
            "const job = document.querySelector('{job}');
            if (!job || job.dataset.status !== 'running' || job.querySelector('.job-status').textContent !== 'Reading audio') return false;
            const bar = job.querySelector('progress');
            return {{ value: bar.getAttribute('value'), indeterminate: bar.matches(':indeterminate'),
                valueText: bar.getAttribute('aria-valuetext'), percentText: job.querySelector('.job-percent').textContent,
                animation: getComputedStyle(bar).animationName }}"
        ),
    );
    let break_time = FileLease::break_time_s().map_or("unknown".to_string(), |seconds| format!("{seconds} s"));
    let context = format!("{waiting} (the kernel breaks the lease after {break_time})");
    assert_eq!(waiting["value"], Value::Null, "{context}");
    assert_eq!(waiting["indeterminate"], json!(true), "{context}");
    assert_eq!(waiting["valueText"], json!("Starting"), "{context}");
    assert_eq!(waiting["percentText"], json!(""), "{context}");
    assert_eq!(waiting["animation"], json!("progress-sweep"), "{context}");
    window.screenshot("indeterminate");

    drop(lease);
    let known = window.wait_until(
        "the first percentage",
        &format!("return document.querySelector('{job} progress').getAttribute('value')"),
    );
    let known: f64 = known.as_str().unwrap().parse().unwrap();
    assert!(known > 0.0, "first value {known}");
    assert!(known <= 100.0, "first value {known}");
    assert_eq!(window.js(&format!("return document.querySelector('{job} progress').matches(':indeterminate')")), json!(false));

    let text = window.wait_until("the transcript", &finished_text(ids[1]));
    assert!(words(text.as_str().unwrap()).contains("ask not what your country can do for you"), "{text}");
    assert_progress_moved(&window, ids[1]);
    let seen = progress_values(&window, ids[1]);
    let started = seen.iter().position(Option::is_none).expect("the bar was indeterminate at some point");
    assert!(seen[started..].iter().flatten().all(|&value| value > 0.0), "0 % shown while running: {seen:?}");
    window.screenshot("finished");
}

#[test]
fn reload_mid_job_keeps_job() {
    let window = TestWindow::open("reload_mid_job_keeps_job");
    let input = window.add_clip("asterisk_en_long_8k.wav", &window.work(), "long.wav");

    let ids = job_ids(&window.drop_paths(&[input]));
    window.wait_until("the first segment", "return document.querySelectorAll('.segment').length > 0");
    window.session.refresh().unwrap();
    window.wait_until("the page to load again", "return document.body.dataset.ready === 'true'");

    let listed = window.wait_until(
        "the job after the reload",
        &format!(
            "const job = document.querySelector('[data-job-id=\"{}\"]');
            return job && {{ status: job.dataset.status, segments: job.querySelectorAll('.segment').length,
                percent: Number(job.querySelector('progress').value), name: job.querySelector('.job-name').textContent }}",
            ids[0]
        ),
    );
    assert_eq!(listed["status"], json!("running"), "{listed}");
    assert_eq!(listed["name"], json!("long.wav"));
    assert!(listed["segments"].as_u64().unwrap() > 0, "{listed}");
    assert!(listed["percent"].as_f64().unwrap() > 0.0, "{listed}");
    window.screenshot("reloaded");

    window.session.click(".job button.cancel").unwrap();
    window.wait_until("the queue to be idle", QUEUE_IDLE);
}

#[test]
fn page_timer_steady_during_transcription() {
    let window = TestWindow::open("page_timer_steady_during_transcription");
    let input = window.add_clip("meeting_stereo_11k.wav", &window.work(), "meeting.wav");
    window.js(
        "window.maxTimerGap = 0;
        window.timerTicks = 0;
        window.longGaps = [];
        let last = performance.now();
        setInterval(() => {
            const now = performance.now();
            const gap = now - last;
            if (gap > 250) {
                const job = document.querySelector('.job');
                window.longGaps.push({ gap: Math.round(gap), job: job ? `${job.dataset.status} ${job.querySelector('progress').value}%` : 'none' });
            }
            window.maxTimerGap = Math.max(window.maxTimerGap, gap);
            window.timerTicks += 1;
            last = now;
        }, 100);",
    );

    let ids = job_ids(&window.drop_paths(&[input]));
    window.wait_until("the transcript", &finished_text(ids[0]));

    let max_gap = window.js("return window.maxTimerGap").as_f64().unwrap();
    let ticks = window.js("return window.timerTicks").as_u64().unwrap();
    println!("longest gap between 100 ms timer ticks: {max_gap:.0} ms over {ticks} ticks");
    assert!(ticks >= 10, "the timer ran only {ticks} times");
    let long_gaps = window.js("return window.longGaps");
    assert!(max_gap <= 250.0, "the page stalled for {max_gap:.0} ms during the transcription: {long_gaps}");
    window.screenshot("finished");
}

#[test]
fn three_files_two_transcripts_one_error() {
    let window = TestWindow::open("three_files_two_transcripts_one_error");
    let folder = window.work().join("drop");
    let mp3 = window.add_clip("jfk.mp3", &folder, "jfk.mp3");
    let wav = window.add_clip("librivox_0870.wav", &window.work(), "librivox.wav");
    let m4a = folder.join("talk b.m4a");
    encode_m4a(&wav, &m4a);
    let broken = folder.join("broken.mp3");
    fs::write(&broken, b"ID3 this is not an mp3 file, only text that claims to be one").unwrap();

    window.record_progress();
    let report = window.drop_paths(&[mp3, m4a, broken.clone()]);
    let ids = job_ids(&report);
    assert_eq!(ids.len(), 2, "{report}");
    assert_eq!(report["rejected"][0]["path"], json!(broken.to_str().unwrap()));
    let notice = window.wait_until(
        "the rejection message",
        "const notice = document.querySelector('.notice[data-kind=\"error\"]'); return notice && notice.innerText",
    );
    assert!(notice.as_str().unwrap().contains("broken.mp3: the file is damaged"), "{notice}");

    let jfk_text = window.wait_until("the MP3 transcript", &finished_text(ids[0]));
    let talk_text = window.wait_until("the M4A transcript", &finished_text(ids[1]));
    assert!(words(jfk_text.as_str().unwrap()).contains("ask not what your country"), "{jfk_text}");
    let wer = word_error_rate(&reference("librivox_0870.wav"), talk_text.as_str().unwrap());
    assert!(wer <= 0.3, "M4A word error rate {wer:.2}: {talk_text}");
    assert_progress_moved(&window, ids[0]);
    assert_progress_moved(&window, ids[1]);
    assert_eq!(window.js("return document.getElementById('model-status').dataset.state"), json!("ready"));
    assert_eq!(
        names_in(&folder),
        ["broken.mp3", "jfk.mp3", "jfk.srt", "jfk.txt", "talk b.m4a", "talk b.srt", "talk b.txt"]
    );
    window.screenshot("finished");

    // "Save as…" with SRT: the GTK file chooser is driven through the X server.
    let exports = window.work().join("exports #1");
    fs::create_dir(&exports).unwrap();
    let destination = exports.join("jfk export.srt");
    window.js_with(
        "document.querySelector(`[data-job-id=\"${arguments[0]}\"] .export-format`).value = 'srt'",
        json!([ids[0]]),
    );
    window.session.click(&format!("[data-job-id=\"{}\"] button.save-as", ids[0])).unwrap();
    let dialog = run_tool("xdotool", "xdotool", &["search", "--sync", "--onlyvisible", "--name", "Save transcript as SRT"], &window.display);
    let dialog = dialog.lines().next().expect("xdotool found the dialog").to_string();
    window.screenshot("save-dialog");
    run_tool("xdotool", "xdotool", &["windowfocus", "--sync", &dialog], &window.display);
    run_tool("xdotool", "xdotool", &["key", "--clearmodifiers", "ctrl+a"], &window.display);
    run_tool("xdotool", "xdotool", &["type", "--delay", "20", destination.to_str().unwrap()], &window.display);
    run_tool("xdotool", "xdotool", &["key", "Return"], &window.display);

    window.wait_until(
        "the export message",
        "return [...document.querySelectorAll('.notice')].some((n) => n.innerText.includes('Saved jfk export.srt'))",
    );
    let exported = fs::read_to_string(&destination).unwrap();
    assert!(exported.starts_with("1\n00:00:00,000 --> "), "{exported}");
    assert!(words(&exported).contains("ask not"), "{exported}");
    assert_eq!(exported, fs::read_to_string(folder.join("jfk.srt")).unwrap());
    let shown = window.js_with(
        "return [...document.querySelectorAll(`[data-job-id=\"${arguments[0]}\"] .output-path`)].map((e) => e.textContent)",
        json!([ids[0]]),
    );
    assert!(shown.as_array().unwrap().contains(&json!(destination.to_str().unwrap())), "{shown}");
    window.screenshot("exported");
}

#[test]
fn unwritable_folder_asks_where_to_save() {
    use std::os::unix::fs::PermissionsExt;

    let setup = Setup { honour_permissions: true, ..Setup::default() };
    let window = TestWindow::open_with("unwritable_folder_asks_where_to_save", setup);
    let locked = window.work().join("read only");
    let input = window.add_clip("jfk.wav", &locked, "jfk.wav");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let chosen = window.work().join("chosen #2");
    fs::create_dir(&chosen).unwrap();

    let ids = job_ids(&window.drop_paths(&[input]));
    let job = format!("[data-job-id=\"{}\"]", ids[0]);
    let error = window.wait_until(
        "the job to keep its transcript unsaved",
        &format!("const job = document.querySelector('{job}'); return job && job.dataset.status === 'unsaved' && job.querySelector('.job-error').textContent"),
    );
    assert!(error.as_str().unwrap().contains("cannot write to folder"), "{error}");
    assert!(window.js(&format!("return document.querySelector('{job} .segment-text').textContent")).as_str().unwrap().len() > 10);
    window.screenshot("unsaved");

    window.session.click(&format!("{job} button.save-unsaved")).unwrap();
    let dialog = run_tool("xdotool", "xdotool", &["search", "--sync", "--onlyvisible", "--name", "Choose a folder for the transcript"], &window.display);
    let dialog = dialog.lines().next().expect("xdotool found the dialog").to_string();
    run_tool("xdotool", "xdotool", &["windowfocus", "--sync", &dialog], &window.display);
    run_tool("xdotool", "xdotool", &["key", "--clearmodifiers", "ctrl+l"], &window.display);
    run_tool("xdotool", "xdotool", &["type", "--delay", "20", chosen.to_str().unwrap()], &window.display);
    window.screenshot("folder-dialog");
    run_tool("xdotool", "xdotool", &["key", "Return"], &window.display);

    window.wait_until("the job to be saved", &format!("return document.querySelector('{job}').dataset.status === 'finished'"));
    assert_eq!(names_in(&chosen), ["jfk.srt", "jfk.txt"]);
    assert_eq!(names_in(&locked), ["jfk.wav"]);
    window.screenshot("saved");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn missing_model_offers_default_fetch() {
    let setup = Setup { install_model: false, settings: None, ..Setup::default() };
    let window = TestWindow::open_with("missing_model_offers_default_fetch", setup);
    let input = window.add_clip("jfk.wav", &window.work(), "jfk.wav");

    window.wait_until("the missing model", "return document.getElementById('model-status').dataset.state === 'missing'");
    let offer = window.js("const offer = document.getElementById('model-offer'); return !offer.hidden && offer.innerText");
    assert!(offer.as_str().unwrap().contains("Fetch base"), "{offer}");
    assert!(window.js("return document.getElementById('model-status').innerText").as_str().unwrap().contains("base"));

    let report = window.drop_paths(&[input]);
    assert_eq!(report["added"], json!([]));
    assert_eq!(report["error"]["code"], json!("model_missing"));
    window.wait_until("the message", "return document.querySelector('.notice') && document.querySelector('.notice').innerText.includes('Files not added')");
    assert_eq!(names_in(&window.work()), ["jfk.wav"]);
    window.screenshot("offer");
}

#[test]
fn corrupt_settings_reset_and_changed_in_window() {
    let setup = Setup { settings: Some("{ \"model\": \"tiny.en\", oops".into()), ..Setup::default() };
    let window = TestWindow::open_with("corrupt_settings_reset_and_changed_in_window", setup);

    let notice = window.wait_until(
        "the warning",
        "const notice = document.querySelector('.notice[data-kind=\"warning\"]'); return notice && notice.innerText",
    );
    assert!(notice.as_str().unwrap().contains("settings.json.bak"), "{notice}");
    assert_eq!(fs::read_to_string(window.config_dir().join("settings.json.bak")).unwrap(), "{ \"model\": \"tiny.en\", oops");

    window.session.click("button.tab[data-view='settings']").unwrap();
    window.session.click("#setting-format-vtt").unwrap();
    window.wait_until("the settings to save", "return document.getElementById('settings-status').textContent === 'Saved.'");

    let saved: Value = serde_json::from_str(&fs::read_to_string(window.config_dir().join("settings.json")).unwrap()).unwrap();
    assert_eq!(saved["formats"], json!(["txt", "srt", "vtt"]));
    window.screenshot("settings");
}

#[test]
fn keyboard_reaches_controls_with_visible_focus() {
    let setup = Setup { env: vec![("GTK_THEME", "Adwaita:dark".to_string())], ..Setup::default() };
    let window = TestWindow::open_with("keyboard_reaches_controls_with_visible_focus", setup);
    let theme = window.js("return [matchMedia('(prefers-color-scheme: dark)').matches, getComputedStyle(document.body).backgroundColor]");
    assert_eq!(theme, json!([true, "rgb(22, 23, 27)"]), "the page does not follow the dark system theme");

    let mut reached = Vec::new();
    for _ in 0..8 {
        window.session.press_key(TAB).unwrap();
        let focused = window.js(
            "const e = document.activeElement;
            return { name: e.getAttribute('aria-label') || e.textContent.trim(), outline: getComputedStyle(e).outlineStyle }",
        );
        assert_ne!(focused["outline"], json!("none"), "focus not visible on {focused}");
        reached.push(focused["name"].as_str().unwrap().to_string());
    }
    for name in ["Skip to content", "Transcribe", "Models", "Settings", "Open files…"] {
        assert!(reached.iter().any(|reached| reached == name), "Tab never reached '{name}': {reached:?}");
    }

    window.js("document.querySelector('button.tab[data-view=\"models\"]').focus()");
    window.session.press_key(ENTER).unwrap();
    window.wait_until("the models page", "return !document.getElementById('view-models').hidden && document.querySelectorAll('#models-body tr').length >= 2");
    let rows = window.js("return [...document.querySelectorAll('#models-body tr')].map((row) => row.innerText)");
    assert!(rows.to_string().contains("Installed, in use"), "{rows}");
    window.screenshot("models");
}

/// WebDriver key codes.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Encodes `input` as AAC in an M4A container with ffmpeg.
fn encode_m4a(input: &Path, output: &PathBuf) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(input)
        .args(["-c:a", "aac", "-b:a", "64k"])
        .arg(output)
        .status()
        .unwrap_or_else(|error| panic!("cannot run ffmpeg ({error}): install the Debian package ffmpeg"));
    assert!(status.success(), "ffmpeg failed to encode {}", output.display());
}
