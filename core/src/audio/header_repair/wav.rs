//! WAV: RIFF and `data` sizes left at zero, at a placeholder, or stale.

use super::Repair;

/// `data` sizes that streaming writers put in the header before they know the length.
fn is_placeholder(size: u32) -> bool {
    size == 0 || size >= 0x7FFF_F000
}

pub(super) fn plan(head: &[u8], len: u64) -> Option<Repair> {
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
        plan(bytes, bytes.len() as u64)
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
    fn other_files_ignored() {
        assert_eq!(plan_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00"), None);
    }
}
