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
    #[error("cannot write to folder '{}': {}", dir.display(), reason(source))]
    FolderNotWritable { dir: PathBuf, source: io::Error },

    #[error("cannot create folder '{}': {}", dir.display(), reason(source))]
    CreateFolder { dir: PathBuf, source: io::Error },

    #[error("'{}' is a file, not a folder", path.display())]
    NotAFolder { path: PathBuf },

    #[error("every name from '{}' to number {MAX_NUMBERED_NAMES} is taken", first.display())]
    NoFreeName { first: PathBuf },

    #[error("failed to write to folder '{}': {}", path.display(), reason(source))]
    Write { path: PathBuf, source: io::Error },
}

/// Permissions asked for new files; the process's umask then applies, so transcripts get
/// the same mode as any other file the user creates (0644 under the usual umask 022).
#[cfg(unix)]
fn new_file_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o666)
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
    create_folder(&location.dir)?;

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

/// Checks that files can be created in `location`'s folder, creating the folder if needed,
/// so a long transcription is not started only to fail at the end.
pub fn check_writable(location: &OutputLocation) -> Result<(), SaveError> {
    create_folder(&location.dir)?;
    temp_file_in(location).map(drop)
}

fn create_folder(dir: &Path) -> Result<(), SaveError> {
    if dir.exists() && !dir.is_dir() {
        return Err(SaveError::NotAFolder { path: dir.to_path_buf() });
    }
    fs::create_dir_all(dir).map_err(|source| match source.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            SaveError::FolderNotWritable { dir: dir.to_path_buf(), source }
        }
        _ => SaveError::CreateFolder { dir: dir.to_path_buf(), source },
    })
}

/// Creates a hidden temporary file in the destination folder.
fn temp_file_in(location: &OutputLocation) -> Result<NamedTempFile, SaveError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".whisperrr-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(new_file_permissions());
    builder.tempfile_in(&location.dir).map_err(|source| classify(location, source))
}

/// Moves the finished file `from` to `location` with `extension`, at the first free name
/// from `stem.ext` on, and returns the new path. An existing file is never replaced.
///
/// `from` must be in the same folder or file system. The file is hard-linked to its new
/// name, which the kernel refuses to do over an existing file, and then unlinked from the
/// old one. On file systems without hard links it is renamed after checking that the name
/// is free, which leaves a short window in which another program could take the name.
pub fn move_no_clobber(from: &Path, location: &OutputLocation, extension: &str) -> Result<PathBuf, SaveError> {
    let write_error = |path: &Path, source| SaveError::Write { path: path.to_path_buf(), source };

    for number in 0..=MAX_NUMBERED_NAMES {
        let path = location.numbered_path(number, extension);
        match fs::hard_link(from, &path) {
            Ok(()) => {
                fs::remove_file(from).map_err(|source| write_error(from, source))?;
                return Ok(path);
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) if path.exists() => continue,
            Err(_) => {
                fs::rename(from, &path).map_err(|source| write_error(&path, source))?;
                return Ok(path);
            }
        }
    }
    Err(SaveError::NoFreeName { first: location.numbered_path(0, extension) })
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

    let mut temp = temp_file_in(location)?;
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

/// The operating system's reason for `error`, without the temporary file's name that
/// `tempfile` adds to its messages.
fn reason(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code).to_string(),
        None => error.kind().to_string(),
    }
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
    fn saved_files_readable_by_others_under_usual_umask() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let location = OutputLocation::for_input(&dir.path().join("talk.mp3"), None);
        let umask = current_umask();

        let written = save_all(&location, &[OutputFile { extension: "txt", contents: b"x" }]).unwrap();

        let mode = fs::metadata(&written[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o} with umask {umask:o}");
    }

    /// Reads the process umask from /proc, which unlike umask(2) does not change it.
    fn current_umask() -> u32 {
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|line| line.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
    }

    #[test]
    fn check_writable_rejects_locked_folder() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let locked = dir.path().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
        let _guard = PermissionChecksEnforced::on_this_thread();

        let error = check_writable(&OutputLocation::for_input(&locked.join("talk.mp3"), None)).unwrap_err();

        assert!(matches!(error, SaveError::FolderNotWritable { .. }), "{error:?}");
        assert!(!error.to_string().contains(".whisperrr-"), "temporary name leaked: {error}");
        assert!(names_in(&locked).is_empty());
    }

    #[test]
    fn output_dir_that_is_a_file_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        fs::write(&file, "x").unwrap();

        let error = check_writable(&OutputLocation::for_input(Path::new("talk.mp3"), Some(&file))).unwrap_err();

        assert!(matches!(error, SaveError::NotAFolder { .. }), "{error:?}");
        assert!(error.to_string().contains("is a file, not a folder"), "{error}");
    }

    #[test]
    fn move_takes_first_free_name_and_keeps_existing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("take.wav"), "old").unwrap();
        let source = dir.path().join("take.wav.partial");
        fs::write(&source, "new").unwrap();
        let location = OutputLocation { dir: dir.path().to_path_buf(), stem: "take".into() };

        let moved = move_no_clobber(&source, &location, "wav").unwrap();

        assert_eq!(moved, dir.path().join("take (1).wav"));
        assert_eq!(fs::read_to_string(&moved).unwrap(), "new");
        assert_eq!(fs::read_to_string(dir.path().join("take.wav")).unwrap(), "old");
        assert!(!source.exists());
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
