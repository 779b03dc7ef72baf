//! The file under a decoder, with a count of how far into it reading has got.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use symphonia::core::io::MediaSource;

use super::header_repair::Patch;

/// A file that records its read position where the decoder loop can see it.
///
/// Symphonia owns the source once reading starts, so the position is shared through an
/// atomic instead of borrowed. It measures decoding progress independently of the duration
/// a container states, which can be missing or wrong.
pub(super) struct FileSource {
    file: File,
    len: u64,
    position: Arc<AtomicU64>,
    /// Bytes read in place of the file's own at the given offsets: corrected header sizes.
    patches: Vec<Patch>,
}

/// The read position of a [`FileSource`] in bytes from the start of the file.
#[derive(Clone, Debug, Default)]
pub(super) struct ReadPosition(Arc<AtomicU64>);

impl ReadPosition {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl FileSource {
    /// Wraps `file`, whose length is `len` bytes, reading `patches` in place of the bytes
    /// they cover.
    pub fn new(file: File, len: u64, patches: Vec<Patch>) -> (Self, ReadPosition) {
        let position = ReadPosition::default();
        let source = FileSource {
            file,
            len,
            position: Arc::clone(&position.0),
            patches,
        };
        (source, position)
    }
}

impl Read for FileSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let start = self.position.load(Ordering::Relaxed);
        let count = self.file.read(buf)?;
        self.position.fetch_add(count as u64, Ordering::Relaxed);

        for (offset, bytes) in &self.patches {
            for (index, byte) in bytes.iter().enumerate() {
                let at = offset + index as u64;
                if (start..start + count as u64).contains(&at) {
                    buf[(at - start) as usize] = *byte;
                }
            }
        }
        Ok(count)
    }
}

impl Seek for FileSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let position = self.file.seek(to)?;
        self.position.store(position, Ordering::Relaxed);
        Ok(position)
    }
}

impl MediaSource for FileSource {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_follows_reads_and_seeks() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &[7; 100]).unwrap();
        file.rewind().unwrap();
        let (mut source, position) = FileSource::new(file, 100, Vec::new());

        let mut buf = [0; 30];
        source.read_exact(&mut buf).unwrap();
        assert_eq!(position.get(), 30);

        source.seek(SeekFrom::End(-10)).unwrap();
        assert_eq!(position.get(), 90);
        assert_eq!(source.byte_len(), Some(100));
    }

    #[test]
    fn patches_replace_bytes_across_reads() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &[0; 16]).unwrap();
        file.rewind().unwrap();
        let (mut source, _) = FileSource::new(file, 16, vec![(6, vec![1, 2, 3, 4])]);

        let mut first = [0; 8];
        source.read_exact(&mut first).unwrap();
        let mut second = [0; 8];
        source.read_exact(&mut second).unwrap();

        assert_eq!(first, [0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(second, [3, 4, 0, 0, 0, 0, 0, 0]);
    }
}
