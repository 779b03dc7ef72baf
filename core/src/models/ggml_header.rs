//! Reading and checking the header of a ggml model file, and naming what other files are.
//!
//! The header is the one [`super::ggml`] writes: the magic, ten hyperparameters and
//! `ftype`, then the mel filters and the vocabulary count. whisper.cpp stores the
//! quantization version in `ftype` as `version * 1000 + type`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::error::ModelError;
use super::ggml::GGML_MAGIC;

/// Smallest `n_vocab` of a multilingual model. English-only models have 51864.
const MULTILINGUAL_MIN_VOCAB: i32 = 51865;

/// whisper.cpp's `GGML_QNT_VERSION_FACTOR`.
const QUANTIZATION_VERSION_FACTOR: i32 = 1000;

/// The hyperparameters of a ggml Whisper model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GgmlHeader {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    /// Weight type with the quantization version removed, numbered as ggml's `ggml_ftype`.
    pub ftype: i32,
}

impl GgmlHeader {
    /// Whether the model transcribes languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= MULTILINGUAL_MIN_VOCAB
    }

    /// Returns the weight type, such as `f16` or `q5_1`.
    pub fn weight_type(&self) -> &'static str {
        weight_type_name(self.ftype).unwrap_or("unknown")
    }

    /// Returns the Whisper size with these dimensions, such as `base` or `large-v3-turbo`, or
    /// `None` for dimensions no OpenAI model has.
    pub fn family(&self) -> Option<&'static str> {
        let layers = (self.n_audio_layer, self.n_text_layer, self.n_audio_state);
        let family = match layers {
            (4, 4, 384) => "tiny",
            (6, 6, 512) => "base",
            (12, 12, 768) => "small",
            (24, 24, 1024) => "medium",
            (32, 32, 1280) if self.n_mels == 128 => "large-v3",
            (32, 32, 1280) => "large",
            (32, 4, 1280) => "large-v3-turbo",
            _ => return None,
        };
        Some(family)
    }
}

/// Names of ggml's `ggml_ftype` values that whisper.cpp can load.
fn weight_type_name(ftype: i32) -> Option<&'static str> {
    let name = match ftype {
        0 => "f32",
        1 => "f16",
        2 => "q4_0",
        3 => "q4_1",
        7 => "q8_0",
        8 => "q5_0",
        9 => "q5_1",
        10 => "q2_k",
        11 => "q3_k",
        12 => "q4_k",
        13 => "q5_k",
        14 => "q6_k",
        _ => return None,
    };
    Some(name)
}

/// Reads the header of `path` and checks that it describes a Whisper model whisper.cpp can
/// load. Other known formats (PyTorch, GGUF, CTranslate2, safetensors, HTML) are named in
/// the error.
pub fn read_header(path: &Path) -> Result<GgmlHeader, ModelError> {
    let file = File::open(path).map_err(ModelError::io("open", path))?;
    let mut reader = BufReader::new(file);

    let mut start = [0u8; 16];
    let read = read_up_to(&mut reader, &mut start).map_err(ModelError::io("read", path))?;
    let start = &start[..read];
    if read < 4 || u32::from_le_bytes([start[0], start[1], start[2], start[3]]) != GGML_MAGIC {
        return Err(identify_other_format(path, start));
    }

    let invalid = |reason: String| ModelError::InvalidGgml {
        path: path.to_path_buf(),
        reason,
    };
    let truncated = || invalid("the file ends inside the header".to_string());

    let mut fields = [0i32; 11];
    let mut rest = &start[4..];
    for field in fields.iter_mut() {
        let mut bytes = [0u8; 4];
        if rest.len() >= 4 {
            bytes.copy_from_slice(&rest[..4]);
            rest = &rest[4..];
        } else {
            let from_start = rest.len();
            bytes[..from_start].copy_from_slice(rest);
            rest = &[];
            reader
                .read_exact(&mut bytes[from_start..])
                .map_err(|_| truncated())?;
        }
        *field = i32::from_le_bytes(bytes);
    }

    let header = GgmlHeader {
        n_vocab: fields[0],
        n_audio_ctx: fields[1],
        n_audio_state: fields[2],
        n_audio_head: fields[3],
        n_audio_layer: fields[4],
        n_text_ctx: fields[5],
        n_text_state: fields[6],
        n_text_head: fields[7],
        n_text_layer: fields[8],
        n_mels: fields[9],
        ftype: fields[10] % QUANTIZATION_VERSION_FACTOR,
    };
    check_hparams(&header).map_err(invalid)?;

    let mut next = || -> Result<i32, ModelError> {
        let mut bytes = [0u8; 4];
        reader.read_exact(&mut bytes).map_err(|_| truncated())?;
        Ok(i32::from_le_bytes(bytes))
    };
    let (filter_mels, filter_bins) = (next()?, next()?);
    if filter_mels != header.n_mels || filter_bins != 201 {
        return Err(invalid(format!(
            "the mel filters are {filter_mels} × {filter_bins}, expected {} × 201",
            header.n_mels
        )));
    }

    Ok(header)
}

