//! Saving transcript files without ever overwriting or half-writing one.
//!
//! Each file is written to a temporary file in the destination folder, flushed to disk,
//! and then linked into place under a name that does not exist yet, so a reader sees
//! either no file or the whole file. `talk.mp3` gets `talk.txt`; when that exists the
//! new one is `talk (1).txt`, then `talk (2).txt`, and so on.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// The highest number tried in `name (N).ext` before giving up.
const MAX_NUMBERED_NAMES: u32 = 9999;

/// A save that failed. Nothing was left behind by it.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot write to folder '{}': {source}", dir.display())]
    FolderNotWritable { dir: PathBuf, source: io::Error },

    #[error("cannot create folder '{}': {source}", dir.display())]
    CreateFolder { dir: PathBuf, source: io::Error },

    #[error("every name from '{}' to number {MAX_NUMBERED_NAMES} is taken", first.display())]
    NoFreeName { first: PathBuf },

    #[error("failed to write '{}': {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// Where the files for one input go: a folder and the name stem they share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLocation {
    pub dir: PathBuf,
    pub stem: OsString,
}

impl OutputLocation {
    /// Files named after `input`, in `output_dir` when given, else beside `input`.
    pub fn for_input(input: &Path, output_dir: Option<&Path>) -> Self {
        let stem = input.file_stem().map(OsString::from).unwrap_or_else(|| "transcript".into());
        // `Path::parent` of a bare file name is "", which file APIs take as the current
        // folder, so `talk.mp3` gets `talk.txt` rather than `./talk.txt`.
        let dir = match output_dir {
            Some(dir) => dir.to_path_buf(),
            None => input.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        Self { dir, stem }
    }

    /// The path `stem.ext`, or `stem (n).ext` for n > 0.
    pub fn numbered_path(&self, number: u32, extension: &str) -> PathBuf {
        let mut name = self.stem.clone();
        if number > 0 {
            name.push(format!(" ({number})"));
        }
        name.push(".");
        name.push(extension);
        self.dir.join(name)
    }
}

/// One file to save: its extension and its contents.
pub struct OutputFile<'a> {
    pub extension: &'a str,
    pub contents: &'a [u8],
}

/// Saves every file at `location`, all or nothing, and returns the paths written in the
/// order given.
///
/// The files share a number when they can (`talk (1).txt` beside `talk (1).srt`). If any
/// file fails, the ones this call already placed are removed again.
pub fn save_all(location: &OutputLocation, files: &[OutputFile<'_>]) -> Result<Vec<PathBuf>, SaveError> {
    fs::create_dir_all(&location.dir).map_err(|source| SaveError::CreateFolder {
        dir: location.dir.clone(),
        source,
    })?;

    // Write every temporary file before placing any, so an unwritable folder or a full
    // disk fails before a single final name appears.
    let mut staged = Vec::with_capacity(files.len());
    for file in files {
        staged.push(stage(location, file)?);
    }

    let first_free = first_shared_free_number(location, files);
    let mut placed: Vec<PathBuf> = Vec::with_capacity(files.len());
    for (temp, file) in staged.into_iter().zip(files) {
        match place(location, temp, file.extension, first_free) {
            Ok(path) => placed.push(path),
            Err(error) => {
                for path in &placed {
                    let _ = fs::remove_file(path);
                }
                return Err(error);
            }
        }
    }
    Ok(placed)
}

/// Writes `contents` to exactly `path`, replacing a file already there, through a
/// temporary file in the same folder, so a reader sees the old file or the new one.
///
/// Meant for a destination the user chose in a save dialog, which has already asked before
/// replacing a file. Everything else goes through [`save_all`], which never replaces one.
pub fn write_replacing(path: &Path, contents: &[u8]) -> Result<(), SaveError> {
    let location = OutputLocation {
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        stem: path.file_stem().map(OsString::from).unwrap_or_default(),
    };
    let temp = stage(&location, &OutputFile { extension: "", contents })?;
    temp.persist(path).map_err(|error| classify(&location, error.error))?;
    Ok(())
}

/// Writes `file` to a hidden temporary file in the destination folder and syncs it.
fn stage(location: &OutputLocation, file: &OutputFile<'_>) -> Result<NamedTempFile, SaveError> {
    let not_writable = |source: io::Error| classify(location, source);

    let mut temp = tempfile::Builder::new()
        .prefix(".whisperrr-")
        .suffix(".tmp")
        .tempfile_in(&location.dir)
        .map_err(not_writable)?;
    temp.write_all(file.contents).map_err(not_writable)?;
    temp.as_file().sync_all().map_err(not_writable)?;
    Ok(temp)
}

/// Links `temp` to the first free name from `first_number` on. The kernel refuses to
/// replace an existing file here, so a file created meanwhile by someone else is kept and
/// the next number is tried.
fn place(
    location: &OutputLocation,
    mut temp: NamedTempFile,
    extension: &str,
    first_number: u32,
) -> Result<PathBuf, SaveError> {
    for number in first_number..=MAX_NUMBERED_NAMES {
        let path = location.numbered_path(number, extension);
        match temp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => temp = error.file,
            Err(error) => return Err(classify(location, error.error)),
        }
    }
    Err(SaveError::NoFreeName { first: location.numbered_path(0, extension) })
}

