//! Conversion of a CTranslate2 Whisper model (`WhisperSpec`) to whisper.cpp's ggml format.
//!
//! The conversion is lossless. CTranslate2's fused attention projections are split back
//! into query, key and value. Their key bias, which CTranslate2 fills with zeros because
//! Whisper's key projection has none, is checked and dropped. One-dimensional tensors,
//! convolution biases and both positional embeddings are widened to float32, and the other
//! weights stay float16, the layout whisper.cpp's `convert-pt-to-ggml.py` produces.
//! Tensors are written in the order of OpenAI Whisper's `state_dict`. whisper.cpp looks
//! them up by name, but a fixed order makes the output reproducible byte for byte.

use std::io::{Read, Seek, Write};
use std::path::Path;

use super::ct2::{Ct2Model, Variable};
use super::error::ModelError;
use super::ggml::{GgmlWriter, Hparams, TensorType};
use super::mel_filters::{mel_filters_80, N_FREQUENCIES, N_MELS};
use super::vocab::base_tokens;
use crate::cancel::CancelToken;

/// Spec flags every Whisper model has, with their required values. Activation 3 is GELU in
/// CTranslate2's `ActivationType` enum.
const REQUIRED_FLAGS: [(&str, i64); 3] = [
    ("decoder/pre_norm", 1),
    ("decoder/scale_embeddings", 0),
    ("decoder/activation", 3),
];

/// What a finished conversion wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConversionSummary {
    pub hparams: Hparams,
    pub tensors: usize,
}

/// Converts `model` with its `vocabulary.txt` text to a ggml model written to `out`.
///
/// `out_path` and `model_name` only label error messages. The cancel token is checked
/// before each tensor.
pub(crate) fn convert_to_ggml<R: Read + Seek, W: Write>(
    model: &mut Ct2Model<R>,
    vocabulary_txt: &str,
    out: &mut W,
    out_path: &Path,
    model_name: &str,
    cancel: &CancelToken,
) -> Result<ConversionSummary, ModelError> {
    let conversion_error = |reason: String| ModelError::Conversion { model: model_name.to_string(), reason };

    if model.spec != "WhisperSpec" {
        return Err(conversion_error(format!("model.bin contains a {}, not a WhisperSpec", model.spec)));
    }

    tracing::debug!(model = model_name, revision = model.revision, "converting a CTranslate2 WhisperSpec");
    let hparams = read_hparams(model, model_name)?;
    check_required_flags(model, model_name)?;
    check_projection_is_tied(model, model_name)?;

    if hparams.n_mels as usize != N_MELS {
        return Err(conversion_error(format!(
            "the model has {} mel bins, but only {N_MELS} are supported",
            hparams.n_mels
        )));
    }
    let tokens = base_tokens(vocabulary_txt, hparams.n_vocab as usize, model_name)?;

    let mut writer = GgmlWriter::new(out, out_path, model_name);
    writer.write_header(&hparams)?;
    writer.write_mel_filters(N_MELS, N_FREQUENCIES, &mel_filters_80())?;
    writer.write_vocabulary(&tokens)?;

    let mut tensors = TensorMapper {
        writer,
        model,
        n_state: hparams.n_audio_state as u64,
        model_name,
        cancel,
    };
    tensors.write_all(&hparams)?;

    let written = tensors.writer.tensors();
    let expected = 5
        + 15 * hparams.n_audio_layer as usize
        + 2
        + 2
        + 24 * hparams.n_text_layer as usize
        + 2;
    debug_assert_eq!(written, expected, "tensor count of {model_name}");

    Ok(ConversionSummary { hparams, tensors: written })
}

