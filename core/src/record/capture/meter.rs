//! The input level meter: RMS and peak in dBFS, written by the audio callback and read by
//! the recorder about 20 times a second.
//!
//! The callback runs on the audio driver's real-time thread and must hand its buffer back
//! within one period (about 10 to 20 ms). Waiting for a lock that a slower thread holds, or
//! for the allocator's lock, can miss that deadline, and the driver then drops audio (an
//! overrun). So the callback only does fixed-size arithmetic and a few atomic
//! read-modify-write operations here, which never wait and never allocate.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Levels at or below this are reported as silence, in dBFS.
pub const FLOOR_DBFS: f32 = -100.0;

/// Fixed-point scale for summing squared samples in an integer atomic: a square in 0..=1
/// becomes 0..=2^32, so even 10 minutes of 48 kHz stereo unread cannot overflow a u64.
const SQUARE_SCALE: f64 = 4_294_967_296.0;

/// One reading of the meter.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Level {
    /// Root-mean-square level since the previous reading, in dBFS.
    pub rms_dbfs: f32,
    /// Highest absolute sample since the previous reading, in dBFS.
    pub peak_dbfs: f32,
}

impl Level {
    pub const SILENT: Level = Level {
        rms_dbfs: FLOOR_DBFS,
        peak_dbfs: FLOOR_DBFS,
    };
}

/// Accumulates levels from one writer (the audio callback) for one reader.
#[derive(Debug, Default)]
pub struct LevelMeter {
    /// Bits of the highest absolute sample as `f32`. For non-negative floats the bit
    /// patterns sort like the values, so `fetch_max` on the bits keeps the loudest.
    peak_bits: AtomicU32,
    /// Sum of squared samples, scaled by [`SQUARE_SCALE`].
    sum_squares: AtomicU64,
    samples: AtomicU64,
}

impl LevelMeter {
    /// Adds one callback buffer (any channel layout). Wait-free and allocation-free.
    pub fn observe(&self, samples: impl Iterator<Item = f32>) {
        let mut peak = 0.0f32;
        let mut sum_squares = 0.0f64;
        let mut count = 0u64;
        for sample in samples {
            let magnitude = sample.abs().min(1.0);
            peak = peak.max(magnitude);
            sum_squares += f64::from(magnitude * magnitude);
            count += 1;
        }

        self.peak_bits.fetch_max(peak.to_bits(), Ordering::Relaxed);
        self.sum_squares
            .fetch_add((sum_squares * SQUARE_SCALE) as u64, Ordering::Relaxed);
        self.samples.fetch_add(count, Ordering::Relaxed);
    }

    /// Returns the level since the previous call and starts a new interval. A buffer that
    /// arrives between the two swaps may count its squares in one interval and its sample
    /// count in the next, which moves one reading by a fraction of a decibel.
    pub fn take(&self) -> Level {
        let peak = f32::from_bits(self.peak_bits.swap(0, Ordering::Relaxed));
        let sum_squares = self.sum_squares.swap(0, Ordering::Relaxed) as f64 / SQUARE_SCALE;
        let samples = self.samples.swap(0, Ordering::Relaxed);

        if samples == 0 {
            return Level::SILENT;
        }
        let rms = (sum_squares / samples as f64).sqrt() as f32;
        Level {
            rms_dbfs: to_dbfs(rms),
            peak_dbfs: to_dbfs(peak),
        }
    }
}

/// Converts an amplitude in 0..=1 to dBFS, with [`FLOOR_DBFS`] for silence.
pub fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude <= 0.0 {
        return FLOOR_DBFS;
    }
    (20.0 * amplitude.log10()).max(FLOOR_DBFS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_square_wave_is_zero_dbfs() {
        let meter = LevelMeter::default();

        meter.observe([1.0, -1.0, 1.0, -1.0].into_iter());
        let level = meter.take();

        assert!(level.rms_dbfs.abs() < 0.01, "{level:?}");
        assert!(level.peak_dbfs.abs() < 0.01, "{level:?}");
    }

    #[test]
    fn sine_rms_is_three_db_below_peak() {
        let meter = LevelMeter::default();
        let sine = (0..4800).map(|i| 0.5 * (i as f32 * std::f32::consts::TAU * 440.0 / 48_000.0).sin());

        meter.observe(sine);
        let level = meter.take();

        assert!((level.peak_dbfs - -6.02).abs() < 0.05, "{level:?}");
        assert!((level.rms_dbfs - -9.03).abs() < 0.05, "{level:?}");
    }

    #[test]
    fn take_starts_new_interval() {
        let meter = LevelMeter::default();
        meter.observe([0.9; 100].into_iter());
        meter.take();

        meter.observe([0.1; 100].into_iter());
        let level = meter.take();

        assert!((level.peak_dbfs - -20.0).abs() < 0.01, "{level:?}");
        assert_eq!(meter.take(), Level::SILENT);
    }

    #[test]
    fn peak_kept_across_buffers_and_clipped() {
        let meter = LevelMeter::default();

        meter.observe([0.2, -0.7].into_iter());
        meter.observe([3.0, 0.1].into_iter());
        meter.observe([0.3].into_iter());
        let level = meter.take();

        assert_eq!(level.peak_dbfs, 0.0);
    }

    #[test]
    fn digital_silence_reads_floor() {
        let meter = LevelMeter::default();

        meter.observe([0.0; 480].into_iter());

        assert_eq!(meter.take(), Level::SILENT);
    }
}
