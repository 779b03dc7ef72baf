//! Writer for whisper.cpp's single-file ggml model format.
//!
//! The layout is the one `whisper_model_load()` reads in whisper.cpp 1.8.3, the version
//! bundled with whisper-rs-sys 0.15. All integers are little-endian i32:
//!
//! ```text
//! magic 0x67676d6c, 10 hyperparameters, ftype
//! mel filters: n_mel, n_fft, then n_mel × n_fft f32
//! vocabulary: count, then per token: byte length, bytes
//! tensors until end of file: n_dims, name length, type, dims (innermost first), name, data
//! ```

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::ct2::{Ct2Model, DType, Variable};
use super::error::ModelError;
use super::float16::{bf16_to_f32, f16_to_f32, f32_to_f16};

/// The first four bytes of a ggml model, read as a little-endian u32.
pub(crate) const GGML_MAGIC: u32 = 0x6767_6d6c;

/// `ftype` 1: large weight matrices are float16, the rest float32.
const FTYPE_MOSTLY_F16: i32 = 1;

/// Model dimensions, in the order the header stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hparams {
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
}

/// Element type of a tensor in the file, numbered as ggml's `ggml_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TensorType {
    F32 = 0,
    F16 = 1,
}

/// Streams a ggml model to `out`. `path` and `model` name the output and the model in
/// error messages.
pub(crate) struct GgmlWriter<'a, W> {
    out: &'a mut W,
    path: PathBuf,
    model: String,
    tensors: usize,
    converted: Vec<u8>,
}

impl<'a, W: Write> GgmlWriter<'a, W> {
    pub(crate) fn new(out: &'a mut W, path: &Path, model: &str) -> Self {
        Self {
            out,
            path: path.to_path_buf(),
            model: model.to_string(),
            tensors: 0,
            converted: Vec::new(),
        }
    }

    /// Number of tensors written so far.
    pub(crate) fn tensors(&self) -> usize {
        self.tensors
    }

    pub(crate) fn write_header(&mut self, hparams: &Hparams) -> Result<(), ModelError> {
        let fields = [
            GGML_MAGIC as i32,
            hparams.n_vocab,
            hparams.n_audio_ctx,
            hparams.n_audio_state,
            hparams.n_audio_head,
            hparams.n_audio_layer,
            hparams.n_text_ctx,
            hparams.n_text_state,
            hparams.n_text_head,
            hparams.n_text_layer,
            hparams.n_mels,
            FTYPE_MOSTLY_F16,
        ];
        for field in fields {
            self.write_i32(field)?;
        }
        Ok(())
    }

    /// Writes the mel filter bank: `n_mels` rows of `n_frequencies` f32, as bytes.
    pub(crate) fn write_mel_filters(
        &mut self,
        n_mels: usize,
        n_frequencies: usize,
        filters: &[u8],
    ) -> Result<(), ModelError> {
        debug_assert_eq!(filters.len(), n_mels * n_frequencies * 4);
        self.write_i32(n_mels as i32)?;
        self.write_i32(n_frequencies as i32)?;
        self.write_bytes(filters)
    }

    pub(crate) fn write_vocabulary(&mut self, tokens: &[Vec<u8>]) -> Result<(), ModelError> {
        self.write_i32(tokens.len() as i32)?;
        for token in tokens {
            self.write_i32(token.len() as i32)?;
            self.write_bytes(token)?;
        }
        Ok(())
    }