/// Derives the ggml hyperparameters from the variable shapes and the head counts.
fn read_hparams<R: Read + Seek>(model: &mut Ct2Model<R>, model_name: &str) -> Result<Hparams, ModelError> {
    let conversion_error = |reason: String| ModelError::Conversion { model: model_name.to_string(), reason };
    let matrix = |model: &Ct2Model<R>, name: &str| -> Result<Vec<i32>, ModelError> {
        let variable = model.variable(name)?;
        let dims: Option<Vec<i32>> = variable.shape.iter().map(|&d| i32::try_from(d).ok()).collect();
        match dims {
            Some(dims) if dims.len() >= 2 => Ok(dims),
            _ => Err(conversion_error(format!("{name} has the unexpected shape {:?}", variable.shape))),
        }
    };

    let conv1 = matrix(model, "encoder/conv1/weight")?;
    let embeddings = matrix(model, "decoder/embeddings/weight")?;
    let encoder_positions = matrix(model, "encoder/position_encodings/encodings")?;
    let decoder_positions = matrix(model, "decoder/position_encodings/encodings")?;

    let count_layers = |model: &Ct2Model<R>, stack: &str| {
        (0..)
            .take_while(|i| model.contains(&format!("{stack}/layer_{i}/ffn/linear_0/weight")))
            .count() as i32
    };

    let head_count = |model: &mut Ct2Model<R>, name: &str| -> Result<i32, ModelError> {
        let value = model.scalar(name)?;
        i32::try_from(value)
            .ok()
            .filter(|&heads| heads > 0)
            .ok_or_else(|| conversion_error(format!("{name} is {value}, expected a positive head count")))
    };

    let hparams = Hparams {
        n_vocab: embeddings[0],
        n_audio_ctx: encoder_positions[0],
        n_audio_state: encoder_positions[1],
        n_audio_head: head_count(model, "encoder/num_heads")?,
        n_audio_layer: count_layers(model, "encoder"),
        n_text_ctx: decoder_positions[0],
        n_text_state: decoder_positions[1],
        n_text_head: head_count(model, "decoder/num_heads")?,
        n_text_layer: count_layers(model, "decoder"),
        n_mels: conv1[1],
    };

    // whisper.cpp's graph uses one width for the encoder, the decoder and the embeddings.
    if hparams.n_audio_state != hparams.n_text_state || embeddings[1] != hparams.n_text_state {
        return Err(conversion_error(format!("the encoder and decoder widths differ: {hparams:?}")));
    }
    if hparams.n_audio_layer == 0 || hparams.n_text_layer == 0 {
        return Err(conversion_error("no encoder or decoder layers were found".to_string()));
    }
    Ok(hparams)
}

fn check_required_flags<R: Read + Seek>(model: &mut Ct2Model<R>, model_name: &str) -> Result<(), ModelError> {
    for (name, required) in REQUIRED_FLAGS {
        if !model.contains(name) {
            continue;
        }
        let value = model.scalar(name)?;
        if value != required {
            return Err(ModelError::Conversion {
                model: model_name.to_string(),
                reason: format!("{name} is {value}, but a Whisper model has {required}"),
            });
        }
    }
    Ok(())
}

/// Checks that the output projection equals the token embedding, because whisper.cpp has
/// no separate projection tensor.
fn check_projection_is_tied<R: Read + Seek>(model: &mut Ct2Model<R>, model_name: &str) -> Result<(), ModelError> {
    let projection = "decoder/projection/weight";
    let embeddings = "decoder/embeddings/weight";
    if !model.contains(projection) || model.alias_target(projection) == Some(embeddings) {
        return Ok(());
    }

    let projection_variable = model.variable(projection)?;
    let embeddings_variable = model.variable(embeddings)?;
    if model.same_data(&projection_variable, &embeddings_variable)? {
        return Ok(());
    }
    Err(ModelError::Conversion {
        model: model_name.to_string(),
        reason: "the output projection differs from the token embedding, which whisper.cpp cannot represent"
            .to_string(),
    })
}

