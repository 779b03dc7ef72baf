//! Matroska and WebM: a Segment that claims more bytes than the file holds, and index
//! entries that point past the end of the file.
//!
//! Writers that are not live put the Cues (the seek index) after the last cluster and
//! point to it from the SeekHead at the start. A file cut off in its clusters keeps those
//! pointers, and symphonia 0.6.1 follows each of them when it opens the file, so it fails
//! before reading any audio.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::{Patch, Repair};
use crate::audio::ebml::{read_uint, Element};

/// ID of the EBML header that starts a Matroska or WebM file.
pub(super) const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

/// Element IDs, as written in the file (with their length marker bits).
const SEGMENT_ID: u32 = 0x1853_8067;
const SEEK_HEAD_ID: u32 = 0x114D_9B74;
const SEEK_ID: u32 = 0x4DBB;
const SEEK_ID_ID: u32 = 0x53AB;
const SEEK_POSITION_ID: u32 = 0x53AC;
pub(in crate::audio) const CLUSTER_ID: u32 = 0x1F43_B675;

/// Returns the corrections that let symphonia open a cut-off Matroska file: a Segment
/// running past the end becomes of unknown size, which Matroska allows for files written
/// live, and SeekHead entries whose target is missing or cut are made to name an element
/// that no reader recognises, so they are skipped.
pub(super) fn plan(file: &mut File, head: &[u8], len: u64) -> Option<Repair> {
    let segment = segment(head)?;

    let mut patches = Vec::new();
    let runs_past_end = segment.size.is_some_and(|size| (segment.data_at as u64).saturating_add(size) > len);
    if runs_past_end {
        patches.push(unknown_size(&segment));
    }
    patches.extend(blank_seeks(head, &segment, |target| !lies_within(file, target, len)));

    (!patches.is_empty()).then_some(Repair { patches, detail: None })
}

/// Returns the offset of the first cluster of the Matroska file starting with `head`, and
/// the patches for a view of the file with clusters left out after it. The patches make
/// the Segment of unknown size and blank every SeekHead entry, because the offsets they
/// state are wrong past the stretch left out.
pub(in crate::audio) fn detached_from_clusters(head: &[u8]) -> Option<(u64, Vec<Patch>)> {
    let segment = segment(head)?;
    let mut patches = vec![unknown_size(&segment)];
    patches.extend(blank_seeks(head, &segment, |_| true));

    let mut at = segment.data_at;
    while let Some(element) = Element::read(head, at) {
        if element.id == CLUSTER_ID {
            return Some((at as u64, patches));
        }
        at = element.end()?;
    }
    None
}

/// Reads the EBML header and the Segment's header at the start of `head`.
fn segment(head: &[u8]) -> Option<Element> {
    let ebml = Element::read(head, 0).filter(|element| element.id == u32::from_be_bytes(EBML_MAGIC))?;
    Element::read(head, ebml.end()?).filter(|element| element.id == SEGMENT_ID)
}

/// Returns the patch that rewrites the size field of `element`, at the same width, with
/// every value bit set: "unknown size".
fn unknown_size(element: &Element) -> Patch {
    let len = element.size_len;
    let mut bytes = ((1u64 << (7 * len)) - 1).to_be_bytes()[8 - len..].to_vec();
    bytes[0] |= 0x80 >> (len - 1);
    (element.size_at as u64, bytes)
}

/// Walks the Segment's elements before the first cluster and returns patches that blank
/// the SeekID of each SeekHead entry for whose target, a file offset, `blank` is true.
fn blank_seeks(head: &[u8], segment: &Element, mut blank: impl FnMut(u64) -> bool) -> Vec<Patch> {
    let mut patches = Vec::new();
    let mut at = segment.data_at;

    while let Some(element) = Element::read(head, at) {
        if element.id == CLUSTER_ID {
            break;
        }
        let Some(end) = element.end() else {
            break;
        };
        if element.id == SEEK_HEAD_ID {
            for (id_field, position) in seek_entries(head, &element, end) {
                if blank((segment.data_at as u64).saturating_add(position)) {
                    // An all-ones ID is reserved in EBML, so no schema defines it.
                    patches.push((id_field.0 as u64, vec![0xFF; id_field.1]));
                }
            }
        }
        at = end;
    }
    patches
}

