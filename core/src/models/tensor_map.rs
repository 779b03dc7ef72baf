//! The tensors of a ggml Whisper model, mapped from CTranslate2's `WhisperSpec` variables.
//!
//! CTranslate2's fused attention projections are split back into query, key and value.
//! Their key bias, which CTranslate2 fills with zeros because Whisper's key projection has
//! none, is checked and dropped. One-dimensional tensors, convolution biases and both
//! positional embeddings are widened to float32, and the other weights stay float16. These
//! are the shapes and types that whisper.cpp 1.8.3's loader checks in a model with ftype 1.
//! whisper.cpp looks tensors up by name, but the order below must stay as it is, because
//! the pinned sha256 of each catalog model covers it.

use std::io::{Read, Seek, Write};

use super::ct2::{Ct2Model, Variable};
use super::error::ModelError;
use super::ggml::{GgmlWriter, Hparams, TensorType};
use crate::cancel::CancelToken;

/// Writes every tensor of the model and returns how many were written. The cancel token is
/// checked before each tensor.
pub(crate) fn write_tensors<R: Read + Seek, W: Write>(
    writer: &mut GgmlWriter<'_, W>,
    model: &mut Ct2Model<R>,
    hparams: &Hparams,
    model_name: &str,
    cancel: &CancelToken,
) -> Result<usize, ModelError> {
    let mut mapper = TensorMapper {
        writer,
        model,
        n_state: hparams.n_audio_state as u64,
        model_name,
        cancel,
    };
    mapper.write_encoder(hparams)?;
    mapper.write_decoder(hparams)?;

    let written = mapper.writer.tensors();
    let encoder_tensors = 5 + 15 * hparams.n_audio_layer as usize + 2;
    let decoder_tensors = 2 + 24 * hparams.n_text_layer as usize + 2;
    debug_assert_eq!(
        written,
        encoder_tensors + decoder_tensors,
        "tensors of {model_name}"
    );
    Ok(written)
}

/// The name prefixes of one transformer layer in both formats.
struct Layer {
    ggml: String,
    ct2: String,
}

impl Layer {
    fn encoder(index: i32) -> Self {
        Self {
            ggml: format!("encoder.blocks.{index}"),
            ct2: format!("encoder/layer_{index}"),
        }
    }

    fn decoder(index: i32) -> Self {
        Self {
            ggml: format!("decoder.blocks.{index}"),
            ct2: format!("decoder/layer_{index}"),
        }
    }

    fn ggml(&self, suffix: &str) -> String {
        format!("{}.{suffix}", self.ggml)
    }

    fn ct2(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.ct2)
    }
}

struct TensorMapper<'a, 'w, R, W> {
    writer: &'a mut GgmlWriter<'w, W>,
    model: &'a mut Ct2Model<R>,
    n_state: u64,
    model_name: &'a str,
    cancel: &'a CancelToken,
}

impl<R: Read + Seek, W: Write> TensorMapper<'_, '_, R, W> {
    fn write_encoder(&mut self, hparams: &Hparams) -> Result<(), ModelError> {
        let n = self.n_state;
        let positions = [hparams.n_audio_ctx as u64, n];

        self.f32(
            "encoder.positional_embedding",
            "encoder/position_encodings/encodings",
            &positions,
        )?;
        self.f16(
            "encoder.conv1.weight",
            "encoder/conv1/weight",
            &[n, hparams.n_mels as u64, 3],
        )?;
        self.conv_bias("encoder.conv1.bias", "encoder/conv1/bias")?;
        self.f16("encoder.conv2.weight", "encoder/conv2/weight", &[n, n, 3])?;
        self.conv_bias("encoder.conv2.bias", "encoder/conv2/bias")?;

        for index in 0..hparams.n_audio_layer {
            let layer = Layer::encoder(index);
            self.self_attention(&layer)?;
            self.mlp(&layer)?;
        }
        self.layer_norm("encoder.ln_post", "encoder/layer_norm")
    }

    fn write_decoder(&mut self, hparams: &Hparams) -> Result<(), ModelError> {
        let n = self.n_state;
        let positions = [hparams.n_text_ctx as u64, n];
        let embedding = [hparams.n_vocab as u64, n];

        self.f32(
            "decoder.positional_embedding",
            "decoder/position_encodings/encodings",
            &positions,
        )?;
        self.f16(
            "decoder.token_embedding.weight",
            "decoder/embeddings/weight",
            &embedding,
        )?;

        for index in 0..hparams.n_text_layer {
            let layer = Layer::decoder(index);
            self.self_attention(&layer)?;
            self.cross_attention(&layer)?;
            self.mlp(&layer)?;
        }
        self.layer_norm("decoder.ln", "decoder/layer_norm")
    }

    fn self_attention(&mut self, layer: &Layer) -> Result<(), ModelError> {
        let parts = [
            (layer.ggml("attn.query"), true),
            (layer.ggml("attn.key"), false),
            (layer.ggml("attn.value"), true),
        ];
        self.split_linear(&layer.ct2("self_attention/linear_0"), &parts)?;
        self.linear(
            &layer.ggml("attn.out"),
            &layer.ct2("self_attention/linear_1"),
        )?;
        self.layer_norm(
            &layer.ggml("attn_ln"),
            &layer.ct2("self_attention/layer_norm"),
        )
    }

