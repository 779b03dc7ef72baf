//! The one path every new input takes: files and folders dropped on the window, chosen
//! with "Open files…", or sent by the test-automation command all end in [`add_inputs`].

use std::path::PathBuf;

use tauri::{AppHandle, Manager};
use whisperrr_core::jobs::{collect_inputs, AcceptedInput, Intake, JobConfig, JobManager, RejectedInput};

use super::error::CommandError;
use super::events::{self, InputsChecked};
use super::state::AppState;

/// Handles a native drop: the work runs on a blocking thread, because probing many files
/// takes a while, and the outcome reaches the page as an [`InputsChecked`] event.
pub fn on_native_drop(app: &AppHandle, paths: Vec<PathBuf>) {
    tracing::info!(count = paths.len(), "files dropped on the window");
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        add_inputs(&app, paths);
    });
}

/// Expands, checks and queues `paths`, sends the page the outcome, and returns the same
/// report. Blocks while the files are probed.
pub fn add_inputs(app: &AppHandle, paths: Vec<PathBuf>) -> InputsChecked {
    let state = app.state::<AppState>();
    let report = check_and_queue(&state.jobs, state.job_config(), &paths);
    events::emit(app, &report);
    report
}

/// Probes `paths` (folders expanded) and queues the usable files with `config`.
fn check_and_queue(jobs: &JobManager, config: Result<JobConfig, CommandError>, paths: &[PathBuf]) -> InputsChecked {
    let config = match config {
        Ok(config) => config,
        Err(error) => return InputsChecked { error: Some(error), ..InputsChecked::default() },
    };

    let intake = collect_inputs(paths);
    let report = queue_accepted(jobs, intake, |input| jobs.add_probed(input, config.clone()));
    tracing::info!(added = report.added.len(), rejected = report.rejected.len(), "inputs checked");
    report
}

/// Queues each accepted input through `add`, except those the window cannot show and
/// those already waiting or running, which join the rejected ones.
fn queue_accepted(
    jobs: &JobManager,
    intake: Intake,
    mut add: impl FnMut(AcceptedInput) -> whisperrr_core::job::JobId,
) -> InputsChecked {
    let mut report = InputsChecked { rejected: intake.rejected, ..InputsChecked::default() };

    for input in intake.accepted {
        if let Some(rejection) = reject_before_queueing(jobs, &input) {
            report.rejected.push(rejection);
        } else {
            report.added.push(add(input));
        }
    }
    report
}

fn reject_before_queueing(jobs: &JobManager, input: &AcceptedInput) -> Option<RejectedInput> {
    let path = &input.path;
    let message = if path.to_str().is_none() {
        // The page receives paths as JSON strings, which cannot carry such a name.
        format!(
            "{}: the file name is not valid UTF-8, so the window cannot show it; rename the file or use the command line",
            path.display()
        )
    } else if jobs.is_pending(path) {
        format!("{}: already in the queue", path.display())
    } else {
        return None;
    };
    Some(RejectedInput { path: path.clone(), message })
}

/// Converts paths the page sent as strings, exactly as given.
pub fn paths_from_page(paths: Vec<String>) -> Vec<PathBuf> {
    paths.into_iter().map(PathBuf::from).collect()
}

/// Rejects the automation-only commands unless the app runs under WebDriver.
pub fn require_automation(state: &AppState) -> Result<(), CommandError> {
    if state.automation {
        Ok(())
    } else {
        Err(CommandError::new(
            super::error::ErrorCode::NotAllowed,
            "this command is only available when the app runs under test automation (TAURI_WEBVIEW_AUTOMATION=true)",
        ))
    }
}

#[cfg(test)]
#[path = "drop_tests.rs"]
mod tests;
