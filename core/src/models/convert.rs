//! Conversion of a CTranslate2 Whisper model (`WhisperSpec`) to whisper.cpp's ggml format.
//!
//! This file checks the model and writes the header, the mel filters and the vocabulary.
//! [`super::tensor_map`] writes the tensors. Float16 models convert without rounding. In
//! float32 models the float16 tensors are rounded to nearest (ties to even), and a value
//! beyond the float16 range is rejected.

use std::io::{Read, Seek, Write};
use std::path::Path;

use super::ct2::Ct2Model;
use super::error::ModelError;
use super::ggml::{GgmlWriter, Hparams};
use super::mel_filters::{mel_filters_80, N_FREQUENCIES, N_MELS};
use super::tensor_map::write_tensors;
use super::vocab::base_tokens;
use crate::cancel::CancelToken;

/// Spec flags every Whisper model has, with their required values. Activation 3 is GELU in
/// CTranslate2's `ActivationType` enum.
const REQUIRED_FLAGS: [(&str, i64); 3] = [
    ("decoder/pre_norm", 1),
    ("decoder/scale_embeddings", 0),
    ("decoder/activation", 3),
];

/// Summary of a finished conversion.
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
    let conversion_error = |reason: String| ModelError::Conversion {
        model: model_name.to_string(),
        reason,
    };

    if model.spec != "WhisperSpec" {
        return Err(conversion_error(format!(
            "model.bin contains a {}, not a WhisperSpec",
            model.spec
        )));
    }

    tracing::debug!(
        model = model_name,
        revision = model.revision,
        "converting a CTranslate2 WhisperSpec"
    );
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

    let written = write_tensors(&mut writer, model, &hparams, model_name, cancel)?;

    Ok(ConversionSummary {
        hparams,
        tensors: written,
    })
}

/// Derives the ggml hyperparameters from the variable shapes and the head counts.
fn read_hparams<R: Read + Seek>(
    model: &mut Ct2Model<R>,
    model_name: &str,
) -> Result<Hparams, ModelError> {
    let conversion_error = |reason: String| ModelError::Conversion {
        model: model_name.to_string(),
        reason,
    };
    let matrix = |model: &Ct2Model<R>, name: &str| -> Result<Vec<i32>, ModelError> {
        let variable = model.variable(name)?;
        let dims: Option<Vec<i32>> = variable
            .shape
            .iter()
            .map(|&d| i32::try_from(d).ok())
            .collect();
        match dims {
            Some(dims) if dims.len() >= 2 => Ok(dims),
            _ => Err(conversion_error(format!(
                "{name} has the unexpected shape {:?}",
                variable.shape
            ))),
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
            .ok_or_else(|| {
                conversion_error(format!("{name} is {value}, expected a positive head count"))
            })
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
        return Err(conversion_error(format!(
            "the encoder and decoder widths differ: {hparams:?}"
        )));
    }
    if hparams.n_audio_layer == 0 || hparams.n_text_layer == 0 {
        return Err(conversion_error(
            "no encoder or decoder layers were found".to_string(),
        ));
    }
    Ok(hparams)
}

fn check_required_flags<R: Read + Seek>(
    model: &mut Ct2Model<R>,
    model_name: &str,
) -> Result<(), ModelError> {
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
fn check_projection_is_tied<R: Read + Seek>(
    model: &mut Ct2Model<R>,
    model_name: &str,
) -> Result<(), ModelError> {
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

#[cfg(test)]
#[path = "convert_tests.rs"]
pub(crate) mod tests;
