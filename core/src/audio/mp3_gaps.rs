//! Finding MP3 audio lost to damage, which MP3 frames cannot show by themselves.
//!
//! An MPEG audio frame carries no timestamp. Symphonia 0.6.1's MP3 reader skips bytes that
//! are not a valid frame and numbers the frames it finds in order, so the audio after a
//! damaged stretch would come early by the stretch's length. Each frame the reader returns
//! is found in the file here: bytes between two frames that are not a tag were audio, and
//! their length at the byte rate of the frames just before is the time lost. For a VBR
//! file that is an estimate, as the lost frames may have been larger or smaller.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use memchr::memmem;

/// Bytes searched past the expected position for a frame. A damaged stretch longer than
/// this (about 64 s at 128 kb/s) is not measured, and the audio after it comes early.
const MAX_SEARCH_BYTES: usize = 1 << 20;

/// Bytes of a frame's start searched for, enough to tell frames apart: the header, the
/// side information and the first bytes of audio data.
const NEEDLE_BYTES: usize = 48;

/// Decoded frames whose byte rate stands for lost audio: 0.2 s at 44.1 kHz, 0.3 s at
/// 16 kHz. A VBR encoder spends several times more bytes on speech than on a pause, so
/// the rate is taken from the frames just before the damage only.
const RATE_FRAMES: usize = 8;

/// Follows the frames of one MP3 file through a reader of its own.
pub(super) struct Mp3Gaps {
    file: BufReader<File>,
    /// Offset at which the frame after the last one located should start.
    expected_at: Option<u64>,
    /// Bytes and nanoseconds of the last [`RATE_FRAMES`] decoded frames, with their sums.
    recent: VecDeque<(u64, u64)>,
    recent_bytes: u64,
    recent_ns: u64,
    /// Read position of `file`, kept here because asking the file costs a system call.
    position: u64,
    /// Reused for searches.
    window: Vec<u8>,
    /// The version, layer and sample rate bits of the first frame's header.
    stream_kind: Option<u32>,
    /// Frames located one right after the other since the last damage.
    run: u32,
}

/// Frames that must follow each other without a gap after damage before they are decoded.
/// A frame header found in damaged bytes is rarely followed by another frame right where
/// its stated length ends, and the first real frames after damage refer back to bytes of
/// earlier frames (the bit reservoir) that are gone: decoded, both turn into loud noise
/// that whisper takes for speech.
const SETTLE_FRAMES: u32 = 2;

/// Header bits that stay the same in every frame of a stream: MPEG version, layer and
/// sample rate index.
const STREAM_KIND_MASK: u32 = 0x001E_0C00;

