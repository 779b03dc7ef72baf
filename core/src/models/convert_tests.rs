//! Tests of the CTranslate2 to ggml conversion on a small synthetic Whisper model:
//! width 2, one encoder and one decoder layer, the real vocabulary size and 80 mel bins.

use std::io::Cursor;
use std::path::Path;

use super::*;
use crate::models::ct2::tests::Ct2Builder;
use crate::models::float16::{f16_to_f32, f32_to_f16};
use crate::models::ggml::GGML_MAGIC;

const N_STATE: u32 = 2;
const N_VOCAB: u32 = 51864;
const F32: u8 = 0;
pub(crate) const INT8: u8 = 1;
const INT16: u8 = 2;
const F16: u8 = 4;
const BF16: u8 = 5;

/// Options for the synthetic model.
#[derive(Clone, Copy)]
pub(crate) struct Synthetic {
    /// CTranslate2 dtype id of every float variable.
    pub dtype: u8,
    /// Puts a non-zero value into the key part of the first fused bias.
    pub key_bias: bool,
}

impl Default for Synthetic {
    fn default() -> Self {
        Self {
            dtype: F16,
            key_bias: false,
        }
    }
}

/// Deterministic values that float16 represents exactly, so f16 and f32 builds of the
/// model convert to the same bytes.
fn values(count: u32, seed: u32) -> Vec<f32> {
    (0..count)
        .map(|i| ((i + seed) % 9) as f32 * 0.25 - 1.0)
        .collect()
}

fn encode(values: &[f32], dtype: u8) -> Vec<u8> {
    match dtype {
        F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        F16 => values
            .iter()
            .flat_map(|&v| f32_to_f16(v).unwrap().to_le_bytes())
            .collect(),
        INT8 => values.iter().map(|&v| v as i8 as u8).collect(),
        BF16 => values
            .iter()
            .flat_map(|&v| ((v.to_bits() >> 16) as u16).to_le_bytes())
            .collect(),
        other => panic!("no encoder for dtype {other}"),
    }
}

struct ModelBuilder {
    builder: Ct2Builder,
    options: Synthetic,
    seed: u32,
}

impl ModelBuilder {
    fn float(&mut self, name: &str, shape: &[u32]) -> &mut Self {
        self.seed += 1;
        let data = encode(
            &values(shape.iter().product(), self.seed),
            self.options.dtype,
        );
        self.builder.variable(name, shape, self.options.dtype, data);
        self
    }

    /// Adds a fused bias whose part `zero_part` of `parts` is zero unless `key_bias` is set.
    fn fused_bias(&mut self, name: &str, parts: u32, zero_part: u32) -> &mut Self {
        self.seed += 1;
        let mut data = values(parts * N_STATE, self.seed);
        let zero = (zero_part * N_STATE) as usize..((zero_part + 1) * N_STATE) as usize;
        data[zero].fill(0.0);
        if self.options.key_bias {
            data[(zero_part * N_STATE) as usize] = 0.5;
        }
        self.builder.variable(
            name,
            &[parts * N_STATE],
            self.options.dtype,
            encode(&data, self.options.dtype),
        );
        self
    }

    fn linear(&mut self, prefix: &str, n_out: u32, n_in: u32) -> &mut Self {
        self.float(&format!("{prefix}/weight"), &[n_out, n_in])
            .float(&format!("{prefix}/bias"), &[n_out])
    }

    fn layer_norm(&mut self, prefix: &str) -> &mut Self {
        self.float(&format!("{prefix}/gamma"), &[N_STATE])
            .float(&format!("{prefix}/beta"), &[N_STATE])
    }

    fn ffn(&mut self, layer: &str) -> &mut Self {
        self.linear(&format!("{layer}/ffn/linear_0"), 4 * N_STATE, N_STATE)
            .linear(&format!("{layer}/ffn/linear_1"), N_STATE, 4 * N_STATE)
            .layer_norm(&format!("{layer}/ffn/layer_norm"))
    }

