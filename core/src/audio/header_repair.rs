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

/// `data` sizes that streaming writers put in the header before they know the length.
fn is_placeholder(size: u32) -> bool {
    size == 0 || size >= 0x7FFF_F000
}

/// Bytes of the header walked looking for the `data` chunk.
const MAX_HEADER_BYTES: u64 = 1024 * 1024;

/// Returns the corrections that make the header of `file` (of `len` bytes) match its
/// contents, or `None` when it needs none or is neither a WAV nor an MP4 file.
pub(super) fn plan(file: &mut File, len: u64) -> Option<Repair> {
    let mut head = Vec::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.by_ref().take(MAX_HEADER_BYTES.min(len)).read_to_end(&mut head).ok()?;
    let repair = if head.starts_with(&EBML_MAGIC) {
        plan_matroska(&head, len)
    } else if head.get(4..8) == Some(b"ftyp") {
        plan_mp4(file, len)
    } else {
        plan_for(&head, len)
    };
    file.seek(SeekFrom::Start(0)).ok()?;
    repair
}

/// Walks the top-level boxes of an MP4 file and clamps a last box that runs past the end
/// of the file, as a download or copy cut short leaves it. Symphonia then reads the samples
/// that are there and reports the rest as truncated.
fn plan_mp4(file: &mut File, len: u64) -> Option<Repair> {
    let mut offset = 0;
    while offset + 8 <= len {
        let mut header = [0; 16];
        file.seek(SeekFrom::Start(offset)).ok()?;
        let read = file.read(&mut header).ok()?;
        let size = u64::from(u32::from_be_bytes(header[..4].try_into().ok()?));
        let (size, field_len) = match size {
            0 => return None, // extends to the end of the file by definition
            1 if read >= 16 => (u64::from_be_bytes(header[8..16].try_into().ok()?), 8),
            1 => return None,
            size => (size, 4),
        };
        if size < 8 {
            return None;
        }
        if offset + size > len {
            let clamped = len - offset;
            let (at, bytes) = match field_len {
                8 => (offset + 8, clamped.to_be_bytes().to_vec()),
                _ => (offset, u32::try_from(clamped).ok()?.to_be_bytes().to_vec()),
            };
            // The samples past the end are reported as truncation, so no warning here.
            return Some(Repair { patches: vec![(at, bytes)], detail: None });
        }
        offset += size;
    }
    None
}

/// ID of the EBML header that starts a Matroska or WebM file.
const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

/// ID of the Matroska Segment element, which holds everything after the EBML header.
const SEGMENT_ID: [u8; 4] = [0x18, 0x53, 0x80, 0x67];

/// Marks a Segment whose stated size runs past the end of the file as of unknown size,
/// which Matroska allows for files written live. Symphonia 0.6.1 rejects a file whose
/// Segment is larger than the file, as a cut-off recording leaves it.
fn plan_matroska(head: &[u8], len: u64) -> Option<Repair> {
    let (header_size, size_len) = read_vint(head.get(4..)?)?;
    let segment = 4 + size_len + usize::try_from(header_size).ok()?;
    if head.get(segment..segment + 4)? != SEGMENT_ID {
        return None;
    }
    let size_at = segment + 4;
    let (segment_size, size_len) = read_vint(head.get(size_at..)?)?;
    let unknown = (1u64 << (7 * size_len)) - 1;
    let data_start = (size_at + size_len) as u64;
    if segment_size == unknown || data_start.checked_add(segment_size)? <= len {
        return None;
    }

    // The same width, with every value bit set: "unknown size".
    let mut bytes = unknown.to_be_bytes()[8 - size_len..].to_vec();
    bytes[0] |= 0x80 >> (size_len - 1);
    Some(Repair { patches: vec![(size_at as u64, bytes)], detail: None })
}

/// Reads an EBML variable-length integer and returns its value and its length in bytes.
fn read_vint(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = u64::from(first) & (0xFF >> len);
    for byte in bytes.get(1..len)? {
        value = (value << 8) | u64::from(*byte);
    }
    Some((value, len))
}

fn plan_for(head: &[u8], len: u64) -> Option<Repair> {
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" || len > u64::from(u32::MAX) {
        return None;
    }
    let riff_size = read_u32(head, 4)?;
    let mut block_align = 1;
    let mut offset = 12usize;

    while offset + 8 <= head.len() {
        let id = &head[offset..offset + 4];
        let size = read_u32(head, offset + 4)?;
        let body = offset as u64 + 8;
        let remaining = len - body;

        if id == b"fmt " {
            block_align = u64::from(read_u16(head, offset + 20).unwrap_or(1).max(1));
        }
        if id != b"data" {
            if u64::from(size) > remaining {
                return None;
            }
            offset = usize::try_from(body + u64::from(size) + u64::from(size % 2)).ok()?;
            continue;
        }

        let present = remaining - remaining % block_align;
        let stated = u64::from(size);
        let after = head.get((body + stated) as usize..).unwrap_or(&[]);
        let truncated = stated > remaining && !is_placeholder(size);
        let extend = is_placeholder(size) || (stated < present && !starts_with_chunk(after, len - body - stated));

        if truncated {
            // A file cut short: the data size is right for the whole recording. The RIFF
            // size only has to cover it for symphonia to read what is there.
            let data_end = body + stated + stated % 2 - 8;
            return (u64::from(riff_size) < data_end).then(|| Repair { patches: vec![(4, size_bytes(data_end))], detail: None });
        }
        if !extend {
            // The RIFF size must cover the data chunk and stay within the file.
            let data_end = (body + stated + stated % 2 - 8).min(len - 8);
            let riff_size = u64::from(riff_size);
            let corrected = riff_size.clamp(data_end, len - 8);
            return (corrected != riff_size).then(|| Repair {
                patches: vec![(4, size_bytes(corrected))],
                detail: Some(format!("the RIFF size states {riff_size} bytes, but the chunks in the file take {corrected}")),
            });
        }

        let riff_end = body + present - 8;
        return Some(Repair {
            patches: vec![(4, size_bytes(riff_end)), (offset as u64 + 4, size_bytes(present))],
            detail: Some(format!("the data chunk states {stated} bytes, but the file holds {present}; read those")),
        });
    }
    None
}