/// The lowest number at which none of the files' names exist yet.
fn first_shared_free_number(location: &OutputLocation, files: &[OutputFile<'_>]) -> u32 {
    (0..=MAX_NUMBERED_NAMES)
        .find(|&number| {
            files
                .iter()
                .all(|file| !location.numbered_path(number, file.extension).exists())
        })
        .unwrap_or(0)
}

fn classify(location: &OutputLocation, source: io::Error) -> SaveError {
    let dir = location.dir.clone();
    match source.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            SaveError::FolderNotWritable { dir, source }
        }
        _ => SaveError::Write { path: dir, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt_and_srt<'a>(txt: &'a str, srt: &'a str) -> [OutputFile<'a>; 2] {
        [
            OutputFile { extension: "txt", contents: txt.as_bytes() },
            OutputFile { extension: "srt", contents: srt.as_bytes() },
        ]
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn files_saved_beside_input() {
        let dir = tempfile::tempdir().unwrap();
        let location = OutputLocation::for_input(&dir.path().join("talk.mp3"), None);

        let written = save_all(&location, &txt_and_srt("hello\n", "1\n")).unwrap();

        assert_eq!(written, vec![dir.path().join("talk.txt"), dir.path().join("talk.srt")]);
        assert_eq!(fs::read_to_string(&written[0]).unwrap(), "hello\n");
        assert_eq!(names_in(dir.path()), ["talk.srt", "talk.txt"]);
    }

    #[test]
    fn existing_file_kept_and_numbered_one_written() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("talk.srt"), "old").unwrap();
        let location = OutputLocation::for_input(&dir.path().join("talk.mp3"), None);

        let written = save_all(&location, &txt_and_srt("new\n", "new srt")).unwrap();

        assert_eq!(fs::read_to_string(dir.path().join("talk.srt")).unwrap(), "old");
        assert_eq!(written[0], dir.path().join("talk (1).txt"));
        assert_eq!(written[1], dir.path().join("talk (1).srt"));
    }

    #[test]
    fn numbering_continues_past_taken_numbers() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["talk.txt", "talk (1).txt", "talk (2).txt"] {
            fs::write(dir.path().join(name), "old").unwrap();
        }
        let location = OutputLocation::for_input(&dir.path().join("talk.wav"), None);

        let written = save_all(&location, &[OutputFile { extension: "txt", contents: b"x" }]).unwrap();

        assert_eq!(written, vec![dir.path().join("talk (3).txt")]);
    }

    #[test]
    fn output_dir_replaces_input_folder() {
        let input_dir = tempfile::tempdir().unwrap();
        let output_dir = tempfile::tempdir().unwrap();
        let target = output_dir.path().join("nested");
        let location = OutputLocation::for_input(&input_dir.path().join("a b #1 é.flac"), Some(&target));

        let written = save_all(&location, &[OutputFile { extension: "txt", contents: b"x" }]).unwrap();

        assert_eq!(written, vec![target.join("a b #1 é.txt")]);
        assert!(names_in(input_dir.path()).is_empty());
    }

    #[test]
    fn unwritable_folder_fails_and_leaves_nothing() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let locked = dir.path().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
        let _guard = PermissionChecksEnforced::on_this_thread();
        let location = OutputLocation::for_input(&locked.join("talk.mp3"), None);

        let error = save_all(&location, &txt_and_srt("a", "b")).unwrap_err();

        assert!(matches!(error, SaveError::FolderNotWritable { .. }), "{error:?}");
        assert!(error.to_string().contains("locked"), "{error}");
        assert!(names_in(&locked).is_empty());
    }

    /// Makes file permissions apply to this thread even when tests run as root, by
    /// lowering the capability that lets root bypass them, and raises it again on drop.
    /// Linux keeps capabilities per thread, so other tests are unaffected.
    struct PermissionChecksEnforced {
        lowered: bool,
    }

    impl PermissionChecksEnforced {
        fn on_this_thread() -> Self {
            use caps::{CapSet, Capability};

            let lowered = caps::has_cap(None, CapSet::Effective, Capability::CAP_DAC_OVERRIDE).unwrap_or(false);
            if lowered {
                caps::drop(None, CapSet::Effective, Capability::CAP_DAC_OVERRIDE).unwrap();
            }
            Self { lowered }
        }
    }

    impl Drop for PermissionChecksEnforced {
        fn drop(&mut self) {
            use caps::{CapSet, Capability};

            if self.lowered {
                let _ = caps::raise(None, CapSet::Effective, Capability::CAP_DAC_OVERRIDE);
            }
        }
    }

    #[test]
    fn write_replacing_writes_exact_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chosen name #1.srt");
        fs::write(&path, "old").unwrap();

        write_replacing(&path, b"new").unwrap();

        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names_in(dir.path()), ["chosen name #1.srt"]);
    }

    #[test]
    fn write_replacing_into_missing_folder_fails() {
        let dir = tempfile::tempdir().unwrap();

        let error = write_replacing(&dir.path().join("missing/out.txt"), b"x").unwrap_err();

        assert!(error.to_string().contains("missing"), "{error}");
    }

    #[test]
    fn bare_file_name_saves_in_current_folder() {
        let location = OutputLocation::for_input(Path::new("talk.mp3"), None);

        assert_eq!(location.numbered_path(0, "srt"), Path::new("talk.srt"));
    }
}
