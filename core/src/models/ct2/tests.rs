//! Tests of the `model.bin` reader on files built by the tests.

use super::*;
use std::io::Cursor;

/// Builds `model.bin` bytes in CTranslate2's layout for tests.
#[derive(Clone, Default)]
pub(crate) struct Ct2Builder {
    pub version: u32,
    variables: Vec<(String, Vec<u32>, u8, Vec<u8>)>,
    aliases: Vec<(String, String)>,
}

impl Ct2Builder {
    pub(crate) fn new() -> Self {
        Self {
            version: 6,
            ..Self::default()
        }
    }

    pub(crate) fn variable(
        &mut self,
        name: &str,
        shape: &[u32],
        dtype: u8,
        data: Vec<u8>,
    ) -> &mut Self {
        self.variables
            .push((name.to_string(), shape.to_vec(), dtype, data));
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

    /// Replaces a variable's dtype, keeping its data.
    pub(crate) fn set_dtype(&mut self, name: &str, dtype: u8) {
        self.entry(name).2 = dtype;
    }

    /// Replaces a variable's shape, keeping its data.
    pub(crate) fn reshape(&mut self, name: &str, shape: &[u32]) {
        self.entry(name).1 = shape.to_vec();
    }

    /// Returns the names and shapes of the variables, in order.
    pub(crate) fn shapes(&self) -> Vec<(String, Vec<u32>)> {
        self.variables
            .iter()
            .map(|(name, shape, ..)| (name.clone(), shape.clone()))
            .collect()
    }

    /// Returns a float variable's values, decoded from float32, float16 or bfloat16.
    pub(crate) fn float_values(&mut self, name: &str) -> Vec<f32> {
        let (_, _, dtype, data) = self.entry(name).clone();
        match dtype {
            0 => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            4 => data
                .chunks_exact(2)
                .map(|b| crate::models::float16::f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            5 => data
                .chunks_exact(2)
                .map(|b| crate::models::float16::bf16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            other => panic!("{name} has the non-float dtype {other}"),
        }
    }

    /// Quantizes a float matrix to int8 as CTranslate2's `LayerSpec._quantize` does: per
    /// row, `scale = 127 / max(|w|)` (127 for an all-zero row) and `q = rint(w * scale)`.
    /// The scales go to `NAME_scale` as float32. Returns the scales.
    pub(crate) fn quantize_int8(&mut self, name: &str) -> Vec<f32> {
        let values = self.float_values(name);
        let shape = self.entry(name).1.clone();
        let rows = shape[0] as usize;
        let row_len = values.len() / rows;

        let mut quantized = Vec::with_capacity(values.len());
        let mut scales = Vec::with_capacity(rows);
        for row in values.chunks_exact(row_len) {
            let amax = row.iter().fold(0f32, |max, v| max.max(v.abs()));
            let scale = 127.0 / if amax == 0.0 { 127.0 } else { amax };
            scales.push(scale);
            quantized.extend(
                row.iter()
                    .map(|v| (v * scale).round_ties_even() as i8 as u8),
            );
        }

        let entry = self.entry(name);
        entry.2 = 1;
        entry.3 = quantized;
        let scale_bytes = scales.iter().flat_map(|s| s.to_le_bytes()).collect();
        self.variable(&format!("{name}_scale"), &[rows as u32], 0, scale_bytes);
        scales
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
    assert_eq!(
        model.read_bytes(&weight).unwrap(),
        (0u8..12).collect::<Vec<_>>()
    );

    let bias = model.variable("bias").unwrap();
    assert_eq!(bias.dtype, DType::Float32);
    assert_eq!(
        model.read_bytes(&bias).unwrap(),
        (0u8..16).collect::<Vec<_>>()
    );
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
    assert_eq!(
        model.variable("projection").unwrap(),
        model.variable("weight").unwrap()
    );
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
    assert_eq!(
        model.read_bytes(&second).unwrap(),
        (6u8..12).collect::<Vec<_>>()
    );

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
    // The spec name "WhisperSpec\0" occupies bytes 6..18, so byte 17 is its NUL.
    bytes[17] = b'!';
    assert!(reason(open(bytes)).contains("does not end with NUL"));
}
