//! The per-packet path from decoded samples to 16 kHz mono output: downmix, resampling,
//! silence for skipped packets, and the decoded-time count.

use super::downmix::downmix;
use super::resample::{Resampler, ResamplerError};
use super::DecodeWarning;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Maximum silence inserted for one skipped packet, in nanoseconds, so that a damaged duration
/// cannot add hours of output. Packets of the supported codecs last at most about 1.5 s (a
/// FLAC frame of 65 535 samples at 44.1 kHz).
const MAX_SILENCE_NS: u64 = 10 * NANOS_PER_SECOND;

/// Largest magnitude passed to the resampler. Float samples are nominally within ±1.0;
/// louder ones are kept up to this level, and anything beyond is damage.
const MAX_LEVEL: f32 = 64.0;

/// Frames of silence pushed to the resampler per call, which bounds the scratch buffer.
const SILENCE_BLOCK_FRAMES: u64 = 8_192;

pub(super) struct Pipeline {
    /// The current packet's samples, interleaved, as the decoder wrote them.
    pub interleaved: Vec<f32>,
    mono: Vec<f32>,
    /// Resampler for the current sample rate, created at the first decoded packet.
    resampler: Option<Resampler>,
    /// 16 kHz samples not yet taken by [`take_output`](Self::take_output).
    output: Vec<f32>,
    /// Sample rate and channel count of the first decoded packet.
    first_format: Option<(u32, usize)>,
    /// Time decoded before the current resampler started, in nanoseconds.
    segment_start_ns: u64,
    /// Frames fed to the current resampler.
    segment_frames: u64,
    /// Silence for skipped packets that came before the sample rate was known.
    pending_silence_ns: u64,
    warnings: Vec<DecodeWarning>,
}

impl Pipeline {
    pub fn new() -> Self {
        Pipeline {
            interleaved: Vec::new(),
            mono: Vec::new(),
            resampler: None,
            output: Vec::new(),
            first_format: None,
            segment_start_ns: 0,
            segment_frames: 0,
            pending_silence_ns: 0,
            warnings: Vec::new(),
        }
    }

    pub fn first_format(&self) -> Option<(u32, usize)> {
        self.first_format
    }

    pub fn current_rate(&self) -> Option<u32> {
        self.resampler.as_ref().map(Resampler::input_rate)
    }

    /// Returns the time decoded so far, counting silence inserted for skipped packets.
    pub fn decoded_ns(&self) -> u64 {
        let segment_ns = match self.current_rate() {
            Some(rate) => frames_to_ns(self.segment_frames, rate),
            None => 0,
        };
        self.segment_start_ns + segment_ns + self.pending_silence_ns
    }

    pub fn decoded_ms(&self) -> u64 {
        self.decoded_ns() / 1_000_000
    }

    /// Downmixes and resamples the packet in `interleaved`, which contains `channels` channels
    /// at `rate` Hz.
    pub fn push_decoded(&mut self, rate: u32, channels: usize) -> Result<(), ResamplerError> {
        self.use_rate(rate, channels)?;

        self.mono.clear();
        downmix(&self.interleaved, channels, &mut self.mono);

        // A float file can contain NaN, infinity or values near f32::MAX, which the FFT
        // would turn into NaN or infinity over a whole block of output.
        for sample in &mut self.mono {
            *sample = if sample.is_finite() { sample.clamp(-MAX_LEVEL, MAX_LEVEL) } else { 0.0 };
        }

        self.feed_mono()
    }

    /// Adds `duration_ns` of silence, at most [`MAX_SILENCE_NS`], in place of a packet that
    /// failed to decode. Returns the duration added.
    pub fn push_silence(&mut self, duration_ns: u64) -> Result<u64, ResamplerError> {
        let duration_ns = duration_ns.min(MAX_SILENCE_NS);

        match self.current_rate() {
            Some(rate) => self.push_silence_frames(ns_to_frames(duration_ns, rate))?,
            None => self.pending_silence_ns += duration_ns,
        }
        Ok(duration_ns)
    }

