//! Cooperative cancellation shared between the thread that runs a job and the one that
//! wants it stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag that any clone can raise and every clone sees.
///
/// Long loops (decoding, resampling, whisper's abort callback, downloads) poll it between
/// steps, so a cancelled job stops within one step.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for callbacks that other threads may run, such as whisper.cpp's
    /// abort callback.
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.0
    }
}
