//! The `.part` file a download appends to, hashed as it grows.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use crate::models::error::ModelError;
use crate::models::staged::hex;

const HASH_BUFFER_BYTES: usize = 1 << 20;

/// A partial download: the bytes received so far and their running SHA-1.
///
/// The file survives errors and cancels, so the next download resumes from its length. It
/// never carries the model's name: [`PartFile::install`] renames it only after the caller
/// has checked it.
pub(super) struct PartFile {
    path: PathBuf,
    file: File,
    hasher: Sha1,
    len: u64,
}

impl PartFile {
    /// Opens or creates the file, locks it against a second download of the same model,
    /// and hashes what it already contains. `model` names the model in the error.
    pub(super) fn open(path: &Path, model: &str) -> Result<Self, ModelError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(ModelError::io("open", path))?;

        // The trait is named in full because std's `File::try_lock` (Rust 1.89) is newer
        // than this workspace's minimum Rust version. The lock ends with the handle.
        if fs4::FileExt::try_lock(&file).is_err() {
            return Err(ModelError::DownloadInProgress {
                model: model.to_string(),
                path: path.to_path_buf(),
            });
        }

        let mut hasher = Sha1::new();
        let mut buf = vec![0u8; HASH_BUFFER_BYTES];
        let mut len = 0;
        loop {
            let n = file.read(&mut buf).map_err(ModelError::io("read", path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }

        Ok(Self {
            path: path.to_path_buf(),
            file,
            hasher,
            len,
        })
    }

    /// Number of bytes received so far.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Empties the file, for a download that starts again from byte 0.
    pub(super) fn truncate(&mut self) -> Result<(), ModelError> {
        self.file
            .set_len(0)
            .map_err(ModelError::io("truncate", &self.path))?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(ModelError::io("rewind", &self.path))?;
        self.hasher = Sha1::new();
        self.len = 0;
        Ok(())
    }

    pub(super) fn append(&mut self, bytes: &[u8]) -> Result<(), ModelError> {
        self.file
            .write_all(bytes)
            .map_err(ModelError::io("write", &self.path))?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Returns the SHA-1 of the bytes received so far, as lowercase hex.
    pub(super) fn sha1(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }

    /// Reads the whole file again and returns its sha256, as lowercase hex.
    pub(super) fn sha256(&mut self) -> Result<String, ModelError> {
        let digest = (|| -> io::Result<String> {
            self.file.seek(SeekFrom::Start(0))?;
            let mut hasher = sha2::Sha256::new();
            let mut buf = vec![0u8; HASH_BUFFER_BYTES];
            loop {
                let n = self.file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            self.file.seek(SeekFrom::End(0))?;
            Ok(hex(&hasher.finalize()))
        })();
        digest.map_err(ModelError::io("read", &self.path))
    }

    /// Reads the first bytes of the file, fewer when it is shorter.
    pub(super) fn head(&mut self, buf: &mut [u8]) -> Result<usize, ModelError> {
        let read = (|| -> io::Result<usize> {
            self.file.seek(SeekFrom::Start(0))?;
            let mut filled = 0;
            while filled < buf.len() {
                match self.file.read(&mut buf[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            self.file.seek(SeekFrom::End(0))?;
            Ok(filled)
        })();
        read.map_err(ModelError::io("read", &self.path))
    }

    /// Syncs the file and renames it to `dest`, replacing any file there.
    pub(super) fn install(self, dest: &Path) -> Result<PathBuf, ModelError> {
        self.file
            .sync_all()
            .map_err(ModelError::io("sync", &self.path))?;
        drop(self.file);
        std::fs::rename(&self.path, dest).map_err(|source| ModelError::Io {
            action: "move the finished download to",
            path: dest.to_path_buf(),
            source,
        })?;
        Ok(dest.to_path_buf())
    }

    /// Deletes the file, for a download whose bytes are known to be wrong.
    pub(super) fn discard(self) {
        drop(self.file);
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "cannot delete a rejected download");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_file_resumes_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ggml-x.bin.part");
        std::fs::write(&path, b"abc").unwrap();

        let mut part = PartFile::open(&path, "x").unwrap();
        assert_eq!(part.len(), 3);
        part.append(b"def").unwrap();

        let whole = hex(&Sha1::digest(b"abcdef"));
        assert_eq!(part.sha1(), whole);
        let mut head = [0u8; 4];
        assert_eq!(part.head(&mut head).unwrap(), 4);
        assert_eq!(&head, b"abcd");
        part.append(b"g").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefg");
    }

    #[test]
    fn part_file_truncate_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ggml-x.bin.part");
        std::fs::write(&path, b"stale").unwrap();

        let mut part = PartFile::open(&path, "x").unwrap();
        part.truncate().unwrap();
        part.append(b"new").unwrap();

        assert_eq!(part.len(), 3);
        assert_eq!(part.sha1(), hex(&Sha1::digest(b"new")));
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn part_file_locked_while_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ggml-x.bin.part");

        let first = PartFile::open(&path, "x").unwrap();
        let err = PartFile::open(&path, "x").err().unwrap();
        assert!(
            matches!(err, ModelError::DownloadInProgress { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("another download of x"), "{err}");

        drop(first);
        PartFile::open(&path, "x").unwrap();
    }

    #[test]
    fn part_file_install_and_discard() {
        let dir = tempfile::tempdir().unwrap();
        let part_path = dir.path().join("ggml-x.bin.part");
        let dest = dir.path().join("ggml-x.bin");

        let mut part = PartFile::open(&part_path, "x").unwrap();
        part.append(b"lmgg").unwrap();
        assert_eq!(part.install(&dest).unwrap(), dest);
        assert!(!part_path.exists());
        assert_eq!(std::fs::read(&dest).unwrap(), b"lmgg");

        let part = PartFile::open(&part_path, "x").unwrap();
        part.discard();
        assert!(!part_path.exists());
    }
}
