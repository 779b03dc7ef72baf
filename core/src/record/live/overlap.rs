//! Removing the words that two overlapping chunks both transcribed.
//!
//! After a forced cut the next chunk repeats up to a second of audio, so its text may start
//! with the last words already committed. Those are found by matching the longest run of
//! words (compared without case and punctuation) that ends the committed text and starts
//! the new text.

/// Most words one second of repeated audio can hold.
const MAX_OVERLAP_WORDS: usize = 6;

/// Returns how many words at the start of `new_text` repeat the end of `previous_text`.
pub fn repeated_words(previous_text: &str, new_text: &str) -> usize {
    let previous: Vec<String> = previous_text.split_whitespace().map(normalize).collect();
    let new: Vec<String> = new_text.split_whitespace().map(normalize).collect();

    let longest = MAX_OVERLAP_WORDS.min(previous.len()).min(new.len());
    (1..=longest)
        .rev()
        .find(|&count| previous[previous.len() - count..] == new[..count] && new[..count].iter().all(|w| !w.is_empty()))
        .unwrap_or(0)
}

/// `text` without its first `count` words, keeping the spacing of the rest.
pub fn drop_words(text: &str, count: usize) -> &str {
    let mut rest = text.trim_start();
    for _ in 0..count {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// Returns the words of `text` without case and punctuation, joined by single spaces.
pub fn normalized_words(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(normalize)
        .filter(|word| !word.is_empty())
        .collect();
    words.join(" ")
}

fn normalize(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_tail_found_despite_case_and_punctuation() {
        assert_eq!(
            repeated_words("we choose to go to the Moon.", "the moon in this decade"),
            2
        );
    }

    #[test]
    fn no_overlap_gives_zero() {
        assert_eq!(repeated_words("ask not what", "your country can do"), 0);
        assert_eq!(repeated_words("", "anything"), 0);
        assert_eq!(repeated_words("something", ""), 0);
    }

    #[test]
    fn longest_match_preferred() {
        assert_eq!(repeated_words("that is that", "that is that and more"), 3);
    }

    #[test]
    fn words_dropped_from_front() {
        assert_eq!(drop_words(" the moon in this decade", 2), "in this decade");
        assert_eq!(drop_words("one two", 5), "");
        assert_eq!(drop_words("keep all", 0), "keep all");
    }
}
