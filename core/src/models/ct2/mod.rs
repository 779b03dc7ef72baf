//! Reader for CTranslate2's `model.bin`, binary versions 4 to 6.
//!
//! Layout (little-endian, as written by `ModelSpec._serialize` in CTranslate2's Python
//! package and read by `models/model.cc`):
//!
//! ```text
//! u32 binary version, string spec name, u32 spec revision,
//! u32 variable count, then per variable:
//!     string name, u8 rank, u32 × rank dims, u8 dtype id, u32 byte count, data
//! u32 alias count, then per alias: string alias, string target
//! ```
//!
//! A string is a u16 byte count followed by that many UTF-8 bytes, the last one NUL.
//! Versions before 4 stored an item size in place of the dtype id and are not supported.
//!
//! Only the header is parsed up front. Tensor data stays in the file and is streamed on
//! demand, so the reader's memory use does not grow with the model.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

use super::error::ModelError;
use super::float16::{bf16_to_f32, f16_to_f32};

mod header;
use header::HeaderParser;

const MIN_VERSION: u32 = 4;
const MAX_VERSION: u32 = 6;

/// Chunk size for streaming variable data. It is a multiple of every element size.
const CHUNK_BYTES: usize = 1 << 20;

/// Element type of a variable, numbered as CTranslate2's `DataType` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DType {
    Float32,
    Int8,
    Int16,
    Int32,
    Float16,
    BFloat16,
}

impl DType {
    fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(DType::Float32),
            1 => Some(DType::Int8),
            2 => Some(DType::Int16),
            3 => Some(DType::Int32),
            4 => Some(DType::Float16),
            5 => Some(DType::BFloat16),
            _ => None,
        }
    }

    pub(crate) fn size(self) -> u64 {
        match self {
            DType::Int8 => 1,
            DType::Int16 | DType::Float16 | DType::BFloat16 => 2,
            DType::Float32 | DType::Int32 => 4,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Int8 => "int8",
            DType::Int16 => "int16",
            DType::Int32 => "int32",
            DType::Float16 => "float16",
            DType::BFloat16 => "bfloat16",
        }
    }
}

/// A named variable and where its data sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// Name for messages: the stored name, with the part for a slice of rows.
    pub name: String,
    /// Dimensions, outermost first (row-major, as in PyTorch).
    pub shape: Vec<u64>,
    pub dtype: DType,
    /// Name of the stored variable this is, or a slice of.
    stored_name: String,
    /// Index of the first row within the stored variable.
    first_row: u64,
    offset: u64,
    num_bytes: u64,
}

impl Variable {
    pub(crate) fn num_bytes(&self) -> u64 {
        self.num_bytes
    }

    /// Returns rows `part * rows .. (part + 1) * rows` of the outermost dimension, where
    /// `rows` is the outermost dimension divided by `parts`. Used to split fused projections.
    /// Returns `None` when the variable is a scalar or its rows do not divide evenly.
    pub(crate) fn split_rows(&self, part: u64, parts: u64) -> Option<Variable> {
        let (&outer, inner) = self.shape.split_first()?;
        if parts == 0 || part >= parts || outer % parts != 0 {
            return None;
        }

        let rows = outer / parts;
        let part_bytes = self.num_bytes / parts;
        let mut shape = vec![rows];
        shape.extend_from_slice(inner);

        Some(Variable {
            name: format!("{} (part {} of {})", self.name, part + 1, parts),
            shape,
            dtype: self.dtype,
            stored_name: self.stored_name.clone(),
            first_row: self.first_row + part * rows,
            offset: self.offset + part * part_bytes,
            num_bytes: part_bytes,
        })
    }
}

/// A parsed `model.bin` header, with the reader that still contains the tensor data.
pub(crate) struct Ct2Model<R> {
    reader: R,
    /// Model name for error messages, such as `tiny.en`.
    label: String,
    pub spec: String,
    pub revision: u32,
    variables: HashMap<String, Variable>,
    aliases: HashMap<String, String>,
}

