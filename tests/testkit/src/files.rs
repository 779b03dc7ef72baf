//! File helpers: sha256 digests and atomic writes.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::FixtureError;

/// Returns the sha256 of `bytes` in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Returns the sha256 of the file at `path` in lowercase hex.
pub(crate) fn sha256_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Creates a temporary file in `folder` with mode 0644 on Unix, as the usual umask gives
/// new files, because temporary files start as 0600 and would stay so after renaming.
pub(crate) fn temporary_file_in(folder: &Path) -> Result<tempfile::NamedTempFile, FixtureError> {
    let temporary = tempfile::NamedTempFile::new_in(folder)
        .map_err(|error| FixtureError::io("create a temporary file in", folder, error))?;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let readable = std::fs::Permissions::from_mode(0o644);
        temporary
            .as_file()
            .set_permissions(readable)
            .map_err(|error| FixtureError::io("set permissions of", temporary.path(), error))?;
    }
    Ok(temporary)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so that readers see
/// either the old file or the complete new one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FixtureError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut temporary = temporary_file_in(folder)?;
    temporary
        .write_all(bytes)
        .map_err(|error| FixtureError::io("write", temporary.path(), error))?;

    temporary
        .persist(path)
        .map_err(|error| FixtureError::io("replace", path, error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn file_digest_matches_bytes_digest() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("clip.bin");
        std::fs::write(&path, b"speech").unwrap();

        assert_eq!(sha256_file(&path).unwrap(), sha256_hex(b"speech"));
    }

    #[test]
    fn atomic_write_replaces_content() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.txt");
        std::fs::write(&path, b"old").unwrap();

        write_atomic(&path, b"new").unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_leaves_file_readable() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.txt");

        write_atomic(&path, b"new").unwrap();

        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}
