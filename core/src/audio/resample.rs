//! Streaming conversion of mono audio at any supported rate to 16 kHz.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::audioadapter_buffers::SizeError;
use rubato::{Fft, FixedSync, Indexing, Resampler as _, WindowFunction};

use super::WHISPER_SAMPLE_RATE;

/// Lowest input rate in Hz that [`Resampler`] accepts. Lower rates would need an FFT block of
/// more than 32 768 output frames per 2048 input frames.
pub const MIN_INPUT_RATE: u32 = 1_000;

/// Highest input rate in Hz that [`Resampler`] accepts, the top rate of high-resolution PCM
/// (768 kHz). It bounds the FFT size, which can reach the input rate when the rate has no
/// common factor with 16 000.
pub const MAX_INPUT_RATE: u32 = 768_000;

/// Minimum input frames per FFT block. See [`block_frames`] for the actual size.
const MIN_BLOCK_FRAMES: usize = 2048;

/// Error from a [`Resampler`].
#[derive(Debug, thiserror::Error)]
pub enum ResamplerError {
    #[error(
        "the sample rate {rate} Hz is outside the supported range of {MIN_INPUT_RATE} to {MAX_INPUT_RATE} Hz"
    )]
    UnsupportedRate { rate: u32 },

    /// Rubato rejected a call. This indicates a bug in [`Resampler`], not bad input.
    #[error("the resampler failed: {0}")]
    Internal(String),
}

/// A streaming resampler from `input_rate` to 16 kHz mono.
///
/// Feed samples in pieces of any size with [`push`](Self::push), then call
/// [`finish`](Self::finish) once. The output, summed over all calls, has
/// `round(n * 16000 / input_rate)` samples for `n` input samples. The filter delay is trimmed
/// at the start and its tail flushed at the end, so an event at time `t` in the input appears
/// at time `t` in the output, within one output sample. Input at 16 kHz passes through
/// unchanged.
///
/// The work is done by rubato's synchronous FFT resampler with a Blackman-Harris window.
pub struct Resampler {
    input_rate: u32,
    frames_in: u64,
    frames_out: u64,
    /// `None` when the input is already at 16 kHz.
    fft: Option<FftStage>,
}

struct FftStage {
    fft: Fft<f32>,
    /// Input not yet processed, always shorter than one rubato chunk between calls.
    pending: Vec<f32>,
    /// Rubato's output for one chunk.
    chunk_out: Vec<f32>,
    /// Output frames still to drop to cancel the filter delay.
    delay_left: usize,
}

impl Resampler {
    /// Creates a resampler from `input_rate` Hz, which must be within [`MIN_INPUT_RATE`] and
    /// [`MAX_INPUT_RATE`].
    pub fn new(input_rate: u32) -> Result<Self, ResamplerError> {
        if !(MIN_INPUT_RATE..=MAX_INPUT_RATE).contains(&input_rate) {
            return Err(ResamplerError::UnsupportedRate { rate: input_rate });
        }

        let fft = if input_rate == WHISPER_SAMPLE_RATE {
            None
        } else {
            Some(FftStage::new(input_rate)?)
        };

        Ok(Resampler {
            input_rate,
            frames_in: 0,
            frames_out: 0,
            fft,
        })
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// Resamples `input` and appends the 16 kHz samples that are ready to `output`.
    ///
    /// Part of the input stays buffered until more arrives or [`finish`](Self::finish) runs.
    pub fn push(&mut self, input: &[f32], output: &mut Vec<f32>) -> Result<(), ResamplerError> {
        self.frames_in += input.len() as u64;

        let Some(stage) = &mut self.fft else {
            output.extend_from_slice(input);
            self.frames_out += input.len() as u64;
            return Ok(());
        };

        stage.pending.extend_from_slice(input);
        let chunk = stage.fft.input_frames_next();
        let mut start = 0;

        while stage.pending.len() - start >= chunk {
            let produced = stage.process(start, chunk, None)?;
            self.frames_out += stage.emit(produced, output, u64::MAX);
            start += chunk;
        }

        stage.pending.drain(..start);
        Ok(())
    }

    /// Flushes the buffered input and the filter tail into `output`, so that the total
    /// output length is `round(n * 16000 / input_rate)`.
    pub fn finish(mut self, output: &mut Vec<f32>) -> Result<(), ResamplerError> {
        let expected = expected_output_frames(self.frames_in, self.input_rate);

        let Some(stage) = &mut self.fft else {
            return Ok(());
        };

        // The last partial chunk, then chunks of silence until the filter tail is out.
        // Rubato pads a partial chunk with zeros itself.
        let mut partial = stage.pending.len();
        let mut silence_fed = 0;
        let max_silence = 4 * stage.fft.fft_size_in() + 2 * stage.fft.input_frames_next();

        while self.frames_out < expected {
            if silence_fed > max_silence {
                return Err(ResamplerError::Internal(format!(
                    "the filter tail did not end after {silence_fed} frames of silence"
                )));
            }

            let produced = stage.process(0, partial, Some(partial))?;
            self.frames_out += stage.emit(produced, output, expected - self.frames_out);
            silence_fed += stage.fft.input_frames_next() - partial;
            partial = 0;
        }

        tracing::trace!(
            input_rate = self.input_rate,
            frames_in = self.frames_in,
            frames_out = self.frames_out,
            "resampler finished"
        );
        Ok(())
    }
}

impl FftStage {
    fn new(input_rate: u32) -> Result<Self, ResamplerError> {
        let fft = Fft::<f32>::new_custom(
            input_rate as usize,
            WHISPER_SAMPLE_RATE as usize,
            block_frames(input_rate),
            1,
            1,
            WindowFunction::BlackmanHarris2,
            FixedSync::Input,
        )
        .map_err(|error| ResamplerError::Internal(error.to_string()))?;

        let chunk_out = vec![0.0; fft.output_frames_max()];
        let delay_left = fft.output_delay();
        let pending = Vec::with_capacity(2 * fft.input_frames_next());

        Ok(FftStage {
            fft,
            pending,
            chunk_out,
            delay_left,
        })
    }