/// Writes the tensors, mapping CTranslate2 names and layouts to whisper.cpp's.
struct TensorMapper<'a, 'w, R, W> {
    writer: GgmlWriter<'w, W>,
    model: &'a mut Ct2Model<R>,
    n_state: u64,
    model_name: &'a str,
    cancel: &'a CancelToken,
}

impl<R: Read + Seek, W: Write> TensorMapper<'_, '_, R, W> {
    fn write_all(&mut self, hparams: &Hparams) -> Result<(), ModelError> {
        let n = self.n_state;
        let n_mels = hparams.n_mels as u64;

        self.f32("encoder.positional_embedding", "encoder/position_encodings/encodings", &[hparams.n_audio_ctx as u64, n])?;
        self.f16("encoder.conv1.weight", "encoder/conv1/weight", &[n, n_mels, 3])?;
        self.conv_bias("encoder.conv1.bias", "encoder/conv1/bias")?;
        self.f16("encoder.conv2.weight", "encoder/conv2/weight", &[n, n, 3])?;
        self.conv_bias("encoder.conv2.bias", "encoder/conv2/bias")?;

        for i in 0..hparams.n_audio_layer {
            let (g, c) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
            self.split_linear(
                &format!("{c}/self_attention/linear_0"),
                &[(&format!("{g}.attn.query"), true), (&format!("{g}.attn.key"), false), (&format!("{g}.attn.value"), true)],
            )?;
            self.linear(&format!("{g}.attn.out"), &format!("{c}/self_attention/linear_1"), n, n)?;
            self.layer_norm(&format!("{g}.attn_ln"), &format!("{c}/self_attention/layer_norm"))?;
            self.mlp(&g, &c)?;
        }
        self.layer_norm("encoder.ln_post", "encoder/layer_norm")?;

        self.f32("decoder.positional_embedding", "decoder/position_encodings/encodings", &[hparams.n_text_ctx as u64, n])?;
        self.f16("decoder.token_embedding.weight", "decoder/embeddings/weight", &[hparams.n_vocab as u64, n])?;

        for i in 0..hparams.n_text_layer {
            let (g, c) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
            self.split_linear(
                &format!("{c}/self_attention/linear_0"),
                &[(&format!("{g}.attn.query"), true), (&format!("{g}.attn.key"), false), (&format!("{g}.attn.value"), true)],
            )?;
            self.linear(&format!("{g}.attn.out"), &format!("{c}/self_attention/linear_1"), n, n)?;
            self.layer_norm(&format!("{g}.attn_ln"), &format!("{c}/self_attention/layer_norm"))?;

            self.linear(&format!("{g}.cross_attn.query"), &format!("{c}/attention/linear_0"), n, n)?;
            self.split_linear(
                &format!("{c}/attention/linear_1"),
                &[(&format!("{g}.cross_attn.key"), false), (&format!("{g}.cross_attn.value"), true)],
            )?;
            self.linear(&format!("{g}.cross_attn.out"), &format!("{c}/attention/linear_2"), n, n)?;
            self.layer_norm(&format!("{g}.cross_attn_ln"), &format!("{c}/attention/layer_norm"))?;
            self.mlp(&g, &c)?;
        }
        self.layer_norm("decoder.ln", "decoder/layer_norm")
    }

    /// Looks a variable up and checks its shape.
    fn variable(&self, name: &str, shape: &[u64]) -> Result<Variable, ModelError> {
        let variable = self.model.variable(name)?;
        if variable.shape != shape {
            return Err(ModelError::Conversion {
                model: self.model_name.to_string(),
                reason: format!("{name} has shape {:?}, expected {shape:?}", variable.shape),
            });
        }
        Ok(variable)
    }

    fn write(&mut self, ggml_name: &str, shape: &[u64], tensor_type: TensorType, variable: &Variable) -> Result<(), ModelError> {
        if self.cancel.is_cancelled() {
            return Err(ModelError::Cancelled { name: self.model_name.to_string() });
        }
        self.writer.write_tensor(ggml_name, shape, tensor_type, self.model, variable)
    }

