//! Reading an MP4 track's encoder delay from its edit list (`moov/trak/edts/elst`).
//!
//! AAC encoders put priming frames in front of the audio: 1024 with ffmpeg, 2112 with
//! Apple's encoder. The file states how many in the first edit of the track's edit list,
//! as the edit's `media_time` in the track's media time scale (from `mdhd`), and players
//! start the track there. Symphonia 0.6.1's MP4 reader parses the edit list but does not
//! apply it, so decoded audio would start late by the priming.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Start offsets longer than this, in milliseconds, are edits that cut the recording rather
/// than encoder delay, and are not applied. AAC priming is 1024 or 2112 frames (23 or 48 ms
/// at 44.1 kHz). The limit is an estimate that leaves room for other encoders.
const MAX_DELAY_MS: u64 = 250;

/// Boxes looked at in one parent before giving up, against a damaged file that would
/// otherwise make the walk read box headers until the end of a large file.
const MAX_CHILDREN: usize = 4096;

/// Bytes of an `elst` body read, enough for 10,000 entries of 20 bytes. Only the first edit
/// that shows media is used.
const MAX_ELST_BYTES: u64 = 200_000;

/// Media time at which a track's presentation starts: the frames before it are encoder
/// delay to drop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct EncoderDelay {
    /// Start of the first edit, in units of `timescale`.
    pub media_time: u64,
    /// Units per second of the track's media time (the `mdhd` time scale).
    pub timescale: u32,
}

impl EncoderDelay {
    /// Returns the delay in frames at `sample_rate`, rounded to the nearest frame.
    pub fn frames_at(&self, sample_rate: u32) -> u64 {
        let frames = u128::from(self.media_time) * u128::from(sample_rate);
        let timescale = u128::from(self.timescale);
        u64::try_from((frames + timescale / 2) / timescale).unwrap_or(u64::MAX)
    }
}

/// Returns the encoder delay that the edit list of track `track_id` (its `tkhd` track ID)
/// states in the MP4 file at `path`. Returns `None` when the file has no such track or edit
/// list, when the list starts the track at 0, and when the start is negative, longer than
/// [`MAX_DELAY_MS`], or at a rate other than 1.
///
/// Empty edits (`media_time` of -1), which delay the track against the others in a movie,
/// are skipped, and the first edit that shows media gives the delay.
// NOTE: the silence of a leading empty edit, and edits after the first (cuts made in an
// editor without re-encoding), are not applied: the whole track from the delay on is decoded.
// A delay stated only in an `iTunSMPB` tag, without an edit list, is not read either.
pub(super) fn encoder_delay(path: &Path, track_id: u32) -> Option<EncoderDelay> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();

    let moov = find_child(&mut file, Span { start: 0, end: len }, b"moov")?;
    for trak in children(&mut file, moov).filter(|child| &child.kind == b"trak").collect::<Vec<_>>() {
        if read_track_id(&mut file, trak) == Some(track_id) {
            return track_delay(&mut file, trak.body);
        }
    }
    None
}

/// Reads the delay of one `trak` box whose body is `trak`.
fn track_delay(file: &mut File, trak: Span) -> Option<EncoderDelay> {
    let mdia = find_child(file, trak, b"mdia")?;
    let mdhd = find_child(file, mdia, b"mdhd")?;
    let timescale = read_timescale(&read_prefix(file, mdhd, 64)?)?;
    let edts = find_child(file, trak, b"edts")?;
    let elst = find_child(file, edts, b"elst")?;
    let media_time = first_media_time(&read_prefix(file, elst, MAX_ELST_BYTES)?)?;

    let delay = EncoderDelay { media_time, timescale };
    let max_units = u128::from(timescale) * u128::from(MAX_DELAY_MS) / 1000;
    if media_time == 0 || u128::from(media_time) > max_units {
        if media_time > 0 {
            tracing::debug!(?delay, "ignoring an edit list start too long for encoder delay");
        }
        return None;
    }
    Some(delay)
}

