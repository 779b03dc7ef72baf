//! Rewriting English number words as digits, so both spellings of a number compare equal.
//!
//! A run of number words becomes one number while each word can extend it the way numbers
//! are read aloud: `twenty eight` is 28, `two thousand five hundred and six` is 2506, and
//! `a hundred` is 100. A word that cannot extend the run starts a new number, so
//! `five five` is `5 5` and `nineteen eighty four` is `19 84`. A digit token can be followed
//! by `hundred`, `thousand`, `million` or `billion` (`3 thousand` is 3000), and is kept as
//! written otherwise. Digits spoken one by one stay separate: `one two` is `1 2`, not `12`.

// NOTE: French number words (deux, cinq cents) are not rewritten, so in French text "2" and
// "deux" still count as different words.

/// The role of a word or token inside a spoken number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Term {
    Zero,
    /// 1 to 9.
    Unit(u64),
    /// 10 to 19.
    Teen(u64),
    /// 20, 30, ..., 90.
    Tens(u64),
    Hundred,
    /// 1 000, 1 000 000 or 1 000 000 000.
    Scale(u64),
    /// `and` after hundred or a scale, as in `one hundred and five`.
    And,
    /// `a` before hundred or a scale, as in `a thousand`.
    A,
    /// A token of ASCII digits with its value.
    Digits(u64),
}

fn classify(word: &str) -> Option<Term> {
    let term = match word {
        "zero" => Term::Zero,
        "one" => Term::Unit(1),
        "two" => Term::Unit(2),
        "three" => Term::Unit(3),
        "four" => Term::Unit(4),
        "five" => Term::Unit(5),
        "six" => Term::Unit(6),
        "seven" => Term::Unit(7),
        "eight" => Term::Unit(8),
        "nine" => Term::Unit(9),
        "ten" => Term::Teen(10),
        "eleven" => Term::Teen(11),
        "twelve" => Term::Teen(12),
        "thirteen" => Term::Teen(13),
        "fourteen" => Term::Teen(14),
        "fifteen" => Term::Teen(15),
        "sixteen" => Term::Teen(16),
        "seventeen" => Term::Teen(17),
        "eighteen" => Term::Teen(18),
        "nineteen" => Term::Teen(19),
        "twenty" => Term::Tens(20),
        "thirty" => Term::Tens(30),
        "forty" => Term::Tens(40),
        "fifty" => Term::Tens(50),
        "sixty" => Term::Tens(60),
        "seventy" => Term::Tens(70),
        "eighty" => Term::Tens(80),
        "ninety" => Term::Tens(90),
        "hundred" => Term::Hundred,
        "thousand" => Term::Scale(1_000),
        "million" => Term::Scale(1_000_000),
        "billion" => Term::Scale(1_000_000_000),
        "and" => Term::And,
        "a" => Term::A,
        _ if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) => {
            Term::Digits(word.parse().ok()?)
        }
        _ => return None,
    };
    Some(term)
}

/// A number being read, word by word.
struct Number {
    /// Sum of the groups already closed by a scale word.
    closed: u64,
    /// Value below the last scale word, 0 to 999.
    group: u64,
    last: Term,
    /// A following scale word must be smaller than this.
    scale_limit: u64,
    /// The token as written, while the number is a single digit token.
    written: Option<String>,
}

impl Number {
    /// Starts a number with `term`, or returns `None` if `term` cannot start one.
    fn start(term: Term, word: &str, next: Option<Term>) -> Option<Number> {
        let group = match term {
            Term::Zero => 0,
            Term::Unit(value) | Term::Teen(value) | Term::Tens(value) => value,
            Term::Hundred => 100,
            Term::Scale(scale) => {
                return Some(Number {
                    closed: scale,
                    group: 0,
                    last: term,
                    scale_limit: scale,
                    written: None,
                })
            }
            Term::A if matches!(next, Some(Term::Hundred | Term::Scale(_))) => 1,
            Term::Digits(value) => value,
            Term::A | Term::And => return None,
        };

        Some(Number {
            closed: 0,
            group,
            last: term,
            scale_limit: u64::MAX,
            written: matches!(term, Term::Digits(_)).then(|| word.to_string()),
        })
    }

    /// Adds `term` to this number if it can extend it, and returns whether it did.
    fn extend(&mut self, term: Term, next: Option<Term>) -> bool {
        let after_multiplier = matches!(self.last, Term::Hundred | Term::Scale(_) | Term::And);
        match term {
            Term::Unit(value) if after_multiplier || matches!(self.last, Term::Tens(_)) => {
                self.group += value;
            }
            Term::Teen(value) | Term::Tens(value) if after_multiplier => self.group += value,
            Term::Hundred if self.can_multiply() && self.group < 100 => self.group *= 100,
            Term::Scale(scale) if self.can_multiply() && scale < self.scale_limit => {
                self.closed += self.group * scale;
                self.group = 0;
                self.scale_limit = scale;
            }
            Term::And
                if matches!(self.last, Term::Hundred | Term::Scale(_))
                    && matches!(next, Some(Term::Unit(_) | Term::Teen(_) | Term::Tens(_))) => {}
            _ => return false,
        }

        self.last = term;
        self.written = None;
        true
    }