/// Checks the hyperparameters against the ranges of real Whisper models, generously.
fn check_hparams(header: &GgmlHeader) -> Result<(), String> {
    let in_range = |name: &str, value: i32, min: i32, max: i32| {
        if (min..=max).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "{name} is {value}, outside the range {min} to {max} of Whisper models"
            ))
        }
    };

    in_range("n_vocab", header.n_vocab, 50_257, 52_000)?;
    in_range("n_audio_ctx", header.n_audio_ctx, 1, 1500)?;
    in_range("n_audio_state", header.n_audio_state, 1, 8192)?;
    in_range("n_audio_head", header.n_audio_head, 1, 128)?;
    in_range("n_audio_layer", header.n_audio_layer, 1, 128)?;
    in_range("n_text_ctx", header.n_text_ctx, 1, 4096)?;
    in_range("n_text_state", header.n_text_state, 1, 8192)?;
    in_range("n_text_head", header.n_text_head, 1, 128)?;
    in_range("n_text_layer", header.n_text_layer, 1, 128)?;

    if header.n_mels != 80 && header.n_mels != 128 {
        return Err(format!("n_mels is {}, expected 80 or 128", header.n_mels));
    }
    if header.n_audio_state % header.n_audio_head != 0
        || header.n_text_state % header.n_text_head != 0
    {
        return Err("the attention heads do not divide the model width".to_string());
    }
    if weight_type_name(header.ftype).is_none() {
        return Err(format!(
            "the weight type (ftype) {} is unknown",
            header.ftype
        ));
    }
    Ok(())
}

/// Names the format of a file that is not ggml, from its first bytes.
fn identify_other_format(path: &Path, start: &[u8]) -> ModelError {
    const PYTORCH_HINT: &str = "convert OpenAI's .pt checkpoints with whisper.cpp's models/convert-pt-to-ggml.py first, or import a faster-whisper (CTranslate2) folder instead";
    let wrong = |kind: &'static str, hint: &'static str| ModelError::WrongModelFormat {
        path: path.to_path_buf(),
        kind,
        hint,
    };

    if start.is_empty() {
        return ModelError::InvalidGgml {
            path: path.to_path_buf(),
            reason: "the file is empty".to_string(),
        };
    }
    if start.starts_with(b"PK\x03\x04") {
        return wrong("a zip archive, such as a PyTorch checkpoint", PYTORCH_HINT);
    }
    if start.len() >= 2 && start[0] == 0x80 && (2..=5).contains(&start[1]) {
        return wrong(
            "a Python pickle, such as an older PyTorch checkpoint",
            PYTORCH_HINT,
        );
    }
    if start.starts_with(b"GGUF") {
        return wrong(
            "a GGUF file",
            "whisper.cpp loads ggml-*.bin models; download one with `whisperrr models fetch NAME`",
        );
    }
    if is_ctranslate2(start) {
        return wrong(
            "a CTranslate2 model.bin",
            "import the folder that contains it, which also holds its vocabulary file",
        );
    }
    if is_safetensors(start) {
        return wrong(
            "a safetensors file (Hugging Face Transformers)",
            "convert it with whisper.cpp's models/convert-h5-to-ggml.py first, or import a faster-whisper (CTranslate2) folder instead",
        );
    }
    let text = String::from_utf8_lossy(start).to_ascii_lowercase();
    if text.trim_start().starts_with("<!doctype") || text.trim_start().starts_with("<html") {
        return wrong(
            "an HTML page, probably an error page saved in place of the model",
            "download the model again",
        );
    }
    ModelError::InvalidGgml {
        path: path.to_path_buf(),
        reason: "it does not start with the ggml magic".to_string(),
    }
}

/// A CTranslate2 `model.bin` starts with its binary version (1 to 6), then a spec name
/// such as `WhisperSpec` with its length and a NUL.
fn is_ctranslate2(start: &[u8]) -> bool {
    if start.len() < 10 {
        return false;
    }
    let version = u32::from_le_bytes([start[0], start[1], start[2], start[3]]);
    let name_len = u16::from_le_bytes([start[4], start[5]]) as usize;
    (1..=6).contains(&version)
        && (2..=64).contains(&name_len)
        && start[6..]
            .iter()
            .take(name_len - 1)
            .all(u8::is_ascii_alphanumeric)
}

/// A safetensors file starts with the length of its JSON header, then the `{` of it.
fn is_safetensors(start: &[u8]) -> bool {
    if start.len() < 9 {
        return false;
    }
    let header_len = u64::from_le_bytes(start[..8].try_into().unwrap_or_default());
    header_len < (100 << 20) && start[8] == b'{'
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
#[path = "ggml_header_tests.rs"]
pub(crate) mod tests;
