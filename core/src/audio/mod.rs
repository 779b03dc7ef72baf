//! TODO: placeholder until the decoder lands; the signatures match the planned API.
use std::path::{Path, PathBuf};
use crate::cancel::CancelToken;
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;
#[derive(Clone, Debug, serde::Serialize)]
pub struct AudioInfo { pub container: String, pub codec: String, pub sample_rate: Option<u32>, pub channels: Option<usize>, pub duration_ms: Option<u64> }
pub struct DecodeProgress { pub decoded_ms: u64, pub total_ms: Option<u64> }
pub struct DecodedAudio { pub samples: Vec<f32>, pub source: AudioInfo, pub warnings: Vec<DecodeWarning> }
#[derive(Debug, Clone)]
pub enum DecodeWarning { Truncated }
impl std::fmt::Display for DecodeWarning { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "truncated") } }
#[derive(Debug, thiserror::Error)]
pub enum DecodeError { #[error("{}: not found", path.display())] NotFound { path: PathBuf }, #[error("cancelled")] Cancelled }
pub fn decode_for_whisper(path: &Path, _on_progress: &mut dyn FnMut(DecodeProgress), _cancel: &CancelToken) -> Result<DecodedAudio, DecodeError> { Err(DecodeError::NotFound { path: path.into() }) }
