//! MP4: a last top-level box that runs past the end of the file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::Repair;

/// Walks the top-level boxes of an MP4 file and clamps a last box that runs past the end
/// of the file, as a download or copy cut short leaves it. Symphonia then reads the samples
/// that are there and reports the rest as truncated.
pub(super) fn plan(file: &mut File, len: u64) -> Option<Repair> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
