//! Finding where an Ogg stream can go on after a damaged page.
//!
//! Every Ogg page starts with the capture pattern `OggS` and carries a CRC of its bytes and
//! the granule position (the stream time) its packets reach. Walking the file page by page,
//! skipping bytes that do not form a page with a valid CRC, finds both the end of the header
//! pages and the first intact page after a damaged stretch.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::file_source::Cut;

/// Bytes of the page header before the segment table (RFC 3533 section 6).
const HEADER_LEN: usize = 27;

/// Largest page: the header, 255 lacing values and 255 segments of 255 bytes.
const MAX_PAGE_LEN: usize = HEADER_LEN + 255 + 255 * 255;

/// Returns the cut that joins the file's header pages to the first intact page whose
/// granule position is past `after_granule`, or `None` when there is no such page.
pub(super) fn resync_cut(path: &Path, after_granule: i64) -> Option<Cut> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut pages = Pages { reader: BufReader::new(file), offset: 0, len };

    let mut header_end = None;
    while let Some(page) = pages.next_valid() {
        // Header pages have granule position 0; the first page with audio ends them.
        let Some(header_end) = header_end else {
            header_end = (page.granule > 0).then_some(page.offset);
            continue;
        };
        if page.granule > after_granule {
            return Some(Cut { at: header_end, len: page.offset - header_end });
        }
    }
    None
}

/// A page found in the file.
struct Page {
    offset: u64,
    granule: i64,
}

struct Pages {
    reader: BufReader<File>,
    /// Where to look for the next page.
    offset: u64,
    len: u64,
}

impl Pages {
    /// Returns the next page with a valid CRC, skipping anything that is not one.
    fn next_valid(&mut self) -> Option<Page> {
        let mut buffer = vec![0; MAX_PAGE_LEN];
        while self.offset + HEADER_LEN as u64 <= self.len {
            self.reader.seek(SeekFrom::Start(self.offset)).ok()?;
            let available = (self.len - self.offset).min(MAX_PAGE_LEN as u64) as usize;
            self.reader.read_exact(&mut buffer[..available]).ok()?;

            match page_len(&buffer[..available]) {
                Some(page_len) => {
                    let granule = i64::from_le_bytes(buffer[6..14].try_into().ok()?);
                    let page = Page { offset: self.offset, granule };
                    self.offset += page_len as u64;
                    return Some(page);
                }
                None => {
                    // Not a page here: move to the next capture pattern.
                    let next = buffer[1..available].windows(4).position(|window| window == b"OggS");
                    self.offset += next.map_or(available as u64, |next| next as u64 + 1);
                }
            }
        }
        None
    }
}

/// Returns the length of the page at the start of `bytes` when it is complete and its CRC
/// matches.
fn page_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != b"OggS" || bytes[4] != 0 {
        return None;
    }
    let segments = usize::from(bytes[26]);
    let table = bytes.get(HEADER_LEN..HEADER_LEN + segments)?;
    let body: usize = table.iter().map(|&lacing| usize::from(lacing)).sum();
    let page_len = HEADER_LEN + segments + body;
    let page = bytes.get(..page_len)?;

    let stated = u32::from_le_bytes(page[22..26].try_into().ok()?);
    (crc(page) == stated).then_some(page_len)
}

/// Returns the Ogg CRC-32 of `page` (polynomial 0x04C11DB7, no reflection, initial value 0),
/// with the CRC field itself counted as zeros.
fn crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (index, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&index) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ogg page with `granule`, one segment of `body`, and a correct CRC.
    fn page(granule: i64, body: &[u8]) -> Vec<u8> {
        let mut bytes = b"OggS\0\0".to_vec();
        bytes.extend_from_slice(&granule.to_le_bytes());
        bytes.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // serial, sequence, CRC
        bytes.push(1);
        bytes.push(body.len() as u8);
        bytes.extend_from_slice(body);
        let crc = crc(&bytes);
        bytes[22..26].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    fn cut_of(bytes: &[u8], after_granule: i64) -> Option<Cut> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        resync_cut(file.path(), after_granule)
    }

    #[test]
    fn damaged_page_skipped_to_next_intact_one() {
        let header = page(0, b"OpusHead");
        let first = page(960, b"audio one");
        let mut damaged = page(1920, b"audio two");
        damaged[30] ^= 0xFF;
        let third = page(2880, b"audio three");
        let bytes = [header.clone(), first.clone(), damaged.clone(), third].concat();

        let cut = cut_of(&bytes, 960).unwrap();

        let header_end = header.len() as u64;
        assert_eq!(cut, Cut { at: header_end, len: (first.len() + damaged.len()) as u64 });
    }

    #[test]
    fn no_page_past_the_end_gives_none() {
        let bytes = [page(0, b"OpusHead"), page(960, b"audio")].concat();

        assert_eq!(cut_of(&bytes, 960), None);
    }
}
