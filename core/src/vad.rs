//! Voice activity detection from frame energy.
//!
//! whisper invents text for silence and steady noise ("Thank you.", "you"), so the
//! transcriber asks this module whether a stretch of audio holds anything speech-like
//! before it trusts whisper there. Speech rises and falls by tens of decibels from one
//! syllable to the next, while silence and steady noise stay flat, so a frame counts as
//! voiced when it stands well above the recording's own noise floor.

/// Samples per second of the audio this module analyses.
const SAMPLE_RATE: usize = 16_000;

/// Analysis frame length, in milliseconds.
pub const FRAME_MS: u64 = 20;

const FRAME_SAMPLES: usize = SAMPLE_RATE * FRAME_MS as usize / 1000;

/// How far above the noise floor a frame must be to count as voiced, in decibels.
const ABOVE_FLOOR_DB: f32 = 10.0;

/// Frames quieter than this are silence whatever the floor, in dB relative to full scale.
const SILENCE_DBFS: f32 = -60.0;

/// Which share of frames, from the quietest, sets the noise floor.
const FLOOR_PERCENTILE: f32 = 0.10;

/// Less voiced time than this in a whole recording means no speech, in milliseconds.
const MIN_SPEECH_MS: u64 = 200;

/// Voiced or unvoiced, for each 20 ms frame of a 16 kHz recording.
#[derive(Clone, Debug)]
pub struct SpeechActivity {
    voiced: Vec<bool>,
}

impl SpeechActivity {
    /// Classifies every frame of `samples` (16 kHz mono) against the recording's own
    /// noise floor.
    pub fn analyze(samples: &[f32]) -> Self {
        let mut meter = LevelMeter::default();
        meter.push(samples);
        meter.finish()
    }

    /// Classifies frames whose levels, in dB relative to full scale, [`LevelMeter`]
    /// measured.
    fn from_levels(levels: &[f32]) -> Self {
        if levels.is_empty() {
            return Self { voiced: Vec::new() };
        }

        let floor = percentile(levels, FLOOR_PERCENTILE);
        let threshold = (floor + ABOVE_FLOOR_DB).max(SILENCE_DBFS);
        let voiced = levels.iter().map(|&level| level > threshold).collect();
        Self { voiced }
    }

    /// Number of 20 ms frames, the last one possibly shorter.
    pub fn frame_count(&self) -> usize {
        self.voiced.len()
    }

    /// True when frame `index` (20 ms each from the start) is voiced. Frames past the end
    /// are not.
    pub fn is_voiced(&self, index: usize) -> bool {
        self.voiced.get(index).copied().unwrap_or(false)
    }

    /// True when the recording holds enough voiced time to be worth transcribing.
    pub fn has_speech(&self) -> bool {
        self.voiced_ms(0, u64::MAX) >= MIN_SPEECH_MS
    }

    /// Voiced time between `start_ms` and `end_ms`, in milliseconds.
    pub fn voiced_ms(&self, start_ms: u64, end_ms: u64) -> u64 {
        let first = (start_ms / FRAME_MS) as usize;
        let last = end_ms.div_ceil(FRAME_MS).min(self.voiced.len() as u64) as usize;
        if first >= last {
            return 0;
        }
        self.voiced[first..last].iter().filter(|&&voiced| voiced).count() as u64 * FRAME_MS
    }
}

/// Measures the level of each 20 ms frame of 16 kHz audio that arrives in blocks of any
/// size, keeping 4 bytes per frame (0.7 MB for two hours) instead of the audio.
#[derive(Debug, Default)]
pub struct LevelMeter {
    levels: Vec<f32>,
    /// Samples of the frame still being filled, fewer than one frame.
    partial: Vec<f32>,
}

