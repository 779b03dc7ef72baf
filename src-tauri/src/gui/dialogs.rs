//! Native file dialogs (GTK through rfd), opened without blocking any thread: each call
//! returns a future that resolves when the user closes the dialog.

use std::path::{Path, PathBuf};

use rfd::AsyncFileDialog;
use tauri::{AppHandle, Manager};
use whisperrr_core::export::Format;

/// Extensions offered by "Open files…", in both cases because GTK's filter patterns are
/// case-sensitive.
const OPEN_EXTENSIONS: &[&str] = &[
    "wav", "mp3", "flac", "ogg", "oga", "opus", "m4a", "m4b", "aac", "aif", "aiff", "caf", "mp4", "m4v", "mov",
    "mkv", "mka", "webm", "WAV", "MP3", "FLAC", "OGG", "OGA", "OPUS", "M4A", "M4B", "AAC", "AIF", "AIFF", "CAF",
    "MP4", "M4V", "MOV", "MKV", "MKA", "WEBM",
];

/// A dialog attached to the main window, so it stays on top of it.
fn dialog(app: &AppHandle, title: &str) -> AsyncFileDialog {
    let dialog = AsyncFileDialog::new().set_title(title);
    match app.get_webview_window("main") {
        Some(window) => dialog.set_parent(&window),
        None => dialog,
    }
}

/// Asks for audio or video files to transcribe.
pub async fn pick_inputs(app: &AppHandle) -> Option<Vec<PathBuf>> {
    let files = dialog(app, "Add files to transcribe")
        .add_filter("Audio and video", OPEN_EXTENSIONS)
        .pick_files()
        .await?;
    Some(files.into_iter().map(|file| file.path().to_path_buf()).collect())
}

/// Asks for a whisper.cpp model file to import.
pub async fn pick_model_file(app: &AppHandle) -> Option<PathBuf> {
    let file = dialog(app, "Import a whisper.cpp model file")
        .add_filter("whisper.cpp models (ggml)", &["bin", "BIN"])
        .add_filter("All files", &["*"])
        .pick_file()
        .await?;
    Some(file.path().to_path_buf())
}

/// Asks where to save one transcript file in `format`, suggesting `input`'s name in
/// `input`'s folder. The dialog asks before replacing an existing file.
pub async fn pick_save_path(app: &AppHandle, input: &Path, format: Format) -> Option<PathBuf> {
    let stem = input.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_else(|| "transcript".into());
    let mut dialog = dialog(app, &format!("Save transcript as {}", format.extension().to_uppercase()))
        .set_file_name(format!("{stem}.{}", format.extension()))
        .add_filter(format.extension().to_uppercase(), &[format.extension()]);
    if let Some(folder) = input.parent().filter(|folder| folder.is_dir()) {
        dialog = dialog.set_directory(folder);
    }
    dialog.save_file().await.map(|file| file.path().to_path_buf())
}

/// Asks for a folder, with `title` naming what it is for, starting in `start` when it
/// exists (GTK otherwise opens its list of recent files).
pub async fn pick_folder(app: &AppHandle, title: &str, start: Option<&Path>) -> Option<PathBuf> {
    let mut dialog = dialog(app, title);
    if let Some(start) = start.filter(|start| start.is_dir()) {
        dialog = dialog.set_directory(start);
    }
    dialog.pick_folder().await.map(|folder| folder.path().to_path_buf())
}
