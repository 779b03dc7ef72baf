//! Turning dropped or opened paths into the files worth transcribing.
//!
//! Files given one by one are all probed, whatever their name, because the user chose
//! them. Folders are searched recursively, and only files with a known audio or video
//! extension are probed, so transcripts and pictures beside the recordings are skipped
//! without a message. Every path is used exactly as given: nothing is decoded, escaped or
//! normalized, so names with spaces, `%`, `#` or non-ASCII characters work as they are.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::audio::{self, AudioInfo};

/// Extensions of the audio and video files a folder search picks up, lowercase. Formats
/// symphonia cannot decode (Opus, WMA) are included, so the user learns why they were
/// rejected instead of seeing them silently skipped.
const MEDIA_EXTENSIONS: &[&str] = &[
    "3gp", "aac", "aif", "aifc", "aiff", "amr", "caf", "flac", "m4a", "m4b", "m4v", "mka", "mkv", "mov", "mp1",
    "mp2", "mp3", "mp4", "mpga", "oga", "ogg", "ogv", "opus", "wav", "wave", "webm", "wma", "wmv",
];

/// The outcome of [`collect_inputs`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Intake {
    /// Files that probed as decodable, in the order given, folders' files sorted by path.
    pub accepted: Vec<AcceptedInput>,
    /// Paths that cannot be transcribed, with the reason.
    pub rejected: Vec<RejectedInput>,
}

/// A file that opened as audio or video with a supported codec.
#[derive(Clone, Debug, PartialEq)]
pub struct AcceptedInput {
    pub path: PathBuf,
    pub info: AudioInfo,
}

/// A path that was not added.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RejectedInput {
    pub path: PathBuf,
    /// One line that names the file and what is wrong with it.
    pub message: String,
}

/// Expands folders and probes every file, splitting `paths` into accepted and rejected
/// inputs. A path given twice, directly or through a folder, counts once.
pub fn collect_inputs(paths: &[PathBuf]) -> Intake {
    let mut intake = Intake::default();
    let mut seen = HashSet::new();

    for path in paths {
        if path.is_dir() {
            collect_folder(path, &mut intake, &mut seen);
        } else if seen.insert(path.clone()) {
            probe_into(path, &mut intake);
        }
    }
    intake
}

/// True when `name` ends with an extension that [`collect_inputs`] looks for in folders.
pub fn is_media_file_name(name: &Path) -> bool {
    name.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| MEDIA_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()))
}

fn collect_folder(folder: &Path, intake: &mut Intake, seen: &mut HashSet<PathBuf>) {
    let mut found_any = false;

    // Symbolic links are not followed, so a link back up the tree cannot loop.
    for entry in WalkDir::new(folder).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(folder).to_path_buf();
                let message = format!("{}: cannot read this folder entry: {error}", path.display());
                intake.rejected.push(RejectedInput { path, message });
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_media_file_name(entry.path()) {
            continue;
        }

        found_any = true;
        let path = entry.into_path();
        if seen.insert(path.clone()) {
            probe_into(&path, intake);
        }
    }

    if !found_any {
        let message = format!("{}: the folder contains no audio or video files", folder.display());
        intake.rejected.push(RejectedInput { path: folder.to_path_buf(), message });
    }
}

fn probe_into(path: &Path, intake: &mut Intake) {
    match audio::probe(path) {
        Ok(info) => intake.accepted.push(AcceptedInput { path: path.to_path_buf(), info }),
        Err(error) => {
            tracing::info!(input = %path.display(), %error, "input rejected");
            intake.rejected.push(RejectedInput { path: path.to_path_buf(), message: error.to_string() });
        }
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
