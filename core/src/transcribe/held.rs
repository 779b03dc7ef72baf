//! Segments held back until they are known not to be part of a repetition loop.

use super::repetition::{find_loops, word_count, SETTLE_WORDS};
use super::worker::RawSegment;

/// The segments of one piece that have not been handed on yet.
///
/// A segment is released once [`SETTLE_WORDS`] words follow it and no loop found among
/// the held segments covers it. Any loop that touches a released segment would have shown
/// by then, so a loop found later lies wholly among the held segments and can be replaced.
#[derive(Default)]
pub(super) struct HeldSegments {
    held: Vec<RawSegment>,
    /// End of the last released segment, in milliseconds from the start of the recording.
    released_end_ms: Option<u64>,
}

impl HeldSegments {
    /// Adds the next segment and returns the segments that are now settled, in order.
    pub fn push(&mut self, segment: RawSegment) -> Vec<RawSegment> {
        self.held.push(segment);

        let loops = find_loops(&self.held);
        let first_loop = loops.first().map_or(usize::MAX, |range| range.start);
        let mut settled = 0;
        while settled < first_loop.min(self.held.len())
            && word_count(&self.held[settled + 1..]) >= SETTLE_WORDS
        {
            settled += 1;
        }

        let released: Vec<RawSegment> = self.held.drain(..settled).collect();
        if let Some(last) = released.last() {
            self.released_end_ms = Some(last.end_ms);
        }
        released
    }

    pub fn held(&self) -> &[RawSegment] {
        &self.held
    }

    /// End of the last released segment, if any was released.
    pub fn released_end_ms(&self) -> Option<u64> {
        self.released_end_ms
    }

    /// Replaces the held segments, after loops among them were decoded again.
    pub fn replace(&mut self, segments: Vec<RawSegment>) {
        self.held = segments;
    }

    /// Returns every segment still held.
    pub fn release_all(&mut self) -> Vec<RawSegment> {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(index: u64, text: &str) -> RawSegment {
        RawSegment { start_ms: index * 1000, end_ms: index * 1000 + 900, text: text.into() }
    }

    /// Ten distinct words per segment, so segments settle after six more.
    fn sentence(index: u64) -> RawSegment {
        let words: Vec<String> = (0..10).map(|word| format!("w{index}x{word}")).collect();
        segment(index, &words.join(" "))
    }

    #[test]
    fn segments_released_once_enough_words_follow() {
        let mut held = HeldSegments::default();
        let mut released = Vec::new();

        for index in 0..10 {
            released.extend(held.push(sentence(index)));
        }

        assert_eq!(released.len(), 4, "ten words each, {SETTLE_WORDS} must follow");
        assert_eq!(held.held().len(), 6);
        assert_eq!(held.released_end_ms(), Some(3_900));
    }

    #[test]
    fn loop_stays_held() {
        let mut held = HeldSegments::default();
        let mut released = Vec::new();

        released.extend(held.push(sentence(0)));
        for index in 1..21 {
            released.extend(held.push(segment(index, " I'm going to go.")));
        }

        assert_eq!(released.len(), 1, "{released:?}");
        assert_eq!(held.held().len(), 20);
    }
}
