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
///
/// The source can leave out a stretch of the file (a [`Cut`]), so that a reader opened on it
/// sees the file's headers followed directly by the data after a damaged stretch.
pub(super) struct FileSource {
    file: File,
    /// Length of the view in bytes: the file's, less the stretch left out.
    len: u64,
    /// Position in the file, shared with the decoder loop.
    position: Arc<AtomicU64>,
    /// Bytes read in place of the file's own at the given offsets: corrected header sizes.
    patches: Vec<Patch>,
    cut: Option<Cut>,
    /// Position in the view, which is the file's before the cut.
    view_position: u64,
}

/// A stretch of the file left out of the view: the view's offset `at` continues at the
/// file's offset `at + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cut {
    pub at: u64,
    pub len: u64,
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
    /// they cover and leaving out `cut`.
    pub fn new(file: File, len: u64, patches: Vec<Patch>, cut: Option<Cut>) -> (Self, ReadPosition) {
        let position = ReadPosition::default();
        let cut_len = cut.map_or(0, |cut| cut.len);
        let source = FileSource {
            file,
            len: len.saturating_sub(cut_len),
            position: Arc::clone(&position.0),
            patches,
            cut,
            view_position: 0,
        };
        (source, position)
    }

    /// Returns the file offset of view offset `view`.
    fn file_offset(&self, view: u64) -> u64 {
        match self.cut {
            Some(cut) if view >= cut.at => view + cut.len,
            _ => view,
        }
    }
}

impl Read for FileSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Stop at the cut, so that one read never spans it.
        let limit = match self.cut {
            Some(cut) if self.view_position < cut.at => (cut.at - self.view_position).min(buf.len() as u64) as usize,
            _ => buf.len(),
        };
        let start = self.file_offset(self.view_position);
        if self.position.load(Ordering::Relaxed) != start || self.cut.is_some() {
            self.file.seek(SeekFrom::Start(start))?;
        }

        let count = self.file.read(&mut buf[..limit])?;
        self.view_position += count as u64;
        self.position.store(start + count as u64, Ordering::Relaxed);

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
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.view_position.checked_add_signed(delta),
        };
        let Some(target) = target else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the file"));
        };
        self.view_position = target;
        let file_offset = self.file_offset(target);
        self.file.seek(SeekFrom::Start(file_offset))?;
        self.position.store(file_offset, Ordering::Relaxed);
        Ok(target)
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
        let (mut source, position) = FileSource::new(file, 100, Vec::new(), None);

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
        let (mut source, _) = FileSource::new(file, 16, vec![(6, vec![1, 2, 3, 4])], None);

        let mut first = [0; 8];
        source.read_exact(&mut first).unwrap();
        let mut second = [0; 8];
        source.read_exact(&mut second).unwrap();

        assert_eq!(first, [0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(second, [3, 4, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn cut_stretch_left_out_of_reads_and_seeks() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &(0..20).collect::<Vec<u8>>()).unwrap();
        let (mut source, position) = FileSource::new(file, 20, Vec::new(), Some(Cut { at: 4, len: 10 }));

        let mut all = Vec::new();
        source.read_to_end(&mut all).unwrap();
        assert_eq!(all, [0, 1, 2, 3, 14, 15, 16, 17, 18, 19]);
        assert_eq!(position.get(), 20);
        assert_eq!(source.byte_len(), Some(10));

        assert_eq!(source.seek(SeekFrom::Start(5)).unwrap(), 5);
        let mut byte = [0];
        source.read_exact(&mut byte).unwrap();
        assert_eq!(byte, [15]);
    }
}