    fn self_attention(&mut self, layer: &str) -> &mut Self {
        self.float(
            &format!("{layer}/self_attention/linear_0/weight"),
            &[3 * N_STATE, N_STATE],
        )
        .fused_bias(&format!("{layer}/self_attention/linear_0/bias"), 3, 1)
        .linear(
            &format!("{layer}/self_attention/linear_1"),
            N_STATE,
            N_STATE,
        )
        .layer_norm(&format!("{layer}/self_attention/layer_norm"))
    }
}

pub(crate) fn synthetic_model(options: Synthetic) -> Ct2Builder {
    let mut m = ModelBuilder {
        builder: Ct2Builder::new(),
        options,
        seed: 0,
    };

    m.builder
        .variable("decoder/activation", &[], INT8, vec![3])
        .variable("decoder/pre_norm", &[], INT8, vec![1])
        .variable("decoder/scale_embeddings", &[], INT8, vec![0])
        .variable("decoder/num_heads", &[], INT16, 1i16.to_le_bytes().to_vec())
        .variable("encoder/num_heads", &[], INT16, 1i16.to_le_bytes().to_vec());

    m.float("encoder/conv1/weight", &[N_STATE, 80, 3])
        .float("encoder/conv1/bias", &[N_STATE])
        .float("encoder/conv2/weight", &[N_STATE, N_STATE, 3])
        .float("encoder/conv2/bias", &[N_STATE])
        .float("encoder/position_encodings/encodings", &[3, N_STATE])
        .self_attention("encoder/layer_0")
        .ffn("encoder/layer_0")
        .layer_norm("encoder/layer_norm");

    m.float("decoder/embeddings/weight", &[N_VOCAB, N_STATE])
        .float("decoder/position_encodings/encodings", &[2, N_STATE])
        .self_attention("decoder/layer_0")
        .linear("decoder/layer_0/attention/linear_0", N_STATE, N_STATE)
        .float(
            "decoder/layer_0/attention/linear_1/weight",
            &[2 * N_STATE, N_STATE],
        )
        .fused_bias("decoder/layer_0/attention/linear_1/bias", 2, 0)
        .linear("decoder/layer_0/attention/linear_2", N_STATE, N_STATE)
        .layer_norm("decoder/layer_0/attention/layer_norm")
        .ffn("decoder/layer_0")
        .layer_norm("decoder/layer_norm");

    m.builder
        .alias("decoder/projection/weight", "decoder/embeddings/weight");
    m.builder
}

pub(crate) fn vocabulary() -> String {
    let mut lines: Vec<String> = (0..N_VOCAB).map(|i| format!("t{i}")).collect();
    lines[50256] = "<|endoftext|>".to_string();
    lines.join("\n") + "\n"
}

pub(crate) fn convert_bytes(
    model_bin: Vec<u8>,
    cancel: &CancelToken,
) -> Result<(ConversionSummary, Vec<u8>), ModelError> {
    let mut model = Ct2Model::open(Cursor::new(model_bin), "synthetic")?;
    let mut out = Vec::new();
    let summary = convert_to_ggml(
        &mut model,
        &vocabulary(),
        &mut out,
        Path::new("ggml-synthetic.bin"),
        "synthetic",
        cancel,
    )?;
    Ok((summary, out))
}

fn convert_ok(builder: &Ct2Builder) -> Vec<u8> {
    convert_bytes(builder.build(), &CancelToken::new())
        .unwrap()
        .1
}

fn convert_err(builder: &Ct2Builder) -> ModelError {
    convert_bytes(builder.build(), &CancelToken::new()).unwrap_err()
}

/// A tensor read back from a ggml file.
#[derive(Debug)]
struct Tensor {
    name: String,
    /// Innermost first, as stored.
    dims: Vec<i32>,
    tensor_type: i32,
    data: Vec<u8>,
}

