//! The commands the page calls, grouped by what they work on. Each is a thin wrapper: the
//! work lives in the core or in the window's other modules.
//!
//! Tauri runs synchronous commands on the main thread, which also draws the window. So
//! only commands that touch nothing but memory are synchronous; those that read or write
//! files run their work on the blocking thread pool, and dialogs are awaited.

pub mod jobs;
pub mod models;
pub mod recording;
pub mod settings;

use super::error::{CommandError, ErrorCode};

/// Runs `work` on Tauri's blocking thread pool.
pub async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::new(ErrorCode::Internal, format!("a background task failed: {error}")))
}