    fn cross_attention(&mut self, layer: &Layer) -> Result<(), ModelError> {
        self.linear(
            &layer.ggml("cross_attn.query"),
            &layer.ct2("attention/linear_0"),
        )?;
        let parts = [
            (layer.ggml("cross_attn.key"), false),
            (layer.ggml("cross_attn.value"), true),
        ];
        self.split_linear(&layer.ct2("attention/linear_1"), &parts)?;
        self.linear(
            &layer.ggml("cross_attn.out"),
            &layer.ct2("attention/linear_2"),
        )?;
        self.layer_norm(
            &layer.ggml("cross_attn_ln"),
            &layer.ct2("attention/layer_norm"),
        )
    }

    /// Writes the feed-forward block: `n_state → 4·n_state → n_state`.
    fn mlp(&mut self, layer: &Layer) -> Result<(), ModelError> {
        let n = self.n_state;
        self.linear_sized(&layer.ggml("mlp.0"), &layer.ct2("ffn/linear_0"), 4 * n, n)?;
        self.linear_sized(&layer.ggml("mlp.2"), &layer.ct2("ffn/linear_1"), n, 4 * n)?;
        self.layer_norm(&layer.ggml("mlp_ln"), &layer.ct2("ffn/layer_norm"))
    }

    /// Writes a square `n_state × n_state` projection with its bias.
    fn linear(&mut self, ggml_prefix: &str, ct2_prefix: &str) -> Result<(), ModelError> {
        self.linear_sized(ggml_prefix, ct2_prefix, self.n_state, self.n_state)
    }

    fn linear_sized(
        &mut self,
        ggml_prefix: &str,
        ct2_prefix: &str,
        n_out: u64,
        n_in: u64,
    ) -> Result<(), ModelError> {
        self.f16(
            &format!("{ggml_prefix}.weight"),
            &format!("{ct2_prefix}/weight"),
            &[n_out, n_in],
        )?;
        self.f32(
            &format!("{ggml_prefix}.bias"),
            &format!("{ct2_prefix}/bias"),
            &[n_out],
        )
    }

    fn layer_norm(&mut self, ggml_prefix: &str, ct2_prefix: &str) -> Result<(), ModelError> {
        let n = self.n_state;
        self.f32(
            &format!("{ggml_prefix}.weight"),
            &format!("{ct2_prefix}/gamma"),
            &[n],
        )?;
        self.f32(
            &format!("{ggml_prefix}.bias"),
            &format!("{ct2_prefix}/beta"),
            &[n],
        )
    }

    /// Convolution biases are stored as `[n_state, 1]`, so they broadcast over time.
    fn conv_bias(&mut self, ggml_name: &str, ct2_name: &str) -> Result<(), ModelError> {
        let variable = self.variable(ct2_name, &[self.n_state])?;
        self.write(ggml_name, &[self.n_state, 1], TensorType::F32, &variable)
    }

    /// Splits a fused `[k·n_state, n_state]` projection into `k` square ones. A part whose
    /// flag is false has no bias in Whisper, so its slice of the fused bias must be zero.
    fn split_linear(
        &mut self,
        ct2_prefix: &str,
        parts: &[(String, bool)],
    ) -> Result<(), ModelError> {
        let n = self.n_state;
        let k = parts.len() as u64;
        let weight = self.variable(&format!("{ct2_prefix}/weight"), &[k * n, n])?;
        let bias = self.variable(&format!("{ct2_prefix}/bias"), &[k * n])?;

        for (index, (ggml_prefix, has_bias)) in (0..k).zip(parts) {
            let (Some(weight_part), Some(bias_part)) =
                (weight.split_rows(index, k), bias.split_rows(index, k))
            else {
                return Err(
                    self.conversion_error(format!("{ct2_prefix} cannot be split into {k} parts"))
                );
            };

            self.write(
                &format!("{ggml_prefix}.weight"),
                &[n, n],
                TensorType::F16,
                &weight_part,
            )?;
            if *has_bias {
                self.write(
                    &format!("{ggml_prefix}.bias"),
                    &[n],
                    TensorType::F32,
                    &bias_part,
                )?;
            } else if !self.model.is_all_zero(&bias_part)? {
                return Err(self.conversion_error(format!(
                    "part {} of {ct2_prefix}/bias is not zero, but Whisper's key projection has no bias",
                    index + 1
                )));
            }
        }
        Ok(())
    }

    fn f32(&mut self, ggml_name: &str, ct2_name: &str, shape: &[u64]) -> Result<(), ModelError> {
        let variable = self.variable(ct2_name, shape)?;
        self.write(ggml_name, shape, TensorType::F32, &variable)
    }

    fn f16(&mut self, ggml_name: &str, ct2_name: &str, shape: &[u64]) -> Result<(), ModelError> {
        let variable = self.variable(ct2_name, shape)?;
        self.write(ggml_name, shape, TensorType::F16, &variable)
    }

    /// Looks a variable up and checks its shape.
    fn variable(&self, name: &str, shape: &[u64]) -> Result<Variable, ModelError> {
        let variable = self.model.variable(name)?;
        if variable.shape != shape {
            return Err(self.conversion_error(format!(
                "{name} has shape {:?}, expected {shape:?}",
                variable.shape
            )));
        }
        Ok(variable)
    }

    fn write(
        &mut self,
        ggml_name: &str,
        shape: &[u64],
        tensor_type: TensorType,
        variable: &Variable,
    ) -> Result<(), ModelError> {
        if self.cancel.is_cancelled() {
            return Err(ModelError::Cancelled {
                name: self.model_name.to_string(),
            });
        }
        self.writer
            .write_tensor(ggml_name, shape, tensor_type, self.model, variable)
    }

    fn conversion_error(&self, reason: String) -> ModelError {
        ModelError::Conversion {
            model: self.model_name.to_string(),
            reason,
        }
    }
}