/// A ggml file read back by the tests.
struct Parsed {
    header: Vec<i32>,
    mel: (i32, i32, Vec<u8>),
    tokens: Vec<Vec<u8>>,
    tensors: Vec<Tensor>,
}

impl Parsed {
    fn tensor(&self, name: &str) -> &Tensor {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tensor {name}"))
    }
}

fn parse(bytes: &[u8]) -> Parsed {
    let mut pos = 0;
    let i32_at = |pos: &mut usize| {
        let value = i32::from_le_bytes(bytes[*pos..*pos + 4].try_into().unwrap());
        *pos += 4;
        value
    };
    let take = |pos: &mut usize, n: usize| {
        let slice = bytes[*pos..*pos + n].to_vec();
        *pos += n;
        slice
    };

    let header: Vec<i32> = (0..12).map(|_| i32_at(&mut pos)).collect();
    let (n_mel, n_fft) = (i32_at(&mut pos), i32_at(&mut pos));
    let mel = (n_mel, n_fft, take(&mut pos, (n_mel * n_fft * 4) as usize));

    let token_count = i32_at(&mut pos);
    let mut tokens = Vec::new();
    for _ in 0..token_count {
        let len = i32_at(&mut pos) as usize;
        tokens.push(take(&mut pos, len));
    }

    let mut tensors = Vec::new();
    while pos < bytes.len() {
        let n_dims = i32_at(&mut pos);
        let name_len = i32_at(&mut pos) as usize;
        let tensor_type = i32_at(&mut pos);
        let dims: Vec<i32> = (0..n_dims).map(|_| i32_at(&mut pos)).collect();
        let name = String::from_utf8(take(&mut pos, name_len)).unwrap();
        let element = if tensor_type == 0 { 4 } else { 2 };
        let data = take(&mut pos, dims.iter().product::<i32>() as usize * element);
        tensors.push(Tensor {
            name,
            dims,
            tensor_type,
            data,
        });
    }
    Parsed {
        header,
        mel,
        tokens,
        tensors,
    }
}

fn f16_values(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(2)
        .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
        .collect()
}

