//! Test support for the real window: each [`TestWindow`] runs the app on its own virtual
//! display, driven by its own WebKitWebDriver, with a private home folder and the tiny.en
//! model, and saves screenshots to `target/e2e-artifacts/`.

#![allow(dead_code, unused_imports)]

mod index_server;
mod lease;
mod processes;
mod webdriver;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use index_server::{closed_host_url, IndexServer};
pub use lease::FileLease;
pub use processes::run_tool;
use processes::{free_port, start_webdriver, start_xvfb, Guarded};
use webdriver::Session;

/// Upper bound for anything a test waits for; a hang fails instead of blocking CI. Long
/// enough for tiny.en on one thread of a busy 2-core machine.
pub const WAIT_LIMIT: Duration = Duration::from_secs(240);

/// How the private home is prepared before the app starts.
pub struct Setup {
    /// Installs the tiny.en test model as `ggml-tiny.en.bin` in the models folder.
    pub install_model: bool,
    /// The text of `settings.json`, if any.
    pub settings: Option<String>,
    /// More environment variables for the app, such as `GTK_THEME`.
    pub env: Vec<(&'static str, String)>,
    /// Runs the app without the capability that lets root write to read-only folders, so
    /// a test can show what happens when a folder is not writable.
    pub honour_permissions: bool,
}

impl Default for Setup {
    /// Returns the usual setup: the test model installed and chosen, English, one whisper
    /// thread.
    fn default() -> Self {
        let settings = json!({ "model": "tiny.en", "language": "en", "threads": 1 }).to_string();
        Self { install_model: true, settings: Some(settings), env: Vec::new(), honour_permissions: false }
    }
}

/// The app's window under test. Dropping it ends the WebDriver session and stops the
/// driver and the display; the app exits with its display.
pub struct TestWindow {
    pub session: Session,
    pub display: String,
    name: String,
    root: tempfile::TempDir,
    // Fields drop in declaration order: the driver stops before the display.
    _driver: Guarded,
    _xvfb: Guarded,
}

impl TestWindow {
    pub fn open(name: &str) -> Self {
        Self::open_with(name, Setup::default())
    }

    pub fn open_with(name: &str, setup: Setup) -> Self {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let (data, config, cache) = (home.join("data"), home.join("config"), home.join("cache"));
        for dir in [&data, &config, &cache, &root.path().join("work"), &root.path().join("tmp")] {
            fs::create_dir_all(dir).unwrap();
        }
        prepare_home(&data.join("whisperrr"), &config.join("whisperrr"), &setup);

        let (xvfb, display) = start_xvfb();
        let port = free_port();
        let envs: [(&str, &Path); 6] = [
            ("HOME", &home),
            ("XDG_DATA_HOME", &data),
            ("XDG_CONFIG_HOME", &config),
            ("XDG_CACHE_HOME", &cache),
            ("XDG_RUNTIME_DIR", root.path()),
            ("TMPDIR", &root.path().join("tmp")),
        ];
        let mut extra = vec![
            ("DISPLAY", display.as_str()),
            ("TAURI_WEBVIEW_AUTOMATION", "true"),
            // No accessibility bus runs here; without this GTK waits for one at start.
            ("NO_AT_BRIDGE", "1"),
            ("RUST_LOG", "info,whisper_rs=warn,symphonia=warn"),
        ];
        extra.extend(setup.env.iter().map(|(name, value)| (*name, value.as_str())));
        let driver = start_webdriver(port, &envs, &extra, &root.path().join("webdriver.log"));

        let binary = if setup.honour_permissions {
            permission_honouring_launcher(root.path())
        } else {
            PathBuf::from(env!("CARGO_BIN_EXE_whisperrr"))
        };
        let session = Session::start(port, binary.to_str().unwrap()).unwrap_or_else(|error| {
            let log = fs::read_to_string(root.path().join("webdriver.log")).unwrap_or_default();
            panic!("cannot start the app under WebDriver: {error}\ndriver log:\n{log}")
        });
        let window = Self { session, display, name: name.to_string(), root, _driver: driver, _xvfb: xvfb };
        window.wait_until("the page to load", "return document.body.dataset.ready === 'true'");
        window
    }

    /// Returns the folder for the test's input files.
    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("home/config/whisperrr")
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.path().join("home/data/whisperrr/models")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.path().join("home/cache/whisperrr")
    }

    /// Copies fixture clip `name` into `folder` (created if needed) under `as_name`.
    pub fn add_clip(&self, name: &str, folder: &Path, as_name: &str) -> PathBuf {
        fs::create_dir_all(folder).unwrap();
        let path = folder.join(as_name);
        fs::copy(whisperrr_testkit::clip(name), &path).unwrap();
        path
    }

