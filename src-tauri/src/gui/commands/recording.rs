//! Commands of the Record tab: input devices, the level monitor, recording, and the
//! recordings a crash left unfinished.

use std::path::PathBuf;

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, State};
use whisperrr_core::record::{self, InputDevice, RecordError};

use super::run_blocking;
use crate::gui::error::{CommandError, ErrorCode};
use crate::gui::recording::{RecordingSnapshot, SessionCommand};
use crate::gui::state::AppState;

/// The input devices and the one the settings choose.
#[derive(Clone, Debug, Serialize, Type)]
pub struct InputDeviceList {
    /// The system default first, marked.
    pub devices: Vec<InputDevice>,
    /// The id or name stored in the settings; `None` records from the system default.
    pub chosen: Option<String>,
}

/// Returns the Record tab's state, for a page that has just loaded.
#[tauri::command]
#[specta::specta]
pub fn get_recording(state: State<'_, AppState>) -> RecordingSnapshot {
    state.recording.snapshot()
}

#[tauri::command]
#[specta::specta]
pub async fn list_input_devices(app: AppHandle) -> Result<InputDeviceList, CommandError> {
    run_blocking(move || device_list(&app.state::<AppState>())).await?
}

fn device_list(state: &AppState) -> Result<InputDeviceList, CommandError> {
    let devices = record::list_input_devices().map_err(device_error)?;
    Ok(InputDeviceList { devices, chosen: state.settings.get().input_device })
}

/// Makes `device` (an id from [`list_input_devices`], or `None` for the system default)
/// the device to record from, saves it in the settings and reopens the level monitor.
#[tauri::command]
#[specta::specta]
pub async fn choose_input_device(app: AppHandle, device: Option<String>) -> Result<InputDeviceList, CommandError> {
    run_blocking(move || {
        let state = app.state::<AppState>();
        let mut list = device_list(&state)?;
        if let Some(id) = &device {
            if !list.devices.iter().any(|listed| &listed.id == id) {
                return Err(CommandError::new(ErrorCode::NotFound, format!("there is no input device with id '{id}'")));
            }
        }

        state
            .settings
            .update(|settings| settings.input_device = device.clone())
            .map_err(|error| CommandError::new(ErrorCode::SaveFailed, error.to_string()))?;
        tracing::info!(device = device.as_deref().unwrap_or("system default"), "input device chosen");
        state.recording.restart_monitor(&state);
        list.chosen = device;
        Ok(list)
    })
    .await?
}

/// Turns the level monitor on while the Record tab is shown, and off when it is left.
#[tauri::command]
#[specta::specta]
pub async fn watch_input_level(app: AppHandle, watch: bool) -> Result<(), CommandError> {
    run_blocking(move || {
        let state = app.state::<AppState>();
        state.recording.watch_level(&state, watch);
    })
    .await
}

/// Starts recording from the chosen device with the current settings. Returns once audio
/// flows; what happens next arrives as events.
#[tauri::command]
#[specta::specta]
pub async fn start_recording(app: AppHandle) -> Result<(), CommandError> {
    run_blocking(move || app.state::<AppState>().recording.start(&app)).await?
}

#[tauri::command]
#[specta::specta]
pub fn pause_recording(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.recording.command(SessionCommand::Pause)
}

#[tauri::command]
#[specta::specta]
pub fn resume_recording(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.recording.command(SessionCommand::Resume)
}

/// Stops the recording, which then finishes its transcript and saves its files. Also
/// gives up a recording that is still starting and cancels a recovery.
#[tauri::command]
#[specta::specta]
pub fn stop_recording(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.recording.command(SessionCommand::Stop)
}

/// Starts transcribing the unfinished recording at `path`, which must be one the Record
/// tab lists; the result arrives as events.
#[tauri::command]
#[specta::specta]
pub async fn recover_recording(app: AppHandle, path: PathBuf) -> Result<(), CommandError> {
    run_blocking(move || app.state::<AppState>().recording.recover(&app, &path)).await?
}

/// Saves the unfinished recording at `path` as a WAV file without transcribing it, so it
/// is no longer offered. Returns the WAV file.
#[tauri::command]
#[specta::specta]
pub async fn keep_unfinished_recording(app: AppHandle, path: PathBuf) -> Result<PathBuf, CommandError> {
    run_blocking(move || {
        let state = app.state::<AppState>();
        state.recording.keep_unfinished(&state, &path)
    })
    .await?
}

fn device_error(error: RecordError) -> CommandError {
    CommandError::new(ErrorCode::Device, error.to_string())
}