    /// Runs rubato on `pending[start..start + len]` and returns the number of frames it wrote
    /// to `chunk_out`. With `partial` set, rubato treats the rest of the chunk as silence.
    fn process(
        &mut self,
        start: usize,
        len: usize,
        partial: Option<usize>,
    ) -> Result<usize, ResamplerError> {
        let input =
            InterleavedSlice::new(&self.pending[start..start + len], 1, len).map_err(size_error)?;
        let frames_out = self.chunk_out.len();
        let mut output =
            InterleavedSlice::new_mut(&mut self.chunk_out, 1, frames_out).map_err(size_error)?;

        let indexing = partial.map(|frames| Indexing::new().partial_len(frames));
        let (_, produced) = self
            .fft
            .process_into_buffer(&input, &mut output, indexing.as_ref())
            .map_err(|error| ResamplerError::Internal(error.to_string()))?;
        Ok(produced)
    }

    /// Appends up to `limit` of the `produced` frames to `output`, after dropping what is
    /// left of the filter delay. Returns the number appended.
    fn emit(&mut self, produced: usize, output: &mut Vec<f32>, limit: u64) -> u64 {
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;

        let ready = &self.chunk_out[skip..produced];
        let take = ready
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        output.extend_from_slice(&ready[..take]);
        take as u64
    }
}

/// Returns the input frames per FFT block for `input_rate`, which is also rubato's chunk size.
///
/// A block must be a whole number of `rate / gcd(rate, 16000)` frames, which rubato calls the
/// minimum block. This takes a power-of-two count of minimum blocks, at least
/// [`MIN_BLOCK_FRAMES`] in all, so that both FFT sizes have small prime factors. At 48 kHz
/// that gives 3072 input and 1024 output frames, an anti-aliasing cutoff of about 7.9 kHz
/// and a delay of 512 output frames (32 ms), which is trimmed. Rubato's own rounding would
/// give 2049 frames, whose prime factor 683 makes the FFT about three times slower.
fn block_frames(input_rate: u32) -> usize {
    let input_rate = input_rate as usize;
    let gcd = greatest_common_divisor(input_rate, WHISPER_SAMPLE_RATE as usize);
    let min_block = input_rate / gcd;

    let min_blocks = MIN_BLOCK_FRAMES.div_ceil(min_block).next_power_of_two();
    min_blocks * min_block
}

fn greatest_common_divisor(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn size_error(error: SizeError) -> ResamplerError {
    ResamplerError::Internal(error.to_string())
}

/// Returns `round(frames_in * 16000 / input_rate)`.
fn expected_output_frames(frames_in: u64, input_rate: u32) -> u64 {
    let rate = u128::from(input_rate);
    let scaled = u128::from(frames_in) * u128::from(WHISPER_SAMPLE_RATE) + rate / 2;
    u64::try_from(scaled / rate).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