impl Mp3Gaps {
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Mp3Gaps {
            file: BufReader::with_capacity(64 * 1024, File::open(path)?),
            expected_at: None,
            recent: VecDeque::with_capacity(RATE_FRAMES),
            recent_bytes: 0,
            recent_ns: 0,
            position: 0,
            window: Vec::new(),
            stream_kind: None,
            run: SETTLE_FRAMES,
        })
    }

    /// Locates `frame` (a whole frame, header included) after the last one located, and
    /// returns the length of audio lost before it, in nanoseconds. The first frame is only
    /// located. Returns `None` when the frame is not found, after which the caller should
    /// stop asking: the file does not read as expected.
    pub fn lost_before(&mut self, frame: &[u8]) -> Option<u64> {
        let expected_at = self.expected_at.unwrap_or(0);
        let found_at = self.find(frame, expected_at)?;
        let skipped = &self.window[..usize::try_from(found_at - expected_at).ok()?];
        let lost_bytes = if self.expected_at.is_some() { audio_bytes(skipped) } else { 0 };
        // Tags and junk before the first frame are not damage.
        self.run = if skipped.is_empty() || self.expected_at.is_none() { self.run.saturating_add(1) } else { 0 };

        self.expected_at = Some(found_at + frame.len() as u64);
        Some(self.duration_of(lost_bytes))
    }

    /// True for a frame whose header names another MPEG version, layer or sample rate than
    /// the stream's first frame: one the reader found in damaged bytes, as these never
    /// change within a stream. Its bytes are lost audio, not a frame to decode.
    pub fn is_foreign(&mut self, frame: &[u8]) -> bool {
        let Some(header) = frame.get(..4) else {
            return true;
        };
        let kind = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) & STREAM_KIND_MASK;
        let foreign = *self.stream_kind.get_or_insert(kind) != kind;
        if foreign {
            self.run = 0;
        }
        foreign
    }

    /// True once the frame last located follows [`SETTLE_FRAMES`] frames without a gap,
    /// or no damage was found yet: it can be decoded.
    pub fn settled(&self) -> bool {
        self.run >= SETTLE_FRAMES
    }

    /// True when the frame last located came right after the one before it, so its header
    /// and length are real even if it cannot be decoded yet.
    pub fn contiguous(&self) -> bool {
        self.run > 0
    }

    /// Records that the frame last located, of `bytes` bytes, decoded to `ns` of audio.
    pub fn decoded(&mut self, bytes: usize, ns: u64) {
        if self.recent.len() == RATE_FRAMES {
            let (old_bytes, old_ns) = self.recent.pop_front().unwrap_or_default();
            self.recent_bytes -= old_bytes;
            self.recent_ns -= old_ns;
        }
        self.recent.push_back((bytes as u64, ns));
        self.recent_bytes += bytes as u64;
        self.recent_ns += ns;
    }

    /// Returns how long `bytes` of the stream last at the byte rate of the recent frames,
    /// in nanoseconds: the length of a frame that failed to decode, or of a lost stretch.
    pub fn duration_of(&self, bytes: u64) -> u64 {
        match self.recent_bytes {
            0 => 0,
            total => u64::try_from(u128::from(bytes) * u128::from(self.recent_ns) / u128::from(total)).unwrap_or(u64::MAX),
        }
    }

    /// Returns the offset of `frame` at or after `from`. Leaves the bytes from `from` up to
    /// the frame in `window`.
    fn find(&mut self, frame: &[u8], from: u64) -> Option<u64> {
        let needle = &frame[..frame.len().min(NEEDLE_BYTES)];
        self.window.clear();
        // A relative seek keeps the buffered bytes, which usually hold the next frame.
        self.file.seek_relative(i64::try_from(from).ok()? - i64::try_from(self.position).ok()?).ok()?;
        self.position = from;

        // The frame usually starts right where the last one ended.
        (&mut self.file).take(needle.len() as u64).read_to_end(&mut self.window).ok()?;
        self.position += self.window.len() as u64;
        if self.window == needle {
            self.window.clear();
            return Some(from);
        }

        (&mut self.file).take((MAX_SEARCH_BYTES - needle.len()) as u64).read_to_end(&mut self.window).ok()?;
        self.position = from + self.window.len() as u64;
        let offset = memmem::find(&self.window, needle)?;
        self.window.truncate(offset);
        Some(from + offset as u64)
    }
}