impl LevelMeter {
    /// Adds `samples` (16 kHz mono), which continue those pushed before.
    pub fn push(&mut self, mut samples: &[f32]) {
        if !self.partial.is_empty() {
            let missing = FRAME_SAMPLES - self.partial.len();
            let (head, rest) = samples.split_at(missing.min(samples.len()));
            self.partial.extend_from_slice(head);
            samples = rest;
            if self.partial.len() < FRAME_SAMPLES {
                return;
            }
            self.levels.push(frame_level_db(&self.partial));
            self.partial.clear();
        }

        let mut frames = samples.chunks_exact(FRAME_SAMPLES);
        self.levels.extend(frames.by_ref().map(frame_level_db));
        self.partial.extend_from_slice(frames.remainder());
    }

    /// Classifies every frame measured, counting a last partial frame as one.
    pub fn finish(mut self) -> SpeechActivity {
        if !self.partial.is_empty() {
            self.levels.push(frame_level_db(&self.partial));
        }
        SpeechActivity::from_levels(&self.levels)
    }
}

/// Root-mean-square level of one frame, in dB relative to full scale.
fn frame_level_db(frame: &[f32]) -> f32 {
    let energy = frame.iter().map(|&s| s * s).sum::<f32>() / frame.len() as f32;
    10.0 * (energy + 1e-12).log10()
}

/// The value below which `fraction` of `values` lie.
fn percentile(values: &[f32], fraction: f32) -> f32 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let index = ((sorted.len() - 1) as f32 * fraction).round() as usize;
    sorted[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence in [-1, 1), so the tests need no crate.
    fn noise(len: usize, amplitude: f32, seed: u32) -> Vec<f32> {
        let mut state = seed.max(1);
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32 * 2.0 - 1.0) * amplitude
            })
            .collect()
    }

    /// Bursts of a 200 Hz tone at syllable rate over quiet noise: a crude stand-in for speech.
    fn syllables(seconds: usize) -> Vec<f32> {
        let mut samples = noise(seconds * SAMPLE_RATE, 0.001, 7);
        for (i, sample) in samples.iter_mut().enumerate() {
            let t = i as f32 / SAMPLE_RATE as f32;
            let envelope = ((t * 4.0 * std::f32::consts::PI).sin()).max(0.0);
            *sample += 0.3 * envelope * (t * 200.0 * 2.0 * std::f32::consts::PI).sin();
        }
        samples
    }

    #[test]
    fn digital_silence_has_no_speech() {
        let activity = SpeechActivity::analyze(&vec![0.0; 5 * SAMPLE_RATE]);

        assert!(!activity.has_speech());
    }

    #[test]
    fn steady_noise_has_no_speech() {
        for amplitude in [0.01, 0.1, 0.8] {
            let activity = SpeechActivity::analyze(&noise(10 * SAMPLE_RATE, amplitude, 3));

            assert!(!activity.has_speech(), "noise at amplitude {amplitude}");
        }
    }

    #[test]
    fn syllable_bursts_are_speech() {
        let activity = SpeechActivity::analyze(&syllables(3));

        assert!(activity.has_speech());
    }

    #[test]
    fn voiced_time_found_only_where_bursts_are() {
        let mut samples = syllables(2);
        samples.extend(vec![0.0; 3 * SAMPLE_RATE]);
        let activity = SpeechActivity::analyze(&samples);

        assert!(activity.voiced_ms(0, 2000) > 500);
        assert_eq!(activity.voiced_ms(2100, 5000), 0);
    }

    #[test]
    fn meter_fed_in_pieces_matches_whole() {
        let mut samples = syllables(2);
        samples.extend(vec![0.0; 16_000]);
        let whole = SpeechActivity::analyze(&samples);

        let mut meter = LevelMeter::default();
        for piece in samples.chunks(777) {
            meter.push(piece);
        }
        let pieces = meter.finish();

        assert_eq!(pieces.frame_count(), whole.frame_count());
        assert_eq!(pieces.voiced, whole.voiced);
    }

    #[test]
    fn empty_input_has_no_speech() {
        let activity = SpeechActivity::analyze(&[]);

        assert!(!activity.has_speech());
        assert_eq!(activity.voiced_ms(0, 1000), 0);
    }
}
