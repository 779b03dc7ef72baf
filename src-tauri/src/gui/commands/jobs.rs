//! Commands on the job list: adding files, cancelling, removing, saving and showing
//! transcripts.

use std::path::PathBuf;

use tauri::{AppHandle, State};
use whisperrr_core::export::Format;
use whisperrr_core::job::JobId;
use whisperrr_core::jobs::JobSnapshot;
use whisperrr_core::save;

use super::run_blocking;
use crate::gui::dialogs;
use crate::gui::drop::{self, require_automation};
use crate::gui::error::{CommandError, ErrorCode};
use crate::gui::events::InputsChecked;
use crate::gui::state::AppState;

/// Returns every job, with its segments so far, for a page that has just loaded.
#[tauri::command]
#[specta::specta]
pub fn list_jobs(state: State<'_, AppState>) -> Vec<JobSnapshot> {
    state.jobs.snapshot()
}

/// Shows "Open files…" and queues the chosen files as a drop would. Returns `None` when
/// the dialog was closed without choosing.
#[tauri::command]
#[specta::specta]
pub async fn open_files(app: AppHandle) -> Result<Option<InputsChecked>, CommandError> {
    let Some(paths) = dialogs::pick_inputs(&app).await else {
        return Ok(None);
    };
    let report = run_blocking(move || drop::add_inputs(&app, paths)).await?;
    Ok(Some(report))
}

/// Queues `paths` through the same handler as a native drop. WebDriver cannot drop
/// files, so tests use this; it works only when the app runs under test automation.
#[tauri::command]
#[specta::specta]
pub async fn drop_paths_for_automation(
    app: AppHandle,
    state: State<'_, AppState>,
    paths: Vec<String>,
) -> Result<InputsChecked, CommandError> {
    require_automation(&state)?;
    let paths = drop::paths_from_page(paths);
    run_blocking(move || drop::add_inputs(&app, paths)).await
}

#[tauri::command]
#[specta::specta]
pub fn cancel_job(state: State<'_, AppState>, id: JobId) -> Result<(), CommandError> {
    Ok(state.jobs.cancel(id)?)
}

#[tauri::command]
#[specta::specta]
pub fn cancel_all_jobs(state: State<'_, AppState>) {
    state.jobs.cancel_all();
}

#[tauri::command]
#[specta::specta]
pub fn remove_job(state: State<'_, AppState>, id: JobId) -> Result<(), CommandError> {
    Ok(state.jobs.remove(id)?)
}

/// Removes finished, failed and cancelled jobs; unsaved ones stay.
#[tauri::command]
#[specta::specta]
pub fn remove_finished_jobs(state: State<'_, AppState>) -> Vec<JobId> {
    state.jobs.remove_finished()
}

/// Asks where to save the transcript of job `id` in `format`, and writes it there.
/// Returns the file written, or `None` when the dialog was closed without choosing.
#[tauri::command]
#[specta::specta]
pub async fn save_transcript_as(
    app: AppHandle,
    state: State<'_, AppState>,
    id: JobId,
    format: Format,
) -> Result<Option<PathBuf>, CommandError> {
    let transcript = state.jobs.transcript(id)?;
    let input = state
        .jobs
        .job(id)
        .map(|job| job.summary.input)
        .ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("{id} is not in the job list")))?;

    let Some(path) = dialogs::pick_save_path(&app, &input, format).await else {
        return Ok(None);
    };

    let text = format.render(&transcript);
    let destination = path.clone();
    run_blocking(move || save::write_replacing(&destination, text.as_bytes())).await??;
    tracing::info!(job = %id, path = %path.display(), %format, "transcript saved as");

    state.allowed.allow(path.clone());
    state.jobs.record_output(id, path.clone())?;
    Ok(Some(path))
}

/// Asks for a folder and saves there the transcript of a job whose files could not be
/// written beside its audio. Returns the files written, or `None` when the dialog was
/// closed without choosing.
#[tauri::command]
#[specta::specta]
pub async fn save_unsaved_job(
    app: AppHandle,
    state: State<'_, AppState>,
    id: JobId,
) -> Result<Option<Vec<PathBuf>>, CommandError> {
    // The dialog starts in the audio's folder, which could not be written, so the user
    // sees where the file is and picks another folder from there.
    let input = state.jobs.job(id).map(|job| job.summary.input);
    let start = input.as_deref().and_then(std::path::Path::parent);
    let Some(folder) = dialogs::pick_folder(&app, "Choose a folder for the transcript", start).await else {
        return Ok(None);
    };

    let written = run_blocking(move || {
        let state = tauri::Manager::state::<AppState>(&app);
        state.jobs.save_unsaved(id, &folder)
    })
    .await??;
    Ok(Some(written))
}

/// Opens the file manager at `path`, selecting it where the desktop supports that.
/// `path` must be an input or output of a listed job, or a path chosen in a dialog.
#[tauri::command]
#[specta::specta]
pub async fn show_in_folder(state: State<'_, AppState>, path: PathBuf) -> Result<(), CommandError> {
    state.allowed.check(&path, &state.jobs.snapshot())?;
    run_blocking(move || reveal(&path)).await?
}

/// Selects `path` in the file manager over D-Bus, or opens its folder when no file
/// manager offers that (as on desktops without D-Bus).
fn reveal(path: &std::path::Path) -> Result<(), CommandError> {
    let Err(error) = tauri_plugin_opener::reveal_item_in_dir(path) else {
        return Ok(());
    };
    tracing::info!(path = %path.display(), %error, "cannot select the file in a file manager; opening its folder");

    let folder = path.parent().unwrap_or(path);
    tauri_plugin_opener::open_path(folder, None::<&str>).map_err(|error| {
        tracing::warn!(folder = %folder.display(), %error, "cannot open the folder");
        CommandError::new(
            ErrorCode::Desktop,
            format!(
                "No file manager could open the folder {}. Open it yourself, or install a file manager such as Files (Nautilus).",
                folder.display()
            ),
        )
    })
}