impl<R: Read + Seek> Ct2Model<R> {
    /// Parses the header of a `model.bin` read from `reader`, which must start at byte 0.
    /// `label` names the model in error messages.
    pub(crate) fn open(reader: R, label: &str) -> Result<Self, ModelError> {
        let mut parser = HeaderParser {
            reader,
            label,
            position: 0,
        };

        let version = parser.u32()?;
        if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
            return Err(parser.invalid(format!(
                "binary version {version} is not supported (supported: {MIN_VERSION} to {MAX_VERSION})"
            )));
        }
        let spec = parser.string()?;
        let revision = parser.u32()?;

        let variable_count = parser.u32()?;
        let mut variables = HashMap::new();
        for _ in 0..variable_count {
            let variable = parser.variable()?;
            variables.insert(variable.name.clone(), variable);
        }

        let alias_count = parser.u32()?;
        let mut aliases = HashMap::new();
        for _ in 0..alias_count {
            let alias = parser.string()?;
            let target = parser.string()?;
            aliases.insert(alias, target);
        }

        let end = parser
            .reader
            .seek(SeekFrom::End(0))
            .map_err(|e| parser.read_error(e))?;
        if end != parser.position {
            return Err(parser.invalid(format!(
                "{} unexpected bytes follow the aliases",
                end.saturating_sub(parser.position)
            )));
        }

