//! The queue of transcription jobs behind the window.
//!
//! [`JobManager`] owns every job the user added: it runs them one at a time, in the order
//! added, on a background thread, and keeps their state (progress, live segments, output
//! files, errors) so a page that reloads can ask for all of it again with
//! [`JobManager::snapshot`]. The whisper model is loaded once and reused by every job that
//! names the same file.
//!
//! Work that runs whisper outside the queue, such as a live recording, shares that model
//! through [`JobManager::model`] and keeps queued jobs waiting with
//! [`JobManager::hold_queue`], so two whisper runs never compete for the cores.
//!
//! Changes go out as [`JobUpdate`]s to one [`JobObserver`], in the order they happened, on
//! a thread of their own, so an observer may take its time without slowing a job down.
//!
//! ```no_run
//! # use std::sync::mpsc;
//! # use whisperrr_core::jobs::{JobConfig, JobManager, JobUpdate};
//! # use whisperrr_core::transcribe::TranscribeOptions;
//! let (updates, received) = mpsc::channel::<JobUpdate>();
//! let manager = JobManager::start(updates)?;
//! let config = JobConfig {
//!     model: "ggml-base.bin".into(),
//!     options: TranscribeOptions::default(),
//!     formats: vec![whisperrr_core::export::Format::Txt],
//!     output_dir: None,
//! };
//! manager.add("talk.mp3".into(), config);
//! for update in received {
//!     println!("{update:?}");
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`collect_inputs`] turns dropped files and folders into the inputs worth adding.

mod eta;
mod intake;
mod manager;
mod model_cache;
mod observer;
mod record;
mod snapshot;
mod worker;

pub use intake::{collect_inputs, is_media_file_name, AcceptedInput, Intake, RejectedInput};
pub use manager::{JobConfig, JobManager, ManagerError, QueueHold};
pub use observer::{JobObserver, JobUpdate};
pub use snapshot::{JobSnapshot, JobStatus, JobSummary, ModelStatus};