/// Returns the `media_time` of the first edit that is not empty, from an `elst` body.
/// `None` for a negative time other than the empty edit's -1, and for a media rate other
/// than 1, where the edit does not play the media at normal speed from that point.
fn first_media_time(elst: &[u8]) -> Option<u64> {
    let version = *elst.first()?;
    let count = read_u32(elst, 4)?;
    let entry_len = match version {
        0 => 12,
        1 => 20,
        _ => return None,
    };

    for index in 0..usize::try_from(count).ok()? {
        let entry = elst.get(8 + index * entry_len..8 + (index + 1) * entry_len)?;
        let (media_time, rate_at) = match version {
            0 => (i64::from(read_u32(entry, 4)? as i32), 8),
            _ => (read_u64(entry, 8)? as i64, 16),
        };
        if media_time == -1 {
            continue;
        }
        let rate_integer = u16::from_be_bytes(entry.get(rate_at..rate_at + 2)?.try_into().ok()?);
        if rate_integer != 1 {
            return None;
        }
        return u64::try_from(media_time).ok();
    }
    None
}

/// Reads the track ID from the `tkhd` box inside the `trak` box `trak`.
fn read_track_id(file: &mut File, trak: MpBox) -> Option<u32> {
    let tkhd = find_child(file, trak.body, b"tkhd")?;
    let body = read_prefix(file, tkhd, 32)?;
    // After version and flags: creation and modification times, 4 bytes each in version 0
    // and 8 bytes each in version 1.
    match body.first()? {
        0 => read_u32(&body, 12),
        1 => read_u32(&body, 20),
        _ => None,
    }
}

/// Reads the time scale from an `mdhd` body, laid out like `tkhd` up to it.
fn read_timescale(mdhd: &[u8]) -> Option<u32> {
    let timescale = match mdhd.first()? {
        0 => read_u32(mdhd, 12)?,
        1 => read_u32(mdhd, 20)?,
        _ => return None,
    };
    (timescale > 0).then_some(timescale)
}

/// A byte range of the file: `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
}

/// A box found in the file: its four-character type and the span of its body.
#[derive(Clone, Copy, Debug)]
struct MpBox {
    kind: [u8; 4],
    body: Span,
}

/// Returns the body of the first child of type `kind` in `parent`.
fn find_child(file: &mut File, parent: Span, kind: &[u8; 4]) -> Option<Span> {
    children(file, parent).find(|child| &child.kind == kind).map(|child| child.body)
}

/// Reads the first `max` bytes of `span`, or all of it when shorter.
fn read_prefix(file: &mut File, span: Span, max: u64) -> Option<Vec<u8>> {
    let len = span.end.checked_sub(span.start)?.min(max);
    let mut body = vec![0; usize::try_from(len).ok()?];
    file.seek(SeekFrom::Start(span.start)).ok()?;
    file.read_exact(&mut body).ok()?;
    Some(body)
}

