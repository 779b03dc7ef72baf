//! A CTranslate2 (faster-whisper) model folder on disk: `model.bin`, a vocabulary and
//! usually `config.json`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::ct2::{Ct2Model, DType};
use super::error::ModelError;

/// The files of a CTranslate2 model folder.
pub(crate) struct Ct2Folder {
    pub path: PathBuf,
    pub model_bin: PathBuf,
    /// The vocabulary as `vocabulary.txt` text: one token per line.
    pub vocabulary_txt: String,
}

impl Ct2Folder {
    /// Finds `model.bin` and the vocabulary (`vocabulary.txt`, or `vocabulary.json` as
    /// written by newer CTranslate2 converters) in `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, ModelError> {
        let invalid = |reason: String| ModelError::InvalidModelFolder {
            path: path.to_path_buf(),
            reason,
        };

        let model_bin = path.join("model.bin");
        if !model_bin.is_file() {
            return Err(invalid(
                "model.bin is missing; give the folder that contains model.bin and vocabulary.txt or vocabulary.json".to_string(),
            ));
        }

        let text_path = path.join("vocabulary.txt");
        let json_path = path.join("vocabulary.json");
        let vocabulary_txt = if text_path.is_file() {
            let bytes = std::fs::read(&text_path).map_err(ModelError::io("read", &text_path))?;
            String::from_utf8(bytes).map_err(|e| {
                invalid(format!(
                    "vocabulary.txt is not UTF-8 (first invalid byte at {})",
                    e.utf8_error().valid_up_to()
                ))
            })?
        } else if json_path.is_file() {
            let bytes = std::fs::read(&json_path).map_err(ModelError::io("read", &json_path))?;
            let tokens: Vec<String> = serde_json::from_slice(&bytes).map_err(|e| {
                invalid(format!(
                    "vocabulary.json is not a JSON list of tokens ({e})"
                ))
            })?;
            if tokens.iter().any(|token| token.contains('\n')) {
                return Err(invalid(
                    "vocabulary.json contains a token with a line break, which GPT-2 byte-level tokens never have".to_string(),
                ));
            }
            tokens.join("\n") + "\n"
        } else {
            return Err(invalid(
                "the vocabulary is missing: neither vocabulary.txt nor vocabulary.json exists"
                    .to_string(),
            ));
        };

        Ok(Self {
            path: path.to_path_buf(),
            model_bin,
            vocabulary_txt,
        })
    }

    /// Opens `model.bin` and parses its header. `label` names the model in messages.
    pub(crate) fn open_model(&self, label: &str) -> Result<Ct2Model<BufReader<File>>, ModelError> {
        let file = File::open(&self.model_bin).map_err(ModelError::io("open", &self.model_bin))?;
        let mut start = [0u8; 4];
        let mut probe =
            File::open(&self.model_bin).map_err(ModelError::io("open", &self.model_bin))?;
        if probe.read_exact(&mut start).is_ok() && &start == b"PK\x03\x04" {
            return Err(ModelError::InvalidModelFolder {
                path: self.path.clone(),
                reason: "model.bin is a zip archive, such as a PyTorch checkpoint, not a CTranslate2 model".to_string(),
            });
        }
        Ct2Model::open(BufReader::new(file), label)
    }
}

/// Estimates the size of the ggml file converted from `model`, whose `model.bin` has
/// `model_bin_bytes` bytes: weights become float16, so int8 weights double and float32
/// weights halve.
pub(crate) fn converted_size_estimate<R: Read + std::io::Seek>(
    model: &Ct2Model<R>,
    model_bin_bytes: u64,
) -> u64 {
    match model.variable("decoder/embeddings/weight").map(|v| v.dtype) {
        Ok(DType::Int8) => model_bin_bytes * 2,
        Ok(DType::Float32) => model_bin_bytes / 2,
        _ => model_bin_bytes,
    }
}