/// Returns the entries of the SeekHead `element` (data ending at `end`): for each, the
/// offset and length of its SeekID's data, and its SeekPosition.
fn seek_entries(head: &[u8], element: &Element, end: usize) -> Vec<((usize, usize), u64)> {
    let mut entries = Vec::new();
    let mut at = element.data_at;

    while let Some(seek) = Element::read(head, at).filter(|_| at < end) {
        let Some(seek_end) = seek.end() else {
            break;
        };
        if seek.id == SEEK_ID {
            let (mut id_field, mut position) = (None, None);
            let mut child_at = seek.data_at;
            while let Some(child) = Element::read(head, child_at).filter(|_| child_at < seek_end) {
                let Some(child_end) = child.end().filter(|&child_end| child_end <= seek_end) else {
                    break;
                };
                match child.id {
                    SEEK_ID_ID => id_field = Some((child.data_at, child_end - child.data_at)),
                    SEEK_POSITION_ID => position = head.get(child.data_at..child_end).and_then(read_uint),
                    _ => {}
                }
                child_at = child_end;
            }
            if let (Some(id_field), Some(position)) = (id_field, position) {
                entries.push((id_field, position));
            }
        }
        at = seek_end;
    }
    entries
}

/// True when an element starts at `at` and its stated size ends within the `len` bytes of
/// `file`. An element of unknown size counts as within.
fn lies_within(file: &mut File, at: u64, len: u64) -> bool {
    let mut header = [0; 12];
    let read = file.seek(SeekFrom::Start(at)).is_ok() && file.read(&mut header).is_ok_and(|read| read >= 2);
    if at >= len || !read {
        return false;
    }
    match Element::read(&header, 0) {
        Some(element) => match element.end() {
            Some(end) => at.saturating_add(end as u64) <= len,
            None => true,
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::ebml::test_element as element;

    /// A file with an EBML header, then a Segment stating `segment_size` bytes (8-byte size
    /// field) that contains a SeekHead pointing to `position`, then `rest`.
    fn file_with_seek(segment_size: u64, position: u64, rest: &[u8]) -> (Vec<u8>, usize) {
        let mut bytes = element(&EBML_MAGIC, &[0x42, 0x86, 0x81, 0x01]);
        bytes.extend_from_slice(&SEGMENT_ID.to_be_bytes());
        bytes.extend_from_slice(&(segment_size | (1 << 56)).to_be_bytes());
        let seek = [element(&[0x53, 0xAB], &[0x1C, 0x53, 0xBB, 0x6B]), element(&[0x53, 0xAC], &position.to_be_bytes()[6..])].concat();
        let seek_head = element(&SEEK_HEAD_ID.to_be_bytes(), &element(&[0x4D, 0xBB], &seek));
        let id_at = bytes.len() + 4 + 1 + 2 + 1 + 2 + 1;
        bytes.extend_from_slice(&seek_head);
        bytes.extend_from_slice(rest);
        (bytes, id_at)
    }

    fn plan_bytes(bytes: &[u8]) -> Option<Repair> {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        plan(&mut file, bytes, bytes.len() as u64)
    }

    #[test]
    fn segment_past_the_end_made_unknown() {
        let cues = element(&[0x1C, 0x53, 0xBB, 0x6B], &[0; 8]);
        let (bytes, _) = file_with_seek(4096, 20, &cues);

        let repair = plan_bytes(&bytes).unwrap();

        assert_eq!(repair.patches, vec![(13, vec![0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])]);
    }

    #[test]
    fn seek_past_the_end_blanked() {
        let (bytes, id_at) = file_with_seek(4096, 5000, &[0; 40]);

        let repair = plan_bytes(&bytes).unwrap();

        assert_eq!(repair.patches[1], (id_at as u64, vec![0xFF; 4]));
    }

    #[test]
    fn seek_to_a_cut_element_blanked() {
        // The Cues element states 100 bytes, but the file ends after 8 of them.
        let mut cues = vec![0x1C, 0x53, 0xBB, 0x6B, 0x80 | 100];
        cues.extend_from_slice(&[0; 8]);
        let (bytes, id_at) = file_with_seek(200, 20, &cues);

        let repair = plan_bytes(&bytes).unwrap();

        assert!(repair.patches.contains(&(id_at as u64, vec![0xFF; 4])), "{:?}", repair.patches);
    }

    #[test]
    fn whole_file_left_alone() {
        let cues = element(&[0x1C, 0x53, 0xBB, 0x6B], &[0; 8]);
        let (bytes, _) = file_with_seek(20 + 13, 20, &cues);

        assert_eq!(plan_bytes(&bytes), None);
    }
}