    /// Writes one tensor whose data is `variable` of `model`, converted to `tensor_type`.
    ///
    /// `shape` is outermost first, as in PyTorch. The file stores it innermost first. It
    /// may differ from the variable's shape (a bias stored as `[n, 1]`) but must hold the
    /// same number of elements. Integer variables are dequantized with their scales.
    pub(crate) fn write_tensor<R: Read + Seek>(
        &mut self,
        name: &str,
        shape: &[u64],
        tensor_type: TensorType,
        model: &mut Ct2Model<R>,
        variable: &Variable,
    ) -> Result<(), ModelError> {
        let unsupported = || ModelError::UnsupportedDtype {
            model: self.model.clone(),
            variable: variable.name.clone(),
            dtype: variable.dtype.name(),
        };
        let conversion = Conversion::select(variable.dtype, tensor_type).ok_or_else(unsupported)?;

        let elements: u64 = shape.iter().product();
        if elements * variable.dtype.size() != variable.num_bytes() {
            return Err(self.conversion_error(format!(
                "{} has {} bytes, which does not fit the shape {shape:?} of {name}",
                variable.name,
                variable.num_bytes()
            )));
        }

        let scales = match conversion {
            Conversion::Dequantize => model.row_scales(variable)?,
            _ => Vec::new(),
        };
        let rows = variable.shape.first().copied().unwrap_or(1).max(1);
        let row_len = (elements / rows).max(1);

        self.write_i32(shape.len() as i32)?;
        self.write_i32(name.len() as i32)?;
        self.write_i32(tensor_type as i32)?;
        for &dim in shape.iter().rev() {
            let dim = i32::try_from(dim).map_err(|_| {
                self.conversion_error(format!("{name} has a dimension of {dim}, above i32"))
            })?;
            self.write_i32(dim)?;
        }
        self.write_bytes(name.as_bytes())?;

        let model_name = &self.model;
        let out = &mut *self.out;
        let path = &self.path;
        let converted = &mut self.converted;
        let mut index: u64 = 0;
        model.stream(variable, |chunk| {
            if conversion == Conversion::Copy {
                return out.write_all(chunk).map_err(ModelError::io("write", path));
            }

            converted.clear();
            let element_size = variable.dtype.size() as usize;
            for element in chunk.chunks_exact(element_size) {
                let value = match variable.dtype {
                    DType::Float32 => {
                        f32::from_le_bytes([element[0], element[1], element[2], element[3]])
                    }
                    DType::Float16 => f16_to_f32(u16::from_le_bytes([element[0], element[1]])),
                    DType::BFloat16 => bf16_to_f32(u16::from_le_bytes([element[0], element[1]])),
                    DType::Int8 => f32::from(element[0] as i8) / scales[(index / row_len) as usize],
                    DType::Int16 => {
                        f32::from(i16::from_le_bytes([element[0], element[1]]))
                            / scales[(index / row_len) as usize]
                    }
                    DType::Int32 => unreachable!("Conversion::select rejects int32"),
                };
                index += 1;

                match tensor_type {
                    TensorType::F32 => converted.extend_from_slice(&value.to_le_bytes()),
                    TensorType::F16 => {
                        let Some(half) = f32_to_f16(value) else {
                            return Err(ModelError::Conversion {
                                model: model_name.clone(),
                                reason: format!(
                                    "{} has values outside the float16 range",
                                    variable.name
                                ),
                            });
                        };
                        converted.extend_from_slice(&half.to_le_bytes());
                    }
                }
            }
            out.write_all(converted)
                .map_err(ModelError::io("write", path))
        })?;

        self.tensors += 1;
        Ok(())
    }

    fn conversion_error(&self, reason: String) -> ModelError {
        ModelError::Conversion {
            model: self.model.clone(),
            reason,
        }
    }

    fn write_i32(&mut self, value: i32) -> Result<(), ModelError> {
        self.write_bytes(&value.to_le_bytes())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), ModelError> {
        self.out
            .write_all(bytes)
            .map_err(ModelError::io("write", &self.path))
    }
}

/// Conversion from the bytes of a CTranslate2 variable to the bytes of a ggml tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    /// Same element type: the bytes are copied unchanged.
    Copy,
    /// A float type converted through f32. Narrowing to float16 rounds to nearest, ties to
    /// even.
    Float,
    /// int8 or int16 values divided by their row's scale.
    Dequantize,
}

impl Conversion {
    fn select(from: DType, to: TensorType) -> Option<Self> {
        match (from, to) {
            (DType::Float16, TensorType::F16) | (DType::Float32, TensorType::F32) => {
                Some(Conversion::Copy)
            }
            (DType::Float16 | DType::Float32 | DType::BFloat16, _) => Some(Conversion::Float),
            (DType::Int8 | DType::Int16, _) => Some(Conversion::Dequantize),
            (DType::Int32, _) => None,
        }
    }
}
