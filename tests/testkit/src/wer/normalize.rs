//! Normalizing transcripts into comparable words.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::numbers::canonicalize_numbers;

/// Splits `text` into lowercase words for comparison.
///
/// * Letters and digits of any script are kept, after Unicode NFC composition, so `é`
///   written as `e` plus a combining accent equals the precomposed `é`.
/// * Punctuation, symbols and hyphens separate words: `ill-disposed` is two words.
/// * An apostrophe between two letters or digits stays inside the word (`don't`,
///   `d'écho`); the typographic `’` and `ʼ` count as `'`.
/// * A `.` between digits is a decimal point (`28.8`), and a `,` between digits is removed
///   when exactly three digits follow (`1,234` is `1234`), else it is a decimal point.
/// * English number words become digits, so `ten` equals `10`, `twenty eight` equals `28`
///   and `five five` equals `5 5`. Digits read one by one (`one two`) stay separate numbers.
pub fn normalize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.nfc().flat_map(char::to_lowercase).collect();

    let mut words = Vec::new();
    let mut word = String::new();
    for (index, &c) in chars.iter().enumerate() {
        let previous = index.checked_sub(1).map(|at| chars[at]);
        let next = chars.get(index + 1).copied();

        if c.is_alphanumeric() || (is_combining_mark(c) && !word.is_empty()) {
            word.push(c);
        } else if is_apostrophe(c) && is_word_char(previous) && is_word_char(next) {
            word.push('\'');
        } else if c == '.' && is_digit(previous) && is_digit(next) {
            word.push('.');
        } else if c == ',' && is_digit(previous) && is_digit(next) {
            if !is_thousands_group(&chars[index + 1..]) {
                word.push('.');
            }
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }

    canonicalize_numbers(words)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}')
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

fn is_digit(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_digit())
}

/// Returns whether `rest` starts with exactly three digits.
fn is_thousands_group(rest: &[char]) -> bool {
    rest.len() >= 3
        && rest[..3].iter().all(char::is_ascii_digit)
        && !rest.get(3).is_some_and(char::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    #[test]
    fn lowercases_and_drops_punctuation() {
        assert_eq!(
            normalize("And so, my fellow Americans; ask not!"),
            words("and so my fellow americans ask not")
        );
    }

    #[test]
    fn splits_hyphens_and_dashes() {
        assert_eq!(normalize("ill-disposed"), words("ill disposed"));
        assert_eq!(normalize("non-disponible—fin"), words("non disponible fin"));
    }

    #[test]
    fn keeps_apostrophes_inside_words() {
        assert_eq!(normalize("Don't stop"), words("don't stop"));
        assert_eq!(normalize("you\u{2019}d like"), words("you'd like"));
        assert_eq!(normalize("d'écho, l'Internet"), words("d'écho l'internet"));
    }

    #[test]
    fn drops_quote_apostrophes() {
        assert_eq!(normalize("'quoted' words'"), words("quoted words"));
        assert_eq!(
            normalize("the students' books"),
            words("the students books")
        );
    }

    #[test]
    fn keeps_french_letters() {
        assert_eq!(
            normalize("Ce test est fort utile, ça répète dès que reçu."),
            words("ce test est fort utile ça répète dès que reçu")
        );
        assert_eq!(normalize("DIÈSE À Noël"), words("dièse à noël"));
    }

    #[test]
    fn composes_combining_accents() {
        let decomposed = "e\u{0301}cho";

        assert_eq!(normalize(decomposed), vec!["écho".to_string()]);
    }

    #[test]
    fn keeps_decimal_numbers() {
        assert_eq!(
            normalize("a 28.8 kilobit modem."),
            words("a 28.8 kilobit modem")
        );
        assert_eq!(
            normalize("un modem 28,8 kilobits"),
            words("un modem 28.8 kilobits")
        );
    }

    #[test]
    fn removes_thousands_separators() {
        assert_eq!(normalize("1,234 and 1,234,567"), words("1234 and 1234567"));
    }

    #[test]
    fn separates_symbols() {
        assert_eq!(normalize("www.asterisk.org"), words("www asterisk org"));
        assert_eq!(normalize("50% & more"), words("50 more"));
    }

    #[test]
    fn empty_and_blank_text() {
        assert!(normalize("").is_empty());
        assert!(normalize("  ... -- !! ").is_empty());
    }

    #[test]
    fn canonicalizes_numbers_on_both_forms() {
        assert_eq!(
            normalize("Go forward ten meters."),
            words("go forward 10 meters")
        );
        assert_eq!(
            normalize("Go forward 10 meters."),
            words("go forward 10 meters")
        );
        assert_eq!(normalize("twenty-eight"), words("28"));
    }
}
