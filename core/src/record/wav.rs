//! A 16-bit PCM WAV file written while recording, and the repair of one left unfinished.
//!
//! The writer appends samples as they arrive and rewrites the two size fields of the header
//! on every [`WavWriter::checkpoint`], so the file on disk is a valid WAV that contains
//! everything up to the last checkpoint even if the process is killed. A file whose header
//! was not brought up to date still holds its samples: [`repair`] sets the sizes from the
//! file length.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Length of the canonical header that [`WavWriter`] writes: RIFF, a 16-byte `fmt ` chunk
/// and the `data` chunk header.
pub const HEADER_LEN: u64 = 44;

/// The largest `data` chunk a RIFF size field can describe, in bytes.
pub const MAX_DATA_BYTES: u64 = u32::MAX as u64 - (HEADER_LEN - 8);

const BYTES_PER_SAMPLE: u16 = 2;
const FORMAT_PCM: u16 = 1;

/// Byte offset of the RIFF chunk size, which is the file length minus 8.
const RIFF_SIZE_OFFSET: u64 = 4;

/// Byte offset of the `data` chunk size in the canonical header.
const DATA_SIZE_OFFSET: u64 = 40;

/// A WAV file that could not be written or repaired.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("failed to write the recording '{}': {source}", path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("failed to read the recording '{}': {source}", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("'{}' is not a WAV file: {reason}", path.display())]
    NotWav { path: PathBuf, reason: String },
}

/// Streams mono or multichannel 16-bit PCM to a WAV file.
pub struct WavWriter {
    file: File,
    path: PathBuf,
    channels: u16,
    /// Bytes of sample data written so far.
    data_bytes: u64,
    /// Samples converted to bytes but not yet written, reused between calls.
    pending: Vec<u8>,
}

