//! Latency and accuracy figures from the events of one run.

use std::time::{Duration, Instant};

use super::playlist::Phrase;

/// Events of one run, in arrival order.
#[derive(Default)]
pub struct Observations {
    /// When the recording timeline reached each length, in ms.
    pub arrivals: Vec<(Instant, u64)>,
    /// Committed text with the end of the audio it covers, in recording ms.
    pub commits: Vec<(Instant, u64, String)>,
    pub tentative_passes: usize,
    pub max_backlog_ms: u64,
}

impl Observations {
    /// When the recording reached `ms`, interpolated between the two nearest reports.
    fn arrival_of(&self, ms: u64) -> Option<Instant> {
        let after = self.arrivals.iter().position(|&(_, at)| at >= ms)?;
        let (after_time, after_ms) = self.arrivals[after];
        if after == 0 || after_ms == ms {
            return Some(after_time);
        }
        let (before_time, before_ms) = self.arrivals[after - 1];
        let fraction = (ms - before_ms) as f64 / (after_ms - before_ms).max(1) as f64;
        Some(before_time + (after_time - before_time).mul_f64(fraction))
    }

    /// Returns when the first commit that covers the recording up to `ms` arrived.
    fn commit_covering(&self, ms: u64) -> Option<Instant> {
        self.commits
            .iter()
            .find(|(_, end, _)| *end >= ms)
            .map(|(time, _, _)| *time)
    }

    pub fn committed_text(&self) -> String {
        let texts: Vec<&str> = self
            .commits
            .iter()
            .map(|(_, _, text)| text.as_str())
            .filter(|t| !t.is_empty())
            .collect();
        texts.join(" ")
    }
}

/// Returns the latency of each phrase: from the moment the end of its speech reached the app to
/// the moment committed text covering it arrived. `offset_ms` is where the playlist starts
/// in the recording.
pub fn phrase_latencies(
    phrases: &[Phrase],
    observations: &Observations,
    offset_ms: u64,
) -> Vec<(String, Option<Duration>)> {
    phrases
        .iter()
        .map(|phrase| {
            let end_in_recording = phrase.speech_end_ms + offset_ms;
            let latency = match (
                observations.arrival_of(end_in_recording),
                observations.commit_covering(end_in_recording),
            ) {
                (Some(arrived), Some(committed)) => Some(committed.saturating_duration_since(arrived)),
                _ => None,
            };
            (phrase.name.clone(), latency)
        })
        .collect()
}

/// The nearest-rank percentile `p` (0 to 100) of `values`, which must not be empty.
pub fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

pub fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}