/// Iterates over the boxes directly inside `parent`, reading only their headers. Stops at
/// the first header that cannot be read or that runs past the parent.
fn children(file: &mut File, parent: Span) -> impl Iterator<Item = MpBox> + '_ {
    let mut offset = parent.start;
    let mut seen = 0;

    std::iter::from_fn(move || {
        if seen >= MAX_CHILDREN || offset.checked_add(8)? > parent.end {
            return None;
        }
        seen += 1;

        let mut header = [0; 16];
        file.seek(SeekFrom::Start(offset)).ok()?;
        let read = file.by_ref().take(16).read(&mut header).ok()?;
        let kind: [u8; 4] = header[4..8].try_into().ok()?;
        let (size, header_len) = match read_u32(&header, 0)? {
            0 => (parent.end - offset, 8), // extends to the end of its parent
            1 if read >= 16 => (read_u64(&header, 8)?, 16),
            1 => return None,
            size => (u64::from(size), 8),
        };
        let end = offset.checked_add(size)?;
        if size < header_len || end > parent.end {
            return None;
        }

        let child = MpBox { kind, body: Span { start: offset + header_len, end } };
        offset = end;
        Some(child)
    })
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns a box of type `kind` around `body`.
    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut bytes = u32::try_from(8 + body.len()).unwrap().to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(body);
        bytes
    }

    /// Returns a version 0 `elst` body with `(segment_duration, media_time, rate)` entries.
    fn elst_v0(entries: &[(u32, i32, u16)]) -> Vec<u8> {
        let mut body = vec![0, 0, 0, 0];
        body.extend_from_slice(&u32::try_from(entries.len()).unwrap().to_be_bytes());
        for (duration, media_time, rate) in entries {
            body.extend_from_slice(&duration.to_be_bytes());
            body.extend_from_slice(&media_time.to_be_bytes());
            body.extend_from_slice(&rate.to_be_bytes());
            body.extend_from_slice(&[0, 0]);
        }
        body
    }

    /// Returns a version 0 `tkhd` body for `track_id` (only the fields up to it).
    fn tkhd_v0(track_id: u32) -> Vec<u8> {
        let mut body = vec![0; 12];
        body.extend_from_slice(&track_id.to_be_bytes());
        body.extend_from_slice(&[0; 16]);
        body
    }

    /// Returns a version 1 `mdhd` body with `timescale`.
    fn mdhd_v1(timescale: u32) -> Vec<u8> {
        let mut body = vec![1, 0, 0, 0];
        body.extend_from_slice(&[0; 16]);
        body.extend_from_slice(&timescale.to_be_bytes());
        body.extend_from_slice(&[0; 12]);
        body
    }

    fn trak(track_id: u32, timescale: u32, elst: &[u8]) -> Vec<u8> {
        let mut body = mp4_box(b"tkhd", &tkhd_v0(track_id));
        body.extend(mp4_box(b"edts", &mp4_box(b"elst", elst)));
        body.extend(mp4_box(b"mdia", &mp4_box(b"mdhd", &mdhd_v1(timescale))));
        mp4_box(b"trak", &body)
    }

    /// Writes an MP4 file with an `ftyp`, a large `mdat` and then `traks` in its `moov`.
    fn file_with(traks: &[Vec<u8>]) -> tempfile::NamedTempFile {
        let mut bytes = mp4_box(b"ftyp", b"M4A \0\0\0\0");
        bytes.extend(mp4_box(b"mdat", &[0; 5000]));
        bytes.extend(mp4_box(b"moov", &traks.concat()));
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        file
    }

    #[test]
    fn delay_read_for_the_chosen_track() {
        let file = file_with(&[trak(1, 90_000, &elst_v0(&[(1000, 3003, 1)])), trak(2, 44_100, &elst_v0(&[(1000, 2112, 1)]))]);

        let delay = encoder_delay(file.path(), 2).unwrap();

        assert_eq!(delay, EncoderDelay { media_time: 2112, timescale: 44_100 });
        assert_eq!(delay.frames_at(22_050), 1056);
        assert_eq!(encoder_delay(file.path(), 3), None);
    }

    #[test]
    fn empty_edits_skipped() {
        let elst = elst_v0(&[(500, -1, 1), (1000, 1024, 1), (1000, 90_000, 1)]);

        assert_eq!(first_media_time(&elst), Some(1024));
    }

    #[test]
    fn unusable_edits_ignored() {
        assert_eq!(first_media_time(&elst_v0(&[(1000, -5, 1)])), None);
        assert_eq!(first_media_time(&elst_v0(&[(1000, 1024, 0)])), None);
        assert_eq!(first_media_time(&elst_v0(&[])), None);
        // States two entries but contains one.
        let mut short = elst_v0(&[(1000, 1024, 1)]);
        short[7] = 2;
        assert_eq!(first_media_time(&short[..short.len() - 1]), None);
    }

    #[test]
    fn long_or_zero_start_not_applied() {
        let cut = file_with(&[trak(1, 44_100, &elst_v0(&[(1000, 44_100, 1)]))]);
        let zero = file_with(&[trak(1, 44_100, &elst_v0(&[(1000, 0, 1)]))]);

        assert_eq!(encoder_delay(cut.path(), 1), None);
        assert_eq!(encoder_delay(zero.path(), 1), None);
    }

    #[test]
    fn box_past_its_parent_ends_the_walk() {
        let mut broken = trak(1, 44_100, &elst_v0(&[(1000, 1024, 1)]));
        broken[3] = 0xFF; // the trak states more bytes than the moov contains
        let file = file_with(&[broken]);

        assert_eq!(encoder_delay(file.path(), 1), None);
    }
}
