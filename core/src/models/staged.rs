//! Files that become visible under their final name only after their checksum matches.
//!
//! Downloads and conversions write to a temporary file in the destination folder while
//! hashing the bytes. [`StagedFile::commit`] compares size and sha256 with the pin, syncs
//! the file and renames it over the destination. Dropping a `StagedFile` without a commit
//! (an error, a cancel, a mismatch) deletes the temporary file, so a half-written file never
//! carries the final name.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::error::ModelError;

const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// A temporary file next to `dest` that hashes everything written to it.
pub(crate) struct StagedFile {
    dest: PathBuf,
    writer: BufWriter<NamedTempFile>,
    hasher: Sha256,
    written: u64,
}

impl StagedFile {
    /// Creates the temporary file in `dest`'s folder, creating the folder if needed.
    ///
    /// The temporary name is `.<file name>.<random><suffix>`. The leading dot hides it from
    /// usual directory listings and keeps it out of [`super::ModelStore::installed`].
    pub(crate) fn create(dest: &Path, suffix: &str) -> Result<Self, ModelError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(ModelError::io("create the folder", dir))?;

        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let prefix = format!(".{file_name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(suffix);
        // Temporary files default to 0600. The finished file should get the permissions of
        // any other new file, which 0666 minus the umask gives.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder
            .tempfile_in(dir)
            .map_err(ModelError::io("create a temporary file in", dir))?;

        Ok(Self {
            dest: dest.to_path_buf(),
            writer: BufWriter::with_capacity(WRITE_BUFFER_BYTES, temp),
            hasher: Sha256::new(),
            written: 0,
        })
    }

    /// Number of bytes written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Checks size and sha256 against the pins, then renames the file onto the destination,
    /// replacing any file there. `label` names the file in error messages.
    pub(crate) fn commit(
        mut self,
        label: &str,
        expected_size: u64,
        expected_sha256: &str,
    ) -> Result<PathBuf, ModelError> {
        if self.written != expected_size {
            return Err(ModelError::SizeMismatch {
                file: label.to_string(),
                expected: expected_size,
                actual: self.written,
            });
        }

        let actual = hex(&self.hasher.finalize_reset());
        if actual != expected_sha256 {
            return Err(ModelError::ChecksumMismatch {
                file: label.to_string(),
                algorithm: "sha256",
                expected: expected_sha256.to_string(),
                actual,
            });
        }

        let temp = self.writer.into_inner().map_err(|e| ModelError::Io {
            action: "write",
            path: self.dest.clone(),
            source: e.into_error(),
        })?;
        temp.as_file()
            .sync_all()
            .map_err(ModelError::io("sync", temp.path()))?;
        temp.persist(&self.dest).map_err(|e| ModelError::Io {
            action: "move the finished file to",
            path: self.dest.clone(),
            source: e.error,
        })?;

        Ok(self.dest)
    }
}

impl StagedFile {
    /// Returns the sha256 of the bytes written so far, as lowercase hex.
    pub(crate) fn sha256(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }

