//! Rate limiting of progress reports during decoding.

use super::DecodeProgress;

/// Decoded audio between two progress reports, in milliseconds.
const REPORT_INTERVAL_MS: u64 = 1_000;

/// Passes progress to the caller's callback at the start, after each further second of
/// decoded audio, and at the end.
pub(super) struct ProgressReporter<'a> {
    callback: &'a mut dyn FnMut(DecodeProgress),
    last_reported_ms: Option<u64>,
}

impl<'a> ProgressReporter<'a> {
    /// Reports `start` at once. Its byte count is reported as 0, because a reader may have
    /// read an index at the end of the file before the first packet.
    pub fn new(callback: &'a mut dyn FnMut(DecodeProgress), start: DecodeProgress) -> Self {
        let mut reporter = ProgressReporter {
            callback,
            last_reported_ms: None,
        };
        reporter.report(DecodeProgress { read_bytes: 0, ..start });
        reporter
    }

    pub fn update(&mut self, progress: DecodeProgress) {
        let due = match self.last_reported_ms {
            Some(last) => progress.decoded_ms >= last.saturating_add(REPORT_INTERVAL_MS),
            None => true,
        };
        if due {
            self.report(progress);
        }
    }

    pub fn finish(&mut self, progress: DecodeProgress) {
        if self.last_reported_ms != Some(progress.decoded_ms) {
            self.report(progress);
        }
    }

    fn report(&mut self, progress: DecodeProgress) {
        self.last_reported_ms = Some(progress.decoded_ms);
        (self.callback)(progress);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(decoded_ms: u64) -> DecodeProgress {
        DecodeProgress {
            decoded_ms,
            total_ms: Some(2_500),
            read_bytes: decoded_ms * 10,
            file_bytes: 25_000,
        }
    }

    #[test]
    fn progress_reports_each_second_and_at_end() {
        let mut seen = Vec::new();
        let mut callback = |progress: DecodeProgress| seen.push((progress.decoded_ms, progress.read_bytes));
        let mut reporter = ProgressReporter::new(&mut callback, at(0));

        for decoded_ms in (0..=2_500).step_by(100) {
            reporter.update(at(decoded_ms));
        }
        reporter.finish(at(2_500));

        assert_eq!(seen, vec![(0, 0), (1_000, 10_000), (2_000, 20_000), (2_500, 25_000)]);
    }
}
