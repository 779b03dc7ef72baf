//! The desktop window.

use std::process::ExitCode;

use whisperrr_core::paths::AppDirs;

/// Opens the main window and returns when it closes.
pub fn run(_dirs: AppDirs) -> ExitCode {
    let result = tauri::Builder::default().run(tauri::generate_context!("../tauri.conf.json"));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot open the window: {error}");
            ExitCode::from(1)
        }
    }
}