impl WavWriter {
    /// Writes the header for an empty recording to `file`, which must be empty, and returns
    /// a writer that appends to it. `path` is used in error messages.
    pub fn new(mut file: File, path: &Path, sample_rate: u32, channels: u16) -> Result<Self, WavError> {
        let header = header(sample_rate, channels, 0);
        file.write_all(&header)
            .and_then(|()| file.flush())
            .map_err(|source| WavError::Write {
                path: path.to_path_buf(),
                source,
            })?;

        Ok(Self {
            file,
            path: path.to_path_buf(),
            channels,
            data_bytes: 0,
            pending: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of sample data in the file.
    pub fn data_bytes(&self) -> u64 {
        self.data_bytes
    }

    /// Appends interleaved samples in -1.0..=1.0, clipping louder ones, and returns how many
    /// were written. It stops short at [`MAX_DATA_BYTES`], the most a WAV file can hold.
    pub fn append(&mut self, samples: &[f32]) -> Result<usize, WavError> {
        let room = (MAX_DATA_BYTES - self.data_bytes) / u64::from(BYTES_PER_SAMPLE);
        let frame = usize::from(self.channels.max(1));
        let count = samples.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let count = count - count % frame;

        self.pending.clear();
        self.pending
            .extend(samples[..count].iter().flat_map(|&sample| to_i16(sample).to_le_bytes()));
        self.file
            .write_all(&self.pending)
            .map_err(|source| self.write_error(source))?;
        self.data_bytes += self.pending.len() as u64;
        Ok(count)
    }

    /// Brings the header's sizes up to date, and with `sync` also forces the file to disk,
    /// so that a crash after this point loses nothing written before it.
    pub fn checkpoint(&mut self, sync: bool) -> Result<(), WavError> {
        write_sizes(&mut self.file, self.data_bytes).map_err(|source| self.write_error(source))?;
        if sync {
            self.file.sync_data().map_err(|source| self.write_error(source))?;
        }
        Ok(())
    }

    /// Writes the final header, syncs the file and closes it.
    pub fn finish(mut self) -> Result<PathBuf, WavError> {
        self.checkpoint(true)?;
        Ok(self.path)
    }

    fn write_error(&self, source: io::Error) -> WavError {
        WavError::Write {
            path: self.path.clone(),
            source,
        }
    }
}

/// Converts a sample in -1.0..=1.0 to 16-bit PCM, clipping louder ones.
fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

/// Returns the canonical 44-byte header for `data_bytes` of 16-bit PCM.
fn header(sample_rate: u32, channels: u16, data_bytes: u32) -> [u8; HEADER_LEN as usize] {
    let block_align = channels * BYTES_PER_SAMPLE;
    let byte_rate = sample_rate * u32::from(block_align);

    let mut header = [0u8; HEADER_LEN as usize];
    header[0..4].copy_from_slice(b"RIFF");
    header[4..8].copy_from_slice(&(data_bytes + 36).to_le_bytes());
    header[8..12].copy_from_slice(b"WAVE");
    header[12..16].copy_from_slice(b"fmt ");
    header[16..20].copy_from_slice(&16u32.to_le_bytes());
    header[20..22].copy_from_slice(&FORMAT_PCM.to_le_bytes());
    header[22..24].copy_from_slice(&channels.to_le_bytes());
    header[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    header[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    header[32..34].copy_from_slice(&block_align.to_le_bytes());
    header[34..36].copy_from_slice(&(BYTES_PER_SAMPLE * 8).to_le_bytes());
    header[36..40].copy_from_slice(b"data");
    header[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    header
}

/// Writes the RIFF and `data` sizes of a canonical header for `data_bytes` of samples.
fn write_sizes(file: &mut File, data_bytes: u64) -> io::Result<()> {
    let data_size = u32::try_from(data_bytes).unwrap_or(u32::MAX);
    let riff_size = u32::try_from(data_bytes + HEADER_LEN - 8).unwrap_or(u32::MAX);

    file.seek(SeekFrom::Start(RIFF_SIZE_OFFSET))?;
    file.write_all(&riff_size.to_le_bytes())?;
    file.seek(SeekFrom::Start(DATA_SIZE_OFFSET))?;
    file.write_all(&data_size.to_le_bytes())?;
    file.seek(SeekFrom::End(0))?;
    Ok(())
}

/// Result of [`repair`]: the format found and the sizes before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repair {
    pub sample_rate: u32,
    pub channels: u16,
    /// Bytes of whole frames in the `data` chunk after the repair.
    pub data_bytes: u64,
    /// The `data` size the header stated before the repair.
    pub stated_data_bytes: u64,
    /// True when the header had to be changed or a partial frame cut off.
    pub changed: bool,
}

impl Repair {
    /// Duration of the repaired audio in milliseconds, rounded down.
    pub fn duration_ms(&self) -> u64 {
        let frame_bytes = u64::from(self.channels) * u64::from(BYTES_PER_SAMPLE);
        let frames = self.data_bytes / frame_bytes.max(1);
        frames * 1000 / u64::from(self.sample_rate.max(1))
    }
}

/// Makes the header of the 16-bit PCM WAV at `path` describe every whole frame in the file,
/// as after a crash between two checkpoints, and cuts off a trailing partial frame.
///
/// A file whose header already agrees with its length is left unchanged.
pub fn repair(path: &Path) -> Result<Repair, WavError> {
    let read_error = |source| WavError::Read {
        path: path.to_path_buf(),
        source,
    };
    let not_wav = |reason: &str| WavError::NotWav {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };

    let mut file = File::options().read(true).write(true).open(path).map_err(read_error)?;
    let file_len = file.metadata().map_err(read_error)?.len();
    let mut header = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut header).map_err(|error| match error.kind() {
        io::ErrorKind::UnexpectedEof => not_wav("the file is shorter than a WAV header"),
        _ => read_error(error),
    })?;

    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return Err(not_wav("no RIFF/WAVE header"));
    }
    if &header[12..16] != b"fmt " || &header[36..40] != b"data" {
        return Err(not_wav("the header is not the 44-byte layout Whisperrr writes"));
    }
    let read_u16 = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
    let read_u32 = |at: usize| u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    let (format, channels, sample_rate, bits) = (read_u16(20), read_u16(22), read_u32(24), read_u16(34));
    if format != FORMAT_PCM || bits != BYTES_PER_SAMPLE * 8 || channels == 0 || sample_rate == 0 {
        return Err(not_wav("the samples are not 16-bit PCM"));
    }

    let frame_bytes = u64::from(channels) * u64::from(BYTES_PER_SAMPLE);
    let available = (file_len - HEADER_LEN).min(MAX_DATA_BYTES);
    let data_bytes = available - available % frame_bytes;
    let stated_data_bytes = u64::from(read_u32(40));
    let stated_riff = u64::from(read_u32(4));
    let consistent = stated_data_bytes == data_bytes
        && stated_riff == data_bytes + HEADER_LEN - 8
        && file_len == HEADER_LEN + data_bytes;

    if !consistent {
        file.set_len(HEADER_LEN + data_bytes).map_err(read_error)?;
        write_sizes(&mut file, data_bytes).map_err(read_error)?;
        file.sync_all().map_err(read_error)?;
    }

    Ok(Repair {
        sample_rate,
        channels,
        data_bytes,
        stated_data_bytes,
        changed: !consistent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_writer(dir: &Path, rate: u32, channels: u16) -> WavWriter {
        let path = dir.join("take.wav");
        let file = File::create_new(&path).unwrap();
        WavWriter::new(file, &path, rate, channels).unwrap()
    }

    fn read_u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn new_file_is_valid_empty_wav() {
        let dir = tempfile::tempdir().unwrap();
        let writer = new_writer(dir.path(), 48_000, 1);

        let reader = hound::WavReader::open(writer.path()).unwrap();

        assert_eq!(reader.spec().sample_rate, 48_000);
        assert_eq!(reader.spec().channels, 1);
        assert_eq!(reader.spec().bits_per_sample, 16);
        assert_eq!(reader.len(), 0);
    }

    #[test]
    fn checkpoint_updates_header_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = new_writer(dir.path(), 16_000, 1);

        writer.append(&[0.5; 1000]).unwrap();
        let before = std::fs::read(writer.path()).unwrap();
        writer.checkpoint(false).unwrap();
        let after = std::fs::read(writer.path()).unwrap();

        assert_eq!(read_u32_at(&before, 40), 0, "sizes change only at a checkpoint");
        assert_eq!(read_u32_at(&after, 40), 2000);
        assert_eq!(read_u32_at(&after, 4), 2036);
        assert_eq!(after.len(), 2044);
    }

    #[test]
    fn samples_written_as_clipped_pcm() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = new_writer(dir.path(), 16_000, 2);

        writer.append(&[0.0, 1.0, -1.0, 0.5, 2.0, -3.0]).unwrap();
        let path = writer.finish().unwrap();
        let samples: Vec<i16> = hound::WavReader::open(&path)
            .unwrap()
            .samples()
            .map(Result::unwrap)
            .collect();

        assert_eq!(samples, vec![0, 32767, -32767, 16384, 32767, -32767]);
    }

    #[test]
    fn append_keeps_whole_frames_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = new_writer(dir.path(), 16_000, 2);

        let written = writer.append(&[0.1, 0.2, 0.3]).unwrap();

        assert_eq!(written, 2);
        assert_eq!(writer.data_bytes(), 4);
    }

    #[test]
    fn repair_sets_sizes_from_file_length() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = new_writer(dir.path(), 16_000, 1);
        writer.append(&[0.25; 1600]).unwrap();
        writer.checkpoint(false).unwrap();
        writer.append(&[0.25; 3200]).unwrap();
        let path = writer.path().to_path_buf();
        drop(writer);

        let repair = repair(&path).unwrap();

        assert!(repair.changed);
        assert_eq!(repair.stated_data_bytes, 3200);
        assert_eq!(repair.data_bytes, 9600);
        assert_eq!(repair.duration_ms(), 300);
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.len(), 4800);
    }

