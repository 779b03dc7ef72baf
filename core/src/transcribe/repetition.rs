//! Detection of whisper's repetition loops: the same words decoded three or more times in
//! a row, often far past the speech that produced them once.
//!
//! Loops come from the decoder conditioning on its own output, so the stretch under a loop
//! is decoded again without that context (see `recording.rs`). Genuine repetition ("no, no,
//! no") is found too, and survives because decoding it again gives the same words.

use std::ops::Range;

use super::worker::RawSegment;

/// Longest repeated phrase looked for, in words. whisper loops on a word, a phrase or a
/// sentence; longer units are rare.
pub(super) const MAX_PHRASE_WORDS: usize = 20;

/// Repeats in a row that make a loop.
const MIN_REPEATS: usize = 3;

/// Words that must follow a segment before it is known not to start a loop: a loop of the
/// longest phrase needs this many words from its first word to show.
pub(super) const SETTLE_WORDS: usize = MAX_PHRASE_WORDS * MIN_REPEATS;

/// Returns the ranges of `segments`, by index, whose words contain a loop, merged where
/// they touch and in order.
pub(super) fn find_loops(segments: &[RawSegment]) -> Vec<Range<usize>> {
    let words = words_with_segments(segments);
    let mut loops: Vec<Range<usize>> = Vec::new();
    let mut position = 0;

    while position < words.len() {
        let Some(length) = loop_at(&words, position) else {
            position += 1;
            continue;
        };

        let segments = words[position].1..words[position + length - 1].1 + 1;
        match loops.last_mut() {
            Some(last) if segments.start <= last.end => last.end = last.end.max(segments.end),
            _ => loops.push(segments),
        }
        position += length;
    }
    loops
}

/// Returns the number of words repeated in a loop that starts at word `position`, choosing
/// the phrase length that covers the most words.
fn loop_at(words: &[(String, usize)], position: usize) -> Option<usize> {
    let mut longest = None;

    for phrase in 1..=MAX_PHRASE_WORDS {
        if position + phrase * MIN_REPEATS > words.len() {
            break;
        }
        let mut repeats = 1;
        while repeats_at(words, position, phrase, repeats) {
            repeats += 1;
        }
        if repeats >= MIN_REPEATS && longest.is_none_or(|covered| repeats * phrase > covered) {
            longest = Some(repeats * phrase);
        }
    }
    longest
}

/// True when the words at `position + repeat * phrase` repeat the first `phrase` words.
fn repeats_at(words: &[(String, usize)], position: usize, phrase: usize, repeat: usize) -> bool {
    let start = position + repeat * phrase;
    if start + phrase > words.len() {
        return false;
    }
    (0..phrase).all(|offset| words[position + offset].0 == words[start + offset].0)
}

/// Number of words in the recognised text of `segments`.
pub(super) fn word_count(segments: &[RawSegment]) -> usize {
    segments.iter().map(|segment| segment.text.split_whitespace().count()).sum()
}

/// Number of words inside loops, the measure of how badly a decode loops.
pub(super) fn looped_words(segments: &[RawSegment]) -> usize {
    find_loops(segments).into_iter().map(|range| word_count(&segments[range])).sum()
}

/// Splits the segments' text into lowercase words without punctuation, each with the index
/// of its segment.
fn words_with_segments(segments: &[RawSegment]) -> Vec<(String, usize)> {
    let mut words = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        for word in segment.text.split_whitespace() {
            let normalized: String = word
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect();
            if !normalized.is_empty() {
                words.push((normalized, index));
            }
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(texts: &[&str]) -> Vec<RawSegment> {
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| RawSegment {
                start_ms: index as u64 * 1000,
                end_ms: index as u64 * 1000 + 1000,
                text: (*text).into(),
            })
            .collect()
    }

    #[test]
    fn repeated_segments_found() {
        let found = find_loops(&segments(&[
            " And so my fellow Americans,",
            " I'm going to go.",
            " I'm going to go.",
            " I'm going to go.",
            " I'm going to go.",
            " ask not",
        ]));

        assert_eq!(found, vec![1..5]);
    }

    #[test]
    fn repeated_words_inside_one_segment_found() {
        let found = find_loops(&segments(&[" The weather is fine.", " Thank you. Thank you. Thank you. Thank you."]));

        assert_eq!(found, vec![1..2]);
    }

    #[test]
    fn two_repeats_are_not_a_loop() {
        let found = find_loops(&segments(&[" ten of clubs, ten of clubs", " and the queen of hearts"]));

        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn punctuation_and_case_ignored() {
        let found = find_loops(&segments(&[" Go on.", " go on,", " GO ON!"]));

        assert_eq!(found, vec![0..3]);
    }

    #[test]
    fn ordinary_speech_has_no_loop() {
        let found = find_loops(&segments(&[
            " And so my fellow Americans, ask not what your country can do for you,",
            " ask what you can do for your country.",
        ]));

        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn looped_words_counted() {
        let looping = segments(&[" Hello.", " the end the end the end the end"]);

        assert_eq!(looped_words(&looping), 8);
        assert_eq!(word_count(&looping), 9);
    }
}
