//! Download speed over a sliding window, and the time left that it predicts.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::models::progress::TransferRate;

/// Speed is averaged over this window, long enough to smooth bursts and short enough to
/// follow a changing link.
const WINDOW: Duration = Duration::from_secs(5);

/// The first speed is reported after this much time, so one early burst does not give an
/// absurd estimate.
const MIN_SPAN: Duration = Duration::from_millis(500);

/// Samples of (time, bytes received in this session).
pub(super) struct RateMeter {
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    pub(super) fn new(now: Instant) -> Self {
        Self {
            samples: VecDeque::from([(now, 0)]),
        }
    }

    /// Records that `received` bytes have arrived in total since the meter started.
    pub(super) fn record(&mut self, now: Instant, received: u64) {
        self.samples.push_back((now, received));
        while self.samples.len() > 2 {
            let (oldest, _) = self.samples[1];
            if now.duration_since(oldest) < WINDOW {
                break;
            }
            self.samples.pop_front();
        }
    }

    /// Returns the speed over the window and, when `left_bytes` is known, the time left.
    pub(super) fn rate(&self, left_bytes: Option<u64>) -> Option<TransferRate> {
        let (first_time, first_bytes) = *self.samples.front()?;
        let (last_time, last_bytes) = *self.samples.back()?;
        let span = last_time.duration_since(first_time);
        if span < MIN_SPAN {
            return None;
        }

        let bytes_per_second = ((last_bytes - first_bytes) as f64 / span.as_secs_f64()) as u64;
        let eta_seconds = match left_bytes {
            Some(left) if bytes_per_second > 0 => Some(left.div_ceil(bytes_per_second)),
            _ => None,
        };
        Some(TransferRate {
            bytes_per_second,
            eta_seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_needs_half_a_second() {
        let start = Instant::now();
        let mut meter = RateMeter::new(start);
        meter.record(start + Duration::from_millis(100), 1_000);

        assert_eq!(meter.rate(Some(10)), None);
    }

    #[test]
    fn rate_and_eta() {
        let start = Instant::now();
        let mut meter = RateMeter::new(start);
        meter.record(start + Duration::from_secs(1), 1_000);
        meter.record(start + Duration::from_secs(2), 2_000);

        let rate = meter.rate(Some(5_000)).unwrap();
        assert_eq!(rate.bytes_per_second, 1_000);
        assert_eq!(rate.eta_seconds, Some(5));
        assert_eq!(meter.rate(None).unwrap().eta_seconds, None);
    }

    #[test]
    fn rate_follows_recent_window() {
        let start = Instant::now();
        let mut meter = RateMeter::new(start);
        // 10 s at 1 kB/s, then 10 s at 3 kB/s: the window holds only the fast part.
        for second in 1..=10 {
            meter.record(start + Duration::from_secs(second), second * 1_000);
        }
        for second in 11..=20 {
            meter.record(
                start + Duration::from_secs(second),
                10_000 + (second - 10) * 3_000,
            );
        }

        let rate = meter.rate(None).unwrap();
        assert_eq!(rate.bytes_per_second, 3_000);
    }

    #[test]
    fn rate_of_stall_gives_no_eta() {
        let start = Instant::now();
        let mut meter = RateMeter::new(start);
        meter.record(start + Duration::from_secs(1), 0);

        let rate = meter.rate(Some(100)).unwrap();
        assert_eq!(rate.bytes_per_second, 0);
        assert_eq!(rate.eta_seconds, None);
    }
}