        Ok(Self {
            reader: parser.reader,
            label: label.to_string(),
            spec,
            revision,
            variables,
            aliases,
        })
    }

    /// Returns whether `name` is a variable or an alias.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.variables.contains_key(name) || self.aliases.contains_key(name)
    }

    /// Returns the target of an alias, or `None` if `name` is not an alias.
    pub(crate) fn alias_target(&self, name: &str) -> Option<&str> {
        self.aliases.get(name).map(String::as_str)
    }

    /// Looks up a variable, following an alias if `name` is one.
    pub(crate) fn variable(&self, name: &str) -> Result<Variable, ModelError> {
        let target = self.alias_target(name).unwrap_or(name);
        self.variables
            .get(target)
            .cloned()
            .ok_or_else(|| ModelError::InvalidCt2 {
                model: self.label.clone(),
                reason: format!("the variable {name} is missing"),
            })
    }

    /// Reads an integer scalar, such as `encoder/num_heads`. Float scalars are accepted
    /// when they hold a whole number.
    pub(crate) fn scalar(&mut self, name: &str) -> Result<i64, ModelError> {
        let variable = self.variable(name)?;
        if !variable.shape.is_empty() {
            return Err(self.invalid(format!(
                "{name} has shape {:?}, expected a scalar",
                variable.shape
            )));
        }

        let mut bytes = Vec::new();
        self.stream(&variable, |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;

        let value = match variable.dtype {
            DType::Int8 => i64::from(i8::from_le_bytes([bytes[0]])),
            DType::Int16 => i64::from(i16::from_le_bytes([bytes[0], bytes[1]])),
            DType::Int32 => i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            DType::Float32 => {
                let value = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                if value.fract() != 0.0 || !value.is_finite() {
                    return Err(self.invalid(format!("{name} is {value}, expected a whole number")));
                }
                value as i64
            }
            other => {
                return Err(self.invalid(format!(
                    "{name} is a {} scalar, expected an integer",
                    other.name()
                )));
            }
        };
        Ok(value)
    }

    /// Returns one dequantization scale per row of an integer variable: CTranslate2 stores
    /// `round(w * scale)` with the scales in `NAME_scale`, one per output row for int8 and
    /// one for the whole matrix for int16. The original weight is the stored value divided
    /// by its row's scale.
    pub(crate) fn row_scales(&mut self, variable: &Variable) -> Result<Vec<f32>, ModelError> {
        let scale_name = format!("{}_scale", variable.stored_name);
        if !self.contains(&scale_name) {
            return Err(ModelError::UnsupportedDtype {
                model: self.label.clone(),
                variable: variable.name.clone(),
                dtype: variable.dtype.name(),
            });
        }
        let scale = self.variable(&scale_name)?;

        let mut bytes = Vec::with_capacity(scale.num_bytes as usize);
        self.stream(&scale, |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;
        let values: Vec<f32> = match scale.dtype {
            DType::Float32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            DType::Float16 => bytes
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            DType::BFloat16 => bytes
                .chunks_exact(2)
                .map(|b| bf16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            other => {
                return Err(self.invalid(format!(
                    "{scale_name} is {}, expected a float scale",
                    other.name()
                )));
            }
        };

        let rows = variable.shape.first().copied().unwrap_or(1);
        let scales = match values.len() {
            1 => vec![values[0]; rows as usize],
            _ => {
                let first = variable.first_row as usize;
                values
                    .get(first..first + rows as usize)
                    .filter(|_| scale.shape.len() == 1)
                    .map(<[f32]>::to_vec)
                    .ok_or_else(|| {
                        self.invalid(format!(
                            "{scale_name} has shape {:?}, which does not give one scale per row of {}",
                            scale.shape, variable.name
                        ))
                    })?
            }
        };
        if let Some(bad) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(self.invalid(format!(
                "{scale_name} contains the scale {bad}, expected positive values"
            )));
        }
        Ok(scales)
    }

    /// Streams a variable's data to `sink` in chunks of whole elements.
    pub(crate) fn stream(
        &mut self,
        variable: &Variable,
        mut sink: impl FnMut(&[u8]) -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        self.reader
            .seek(SeekFrom::Start(variable.offset))
            .map_err(|e| self.read_error(e))?;

        let mut buf = vec![0u8; CHUNK_BYTES.min(variable.num_bytes as usize)];
        let mut left = variable.num_bytes;
        while left > 0 {
            let n = CHUNK_BYTES.min(left as usize);
            self.reader
                .read_exact(&mut buf[..n])
                .map_err(|e| self.read_error(e))?;
            sink(&buf[..n])?;
            left -= n as u64;
        }
        Ok(())
    }

    /// Reads a whole variable into memory.
    #[cfg(test)]
    pub(crate) fn read_bytes(&mut self, variable: &Variable) -> Result<Vec<u8>, ModelError> {
        let mut bytes = Vec::with_capacity(variable.num_bytes as usize);
        self.stream(variable, |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(bytes)
    }

    /// Returns whether every element of a float variable is +0.0 or -0.0. Non-float variables are
    /// never reported as zero.
    pub(crate) fn is_all_zero(&mut self, variable: &Variable) -> Result<bool, ModelError> {
        let mut all_zero = true;
        match variable.dtype {
            DType::Float16 | DType::BFloat16 => self.stream(variable, |chunk| {
                all_zero &= chunk
                    .chunks_exact(2)
                    .all(|b| u16::from_le_bytes([b[0], b[1]]) & 0x7fff == 0);
                Ok(())
            })?,
            DType::Float32 => self.stream(variable, |chunk| {
                all_zero &= chunk
                    .chunks_exact(4)
                    .all(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0x7fff_ffff == 0);
                Ok(())
            })?,
            DType::Int8 | DType::Int16 | DType::Int32 => return Ok(false),
        }
        Ok(all_zero)
    }

    /// Returns whether two variables have the same dtype, shape and bytes.
    pub(crate) fn same_data(&mut self, a: &Variable, b: &Variable) -> Result<bool, ModelError> {
        if a.dtype != b.dtype || a.shape != b.shape {
            return Ok(false);
        }

        let mut buf_a = vec![0u8; CHUNK_BYTES];
        let mut buf_b = vec![0u8; CHUNK_BYTES];
        let mut done = 0;
        while done < a.num_bytes {
            let n = CHUNK_BYTES.min((a.num_bytes - done) as usize);
            self.read_at(a.offset + done, &mut buf_a[..n])?;
            self.read_at(b.offset + done, &mut buf_b[..n])?;
            if buf_a[..n] != buf_b[..n] {
                return Ok(false);
            }
            done += n as u64;
        }
        Ok(true)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ModelError> {
        self.reader
            .seek(SeekFrom::Start(offset))
            .map_err(|e| self.read_error(e))?;
        self.reader.read_exact(buf).map_err(|e| self.read_error(e))
    }

    fn invalid(&self, reason: String) -> ModelError {
        ModelError::InvalidCt2 {
            model: self.label.clone(),
            reason,
        }
    }

    fn read_error(&self, error: io::Error) -> ModelError {
        self.invalid(format!("reading model.bin failed: {error}"))
    }
}

#[cfg(test)]
pub(crate) mod tests;