fn f32_values(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn convert_writes_header_mel_and_vocabulary() {
    let parsed = parse(&convert_ok(&synthetic_model(Synthetic::default())));

    assert_eq!(parsed.header[0], GGML_MAGIC as i32);
    // n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx,
    // n_text_state, n_text_head, n_text_layer, n_mels, ftype
    assert_eq!(&parsed.header[1..], &[51864, 3, 2, 1, 1, 2, 2, 1, 1, 80, 1]);

    assert_eq!(parsed.mel.0, 80);
    assert_eq!(parsed.mel.1, 201);
    assert_eq!(parsed.mel.2, mel_filters_80());

    assert_eq!(parsed.tokens.len(), 50257);
    assert_eq!(parsed.tokens[0], b"t0");
    assert_eq!(parsed.tokens[50255], b"t50255");
    assert_eq!(parsed.tokens[50256], b"<|endoftext|>");
}

#[test]
fn convert_writes_tensors_in_fixed_order() {
    let (summary, bytes) = convert_bytes(
        synthetic_model(Synthetic::default()).build(),
        &CancelToken::new(),
    )
    .unwrap();
    let parsed = parse(&bytes);
    let names: Vec<&str> = parsed.tensors.iter().map(|t| t.name.as_str()).collect();

    assert_eq!(summary.tensors, 5 + 15 + 2 + 2 + 24 + 2);
    assert_eq!(names.len(), summary.tensors);
    assert_eq!(
        &names[..8],
        &[
            "encoder.positional_embedding",
            "encoder.conv1.weight",
            "encoder.conv1.bias",
            "encoder.conv2.weight",
            "encoder.conv2.bias",
            "encoder.blocks.0.attn.query.weight",
            "encoder.blocks.0.attn.query.bias",
            "encoder.blocks.0.attn.key.weight",
        ]
    );
    assert_eq!(names[8], "encoder.blocks.0.attn.value.weight");
    assert_eq!(names[20], "encoder.ln_post.weight");
    assert_eq!(names[22], "decoder.positional_embedding");
    assert_eq!(names[23], "decoder.token_embedding.weight");
    assert_eq!(names[35], "decoder.blocks.0.cross_attn.key.weight");
    assert_eq!(names[36], "decoder.blocks.0.cross_attn.value.weight");
    assert_eq!(names.last(), Some(&"decoder.ln.bias"));
    assert!(!names.iter().any(|name| name.ends_with("key.bias")));
}

#[test]
fn convert_widens_small_tensors_to_f32() {
    let builder = synthetic_model(Synthetic::default());
    let mut source = Ct2Model::open(Cursor::new(builder.build()), "synthetic").unwrap();
    let parsed = parse(&convert_ok(&builder));

    let conv_bias = parsed.tensor("encoder.conv1.bias");
    assert_eq!(conv_bias.tensor_type, 0);
    assert_eq!(conv_bias.dims, vec![1, 2]);
    let variable = source.variable("encoder/conv1/bias").unwrap();
    let expected = f16_values(&source.read_bytes(&variable).unwrap());
    assert_eq!(f32_values(&conv_bias.data), expected);

    let positions = parsed.tensor("encoder.positional_embedding");
    assert_eq!(positions.tensor_type, 0);
    assert_eq!(positions.dims, vec![2, 3]);

    let layer_norm = parsed.tensor("decoder.blocks.0.cross_attn_ln.bias");
    assert_eq!(layer_norm.tensor_type, 0);
    assert_eq!(layer_norm.dims, vec![2]);
}

#[test]
fn convert_keeps_weights_f16() {
    let builder = synthetic_model(Synthetic::default());
    let mut source = Ct2Model::open(Cursor::new(builder.build()), "synthetic").unwrap();
    let parsed = parse(&convert_ok(&builder));

    let embedding = parsed.tensor("decoder.token_embedding.weight");
    assert_eq!(embedding.tensor_type, 1);
    assert_eq!(embedding.dims, vec![2, 51864]);
    let variable = source.variable("decoder/embeddings/weight").unwrap();
    assert_eq!(embedding.data, source.read_bytes(&variable).unwrap());

    let conv = parsed.tensor("encoder.conv1.weight");
    assert_eq!(conv.tensor_type, 1);
    assert_eq!(conv.dims, vec![3, 80, 2]);
}

#[test]
fn convert_splits_fused_projections() {
    let builder = synthetic_model(Synthetic::default());
    let mut source = Ct2Model::open(Cursor::new(builder.build()), "synthetic").unwrap();
    let parsed = parse(&convert_ok(&builder));

    let fused = source
        .variable("encoder/layer_0/self_attention/linear_0/weight")
        .unwrap();
    let fused = source.read_bytes(&fused).unwrap();
    // Each part is a 2×2 float16 block: 8 bytes.
    let parts = ["query", "key", "value"];
    for (i, part) in parts.iter().enumerate() {
        let tensor = parsed.tensor(&format!("encoder.blocks.0.attn.{part}.weight"));
        assert_eq!(tensor.dims, vec![2, 2], "{part}");
        assert_eq!(tensor.data, fused[i * 8..(i + 1) * 8], "{part}");
    }

    let fused_bias = source
        .variable("decoder/layer_0/attention/linear_1/bias")
        .unwrap();
    let fused_bias = f16_values(&source.read_bytes(&fused_bias).unwrap());
    let value_bias = parsed.tensor("decoder.blocks.0.cross_attn.value.bias");
    assert_eq!(f32_values(&value_bias.data), fused_bias[2..4]);
}

#[test]
fn convert_f32_model_like_f16_model() {
    let from_f16 = convert_ok(&synthetic_model(Synthetic::default()));
    let from_f32 = convert_ok(&synthetic_model(Synthetic {
        dtype: F32,
        ..Synthetic::default()
    }));

    assert_eq!(from_f16, from_f32);
}

#[test]
fn convert_rejects_int8_without_scales() {
    let err = convert_err(&synthetic_model(Synthetic {
        dtype: INT8,
        ..Synthetic::default()
    }));

    assert!(
        matches!(err, ModelError::UnsupportedDtype { dtype: "int8", .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("synthetic"), "{message}");
    assert!(
        message.contains("encoder/position_encodings/encodings"),
        "{message}"
    );
}

#[test]
fn convert_rejects_nonzero_key_bias() {
    let err = convert_err(&synthetic_model(Synthetic {
        key_bias: true,
        ..Synthetic::default()
    }));

    let message = err.to_string();
    assert!(
        message.contains("encoder/layer_0/self_attention/linear_0/bias"),
        "{message}"
    );
    assert!(message.contains("key projection"), "{message}");
}

#[test]
fn convert_rejects_f32_overflowing_f16() {
    let mut builder = synthetic_model(Synthetic {
        dtype: F32,
        ..Synthetic::default()
    });
    builder.replace(
        "encoder/conv1/weight",
        1e6f32.to_le_bytes().repeat(2 * 80 * 3),
    );

    let message = convert_err(&builder).to_string();
    assert!(
        message.contains("encoder/conv1/weight has values outside the float16 range"),
        "{message}"
    );
}

#[test]
fn convert_rejects_wrong_shape() {
    let mut builder = synthetic_model(Synthetic::default());
    builder.reshape(
        "encoder/layer_0/ffn/linear_1/weight",
        &[N_STATE * 4, N_STATE],
    );

    let message = convert_err(&builder).to_string();
    assert!(
        message.contains("encoder/layer_0/ffn/linear_1/weight has shape [8, 2], expected [2, 8]"),
        "{message}"
    );
}

#[test]
fn convert_rejects_untied_projection() {
    let mut builder = synthetic_model(Synthetic::default());
    builder.remove_aliases();
    builder.variable(
        "decoder/projection/weight",
        &[N_VOCAB, N_STATE],
        F16,
        vec![0; (N_VOCAB * N_STATE * 2) as usize],
    );

    let message = convert_err(&builder).to_string();
    assert!(message.contains("output projection differs"), "{message}");
}

#[test]
fn convert_accepts_projection_copy() {
    let aliased = synthetic_model(Synthetic::default());
    let mut copied = synthetic_model(Synthetic::default());
    copied.remove_aliases();
    let embedding = copied.data("decoder/embeddings/weight");
    copied.variable(
        "decoder/projection/weight",
        &[N_VOCAB, N_STATE],
        F16,
        embedding,
    );

    assert_eq!(convert_ok(&copied), convert_ok(&aliased));
}

#[test]
fn convert_rejects_wrong_flags() {
    let mut builder = synthetic_model(Synthetic::default());
    builder.replace("decoder/activation", vec![1]);

    let message = convert_err(&builder).to_string();
    assert!(message.contains("decoder/activation is 1"), "{message}");
}

#[test]
fn convert_stops_when_cancelled() {
    let cancel = CancelToken::new();
    cancel.cancel();

    let err = convert_bytes(synthetic_model(Synthetic::default()).build(), &cancel).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
}

/// Quantizes every matrix CTranslate2 quantizes (linear and embedding weights) in an
/// `int8_float16` build, and returns the builder with the float16 values that dequantizing
/// gives in place of the int8 ones, for comparison.
fn int8_model_and_dequantized() -> (Ct2Builder, Ct2Builder) {
    let mut int8 = synthetic_model(Synthetic::default());
    let mut dequantized = int8.clone();
    for (name, shape) in int8.shapes() {
        if !(name.ends_with("/weight") && shape.len() == 2) {
            continue;
        }
        let original = int8.float_values(&name);
        let scales = int8.quantize_int8(&name);
        let quantized = int8.data(&name);
        let row_len = original.len() / scales.len();

        let mut halves = Vec::new();
        for (i, (&q, &v)) in quantized.iter().zip(&original).enumerate() {
            let scale = scales[i / row_len];
            let value = f32::from(q as i8) / scale;
            // Rounding to 8 bits moves a value by at most half a step of its row.
            assert!(
                (value - v).abs() <= 0.5 / scale + 1e-6,
                "{name}[{i}]: {value} vs {v}"
            );
            halves.extend_from_slice(&f32_to_f16(value).unwrap().to_le_bytes());
        }
        dequantized.replace(&name, halves);
    }
    (int8, dequantized)
}

#[test]
fn convert_dequantizes_int8_weights() {
    let (int8, dequantized) = int8_model_and_dequantized();

    let from_int8 = convert_ok(&int8);

    assert_eq!(from_int8, convert_ok(&dequantized));
    // The quantization is coarse enough that the result differs from the float16 model.
    assert_ne!(
        from_int8,
        convert_ok(&synthetic_model(Synthetic::default()))
    );
}

#[test]
fn convert_int8_fused_projection_uses_row_scales() {
    let (int8, dequantized) = int8_model_and_dequantized();
    let parsed = parse(&convert_ok(&int8));
    let expected = parse(&convert_ok(&dequantized));

    for part in ["query", "key", "value"] {
        let name = format!("encoder.blocks.0.attn.{part}.weight");
        assert_eq!(parsed.tensor(&name).tensor_type, 1, "{name}");
        assert_eq!(
            parsed.tensor(&name).data,
            expected.tensor(&name).data,
            "{name}"
        );
    }
}

#[test]
fn convert_rejects_int8_scale_of_wrong_shape() {
    let (mut int8, _) = int8_model_and_dequantized();
    let name = "encoder/layer_0/ffn/linear_0/weight_scale";
    int8.reshape(name, &[2, 4]);

    let message = convert_err(&int8).to_string();
    assert!(message.contains(name), "{message}");
    assert!(message.contains("one scale per row"), "{message}");
}

#[test]
fn convert_rejects_nonpositive_int8_scale() {
    let (mut int8, _) = int8_model_and_dequantized();
    let name = "decoder/layer_0/ffn/linear_1/weight_scale";
    int8.replace(name, 0f32.to_le_bytes().repeat(N_STATE as usize));

    let message = convert_err(&int8).to_string();
    assert!(message.contains(name), "{message}");
    assert!(message.contains("positive"), "{message}");
}

#[test]
fn convert_dequantizes_int16_with_one_scale() {
    let mut int16 = synthetic_model(Synthetic::default());
    let mut expected = int16.clone();
    let name = "encoder/layer_0/ffn/linear_0/weight";
    let values = int16.float_values(name);
    // CTranslate2's int16: one scale for the matrix, 2^10 / max(|w|).
    let scale = 1024.0 / values.iter().fold(0f32, |m, v| m.max(v.abs()));
    let quantized: Vec<u8> = values
        .iter()
        .flat_map(|v| ((v * scale).round_ties_even() as i16).to_le_bytes())
        .collect();
    int16.replace(name, quantized);
    int16.set_dtype(name, INT16);
    int16.variable(
        &format!("{name}_scale"),
        &[],
        F32,
        scale.to_le_bytes().to_vec(),
    );
    let halves: Vec<u8> = values
        .iter()
        .flat_map(|v| {
            f32_to_f16(((v * scale).round_ties_even()) / scale)
                .unwrap()
                .to_le_bytes()
        })
        .collect();
    expected.replace(name, halves);

    assert_eq!(convert_ok(&int16), convert_ok(&expected));
}

#[test]
fn convert_bf16_model_like_f16_model() {
    let from_f16 = convert_ok(&synthetic_model(Synthetic::default()));
    let from_bf16 = convert_ok(&synthetic_model(Synthetic {
        dtype: BF16,
        ..Synthetic::default()
    }));

    assert_eq!(from_f16, from_bf16);
}
