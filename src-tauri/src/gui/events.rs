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
    /// Where the bytes come from, for the user: "the model host", "PyPI (…)" or "a local
    /// file".
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
    /// Where the bytes came from, as in [`ModelFetchProgress::source`], when known.
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
