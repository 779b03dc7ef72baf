//! An exclusive lock on a folder, shared by all processes that fetch into it.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::FixtureError;

/// Name of the lock file created inside the locked folder.
const LOCK_FILE: &str = ".lock";

/// Holds the lock until dropped; closing the file releases it.
pub(crate) struct FolderLock {
    _file: File,
}

/// Creates `folder` if needed and waits until this process holds its exclusive lock.
pub(crate) fn lock_folder(folder: &Path) -> Result<FolderLock, FixtureError> {
    std::fs::create_dir_all(folder).map_err(|error| FixtureError::io("create", folder, error))?;

    let path = folder.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|error| FixtureError::io("open lock file", &path, error))?;

    // The trait is named in full because std's `File::lock` (Rust 1.89) is newer than this
    // workspace's minimum Rust version.
    if fs4::FileExt::try_lock(&file).is_err() {
        eprintln!(
            "whisperrr-testkit: waiting for another process to release {}",
            path.display()
        );
        fs4::FileExt::lock(&file).map_err(|error| FixtureError::io("lock", &path, error))?;
    }
    Ok(FolderLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_waits_for_first() {
        let folder = tempfile::tempdir().unwrap();
        let first = lock_folder(folder.path()).unwrap();
        let other = File::open(folder.path().join(LOCK_FILE)).unwrap();

        assert!(fs4::FileExt::try_lock(&other).is_err());

        drop(first);
        assert!(fs4::FileExt::try_lock(&other).is_ok());
    }
}
