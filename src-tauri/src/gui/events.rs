//! Events the app sends to the page. Each is a typed payload, so the generated bindings
//! give the page `events.jobChanged.listen(...)` and so on.

use std::sync::Arc;

use serde::Serialize;
use specta::Type;
use tauri::AppHandle;
use tauri_specta::Event;
use whisperrr_core::job::JobId;
use whisperrr_core::jobs::{JobObserver, JobSummary, JobUpdate, RejectedInput};
use whisperrr_core::models::ModelStore;
use whisperrr_core::transcript::Segment;

use super::active_model::{self, ActiveModel};
use super::error::CommandError;
use super::recording::{BoardUpdate, Level, RecordingSummary};
use super::settings_handle::SettingsHandle;

/// A job was added, or its status, progress, outputs or error changed.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct JobChanged {
    pub job: JobSummary,
}

/// A running job produced segment number `index` (from 0).
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct JobSegmentAdded {
    pub id: JobId,
    pub index: usize,
    pub segment: Segment,
}

#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct JobsRemoved {
    pub ids: Vec<JobId>,
}

/// The active model changed, or its state did.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct ActiveModelChanged {
    pub model: ActiveModel,
}

/// The outcome of files dropped on the window or opened with "Open files…".
#[derive(Clone, Debug, Default, Serialize, Type, Event)]
pub struct InputsChecked {
    /// Jobs queued for the accepted files.
    pub added: Vec<JobId>,
    /// Files that were not queued, each with a message naming it.
    pub rejected: Vec<RejectedInput>,
    /// A problem that stopped every file from being queued, such as a missing model.
    pub error: Option<CommandError>,
}

/// Progress of a model download or import started from the window.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct ModelFetchProgress {
    pub name: String,
    pub step: FetchStep,
    /// Bytes downloaded so far and in all, while downloading. A resumed download starts
    /// above zero.
    pub done_bytes: u64,
    pub total_bytes: Option<u64>,
    /// Source of the bytes, worded for the user: "the model host", "PyPI packages,
    /// converted here" or "a local file".
    pub source: String,
    /// Download speed, averaged over the last few seconds, once it is known.
    pub bytes_per_second: Option<u64>,
    /// Estimated seconds until the download completes.
    pub eta_seconds: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FetchStep {
    Downloading,
    Converting,
    Verifying,
}

/// A model download ended.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct ModelFetchEnded {
    pub name: String,
    pub outcome: FetchOutcome,
    /// Source of the bytes, as in [`ModelFetchProgress::source`], when known.
    pub source: Option<String>,
    /// The reason it failed, for the user.
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FetchOutcome {
    Installed,
    Cancelled,
    Failed,
}

/// The recording, the level monitor or the list of unfinished recordings changed.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct RecordingChanged {
    pub recording: RecordingSummary,
}

/// Take `take` committed segments `index..`; they never change afterwards.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct RecordingTextCommitted {
    pub take: u64,
    pub index: usize,
    pub segments: Vec<Segment>,
}

/// A reading of the input level, about 20 a second from the level monitor or from the
/// running recording.
#[derive(Clone, Debug, Serialize, Type, Event)]
pub struct InputLevel {
    pub level: Level,
}

/// Sends a change of the Record tab's state to the page.
pub fn send_recording_update(app: &AppHandle, update: BoardUpdate) {
    match update {
        BoardUpdate::None => {}
        BoardUpdate::Summary(recording) => emit(app, &RecordingChanged { recording }),
        BoardUpdate::Level(level) => emit(app, &InputLevel { level }),
        // The summary goes first, because a new take in it makes the page clear the text.
        BoardUpdate::Committed { take, index, segments, summary } => {
            emit(app, &RecordingChanged { recording: summary });
            emit(app, &RecordingTextCommitted { take, index, segments });
        }
    }
}

/// Sends an event to the page. A failure means the window is gone, so it is only logged.
pub fn emit(app: &AppHandle, event: &(impl Event + Serialize + Clone)) {
    if let Err(error) = event.emit(app) {
        tracing::warn!(event = std::any::type_name_of_val(event), %error, "failed to send an event to the page");
    }
}

/// Forwards the job manager's updates to the page as events.
pub struct PageObserver {
    pub app: AppHandle,
    pub settings: Arc<SettingsHandle>,
    pub models: ModelStore,
}

impl JobObserver for PageObserver {
    fn notify(&self, update: JobUpdate) {
        match update {
            JobUpdate::Changed(job) => emit(&self.app, &JobChanged { job }),
            JobUpdate::Segment { id, index, segment } => emit(&self.app, &JobSegmentAdded { id, index, segment }),
            JobUpdate::Removed(ids) => emit(&self.app, &JobsRemoved { ids }),
            JobUpdate::Model(status) => {
                let model = active_model::describe(&self.settings.get().model, &self.models, &status);
                emit(&self.app, &ActiveModelChanged { model });
            }
        }
    }
}