    /// Syncs the file and renames it onto the destination, which must not exist: an
    /// existing file gives [`ModelError::AlreadyInstalled`] for `name` and stays as it is.
    pub(crate) fn commit_new(self, name: &str) -> Result<PathBuf, ModelError> {
        let temp = self.writer.into_inner().map_err(|e| ModelError::Io {
            action: "write",
            path: self.dest.clone(),
            source: e.into_error(),
        })?;
        temp.as_file()
            .sync_all()
            .map_err(ModelError::io("sync", temp.path()))?;
        match temp.persist_noclobber(&self.dest) {
            Ok(_) => Ok(self.dest),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                Err(ModelError::AlreadyInstalled {
                    name: name.to_string(),
                    path: self.dest,
                })
            }
            Err(e) => Err(ModelError::Io {
                action: "move the finished file to",
                path: self.dest.clone(),
                source: e.error,
            }),
        }
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.writer.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Computes the sha256 of a file as lowercase hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut file = File::open(path).map_err(ModelError::io("open", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; WRITE_BUFFER_BYTES];
    loop {
        let n = file.read(&mut buf).map_err(ModelError::io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Digests of a file's contents, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileDigests {
    pub sha1: String,
    pub sha256: String,
    pub size: u64,
}

/// Computes the SHA-1 and sha256 of a file in one pass.
pub(crate) fn file_digests(path: &Path) -> Result<FileDigests, ModelError> {
    let mut file = File::open(path).map_err(ModelError::io("open", path))?;
    let mut sha1 = sha1::Sha1::new();
    let mut sha256 = Sha256::new();
    let mut size = 0;
    let mut buf = vec![0u8; WRITE_BUFFER_BYTES];
    loop {
        let n = file.read(&mut buf).map_err(ModelError::io("read", path))?;
        if n == 0 {
            break;
        }
        sha1.update(&buf[..n]);
        sha256.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileDigests {
        sha1: hex(&sha1.finalize()),
        sha256: hex(&sha256.finalize()),
        size,
    })
}

/// Formats a digest as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_hex(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    fn file_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_with_matching_pin_installs() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ggml-test.bin");
        let data = b"lmgg and some tensor bytes";

        let mut staged = StagedFile::create(&dest, ".tmp").unwrap();
        staged.write_all(data).unwrap();
        assert_eq!(staged.written(), data.len() as u64);
        let path = staged
            .commit("ggml-test.bin", data.len() as u64, &sha256_hex(data))
            .unwrap();

        assert_eq!(path, dest);
        assert_eq!(std::fs::read(&dest).unwrap(), data);
        assert_eq!(file_names(dir.path()), vec!["ggml-test.bin"]);
    }

    #[test]
    fn commit_with_wrong_sha_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ggml-test.bin");

        let mut staged = StagedFile::create(&dest, ".tmp").unwrap();
        staged.write_all(b"some bytes").unwrap();
        let wrong = sha256_hex(b"other bytes");
        let err = staged.commit("ggml-test.bin", 10, &wrong).unwrap_err();

        assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
        assert!(err.to_string().contains("ggml-test.bin"), "{err}");
        assert!(file_names(dir.path()).is_empty());
    }

    #[test]
    fn commit_with_wrong_size_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ggml-test.bin");

        let mut staged = StagedFile::create(&dest, ".tmp").unwrap();
        staged.write_all(b"12345").unwrap();
        let err = staged
            .commit("ggml-test.bin", 6, &sha256_hex(b"12345"))
            .unwrap_err();

        assert!(
            matches!(
                err,
                ModelError::SizeMismatch {
                    expected: 6,
                    actual: 5,
                    ..
                }
            ),
            "{err}"
        );
        assert!(file_names(dir.path()).is_empty());
    }

    #[test]
    fn dropped_stage_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ggml-test.bin");

        let mut staged = StagedFile::create(&dest, ".tmp").unwrap();
        staged.write_all(b"partial").unwrap();
        assert_eq!(file_names(dir.path()).len(), 1);
        assert!(file_names(dir.path())[0].starts_with(".ggml-test.bin."));
        drop(staged);

        assert!(file_names(dir.path()).is_empty());
    }

    #[test]
    fn mismatch_keeps_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ggml-test.bin");
        std::fs::write(&dest, b"previous").unwrap();

        let mut staged = StagedFile::create(&dest, ".tmp").unwrap();
        staged.write_all(b"new").unwrap();
        staged
            .commit("ggml-test.bin", 3, &sha256_hex(b"old"))
            .unwrap_err();

        assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
        assert_eq!(file_names(dir.path()), vec!["ggml-test.bin"]);
    }

    #[test]
    fn file_digests_match_known_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, b"abc").unwrap();

        let digests = file_digests(&path).unwrap();
        assert_eq!(digests.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            digests.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digests.size, 3);
    }

    #[test]
    fn sha256_file_matches_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, b"abc").unwrap();

        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
