//! Estimating when a running job ends.

use std::time::{Duration, Instant};

/// Progress below this many percentage points since measuring began gives no estimate:
/// whisper reports in steps of one segment, so the first step alone says little.
const MIN_MEASURED_PERCENT: f32 = 1.0;

/// Extrapolates the end of a job from how fast its percentage rose since measuring began.
///
/// Measuring starts with transcription, because decoding runs many times faster than
/// whisper and would make the first estimate far too short.
#[derive(Clone, Debug, Default)]
pub(super) struct EtaEstimator {
    origin: Option<(Instant, f32)>,
    expected_end: Option<Instant>,
}

impl EtaEstimator {
    /// Starts measuring from `percent` at `now`, forgetting any earlier estimate.
    pub fn start(&mut self, now: Instant, percent: f32) {
        self.origin = Some((now, percent));
        self.expected_end = None;
    }

    /// Updates the estimate with the job's percentage at `now`.
    pub fn update(&mut self, now: Instant, percent: f32) {
        let Some((started, start_percent)) = self.origin else {
            return;
        };
        let gained = percent - start_percent;
        if gained < MIN_MEASURED_PERCENT {
            return;
        }

        let spent = now.saturating_duration_since(started).as_secs_f32();
        let remaining = (100.0 - percent).max(0.0) * spent / gained;
        self.expected_end = Some(now + Duration::from_secs_f32(remaining));
    }

    /// Milliseconds left as of `now`, or `None` before there is an estimate. An estimate
    /// that ran out stays at 0 until the next update.
    pub fn remaining_ms(&self, now: Instant) -> Option<u64> {
        self.expected_end.map(|end| end.saturating_duration_since(now).as_millis() as u64)
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_estimate_before_progress() {
        let now = Instant::now();
        let mut eta = EtaEstimator::default();
        eta.start(now, 10.0);

        eta.update(now + Duration::from_secs(1), 10.5);

        assert_eq!(eta.remaining_ms(now + Duration::from_secs(1)), None);
    }

    #[test]
    fn extrapolates_from_measured_rate() {
        let now = Instant::now();
        let mut eta = EtaEstimator::default();
        eta.start(now, 10.0);

        // 20 points in 2 s is 10 points a second, so the other 70 points take 7 s.
        eta.update(now + Duration::from_secs(2), 30.0);

        assert_eq!(eta.remaining_ms(now + Duration::from_secs(2)), Some(7000));
        assert_eq!(eta.remaining_ms(now + Duration::from_secs(5)), Some(4000));
        assert_eq!(eta.remaining_ms(now + Duration::from_secs(60)), Some(0));
    }

    #[test]
    fn update_without_start_gives_nothing() {
        let now = Instant::now();
        let mut eta = EtaEstimator::default();

        eta.update(now, 50.0);

        assert_eq!(eta.remaining_ms(now), None);
    }
}