    #[test]
    fn repair_cuts_partial_frame() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = new_writer(dir.path(), 8_000, 2);
        writer.append(&[0.1; 400]).unwrap();
        let path = writer.path().to_path_buf();
        drop(writer);
        let mut file = File::options().append(true).open(&path).unwrap();
        file.write_all(&[1, 2, 3]).unwrap();
        drop(file);

        let repair = repair(&path).unwrap();

        assert_eq!(repair.data_bytes, 800);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER_LEN + 800);
        assert_eq!(hound::WavReader::open(&path).unwrap().len(), 400);
    }

    #[test]
    fn repair_leaves_consistent_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = new_writer(dir.path(), 16_000, 1);
        writer.append(&[0.1; 100]).unwrap();
        let path = writer.finish().unwrap();
        let before = std::fs::read(&path).unwrap();

        let repair = repair(&path).unwrap();

        assert!(!repair.changed);
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn repair_rejects_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short.wav");
        std::fs::write(&short, b"RIFF").unwrap();
        let text = dir.path().join("text.wav");
        std::fs::write(&text, [b'x'; 100]).unwrap();

        for path in [short, text] {
            let error = repair(&path).unwrap_err();

            assert!(matches!(error, WavError::NotWav { .. }), "{error:?}");
            assert!(
                error.to_string().contains(path.file_name().unwrap().to_str().unwrap()),
                "{error}"
            );
        }
    }
}
