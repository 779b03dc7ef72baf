//! Word error rate between a reference transcript and a recognizer's output.

mod distance;
mod normalize;
mod numbers;

pub use distance::{word_errors, WordErrors};
pub use normalize::normalize;

/// Returns the word error rate of `hypothesis` against `reference`: substitutions, deletions
/// and insertions of [`normalize`]d words, divided by the number of reference words.
///
/// The rate can exceed 1 when the hypothesis adds many words. An empty reference counts as
/// one word, so an empty hypothesis scores 0 and each inserted word adds 1.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    word_errors(reference, hypothesis).rate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_text_scores_zero() {
        let text = "And so, my fellow Americans, ask not what your country can do for you.";

        assert_eq!(word_error_rate(text, text), 0.0);
    }

    #[test]
    fn punctuation_and_case_are_ignored() {
        let reference = "And so, my fellow Americans, ask not what your country can do for you, \
                         ask what you can do for your country.";
        let hypothesis = "and so my fellow americans ask not what your country can do for you \
                          ask what you can do for your country";

        assert_eq!(word_error_rate(reference, hypothesis), 0.0);
    }

    #[test]
    fn one_substitution_in_four_words() {
        assert_eq!(
            word_error_rate("go forward ten meters", "go forward ten metres"),
            0.25
        );
    }

    #[test]
    fn digits_match_number_words() {
        assert_eq!(
            word_error_rate("go forward ten meters", "Go forward 10 meters."),
            0.0
        );
        assert_eq!(word_error_rate("ten of clubs", "10 of clubs."), 0.0);
        assert_eq!(word_error_rate("five five", "5 5"), 0.0);
        assert_eq!(
            word_error_rate(
                "eight of spades four of clubs seven of hearts",
                "8 of spades, 4 of clubs, 7 of hearts."
            ),
            0.0
        );
        assert_eq!(
            word_error_rate(
                "dial extension 8500",
                "dial extension eight thousand five hundred"
            ),
            0.0
        );
    }

    #[test]
    fn digit_strings_and_spelled_digits_differ() {
        // "1234" read digit by digit is four numbers, not one.
        assert_eq!(
            word_error_rate("extension 1234", "extension one two three four"),
            2.0
        );
    }

    #[test]
    fn hyphenated_words_split() {
        assert_eq!(
            word_error_rate(
                "he was not an ill disposed young man",
                "He was not an ill-disposed young man."
            ),
            0.0
        );
        assert_eq!(
            word_error_rate("rather cold hearted", "rather coldhearted"),
            2.0 / 3.0
        );
    }

    #[test]
    fn french_text_is_compared() {
        let reference = "Vous etes sur le point d'entreprendre un test d'écho.";
        let hypothesis = "Vous êtes sur le point d'entreprendre un test d'écos.";

        let errors = word_errors(reference, hypothesis);

        assert_eq!(errors.reference_words, 9);
        assert_eq!(errors.substitutions, 2);
        assert_eq!(errors.insertions, 0);
        assert_eq!(errors.deletions, 0);
    }

    #[test]
    fn french_accents_matter_but_case_does_not() {
        assert_eq!(word_error_rate("Été français", "ÉTÉ FRANÇAIS"), 0.0);
        assert_eq!(word_error_rate("été", "ete"), 1.0);
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(word_error_rate("", ""), 0.0);
        assert_eq!(word_error_rate("  ...  ", ""), 0.0);
        assert_eq!(word_error_rate("", "thank you"), 2.0);
        assert_eq!(word_error_rate("front center", ""), 1.0);
    }

    #[test]
    fn insertions_can_exceed_one() {
        assert_eq!(word_error_rate("yes", "yes yes yes"), 2.0);
    }
}
