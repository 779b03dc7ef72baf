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

const MIN_VERSION: u32 = 4;
const MAX_VERSION: u32 = 6;

/// Chunk size for streaming variable data; a multiple of every element size.
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
    pub name: String,
    /// Dimensions, outermost first (row-major, as in PyTorch).
    pub shape: Vec<u64>,
    pub dtype: DType,
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
            offset: self.offset + part * part_bytes,
            num_bytes: part_bytes,
        })
    }
}

/// A parsed `model.bin` header over a seekable reader that still holds the data.
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
        let mut parser = HeaderParser { reader, label, position: 0 };

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

        let end = parser.reader.seek(SeekFrom::End(0)).map_err(|e| parser.read_error(e))?;
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

    /// Whether `name` is a variable or an alias.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.variables.contains_key(name) || self.aliases.contains_key(name)
    }

    /// The target of an alias, if `name` is one.
    pub(crate) fn alias_target(&self, name: &str) -> Option<&str> {
        self.aliases.get(name).map(String::as_str)
    }

    /// Looks up a variable, following an alias if `name` is one.
    pub(crate) fn variable(&self, name: &str) -> Result<Variable, ModelError> {
        let target = self.alias_target(name).unwrap_or(name);
        self.variables.get(target).cloned().ok_or_else(|| ModelError::InvalidCt2 {
            model: self.label.clone(),
            reason: format!("the variable {name} is missing"),
        })
    }

    /// Reads an integer scalar, such as `encoder/num_heads`. Float scalars are accepted
    /// when they hold a whole number.
    pub(crate) fn scalar(&mut self, name: &str) -> Result<i64, ModelError> {
        let variable = self.variable(name)?;
        if !variable.shape.is_empty() {
            return Err(self.invalid(format!("{name} has shape {:?}, expected a scalar", variable.shape)));
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
                return Err(self.invalid(format!("{name} is a {} scalar, expected an integer", other.name())));
            }
        };
        Ok(value)
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
            self.reader.read_exact(&mut buf[..n]).map_err(|e| self.read_error(e))?;
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

    /// Whether every element of a float variable is +0.0 or -0.0. Non-float variables are
    /// never reported as zero.
    pub(crate) fn is_all_zero(&mut self, variable: &Variable) -> Result<bool, ModelError> {
        let mut all_zero = true;
        match variable.dtype {
            DType::Float16 | DType::BFloat16 => self.stream(variable, |chunk| {
                all_zero &= chunk.chunks_exact(2).all(|b| u16::from_le_bytes([b[0], b[1]]) & 0x7fff == 0);
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

    /// Whether two variables hold the same dtype, shape and bytes.
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
        self.reader.seek(SeekFrom::Start(offset)).map_err(|e| self.read_error(e))?;
        self.reader.read_exact(buf).map_err(|e| self.read_error(e))
    }

    fn invalid(&self, reason: String) -> ModelError {
        ModelError::InvalidCt2 { model: self.label.clone(), reason }
    }

    fn read_error(&self, error: io::Error) -> ModelError {
        self.invalid(format!("reading model.bin failed: {error}"))
    }
}

/// Sequential reader for the header fields, tracking the byte position for messages.
struct HeaderParser<'a, R> {
    reader: R,
    label: &'a str,
    position: u64,
}

impl<R: Read + Seek> HeaderParser<'_, R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let mut buf = [0u8; N];
        self.reader.read_exact(&mut buf).map_err(|e| self.read_error(e))?;
        self.position += N as u64;
        Ok(buf)
    }

    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.bytes::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.bytes::<4>()?))
    }

    fn string(&mut self) -> Result<String, ModelError> {
        let start = self.position;
        let len = u16::from_le_bytes(self.bytes::<2>()?) as usize;
        let mut buf = vec![0u8; len];
        self.reader.read_exact(&mut buf).map_err(|e| self.read_error(e))?;
        self.position += len as u64;

        if buf.pop() != Some(0) {
            return Err(self.invalid(format!("the string at byte {start} does not end with NUL")));
        }
        String::from_utf8(buf).map_err(|_| self.invalid(format!("the string at byte {start} is not UTF-8")))
    }

    fn variable(&mut self) -> Result<Variable, ModelError> {
        let name = self.string()?;

        let rank = self.u8()?;
        let mut shape = Vec::with_capacity(rank.into());
        for _ in 0..rank {
            shape.push(u64::from(self.u32()?));
        }

        let dtype_id = self.u8()?;
        let dtype = DType::from_id(dtype_id)
            .ok_or_else(|| self.invalid(format!("{name} has the unknown dtype id {dtype_id}")))?;

        let num_bytes = u64::from(self.u32()?);
        let elements = shape.iter().try_fold(1u64, |acc, &dim| acc.checked_mul(dim));
        if elements.and_then(|n| n.checked_mul(dtype.size())) != Some(num_bytes) {
            return Err(self.invalid(format!(
                "{name} has {num_bytes} bytes, which does not fit shape {shape:?} of {}",
                dtype.name()
            )));
        }

        let offset = self.position;
        self.reader
            .seek(SeekFrom::Current(num_bytes as i64))
            .map_err(|e| self.read_error(e))?;
        self.position += num_bytes;

        Ok(Variable { name, shape, dtype, offset, num_bytes })
    }

    fn invalid(&self, reason: String) -> ModelError {
        ModelError::InvalidCt2 { model: self.label.to_string(), reason }
    }

    fn read_error(&self, error: io::Error) -> ModelError {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            return self.invalid(format!("the file ends early, at byte {}", self.position));
        }
        self.invalid(format!("reading model.bin failed at byte {}: {error}", self.position))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// Builds `model.bin` bytes in CTranslate2's layout for tests.
    #[derive(Default)]
    pub(crate) struct Ct2Builder {
        pub version: u32,
        variables: Vec<(String, Vec<u32>, u8, Vec<u8>)>,
        aliases: Vec<(String, String)>,
    }

    impl Ct2Builder {
        pub(crate) fn new() -> Self {
            Self { version: 6, ..Self::default() }
        }

        pub(crate) fn variable(&mut self, name: &str, shape: &[u32], dtype: u8, data: Vec<u8>) -> &mut Self {
            self.variables.push((name.to_string(), shape.to_vec(), dtype, data));
            self
        }

        pub(crate) fn alias(&mut self, alias: &str, target: &str) -> &mut Self {
            self.aliases.push((alias.to_string(), target.to_string()));
            self
        }

        pub(crate) fn remove_aliases(&mut self) {
            self.aliases.clear();
        }

        fn entry(&mut self, name: &str) -> &mut (String, Vec<u32>, u8, Vec<u8>) {
            let found = self.variables.iter_mut().find(|(n, ..)| n == name);
            found.unwrap_or_else(|| panic!("no variable {name}"))
        }

        pub(crate) fn data(&mut self, name: &str) -> Vec<u8> {
            self.entry(name).3.clone()
        }

        /// Replaces a variable's data, keeping its shape and dtype.
        pub(crate) fn replace(&mut self, name: &str, data: Vec<u8>) {
            self.entry(name).3 = data;
        }

        /// Replaces a variable's shape, keeping its data.
        pub(crate) fn reshape(&mut self, name: &str, shape: &[u32]) {
            self.entry(name).1 = shape.to_vec();
        }

        pub(crate) fn build(&self) -> Vec<u8> {
            fn string(out: &mut Vec<u8>, s: &str) {
                out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
                out.push(0);
            }

            let mut out = Vec::new();
            out.extend_from_slice(&self.version.to_le_bytes());
            string(&mut out, "WhisperSpec");
            out.extend_from_slice(&3u32.to_le_bytes());
            out.extend_from_slice(&(self.variables.len() as u32).to_le_bytes());
            for (name, shape, dtype, data) in &self.variables {
                string(&mut out, name);
                out.push(shape.len() as u8);
                for dim in shape {
                    out.extend_from_slice(&dim.to_le_bytes());
                }
                out.push(*dtype);
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out.extend_from_slice(data);
            }
            out.extend_from_slice(&(self.aliases.len() as u32).to_le_bytes());
            for (alias, target) in &self.aliases {
                string(&mut out, alias);
                string(&mut out, target);
            }
            out
        }
    }

    fn sample() -> Ct2Builder {
        let mut builder = Ct2Builder::new();
        builder
            .variable("decoder/num_heads", &[], 2, 6i16.to_le_bytes().to_vec())
            .variable("decoder/pre_norm", &[], 1, vec![1])
            .variable("weight", &[2, 3], 4, (0u8..12).collect())
            .variable("bias", &[4], 0, (0u8..16).collect())
            .alias("projection", "weight");
        builder
    }

    fn open(bytes: Vec<u8>) -> Result<Ct2Model<Cursor<Vec<u8>>>, ModelError> {
        Ct2Model::open(Cursor::new(bytes), "test")
    }

    fn reason(result: Result<Ct2Model<Cursor<Vec<u8>>>, ModelError>) -> String {
        match result {
            Err(ModelError::InvalidCt2 { model, reason }) => {
                assert_eq!(model, "test");
                reason
            }
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("the model was accepted"),
        }
    }

    #[test]
    fn parse_header_and_variables() {
        let mut model = open(sample().build()).unwrap();

        assert_eq!(model.spec, "WhisperSpec");
        assert_eq!(model.revision, 3);

        let weight = model.variable("weight").unwrap();
        assert_eq!(weight.shape, vec![2, 3]);
        assert_eq!(weight.dtype, DType::Float16);
        assert_eq!(model.read_bytes(&weight).unwrap(), (0u8..12).collect::<Vec<_>>());

        let bias = model.variable("bias").unwrap();
        assert_eq!(bias.dtype, DType::Float32);
        assert_eq!(model.read_bytes(&bias).unwrap(), (0u8..16).collect::<Vec<_>>());
    }

    #[test]
    fn parse_scalars() {
        let mut model = open(sample().build()).unwrap();

        assert_eq!(model.scalar("decoder/num_heads").unwrap(), 6);
        assert_eq!(model.scalar("decoder/pre_norm").unwrap(), 1);
        assert!(model.scalar("weight").is_err());
    }

    #[test]
    fn resolve_alias() {
        let model = open(sample().build()).unwrap();

        assert!(model.contains("projection"));
        assert_eq!(model.alias_target("projection"), Some("weight"));
        assert_eq!(model.variable("projection").unwrap(), model.variable("weight").unwrap());
    }

    #[test]
    fn missing_variable_is_named() {
        let model = open(sample().build()).unwrap();

        assert!(!model.contains("nothing/here"));
        let err = model.variable("nothing/here").unwrap_err();
        assert!(err.to_string().contains("nothing/here"), "{err}");
    }

    #[test]
    fn split_rows_selects_blocks() {
        let mut model = open(sample().build()).unwrap();
        let weight = model.variable("weight").unwrap();

        let second = weight.split_rows(1, 2).unwrap();
        assert_eq!(second.shape, vec![1, 3]);
        assert_eq!(model.read_bytes(&second).unwrap(), (6u8..12).collect::<Vec<_>>());

        assert!(weight.split_rows(0, 3).is_none());
        assert!(weight.split_rows(2, 2).is_none());
    }

    #[test]
    fn detect_zero_and_equal_data() {
        let mut builder = Ct2Builder::new();
        builder
            .variable("zero16", &[3], 4, vec![0, 0, 0, 0x80, 0, 0])
            .variable("zero32", &[1], 0, vec![0, 0, 0, 0x80])
            .variable("tiny16", &[3], 4, vec![0, 0, 1, 0, 0, 0])
            .variable("copy16", &[3], 4, vec![0, 0, 1, 0, 0, 0])
            .variable("int8", &[1], 1, vec![0]);
        let mut model = open(builder.build()).unwrap();
        let var = |model: &Ct2Model<_>, name| model.variable(name).unwrap();

        let zero16 = var(&model, "zero16");
        assert!(model.is_all_zero(&zero16).unwrap());
        let zero32 = var(&model, "zero32");
        assert!(model.is_all_zero(&zero32).unwrap());
        let tiny16 = var(&model, "tiny16");
        assert!(!model.is_all_zero(&tiny16).unwrap());
        let int8 = var(&model, "int8");
        assert!(!model.is_all_zero(&int8).unwrap());

        let copy16 = var(&model, "copy16");
        assert!(model.same_data(&tiny16, &copy16).unwrap());
        assert!(!model.same_data(&tiny16, &zero16).unwrap());
        assert!(!model.same_data(&zero16, &zero32).unwrap());
    }

    #[test]
    fn reject_unsupported_version() {
        let mut builder = sample();
        builder.version = 3;
        assert!(reason(open(builder.build())).contains("binary version 3"));
    }

    #[test]
    fn reject_unknown_dtype() {
        let mut builder = Ct2Builder::new();
        builder.variable("odd", &[1], 9, vec![0]);
        assert!(reason(open(builder.build())).contains("unknown dtype id 9"));
    }

    #[test]
    fn reject_size_that_does_not_fit_shape() {
        let mut builder = Ct2Builder::new();
        builder.variable("short", &[2, 3], 4, vec![0; 10]);
        assert!(reason(open(builder.build())).contains("short has 10 bytes"));
    }

    #[test]
    fn reject_truncated_file() {
        let bytes = sample().build();
        for len in [0, 3, 10, 40, bytes.len() - 1] {
            let text = reason(open(bytes[..len].to_vec()));
            assert!(text.contains("ends early"), "length {len}: {text}");
        }
    }

    #[test]
    fn reject_trailing_bytes() {
        let mut bytes = sample().build();
        bytes.extend_from_slice(b"xx");
        assert!(reason(open(bytes)).contains("2 unexpected bytes"));
    }

    #[test]
    fn reject_string_without_nul() {
        let mut bytes = sample().build();
        // The spec name "WhisperSpec\0" occupies bytes 6..18; replace its NUL.
        bytes[17] = b'!';
        assert!(reason(open(bytes)).contains("does not end with NUL"));
    }
}