    fn f32(&mut self, ggml_name: &str, ct2_name: &str, shape: &[u64]) -> Result<(), ModelError> {
        let variable = self.variable(ct2_name, shape)?;
        self.write(ggml_name, shape, TensorType::F32, &variable)
    }

    fn f16(&mut self, ggml_name: &str, ct2_name: &str, shape: &[u64]) -> Result<(), ModelError> {
        let variable = self.variable(ct2_name, shape)?;
        self.write(ggml_name, shape, TensorType::F16, &variable)
    }

    /// Convolution biases are stored as `[n_state, 1]`, so they broadcast over time.
    fn conv_bias(&mut self, ggml_name: &str, ct2_name: &str) -> Result<(), ModelError> {
        let variable = self.variable(ct2_name, &[self.n_state])?;
        self.write(ggml_name, &[self.n_state, 1], TensorType::F32, &variable)
    }

    fn linear(&mut self, ggml_prefix: &str, ct2_prefix: &str, n_out: u64, n_in: u64) -> Result<(), ModelError> {
        self.f16(&format!("{ggml_prefix}.weight"), &format!("{ct2_prefix}/weight"), &[n_out, n_in])?;
        self.f32(&format!("{ggml_prefix}.bias"), &format!("{ct2_prefix}/bias"), &[n_out])
    }

    fn layer_norm(&mut self, ggml_prefix: &str, ct2_prefix: &str) -> Result<(), ModelError> {
        let n = self.n_state;
        self.f32(&format!("{ggml_prefix}.weight"), &format!("{ct2_prefix}/gamma"), &[n])?;
        self.f32(&format!("{ggml_prefix}.bias"), &format!("{ct2_prefix}/beta"), &[n])
    }

    fn mlp(&mut self, ggml_block: &str, ct2_layer: &str) -> Result<(), ModelError> {
        let n = self.n_state;
        self.linear(&format!("{ggml_block}.mlp.0"), &format!("{ct2_layer}/ffn/linear_0"), 4 * n, n)?;
        self.linear(&format!("{ggml_block}.mlp.2"), &format!("{ct2_layer}/ffn/linear_1"), n, 4 * n)?;
        self.layer_norm(&format!("{ggml_block}.mlp_ln"), &format!("{ct2_layer}/ffn/layer_norm"))
    }

    /// Splits a fused `[k·n_state, n_state]` projection into `k` square ones. A part whose
    /// flag is false has no bias in Whisper, so its slice of the fused bias must be zero.
    fn split_linear(&mut self, ct2_prefix: &str, parts: &[(&str, bool)]) -> Result<(), ModelError> {
        let n = self.n_state;
        let k = parts.len() as u64;
        let weight = self.variable(&format!("{ct2_prefix}/weight"), &[k * n, n])?;
        let bias = self.variable(&format!("{ct2_prefix}/bias"), &[k * n])?;

        for (index, &(ggml_prefix, has_bias)) in parts.iter().enumerate() {
            let index = index as u64;
            let (Some(weight_part), Some(bias_part)) = (weight.split_rows(index, k), bias.split_rows(index, k)) else {
                return Err(ModelError::Conversion {
                    model: self.model_name.to_string(),
                    reason: format!("{ct2_prefix} cannot be split into {k} parts"),
                });
            };

            self.write(&format!("{ggml_prefix}.weight"), &[n, n], TensorType::F16, &weight_part)?;
            if has_bias {
                self.write(&format!("{ggml_prefix}.bias"), &[n], TensorType::F32, &bias_part)?;
            } else if !self.model.is_all_zero(&bias_part)? {
                return Err(ModelError::Conversion {
                    model: self.model_name.to_string(),
                    reason: format!(
                        "part {} of {ct2_prefix}/bias is not zero, but Whisper's key projection has no bias",
                        index + 1
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
