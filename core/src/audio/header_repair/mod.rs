//! Correcting header sizes that disagree with the file, before symphonia reads them.
//!
//! Recorders that crash or stream leave a WAV file's RIFF size and `data` size at zero, at
//! the `0xFFFFFFFF` placeholder, or at the value of an earlier update. A download cut
//! short leaves an MP4 file whose last box, or a Matroska file whose Segment, claims more
//! bytes than the file holds.
//! Symphonia 0.6.1 rejects such files or stops at the stated size, so the sizes are
//! corrected to the bytes that are there.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

pub(super) mod matroska;
mod mp4;
mod wav;

/// Bytes to read in place of the file's own at a byte offset: a corrected size field.
pub(super) type Patch = (u64, Vec<u8>);

/// The corrections for one file and what they fix, for the warning.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Repair {
    pub patches: Vec<Patch>,
    /// Description of the correction for the warning. `None` when the correction only lets
    /// symphonia read a truncated file up to its end, which decoding then reports.
    pub detail: Option<String>,
}

/// Bytes read from the start of the file for the WAV and Matroska checks: enough for the
/// chunks before a WAV file's `data` chunk, and for the elements before a Matroska file's
/// first cluster.
pub(super) const MAX_HEADER_BYTES: u64 = 1024 * 1024;

/// Returns the corrections that make the header of `file` (of `len` bytes) match its
/// contents, or `None` when it needs none or is not a WAV, MP4 or Matroska file.
pub(super) fn plan(file: &mut File, len: u64) -> Option<Repair> {
    let mut head = Vec::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.by_ref().take(MAX_HEADER_BYTES.min(len)).read_to_end(&mut head).ok()?;
    let repair = if head.starts_with(&matroska::EBML_MAGIC) {
        matroska::plan(file, &head, len)
    } else if head.get(4..8) == Some(b"ftyp") {
        mp4::plan(file, len)
    } else {
        wav::plan(&head, len)
    };
    file.seek(SeekFrom::Start(0)).ok()?;
    repair
}
