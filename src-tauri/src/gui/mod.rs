//! The desktop window: a Tauri 2 shell around the core's job manager.
//!
//! The page (`ui/`) keeps no state of its own that matters. Jobs, settings and models live
//! here in Rust, and the page requests them when it loads and follows changes through
//! events.
//! Files enter through [`drop::add_inputs`], whether dropped on the window, chosen with
//! "Open files…", or sent by the automation-only command the end-to-end tests use.
//! Recording from the microphone, and the recovery of recordings a crash left
//! unfinished, live in [`recording`].

mod active_model;
mod allowed_paths;
pub mod bindings;
mod commands;
mod dialogs;
mod drop;
mod error;
mod events;
mod fetches;
mod recording;
mod settings_handle;
mod state;

use std::process::ExitCode;

use tauri::{DragDropEvent, Manager, WindowEvent};
use whisperrr_core::paths::AppDirs;

use state::AppState;

/// Environment variable that Tauri reads to allow WebDriver to drive the webview; the
/// automation-only commands follow it.
const AUTOMATION_ENV: &str = "TAURI_WEBVIEW_AUTOMATION";

/// Opens the main window and returns when it closes.
pub fn run(dirs: AppDirs) -> ExitCode {
    let automation = std::env::var(AUTOMATION_ENV).is_ok_and(|value| value == "true");
    let specta = bindings::builder();
    let invoke_handler = specta.invoke_handler();

    let result = tauri::Builder::default()
        .invoke_handler(invoke_handler)
        .setup(move |app| {
            specta.mount_events(app);
            let state = AppState::start(app.handle(), &dirs, automation)?;
            for warning in state.settings.load_warnings() {
                tracing::warn!(%warning, "settings repaired at start");
            }
            if automation {
                tracing::info!("test automation commands enabled");
            }
            app.manage(state);
            Ok(())
        })
        .on_window_event(|window, event| match event {
            WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) => {
                drop::on_native_drop(window.app_handle(), paths.clone());
            }
            WindowEvent::CloseRequested { api, .. } => {
                let state = window.state::<AppState>();
                if state.recording.finish_before_exit(window.app_handle()) {
                    api.prevent_close();
                }
            }
            _ => {}
        })
        .run(tauri::generate_context!("../tauri.conf.json"));

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot open the window: {error}");
            ExitCode::from(1)
        }
    }
}
