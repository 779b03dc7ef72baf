//! Finding whether an MP3 file ends inside a frame.
//!
//! MPEG audio streams have no stated end, and symphonia 0.6.1's MP3 reader ends the stream
//! quietly when the file stops inside a frame, so a cut-off file reads as complete. The
//! last frame that decoded is found in the file's tail: bytes after it that are not a tag
//! are a partial frame.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes after the last frame searched, besides the frame itself: an ID3v1 tag (128 bytes)
/// and an APEv2 tag with a few fields fit, a frame cut short is at most one frame long.
const TAIL_SLACK: u64 = 16 * 1024;

/// Returns whether the file continues after `last_frame`, the data of the last frame that
/// decoded, with bytes that are not a known tag. `None` when the frame is not found.
pub(super) fn ends_inside_frame(path: &Path, last_frame: &[u8]) -> Option<bool> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let tail_len = (last_frame.len() as u64 + TAIL_SLACK).min(len);
    file.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len).read_to_end(&mut tail).ok()?;

    let frame_start = find_last(&tail, last_frame)?;
    let after = &tail[frame_start + last_frame.len()..];
    Some(!after.is_empty() && !is_tag(after))
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len()).rev().find(|&start| haystack[start..].starts_with(needle))
}

/// True when `bytes` start with a tag that encoders append after the last frame.
fn is_tag(bytes: &[u8]) -> bool {
    [&b"TAG"[..], b"APETAGEX", b"LYRICSBEGIN", b"ID3"].iter().any(|magic| bytes.starts_with(magic))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], last_frame: &[u8]) -> Option<bool> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        ends_inside_frame(file.path(), last_frame)
    }

    #[test]
    fn complete_file_ends_after_frame() {
        assert_eq!(check(b"\xFF\xFBframe one\xFF\xFBframe two", b"\xFF\xFBframe two"), Some(false));
        assert_eq!(check(b"\xFF\xFBframe twoTAGtitle", b"\xFF\xFBframe two"), Some(false));
    }

    #[test]
    fn partial_frame_after_last_one_found() {
        assert_eq!(check(b"\xFF\xFBframe one\xFF\xFBfra", b"\xFF\xFBframe one"), Some(true));
    }
}
