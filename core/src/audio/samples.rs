//! Sequential access to stretches of a recording's 16 kHz samples, whether they are held
//! in memory or decoded again from the file.

use std::ops::Range;

use super::{DecodeError, DecodeStream};
use crate::cancel::CancelToken;

/// A recording's 16 kHz mono samples, read one stretch at a time.
///
/// Stretches must be requested in increasing order without overlap, which lets a source
/// that decodes the file again discard everything before the stretch asked for.
pub trait SampleSource {
    /// Number of samples in the whole recording.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the samples in `range`, shorter than asked where the recording ends first.
    fn read(&mut self, range: Range<usize>) -> Result<Vec<f32>, DecodeError>;
}

/// Samples already in memory.
pub struct SamplesInMemory {
    samples: Vec<f32>,
}

impl SamplesInMemory {
    pub fn new(samples: Vec<f32>) -> Self {
        SamplesInMemory { samples }
    }
}

impl SampleSource for SamplesInMemory {
    fn len(&self) -> usize {
        self.samples.len()
    }

    fn read(&mut self, range: Range<usize>) -> Result<Vec<f32>, DecodeError> {
        let end = range.end.min(self.samples.len());
        let start = range.start.min(end);
        if start == 0 && end == self.samples.len() {
            // The only stretch of a short recording: hand over the buffer instead of copying.
            return Ok(std::mem::take(&mut self.samples));
        }
        Ok(self.samples[start..end].to_vec())
    }
}

/// Samples decoded again from a file that an earlier pass has read once, so that only the
/// stretch being transcribed is ever held in memory.
pub struct RedecodedSamples {
    stream: DecodeStream,
    cancel: CancelToken,
    /// Length found by the earlier pass.
    len: usize,
    /// Decoded samples not yet handed out, starting at sample `buffer_start`.
    buffer: Vec<f32>,
    buffer_start: usize,
}

impl RedecodedSamples {
    /// Reads `stream`, a fresh stream of a file that decoded to `len` samples before.
    pub fn new(stream: DecodeStream, len: usize, cancel: CancelToken) -> Self {
        RedecodedSamples {
            stream,
            cancel,
            len,
            buffer: Vec::new(),
            buffer_start: 0,
        }
    }

    /// Decodes until the buffer reaches `end` or the file ends.
    fn fill_to(&mut self, end: usize) -> Result<(), DecodeError> {
        while self.buffer_start + self.buffer.len() < end {
            if self.stream.read(&mut self.buffer, &self.cancel)? == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Drops buffered samples before `position`.
    fn discard_to(&mut self, position: usize) {
        let count = position.saturating_sub(self.buffer_start).min(self.buffer.len());
        self.buffer.drain(..count);
        self.buffer_start += count;
    }
}

impl SampleSource for RedecodedSamples {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&mut self, range: Range<usize>) -> Result<Vec<f32>, DecodeError> {
        // Skip decoded blocks before the stretch without keeping them.
        while self.buffer_start + self.buffer.len() < range.start {
            self.discard_to(range.start);
            if self.stream.read(&mut self.buffer, &self.cancel)? == 0 {
                return Ok(Vec::new());
            }
        }
        self.discard_to(range.start);
        self.fill_to(range.end)?;

        let available = self.buffer.len().min(range.end.saturating_sub(self.buffer_start));
        let stretch = self.buffer[..available].to_vec();
        self.discard_to(range.end);
        Ok(stretch)
    }
}