    /// Appends the 16 kHz samples produced since the last call to `out`.
    pub fn take_output(&mut self, out: &mut Vec<f32>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.output);
        } else {
            out.append(&mut self.output);
        }
    }

    /// Flushes the resampler's tail into the output, which [`take_output`](Self::take_output)
    /// then returns, and returns the sample rate change warnings.
    pub fn finish(&mut self) -> Result<Vec<DecodeWarning>, ResamplerError> {
        // Keep the decoded time, which counts the current resampler's input.
        self.segment_start_ns = self.decoded_ns() - self.pending_silence_ns;
        self.segment_frames = 0;
        if let Some(resampler) = self.resampler.take() {
            resampler.finish(&mut self.output)?;
        }
        Ok(std::mem::take(&mut self.warnings))
    }

    /// Makes sure the resampler matches `rate`, replacing it when the rate changes.
    fn use_rate(&mut self, rate: u32, channels: usize) -> Result<(), ResamplerError> {
        let previous_rate = self.current_rate();
        if previous_rate == Some(rate) {
            return Ok(());
        }

        let decoded_ns = self.decoded_ns();
        let next = Resampler::new(rate)?;

        match self.resampler.replace(next) {
            Some(previous) => {
                previous.finish(&mut self.output)?;
                self.segment_start_ns = decoded_ns;
                self.segment_frames = 0;
                self.warnings.push(DecodeWarning::SampleRateChanged {
                    from_hz: previous_rate.unwrap_or_default(),
                    to_hz: rate,
                    at_ms: decoded_ns / 1_000_000,
                });
            }
            None => {
                self.first_format = Some((rate, channels));
                let pending = std::mem::take(&mut self.pending_silence_ns);
                self.push_silence_frames(ns_to_frames(pending, rate))?;
            }
        }
        Ok(())
    }

    fn push_silence_frames(&mut self, mut frames: u64) -> Result<(), ResamplerError> {
        while frames > 0 {
            let block = frames.min(SILENCE_BLOCK_FRAMES);
            self.mono.clear();
            self.mono.resize(block as usize, 0.0);
            self.feed_mono()?;
            frames -= block;
        }
        Ok(())
    }

    fn feed_mono(&mut self) -> Result<(), ResamplerError> {
        let Some(resampler) = &mut self.resampler else {
            return Ok(());
        };
        resampler.push(&self.mono, &mut self.output)?;
        self.segment_frames += self.mono.len() as u64;
        Ok(())
    }
}

fn frames_to_ns(frames: u64, rate: u32) -> u64 {
    let ns = u128::from(frames) * u128::from(NANOS_PER_SECOND) / u128::from(rate);
    u64::try_from(ns).unwrap_or(u64::MAX)
}

fn ns_to_frames(ns: u64, rate: u32) -> u64 {
    let frames = (u128::from(ns) * u128::from(rate) + u128::from(NANOS_PER_SECOND / 2))
        / u128::from(NANOS_PER_SECOND);
    u64::try_from(frames).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_of(pipeline: &mut Pipeline) -> Vec<f32> {
        let mut samples = Vec::new();
        pipeline.take_output(&mut samples);
        samples
    }

    #[test]
    fn pipeline_silence_before_first_packet_is_kept() {
        let mut pipeline = Pipeline::new();
        assert_eq!(pipeline.push_silence(500_000_000).unwrap(), 500_000_000);
        assert_eq!(pipeline.decoded_ms(), 500);

        pipeline.interleaved = vec![0.5; 2 * 8_000];
        pipeline.push_decoded(8_000, 2).unwrap();
        assert_eq!(pipeline.decoded_ms(), 1_500);

        let warnings = pipeline.finish().unwrap();
        let samples = output_of(&mut pipeline);
        assert_eq!(pipeline.decoded_ms(), 1_500);
        assert_eq!(samples.len(), 24_000);
        assert!(samples[..7_000].iter().all(|s| s.abs() < 0.01));
        assert!(samples[9_000..23_000]
            .iter()
            .all(|s| (s - 0.5).abs() < 0.01));
        assert!(warnings.is_empty());
    }

    #[test]
    fn pipeline_rate_change_keeps_time_and_warns() {
        let mut pipeline = Pipeline::new();

        pipeline.interleaved = vec![0.25; 44_100];
        pipeline.push_decoded(44_100, 1).unwrap();
        pipeline.interleaved = vec![0.25; 48_000];
        pipeline.push_decoded(48_000, 1).unwrap();
        assert_eq!(pipeline.decoded_ms(), 2_000);
        assert_eq!(pipeline.first_format(), Some((44_100, 1)));

        let warnings = pipeline.finish().unwrap();
        let samples = output_of(&mut pipeline);
        assert_eq!(samples.len(), 32_000);
        assert_eq!(
            warnings,
            vec![DecodeWarning::SampleRateChanged {
                from_hz: 44_100,
                to_hz: 48_000,
                at_ms: 1_000
            }]
        );
    }

    #[test]
    fn pipeline_caps_inserted_silence() {
        let mut pipeline = Pipeline::new();
        pipeline.interleaved = vec![0.0; 160];
        pipeline.push_decoded(16_000, 1).unwrap();

        assert_eq!(pipeline.push_silence(u64::MAX).unwrap(), MAX_SILENCE_NS);
        assert_eq!(pipeline.decoded_ms(), 10_010);
    }

    #[test]
    fn pipeline_output_finite_for_huge_samples() {
        let mut pipeline = Pipeline::new();

        pipeline.interleaved = vec![f32::MAX, -f32::MAX, 1.0e38, 3.0];
        pipeline.interleaved.extend(vec![f32::MAX; 44_096]);
        pipeline.push_decoded(44_100, 2).unwrap();

        pipeline.finish().unwrap();
        let samples = output_of(&mut pipeline);
        assert!(!samples.is_empty());
        assert!(samples.iter().all(|sample| sample.is_finite()), "non-finite output");
    }

    #[test]
    fn pipeline_replaces_non_finite_samples() {
        let mut pipeline = Pipeline::new();

        pipeline.interleaved = vec![f32::NAN; 1_600];
        pipeline.interleaved[800] = f32::INFINITY;
        pipeline.push_decoded(16_000, 1).unwrap();

        pipeline.finish().unwrap();
        assert_eq!(output_of(&mut pipeline), vec![0.0; 1_600]);
    }
}
