//! How the job manager reports changes.

use std::sync::mpsc::Sender;

use super::snapshot::{JobSummary, ModelStatus};
use crate::job::JobId;
use crate::transcript::Segment;

/// One change in the job list or the loaded model.
#[derive(Clone, Debug, PartialEq)]
pub enum JobUpdate {
    /// A job was added, or its status, phase, progress, outputs or error changed. Progress
    /// alone is reported at most about ten times a second.
    Changed(JobSummary),
    /// A running job produced a segment. `index` counts from 0 within the job.
    Segment { id: JobId, index: usize, segment: Segment },
    /// These jobs were removed from the list.
    Removed(Vec<JobId>),
    /// The loaded model changed state.
    Model(ModelStatus),
}

/// Receives every [`JobUpdate`], in order, on the manager's notifier thread.
pub trait JobObserver: Send + 'static {
    fn notify(&self, update: JobUpdate);
}

/// Forwards updates into a channel; a closed channel drops them.
impl JobObserver for Sender<JobUpdate> {
    fn notify(&self, update: JobUpdate) {
        let _ = self.send(update);
    }
}