/// Returns how many of the `skipped` bytes between two frames were audio: all of them,
/// less an ID3v2 tag or another tag at their start, which writers that join files leave
/// between frames.
fn audio_bytes(skipped: &[u8]) -> u64 {
    if skipped.starts_with(b"ID3") && skipped.len() >= 10 {
        // ID3v2: a 10-byte header whose size is four 7-bit bytes, plus a footer when the
        // header's flags set it.
        let size = skipped[6..10].iter().fold(0u64, |size, byte| (size << 7) | u64::from(byte & 0x7F));
        let footer = if skipped[5] & 0x10 != 0 { 10 } else { 0 };
        return (skipped.len() as u64).saturating_sub(10 + size + footer);
    }
    let is_tag = [&b"TAG"[..], b"APETAGEX", b"LYRICSBEGIN"].iter().any(|magic| skipped.starts_with(magic));
    if is_tag {
        return 0;
    }
    skipped.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns a fake frame of `len` bytes whose bytes depend on `index`, so frames differ.
    fn frame(index: u8, len: usize) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFB];
        bytes.extend((0..len - 2).map(|offset| index.wrapping_mul(31).wrapping_add(offset as u8)));
        bytes
    }

    /// Locates `frame` and records it as decoded to 20 ms of audio.
    fn located_and_decoded(gaps: &mut Mp3Gaps, frame: &[u8]) -> Option<u64> {
        let lost = gaps.lost_before(frame);
        gaps.decoded(frame.len(), 20_000_000);
        lost
    }

    fn gaps_over(bytes: &[u8]) -> (tempfile::NamedTempFile, Mp3Gaps) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let gaps = Mp3Gaps::open(file.path()).unwrap();
        (file, gaps)
    }

    #[test]
    fn contiguous_frames_lose_nothing() {
        let frames: Vec<Vec<u8>> = (0..4).map(|index| frame(index, 200)).collect();
        let mut bytes = b"ID3\x03\0\0\0\0\0\x05hello".to_vec();
        bytes.extend(frames.concat());
        let (_file, mut gaps) = gaps_over(&bytes);

        let lost: Vec<Option<u64>> = frames.iter().map(|frame| located_and_decoded(&mut gaps, frame)).collect();

        assert_eq!(lost, vec![Some(0); 4]);
    }

    #[test]
    fn damaged_bytes_count_at_the_byte_rate() {
        let frames: Vec<Vec<u8>> = (0..4).map(|index| frame(index, 200)).collect();
        let mut bytes = [frames[0].clone(), frames[1].clone()].concat();
        bytes.extend(vec![0x55; 500]); // two and a half frames of damage
        bytes.extend([frames[2].clone(), frames[3].clone()].concat());
        let (_file, mut gaps) = gaps_over(&bytes);

        let lost: Vec<Option<u64>> = frames.iter().map(|frame| located_and_decoded(&mut gaps, frame)).collect();

        assert_eq!(lost, vec![Some(0), Some(0), Some(50_000_000), Some(0)]);
    }

    #[test]
    fn rate_follows_the_recent_frames() {
        let mut gaps = gaps_over(&[0xFF]).1;
        for _ in 0..RATE_FRAMES {
            gaps.decoded(400, 20_000_000);
        }
        for _ in 0..RATE_FRAMES {
            gaps.decoded(100, 20_000_000);
        }

        assert_eq!(gaps.duration_of(1_000), 200_000_000);
    }

    #[test]
    fn frames_after_damage_settle_after_a_run() {
        let frames: Vec<Vec<u8>> = (0..5).map(|index| frame(index, 200)).collect();
        let mut bytes = frames[0].clone();
        bytes.extend(vec![0x55; 300]);
        bytes.extend(frames[1..].concat());
        let (_file, mut gaps) = gaps_over(&bytes);

        let settled: Vec<bool> = frames.iter().map(|frame| { located_and_decoded(&mut gaps, frame); gaps.settled() }).collect();

        assert_eq!(settled, vec![true, false, false, true, true]);
    }

    #[test]
    fn frame_of_another_sample_rate_is_foreign() {
        let mut gaps = gaps_over(&[0xFF]).1;

        assert!(!gaps.is_foreign(&[0xFF, 0xFB, 0x90, 0x64]));
        assert!(!gaps.is_foreign(&[0xFF, 0xFB, 0x50, 0xC4]));
        assert!(gaps.is_foreign(&[0xFF, 0xFB, 0x94, 0x64]));
        assert!(gaps.is_foreign(&[0xFF, 0xF3, 0x90, 0x64]));
    }

    #[test]
    fn tag_between_frames_is_not_audio() {
        let frames: Vec<Vec<u8>> = (0..2).map(|index| frame(index, 200)).collect();
        let mut bytes = frames[0].clone();
        bytes.extend_from_slice(b"ID3\x04\0\0\0\0\x01\x00"); // a 128-byte tag
        bytes.extend(vec![0; 128]);
        bytes.extend_from_slice(&frames[1]);
        let (_file, mut gaps) = gaps_over(&bytes);

        assert_eq!(located_and_decoded(&mut gaps, &frames[0]), Some(0));
        assert_eq!(located_and_decoded(&mut gaps, &frames[1]), Some(0));
    }

    #[test]
    fn frame_not_in_the_file_is_not_found() {
        let (_file, mut gaps) = gaps_over(&frame(0, 200));

        assert_eq!(gaps.lost_before(&frame(1, 200)), None);
    }
}