    /// Returns whether a hundred or scale word may multiply the value read so far.
    fn can_multiply(&self) -> bool {
        let small = matches!(
            self.last,
            Term::Unit(_) | Term::Teen(_) | Term::Tens(_) | Term::A
        );
        let digits = matches!(self.last, Term::Digits(value) if value > 0 && value < 1_000);
        (small || digits || self.last == Term::Hundred) && self.group > 0
    }

    fn finish(self) -> String {
        self.written
            .unwrap_or_else(|| (self.closed + self.group).to_string())
    }
}

/// Rewrites runs of English number words in `words` as digits.
pub(super) fn canonicalize_numbers(words: Vec<String>) -> Vec<String> {
    let terms: Vec<Option<Term>> = words.iter().map(|word| classify(word)).collect();

    let mut output = Vec::with_capacity(words.len());
    let mut number: Option<Number> = None;
    for (index, word) in words.iter().enumerate() {
        let next = terms.get(index + 1).copied().flatten();

        if let (Some(current), Some(term)) = (number.as_mut(), terms[index]) {
            if current.extend(term, next) {
                continue;
            }
        }

        if let Some(finished) = number.take() {
            output.push(finished.finish());
        }

        number = terms[index].and_then(|term| Number::start(term, word, next));
        if number.is_none() {
            output.push(word.clone());
        }
    }
    if let Some(finished) = number {
        output.push(finished.finish());
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        let words = text.split_whitespace().map(String::from).collect();
        canonicalize_numbers(words).join(" ")
    }

    #[test]
    fn zero_to_twenty() {
        let words = [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ];

        for (value, word) in words.iter().enumerate() {
            assert_eq!(canonical(word), value.to_string(), "{word}");
        }
    }

    #[test]
    fn tens_and_compounds() {
        assert_eq!(canonical("thirty"), "30");
        assert_eq!(canonical("ninety nine"), "99");
        assert_eq!(canonical("twenty eight point eight"), "28 point 8");
        assert_eq!(canonical("forty two"), "42");
    }

    #[test]
    fn hundreds_and_thousands() {
        assert_eq!(canonical("five hundred"), "500");
        assert_eq!(canonical("six hundred"), "600");
        assert_eq!(canonical("five hundred five"), "505");
        assert_eq!(canonical("one hundred and five"), "105");
        assert_eq!(canonical("a hundred"), "100");
        assert_eq!(canonical("a thousand and one nights"), "1001 nights");
        assert_eq!(canonical("eight thousand five hundred"), "8500");
        assert_eq!(canonical("two thousand five hundred and six"), "2506");
        assert_eq!(canonical("four thousand two hundred forty two"), "4242");
        assert_eq!(canonical("twelve hundred"), "1200");
        assert_eq!(canonical("two million three hundred thousand"), "2300000");
        assert_eq!(canonical("thousand"), "1000");
    }

    #[test]
    fn repeated_digits_stay_separate() {
        assert_eq!(canonical("five five"), "5 5");
        assert_eq!(canonical("one two three four"), "1 2 3 4");
        assert_eq!(canonical("nineteen eighty four"), "19 84");
        assert_eq!(canonical("zero zero seven"), "0 0 7");
    }

    #[test]
    fn digit_tokens() {
        assert_eq!(canonical("10 of clubs"), "10 of clubs");
        assert_eq!(canonical("5 5"), "5 5");
        assert_eq!(canonical("007"), "007");
        assert_eq!(canonical("3 thousand"), "3000");
        assert_eq!(canonical("28 hundred"), "2800");
        assert_eq!(canonical("1234 thousand"), "1234 1000");
        assert_eq!(canonical("5 five"), "5 5");
    }

    #[test]
    fn and_and_a_outside_numbers_are_words() {
        assert_eq!(canonical("a dog and a cat"), "a dog and a cat");
        assert_eq!(canonical("one and two"), "1 and 2");
        assert_eq!(canonical("a hundred and"), "100 and");
        assert_eq!(
            canonical("hundreds and thousands"),
            "hundreds and thousands"
        );
    }

    #[test]
    fn numbers_inside_sentences() {
        assert_eq!(
            canonical("dial two now or dial five hundred to attempt"),
            "dial 2 now or dial 500 to attempt"
        );
        assert_eq!(canonical("four queen of clubs"), "4 queen of clubs");
        assert_eq!(canonical("no one came"), "no 1 came");
    }

    #[test]
    fn unit_after_tens_with_unit_starts_new_number() {
        assert_eq!(canonical("twenty one two"), "21 2");
        assert_eq!(canonical("ten five"), "10 5");
    }

    #[test]
    fn scales_must_decrease() {
        assert_eq!(canonical("one thousand one million"), "1001 1000000");
        assert_eq!(canonical("one million one thousand"), "1001000");
    }
}
