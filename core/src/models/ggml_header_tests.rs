//! Tests of the ggml header check on files written at test time.

use std::path::PathBuf;

use super::*;
use crate::models::ct2::tests::Ct2Builder;

/// The header of `base`: the dimensions of OpenAI's base model.
pub(crate) const BASE_FIELDS: [i32; 11] = [51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80, 1];

/// Returns the bytes of a ggml header with `fields`, followed by a mel filter header.
pub(crate) fn header_bytes(fields: [i32; 11]) -> Vec<u8> {
    let mut bytes = GGML_MAGIC.to_le_bytes().to_vec();
    for field in fields {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(&fields[9].to_le_bytes());
    bytes.extend_from_slice(&201i32.to_le_bytes());
    bytes
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn header_of_base_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "ggml-base.bin", &header_bytes(BASE_FIELDS));

    let header = read_header(&path).unwrap();

    assert_eq!(header.n_vocab, 51865);
    assert!(header.is_multilingual());
    assert_eq!(header.family(), Some("base"));
    assert_eq!(header.weight_type(), "f16");
}

#[test]
fn header_of_quantized_english_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut fields = [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 2009];
    let path = write(&dir, "ggml-tiny.en-q5_1.bin", &header_bytes(fields));

    let header = read_header(&path).unwrap();

    assert!(!header.is_multilingual());
    assert_eq!(header.family(), Some("tiny"));
    assert_eq!(header.ftype, 9);
    assert_eq!(header.weight_type(), "q5_1");

    fields[10] = 5;
    let path = write(&dir, "odd.bin", &header_bytes(fields));
    let err = read_header(&path).unwrap_err();
    assert!(err.to_string().contains("ftype"), "{err}");
}

#[test]
fn header_of_turbo_and_large_v3() {
    let dir = tempfile::tempdir().unwrap();
    let turbo = [51866, 1500, 1280, 20, 32, 448, 1280, 20, 4, 128, 1];
    let path = write(&dir, "turbo.bin", &header_bytes(turbo));
    assert_eq!(read_header(&path).unwrap().family(), Some("large-v3-turbo"));

    let large = [51866, 1500, 1280, 20, 32, 448, 1280, 20, 32, 128, 1];
    let path = write(&dir, "large.bin", &header_bytes(large));
    assert_eq!(read_header(&path).unwrap().family(), Some("large-v3"));
}

#[test]
fn header_rejects_insane_values() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(usize, i32, &str); 5] = [
        (0, 1000, "n_vocab is 1000"),
        (2, 0, "n_audio_state is 0"),
        (9, 64, "n_mels is 64"),
        (3, 7, "heads do not divide"),
        (8, -1, "n_text_layer is -1"),
    ];
    for (index, value, expected) in cases {
        let mut fields = BASE_FIELDS;
        fields[index] = value;
        let path = write(&dir, "bad.bin", &header_bytes(fields));

        let err = read_header(&path).unwrap_err();
        assert!(matches!(err, ModelError::InvalidGgml { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("bad.bin"), "{message}");
    }
}

#[test]
fn header_rejects_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = header_bytes(BASE_FIELDS);
    for len in [4, 20, 48, 52] {
        let path = write(&dir, "cut.bin", &bytes[..len]);
        let message = read_header(&path).unwrap_err().to_string();
        assert!(
            message.contains("ends inside the header"),
            "{len}: {message}"
        );
    }
}

#[test]
fn header_rejects_wrong_mel_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = header_bytes(BASE_FIELDS);
    let len = bytes.len();
    bytes[len - 4..].copy_from_slice(&200i32.to_le_bytes());
    let path = write(&dir, "mel.bin", &bytes);

    let message = read_header(&path).unwrap_err().to_string();
    assert!(message.contains("80 × 200"), "{message}");
}

#[test]
fn other_formats_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut ct2 = Ct2Builder::new();
    ct2.variable("x", &[], 0, 1f32.to_le_bytes().to_vec());
    let mut safetensors = 20u64.to_le_bytes().to_vec();
    safetensors.extend_from_slice(b"{\"w\": {}}           ");

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("tiny.pt", b"PK\x03\x04rest of a zip".to_vec(), "PyTorch"),
        ("old.pt", vec![0x80, 0x02, 0x7d, 0x71], "pickle"),
        ("model.gguf", b"GGUF\x03\x00\x00\x00".to_vec(), "GGUF"),
        ("model.bin", ct2.build(), "CTranslate2"),
        ("model.safetensors", safetensors, "safetensors"),
        ("page.bin", b"<!DOCTYPE html><html>".to_vec(), "HTML"),
    ];
    for (name, bytes, kind) in cases {
        let path = write(&dir, name, &bytes);

        let err = read_header(&path).unwrap_err();
        assert!(
            matches!(err, ModelError::WrongModelFormat { .. }),
            "{name}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains(kind), "{name}: {message}");
        assert!(message.contains(name), "{name}: {message}");
    }
}

#[test]
fn unknown_and_empty_files_are_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.bin", &b""[..], "empty"),
        ("notes.bin", &b"just some text"[..], "ggml magic"),
        ("ab.bin", &b"ab"[..], "ggml magic"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(&dir, name, bytes);

        let err = read_header(&path).unwrap_err();
        assert!(
            matches!(err, ModelError::InvalidGgml { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
}
