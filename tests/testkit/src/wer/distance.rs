//! Word-level Levenshtein alignment.

use super::normalize::normalize;

/// Edit operations that turn the reference words into the hypothesis words, on one
/// minimum-cost alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordErrors {
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
    /// Number of normalized reference words.
    pub reference_words: usize,
}

impl WordErrors {
    /// Returns the total number of edits.
    pub fn edits(&self) -> usize {
        self.substitutions + self.deletions + self.insertions
    }

    /// Returns edits per reference word, counting an empty reference as one word.
    pub fn rate(&self) -> f64 {
        self.edits() as f64 / self.reference_words.max(1) as f64
    }
}

/// Aligns the [`normalize`]d words of `hypothesis` with those of `reference` and counts the
/// edits.
pub fn word_errors(reference: &str, hypothesis: &str) -> WordErrors {
    align(&normalize(reference), &normalize(hypothesis))
}

fn align(reference: &[String], hypothesis: &[String]) -> WordErrors {
    let rows = reference.len() + 1;
    let columns = hypothesis.len() + 1;

    // cost[i * columns + j] is the edit distance between the first i reference words and the
    // first j hypothesis words.
    let mut cost = vec![0usize; rows * columns];
    for i in 0..rows {
        cost[i * columns] = i;
    }
    for (j, first_row) in cost[..columns].iter_mut().enumerate() {
        *first_row = j;
    }
    for i in 1..rows {
        for j in 1..columns {
            let substitution = usize::from(reference[i - 1] != hypothesis[j - 1]);
            cost[i * columns + j] = (cost[(i - 1) * columns + j - 1] + substitution)
                .min(cost[(i - 1) * columns + j] + 1)
                .min(cost[i * columns + j - 1] + 1);
        }
    }

    // Walk back from the end, preferring a match or substitution over a deletion or insertion.
    let mut errors = WordErrors {
        reference_words: reference.len(),
        ..WordErrors::default()
    };
    let (mut i, mut j) = (reference.len(), hypothesis.len());
    while i > 0 || j > 0 {
        let current = cost[i * columns + j];
        if i > 0 && j > 0 {
            let substitution = usize::from(reference[i - 1] != hypothesis[j - 1]);
            if current == cost[(i - 1) * columns + j - 1] + substitution {
                errors.substitutions += substitution;
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && current == cost[(i - 1) * columns + j] + 1 {
            errors.deletions += 1;
            i -= 1;
        } else {
            errors.insertions += 1;
            j -= 1;
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn counts(reference: &str, hypothesis: &str) -> (usize, usize, usize) {
        let errors = align(&words(reference), &words(hypothesis));
        (errors.substitutions, errors.deletions, errors.insertions)
    }

    #[test]
    fn identical_words_have_no_edits() {
        assert_eq!(counts("a b c", "a b c"), (0, 0, 0));
    }

    #[test]
    fn substitution_is_counted() {
        assert_eq!(counts("a b c", "a x c"), (1, 0, 0));
    }

    #[test]
    fn deletion_is_counted() {
        assert_eq!(counts("a b c", "a c"), (0, 1, 0));
    }

    #[test]
    fn insertion_is_counted() {
        assert_eq!(counts("a c", "a b c"), (0, 0, 1));
    }

    #[test]
    fn mixed_edits_are_minimal() {
        // kitten -> sitting, by words: one substitution, one substitution, one insertion.
        assert_eq!(counts("k i t t e n", "s i t t i n g"), (2, 0, 1));
    }

    #[test]
    fn empty_sides() {
        assert_eq!(counts("", ""), (0, 0, 0));
        assert_eq!(counts("a b", ""), (0, 2, 0));
        assert_eq!(counts("", "a b"), (0, 0, 2));
    }

    #[test]
    fn rate_divides_by_reference_words() {
        let errors = WordErrors {
            substitutions: 1,
            deletions: 1,
            insertions: 1,
            reference_words: 6,
        };

        assert_eq!(errors.edits(), 3);
        assert_eq!(errors.rate(), 0.5);
    }

    #[test]
    fn rate_of_empty_reference_counts_insertions() {
        let errors = WordErrors {
            insertions: 2,
            ..WordErrors::default()
        };

        assert_eq!(errors.rate(), 2.0);
    }
}