    /// Runs `script` in the page and returns its result.
    pub fn js(&self, script: &str) -> Value {
        self.js_with(script, json!([]))
    }

    pub fn js_with(&self, script: &str, args: Value) -> Value {
        self.session.execute(script, args).unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Polls `script` until it returns something truthy, and returns that.
    pub fn wait_until(&self, what: &str, script: &str) -> Value {
        self.wait_until_within(what, script, WAIT_LIMIT)
    }

    pub fn wait_until_within(&self, what: &str, script: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let value = self.js(script);
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                self.screenshot("timeout");
                panic!("timed out after {limit:?} waiting for {what}; page text:\n{}", self.page_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn page_text(&self) -> String {
        self.session
            .execute("return document.body.innerText", json!([]))
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Sends `paths` through the command that runs the same handler as a native drop, and
    /// returns its report.
    pub fn drop_paths(&self, paths: &[PathBuf]) -> Value {
        let strings: Vec<&str> = paths.iter().map(|path| path.to_str().unwrap()).collect();
        let script = "const done = arguments[arguments.length - 1];
            window.__TAURI__.core.invoke('drop_paths_for_automation', { paths: arguments[0] })
                .then((report) => done({ report }), (error) => done({ error }));";
        let result = self.session.execute_async(script, json!([strings])).expect("the drop command runs");
        assert!(result["error"].is_null(), "the drop command failed: {}", result["error"]);
        result["report"].clone()
    }

    /// Calls app command `command` with `args` from the page, as the page's own code does.
    /// Returns the command's result, or its `{code, message}` error.
    pub fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let script = "const done = arguments[arguments.length - 1];
            window.__TAURI__.core.invoke(arguments[0], arguments[1])
                .then((result) => done({ result }), (error) => done({ error }));";
        let outcome = self.session.execute_async(script, json!([command, args])).expect("the command runs");
        if outcome["error"].is_null() {
            Ok(outcome["result"].clone())
        } else {
            Err(outcome["error"].clone())
        }
    }

    /// Records every value each job's progress bar takes from now on, in
    /// `window.progressSeen[jobId]`, with `null` for an indeterminate bar. A page reload
    /// clears it.
    pub fn record_progress(&self) {
        self.js(
            "window.progressSeen = {};
            const record = (bar) => {
                const id = bar.closest('[data-job-id]').dataset.jobId;
                (window.progressSeen[id] ??= []).push(bar.hasAttribute('value') ? Number(bar.value) : null);
            };
            new MutationObserver((changes) => {
                for (const change of changes) {
                    if (change.type === 'attributes' && change.target.matches('progress')) record(change.target);
                    for (const node of change.addedNodes ?? []) {
                        if (node.querySelectorAll) node.querySelectorAll('progress').forEach(record);
                    }
                }
            }).observe(document.getElementById('job-list'), { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });",
        );
    }

    /// Saves a screenshot of the whole display as `target/e2e-artifacts/NAME-SUFFIX.png`,
    /// after the page has drawn its latest changes.
    pub fn screenshot(&self, suffix: &str) -> PathBuf {
        let _ = self.session.execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            json!([]),
        );
        let dir = artifacts_dir();
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{suffix}.png", self.name));
        run_tool("import", "imagemagick", &["-window", "root", path.to_str().unwrap()], &self.display);
        path
    }
}

impl Drop for TestWindow {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.screenshot("failed")));
        }
        if let Err(error) = self.session.delete() {
            eprintln!("warning: cannot delete the WebDriver session: {error}");
        }
    }
}

/// Returns the names of the entries of `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// `target/e2e-artifacts`, beside the test binaries' scratch folder.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("e2e-artifacts")
}

/// Writes a script that starts the app without CAP_DAC_OVERRIDE, the capability that lets
/// root write to any folder. For other users the script starts the app unchanged.
fn permission_honouring_launcher(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;

    let app = env!("CARGO_BIN_EXE_whisperrr");
    let is_root = run_tool("id", "coreutils", &["-u"], "").trim() == "0";
    let command = if is_root {
        format!("exec setpriv --bounding-set=-dac_override -- '{app}' \"$@\"")
    } else {
        format!("exec '{app}' \"$@\"")
    };
    let path = dir.join("whisperrr-without-override");
    fs::write(&path, format!("#!/bin/sh\n{command}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn prepare_home(data: &Path, config: &Path, setup: &Setup) {
    if setup.install_model {
        let models = data.join("models");
        fs::create_dir_all(&models).unwrap();
        std::os::unix::fs::symlink(whisperrr_testkit::model_path("tiny.en"), models.join("ggml-tiny.en.bin")).unwrap();
    }
    if let Some(settings) = &setup.settings {
        fs::create_dir_all(config).unwrap();
        fs::write(config.join("settings.json"), settings).unwrap();
    }
}
