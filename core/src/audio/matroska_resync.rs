//! Finding where a Matroska stream can go on after damage.
//!
//! Symphonia 0.6.1's Matroska reader ends the stream at a damaged element, and seeking past
//! the damage depends on the Cues, which often name only some clusters. Every cluster
//! starts with its ID and its timestamp, so walking the clusters finds the first one after
//! the audio already decoded, and a view of the file can join the headers to it.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use memchr::memmem;

use super::ebml::{read_uint, Element};
use super::file_source::Cut;
use super::header_repair::matroska::{detached_from_clusters, CLUSTER_ID};
use super::header_repair::{Patch, MAX_HEADER_BYTES};

/// ID of a cluster's Timestamp element, its first child but for a checksum or padding.
const TIMESTAMP_ID: u32 = 0xE7;

/// IDs of the CRC-32 element (ffmpeg writes one first in every cluster) and of padding.
const CRC_32_ID: u32 = 0xBF;
const VOID_ID: u32 = 0xEC;

/// Bytes read at each element: the longest ID and size, a CRC-32 element, and the
/// timestamp after them.
const PEEK_BYTES: usize = 4 + 8 + 6 + 1 + 1 + 8;

/// Bytes read at once while looking for a cluster ID in damaged data.
const SCAN_BYTES: usize = 64 * 1024;

/// A view of the file that goes on after damage.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Resync {
    /// The clusters left out: from the first to the one the stream goes on with.
    pub cut: Cut,
    /// Header corrections for the view, whose offsets past the cut differ from the file's.
    pub patches: Vec<Patch>,
}

/// Returns the view that joins the headers of the Matroska file at `path` to the first
/// intact cluster whose timestamp is past `after_ts`, or `None` when there is none.
///
/// `after_ts` is in the track's time base, which equals the cluster timestamps' unit
/// unless a track states a TrackTimestampScale other than 1, which Matroska deprecates.
pub(super) fn resync_view(path: &Path, after_ts: i64) -> Option<Resync> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut head = Vec::new();
    file.by_ref().take(MAX_HEADER_BYTES).read_to_end(&mut head).ok()?;
    let (first_cluster, patches) = detached_from_clusters(&head)?;

    let mut clusters = Clusters { reader: BufReader::new(file), at: first_cluster, len };
    while let Some(cluster) = clusters.next() {
        if i64::try_from(cluster.timestamp).is_ok_and(|timestamp| timestamp > after_ts) {
            let cut = Cut { at: first_cluster, len: cluster.offset - first_cluster };
            return Some(Resync { cut, patches });
        }
    }
    None
}

/// A cluster found in the file.
struct Cluster {
    offset: u64,
    timestamp: u64,
}

/// Walks the top-level elements after the first cluster, skipping whole elements whose
/// header reads well and scanning for the next cluster ID through anything else.
struct Clusters {
    reader: BufReader<File>,
    /// Offset at which the next element should start.
    at: u64,
    len: u64,
}

impl Clusters {
    fn next(&mut self) -> Option<Cluster> {
        while self.at < self.len {
            let mut peek = [0; PEEK_BYTES];
            self.reader.seek(SeekFrom::Start(self.at)).ok()?;
            let read = read_up_to(&mut self.reader, &mut peek)?;
            let element = Element::read(&peek[..read], 0);

            if let Some(cluster) = element.filter(|element| element.id == CLUSTER_ID) {
                if let Some(timestamp) = cluster_timestamp(&peek[..read], &cluster) {
                    let offset = self.at;
                    // A cluster of unknown size, as live writers leave them, is left by
                    // scanning for the next one.
                    self.at = match cluster.end() {
                        Some(end) => offset + end as u64,
                        None => self.scan_from(offset + 1)?,
                    };
                    return Some(Cluster { offset, timestamp });
                }
            }
            // Cues, Tags or Void after the clusters are stepped over; damage is scanned.
            self.at = match element.and_then(|element| element.end()).filter(|&end| self.at + end as u64 <= self.len) {
                Some(end) if element.is_some_and(|element| element.id != CLUSTER_ID) => self.at + end as u64,
                _ => self.scan_from(self.at + 1)?,
            };
        }
        None
    }

    /// Returns the offset of the next cluster ID at or after `from`.
    fn scan_from(&mut self, from: u64) -> Option<u64> {
        let id = CLUSTER_ID.to_be_bytes();
        let mut chunk = vec![0; SCAN_BYTES];
        let mut at = from;
        while at < self.len {
            self.reader.seek(SeekFrom::Start(at)).ok()?;
            let read = read_up_to(&mut self.reader, &mut chunk)?;
            if let Some(found) = memmem::find(&chunk[..read], &id) {
                return Some(at + found as u64);
            }
            if read < id.len() {
                return None;
            }
            // Overlap by the ID's length less one, for an ID across two chunks.
            at += (read - (id.len() - 1)) as u64;
        }
        None
    }
}

/// Reads the Timestamp of the cluster whose header starts `peek`, stepping over a CRC-32
/// or Void element before it.
fn cluster_timestamp(peek: &[u8], cluster: &Element) -> Option<u64> {
    let mut at = cluster.data_at;
    loop {
        let child = Element::read(peek, at)?;
        match child.id {
            TIMESTAMP_ID => return peek.get(child.data_at..child.end()?).and_then(read_uint),
            CRC_32_ID | VOID_ID => at = child.end()?,
            _ => return None,
        }
    }
}

/// Fills as much of `buffer` as the reader has, and returns how much that is.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> Option<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]).ok()? {
            0 => break,
            read => filled += read,
        }
    }
    Some(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::ebml::test_element as element;

    /// Returns a cluster as ffmpeg writes it: a CRC-32 element, the timestamp, then a block.
    fn cluster(timestamp: u8, payload: &[u8]) -> Vec<u8> {
        let children = [element(&[0xBF], &[1, 2, 3, 4]), element(&[0xE7], &[timestamp]), element(&[0xA3], payload)];
        element(&CLUSTER_ID.to_be_bytes(), &children.concat())
    }

    /// Returns a Matroska file with an EBML header, a Segment of unknown size containing a Tracks
    /// element, and `clusters` after it. Returns it with the first cluster's offset.
    fn file_with(clusters: &[Vec<u8>]) -> (Vec<u8>, u64) {
        let mut bytes = element(&[0x1A, 0x45, 0xDF, 0xA3], &[0x42, 0x86, 0x81, 0x01]);
        bytes.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0xFF]);
        bytes.extend(element(&[0x16, 0x54, 0xAE, 0x6B], &[0; 6]));
        let first = bytes.len() as u64;
        bytes.extend(clusters.concat());
        (bytes, first)
    }

    fn resync_of(bytes: &[u8], after_ts: i64) -> Option<Resync> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        resync_view(file.path(), after_ts)
    }

    #[test]
    fn damaged_cluster_skipped_to_the_next_one() {
        let mut damaged = cluster(20, b"audio two");
        damaged[4] = 0x10; // a size past the end of the file
        let clusters = [cluster(0, b"audio one"), damaged.clone(), cluster(40, b"audio three")];
        let (bytes, first) = file_with(&clusters);

        let resync = resync_of(&bytes, 20).unwrap();

        assert_eq!(resync.cut, Cut { at: first, len: (clusters[0].len() + damaged.len()) as u64 });
    }

    #[test]
    fn cluster_already_decoded_not_chosen() {
        let clusters = [cluster(0, b"one"), cluster(20, b"two")];
        let (bytes, _) = file_with(&clusters);

        assert_eq!(resync_of(&bytes, 20), None);
    }
}
