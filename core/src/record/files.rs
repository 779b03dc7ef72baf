//! Folder and file names of recordings.
//!
//! A recording is written to `recording-<date>_<time>.wav.partial` while it runs, so an
//! unfinished one is recognised by its name on the next start. The recorder holds an
//! exclusive lock on that file, so a second instance never takes a running recording for
//! an abandoned one. When the recording stops, the file becomes `recording-<date>_<time>.wav`
//! (numbered when the name is taken), with its TXT and SRT beside it.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use directories::UserDirs;

use super::RecordError;
use crate::save::OutputLocation;

/// Extension added to the WAV file of a recording that is still running.
pub const PARTIAL_EXTENSION: &str = "partial";

/// Folder for recordings inside the user's documents folder.
const FOLDER_NAME: &str = "Whisperrr";

/// Most files tried with the same time stamp before giving up.
const MAX_SAME_SECOND: u32 = 1000;

/// Returns the default recordings folder: `Whisperrr` in the user's documents folder, or in
/// `~/Documents` when the system names no documents folder. `None` without a home folder.
pub fn default_recordings_dir() -> Option<PathBuf> {
    let user = UserDirs::new()?;
    let documents = user
        .document_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| user.home_dir().join("Documents"));
    Some(documents.join(FOLDER_NAME))
}

/// Returns the folder chosen in settings, else [`default_recordings_dir`].
pub fn recordings_dir(configured: Option<&Path>) -> Option<PathBuf> {
    configured.map(Path::to_path_buf).or_else(default_recordings_dir)
}

/// Creates a new, empty, locked `.wav.partial` file in `dir`, named after the local time.
pub(crate) fn create_partial(dir: &Path) -> Result<(PathBuf, File), RecordError> {
    let folder_error = |source: io::Error| RecordError::RecordingsFolder {
        dir: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(folder_error)?;

    let stamp = chrono::Local::now().format("%Y-%m-%d_%H-%M-%S").to_string();
    let location = OutputLocation {
        dir: dir.to_path_buf(),
        stem: format!("recording-{stamp}").into(),
    };
    for number in 0..MAX_SAME_SECOND {
        let path = partial_path(&location.numbered_path(number, "wav"));
        let final_taken = location.numbered_path(number, "wav").exists();
        if final_taken {
            continue;
        }
        match File::create_new(&path) {
            Ok(file) => {
                lock(&file).map_err(folder_error)?;
                return Ok((path, file));
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(folder_error(error)),
        }
    }
    Err(folder_error(io::Error::other(
        "too many recordings started in the same second",
    )))
}

/// `name.wav` becomes `name.wav.partial`.
fn partial_path(wav: &Path) -> PathBuf {
    let mut name = wav.as_os_str().to_owned();
    name.push(".");
    name.push(PARTIAL_EXTENSION);
    PathBuf::from(name)
}

/// True for a name that [`create_partial`] makes.
pub(crate) fn is_partial(path: &Path) -> bool {
    let name = path.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
    name.ends_with(&format!(".wav.{PARTIAL_EXTENSION}"))
}

/// Returns where the finished files of the recording at `partial` go: its folder, and its name
/// without `.wav.partial`.
pub(crate) fn final_location(partial: &Path) -> OutputLocation {
    let name = partial
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(&format!(".wav.{PARTIAL_EXTENSION}")).unwrap_or(&name);
    OutputLocation {
        dir: partial.parent().map(Path::to_path_buf).unwrap_or_default(),
        stem: OsString::from(stem),
    }
}

/// Takes an exclusive advisory lock on `file`, released when the file is closed or the
/// process dies.
fn lock(file: &File) -> io::Result<()> {
    fs4::FileExt::try_lock(file).map_err(|error| match error {
        fs4::TryLockError::Error(error) => error,
        fs4::TryLockError::WouldBlock => io::Error::new(io::ErrorKind::WouldBlock, "the file is locked"),
    })
}

/// True when another open file holds the lock, which means a recorder is writing it.
pub(crate) fn is_locked_by_recorder(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    match fs4::FileExt::try_lock_shared(&file) {
        Ok(()) => false,
        Err(fs4::TryLockError::WouldBlock) => true,
        Err(fs4::TryLockError::Error(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_named_after_time_and_locked() {
        let dir = tempfile::tempdir().unwrap();

        let (path, file) = create_partial(&dir.path().join("new folder")).unwrap();

        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("recording-20"), "{name}");
        assert!(name.ends_with(".wav.partial"), "{name}");
        assert!(is_partial(&path));
        assert!(is_locked_by_recorder(&path));
        drop(file);
        assert!(!is_locked_by_recorder(&path));
    }

    #[test]
    fn second_partial_in_same_second_numbered() {
        let dir = tempfile::tempdir().unwrap();

        let (first, _a) = create_partial(dir.path()).unwrap();
        let (second, _b) = create_partial(dir.path()).unwrap();

        assert_ne!(first, second);
    }

    #[test]
    fn final_location_strips_partial_suffix() {
        let location = final_location(Path::new("/rec/recording-2024-01-02_03-04-05 (1).wav.partial"));

        assert_eq!(location.dir, Path::new("/rec"));
        assert_eq!(
            location.numbered_path(0, "srt"),
            Path::new("/rec/recording-2024-01-02_03-04-05 (1).srt")
        );
    }

    #[test]
    fn default_folder_inside_documents() {
        let dir = default_recordings_dir().unwrap();

        assert!(dir.ends_with("Whisperrr"), "{}", dir.display());
    }
}
