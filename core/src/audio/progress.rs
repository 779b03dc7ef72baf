//! Rate limiting of progress reports during decoding.

use super::DecodeProgress;

/// Decoded audio between two progress reports, in milliseconds.
const REPORT_INTERVAL_MS: u64 = 1_000;

/// Passes progress to the caller's callback at the start, after each further second of
/// decoded audio, and at the end.
pub(super) struct ProgressReporter<'a> {
    callback: &'a mut dyn FnMut(DecodeProgress),
    total_ms: Option<u64>,
    last_reported_ms: Option<u64>,
}

impl<'a> ProgressReporter<'a> {
    pub fn new(callback: &'a mut dyn FnMut(DecodeProgress), total_ms: Option<u64>) -> Self {
        let mut reporter = ProgressReporter {
            callback,
            total_ms,
            last_reported_ms: None,
        };
        reporter.report(0);
        reporter
    }

    pub fn update(&mut self, decoded_ms: u64) {
        let due = match self.last_reported_ms {
            Some(last) => decoded_ms >= last.saturating_add(REPORT_INTERVAL_MS),
            None => true,
        };
        if due {
            self.report(decoded_ms);
        }
    }

    pub fn finish(&mut self, decoded_ms: u64) {
        if self.last_reported_ms != Some(decoded_ms) {
            self.report(decoded_ms);
        }
    }

    fn report(&mut self, decoded_ms: u64) {
        self.last_reported_ms = Some(decoded_ms);
        (self.callback)(DecodeProgress {
            decoded_ms,
            total_ms: self.total_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reports_each_second_and_at_end() {
        let mut seen = Vec::new();
        let mut callback = |progress: DecodeProgress| seen.push(progress.decoded_ms);
        let mut reporter = ProgressReporter::new(&mut callback, Some(2_500));

        for decoded_ms in (0..=2_500).step_by(100) {
            reporter.update(decoded_ms);
        }
        reporter.finish(2_500);

        assert_eq!(seen, vec![0, 1_000, 2_000, 2_500]);
    }
}