/// True when `bytes` start like a RIFF chunk that fits in the `remaining` bytes: a
/// four-character code of printable ASCII and a size within the file.
fn starts_with_chunk(bytes: &[u8], remaining: u64) -> bool {
    let Some(header) = bytes.get(..8) else {
        return false;
    };
    let printable = header[..4].iter().all(|byte| (0x20..0x7F).contains(byte));
    let size = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
    printable && size + 8 <= remaining
}

fn size_bytes(size: u64) -> Vec<u8> {
    u32::try_from(size).unwrap_or(u32::MAX).to_le_bytes().to_vec()
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a mono 16-bit WAV header with the given RIFF and data sizes, followed by
    /// `samples` bytes of audio.
    fn wav(riff_size: u32, data_size: u32, samples: usize) -> Vec<u8> {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&riff_size.to_le_bytes());
        bytes.extend_from_slice(b"WAVEfmt ");
        bytes.extend_from_slice(&16u32.to_le_bytes());
        bytes.extend_from_slice(&[1, 0, 1, 0]);
        bytes.extend_from_slice(&16_000u32.to_le_bytes());
        bytes.extend_from_slice(&32_000u32.to_le_bytes());
        bytes.extend_from_slice(&[2, 0, 16, 0]);
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&data_size.to_le_bytes());
        bytes.extend(std::iter::repeat_n(0x11, samples));
        bytes
    }

    fn plan_bytes(bytes: &[u8]) -> Option<Repair> {
        plan_for(bytes, bytes.len() as u64)
    }

    #[test]
    fn correct_header_left_alone() {
        assert_eq!(plan_bytes(&wav(36 + 1000, 1000, 1000)), None);
    }

    #[test]
    fn placeholder_sizes_clamped_to_file() {
        let repair = plan_bytes(&wav(u32::MAX, u32::MAX, 1001)).unwrap();

        assert_eq!(repair.patches, vec![(4, 1036u32.to_le_bytes().to_vec()), (40, 1000u32.to_le_bytes().to_vec())]);
    }

    #[test]
    fn zero_sizes_after_crash_cover_the_file() {
        let repair = plan_bytes(&wav(0, 0, 1000)).unwrap();

        assert_eq!(repair.patches[1], (40, 1000u32.to_le_bytes().to_vec()));
    }

    #[test]
    fn stale_data_size_extended_over_trailing_samples() {
        let repair = plan_bytes(&wav(36 + 400, 400, 1000)).unwrap();

        assert_eq!(repair.patches[1], (40, 1000u32.to_le_bytes().to_vec()));
    }

    #[test]
    fn chunk_after_data_kept() {
        let mut bytes = wav(36 + 400 + 12, 400, 400);
        bytes.extend_from_slice(b"LIST");
        bytes.extend_from_slice(&4u32.to_le_bytes());
        bytes.extend_from_slice(b"INFO");

        assert_eq!(plan_bytes(&bytes), None);
    }

    #[test]
    fn truncated_file_keeps_its_data_size() {
        let repair = plan_bytes(&wav(123, 2000, 1000)).unwrap();

        assert_eq!(repair, Repair { patches: vec![(4, 2036u32.to_le_bytes().to_vec())], detail: None });
        assert_eq!(plan_bytes(&wav(2036, 2000, 1000)), None);
    }

    #[test]
    fn riff_size_too_small_for_data_corrected() {
        let repair = plan_bytes(&wav(123, 1000, 1000)).unwrap();

        assert_eq!(repair.patches, vec![(4, 1036u32.to_le_bytes().to_vec())]);
    }

    #[test]
    fn mp4_box_past_the_end_clamped() {
        let mut bytes = vec![0, 0, 0, 16];
        bytes.extend_from_slice(b"ftypisom\0\0\0\0");
        bytes.extend_from_slice(&1000u32.to_be_bytes());
        bytes.extend_from_slice(b"mdat");
        bytes.extend_from_slice(&[0; 92]);
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();

        let repair = plan(&mut file, bytes.len() as u64).unwrap();

        assert_eq!(repair, Repair { patches: vec![(16, 100u32.to_be_bytes().to_vec())], detail: None });
    }

    #[test]
    fn matroska_segment_past_the_end_made_unknown() {
        let mut bytes = EBML_MAGIC.to_vec();
        bytes.extend_from_slice(&[0x82, 0x42, 0x86]); // a 2-byte header
        bytes.extend_from_slice(&SEGMENT_ID);
        bytes.extend_from_slice(&[0x01, 0, 0, 0, 0, 0, 0x10, 0x00]); // 4096 bytes
        bytes.extend_from_slice(&[0; 100]);

        let repair = plan_matroska(&bytes, bytes.len() as u64).unwrap();

        assert_eq!(repair.patches, vec![(11, vec![0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])]);
        assert_eq!(read_vint(&[0x82]), Some((2, 1)));
        assert_eq!(read_vint(&[0x40, 0x02]), Some((2, 2)));
    }

    #[test]
    fn other_files_ignored() {
        assert_eq!(plan_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00"), None);
    }
}
