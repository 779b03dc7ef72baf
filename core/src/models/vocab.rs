//! The vocabulary section of a ggml Whisper model, built from CTranslate2's
//! `vocabulary.txt`.
//!
//! `vocabulary.txt` contains one token per line in GPT-2's byte-level form: every byte is
//! shown as a printable Unicode character. whisper.cpp wants the raw bytes of the 50257
//! base tokens (ids 0 to 50256, the entries of the tokenizer's `vocab.json`) and adds the
//! special and timestamp tokens itself.

use super::error::ModelError;

/// Number of tokens stored in the ggml file.
pub(crate) const BASE_TOKENS: usize = 50257;

/// Smallest `n_vocab` of a multilingual model; English-only models have 51864.
const MULTILINGUAL_MIN_VOCAB: usize = 51865;

const END_OF_TEXT: &str = "<|endoftext|>";

/// Maps each character of GPT-2's byte-level alphabet back to its byte.
///
/// GPT-2 shows the printable Latin-1 bytes (`!`..=`~`, `¡`..=`¬`, `®`..=`ÿ`) as themselves,
/// and the remaining 68 bytes, in increasing order, as U+0100, U+0101, and so on.
pub(crate) struct ByteDecoder {
    /// Indexed by code point; `None` for characters outside the alphabet.
    bytes: [Option<u8>; 256 + 68],
}

impl ByteDecoder {
    pub(crate) fn new() -> Self {
        let mut bytes = [None; 256 + 68];
        let mut next_shifted = 256;
        for byte in 0..=255u8 {
            let printable = matches!(byte, b'!'..=b'~' | 0xa1..=0xac | 0xae..=0xff);
            if printable {
                bytes[usize::from(byte)] = Some(byte);
            } else {
                bytes[next_shifted] = Some(byte);
                next_shifted += 1;
            }
        }
        Self { bytes }
    }

    /// Decodes one byte-level token, or returns `None` if it contains a character outside
    /// the alphabet.
    pub(crate) fn decode(&self, token: &str) -> Option<Vec<u8>> {
        token
            .chars()
            .map(|c| self.bytes.get(c as usize).copied().flatten())
            .collect()
    }
}

/// Returns the raw bytes of the base tokens of `vocabulary_txt`, checked against the
/// model's `n_vocab`. `model` names the model in error messages.
pub(crate) fn base_tokens(
    vocabulary_txt: &str,
    n_vocab: usize,
    model: &str,
) -> Result<Vec<Vec<u8>>, ModelError> {
    let invalid = |reason: String| ModelError::InvalidVocabulary {
        model: model.to_string(),
        reason,
    };

    let mut tokens: Vec<&str> = vocabulary_txt.split('\n').collect();
    if tokens.last() == Some(&"") {
        tokens.pop();
    }
    if tokens.len() != n_vocab {
        return Err(invalid(format!(
            "vocabulary.txt has {} tokens, but the model has {n_vocab}",
            tokens.len()
        )));
    }

    // The end-of-text id differs between English-only (50256) and multilingual (50257)
    // vocabularies. A mismatch means that the vocabulary belongs to another model.
    let expected_end_of_text = if n_vocab >= MULTILINGUAL_MIN_VOCAB {
        50257
    } else {
        50256
    };
    let end_of_text = tokens.iter().position(|&token| token == END_OF_TEXT);
    if end_of_text != Some(expected_end_of_text) {
        return Err(invalid(format!(
            "{END_OF_TEXT} is at id {end_of_text:?}, expected {expected_end_of_text} for {n_vocab} tokens"
        )));
    }

    let decoder = ByteDecoder::new();
    let mut out = Vec::with_capacity(BASE_TOKENS);
    for (id, token) in tokens.iter().take(BASE_TOKENS).enumerate() {
        if *token == END_OF_TEXT {
            out.push(token.as_bytes().to_vec());
            continue;
        }
        let bytes = decoder.decode(token).ok_or_else(|| {
            invalid(format!(
                "token {id} ({token:?}) is not a GPT-2 byte-level token"
            ))
        })?;
        out.push(bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_printable_ascii_as_itself() {
        let decoder = ByteDecoder::new();
        assert_eq!(decoder.decode("hello!").unwrap(), b"hello!");
        assert_eq!(decoder.decode("~").unwrap(), b"~");
    }

    #[test]
    fn decode_shifted_bytes() {
        let decoder = ByteDecoder::new();
        // Byte 0 is the first non-printable byte, so it is shown as U+0100.
        assert_eq!(decoder.decode("\u{100}").unwrap(), vec![0x00]);
        // Space (0x20) is the 33rd: U+0120 'Ġ'. Newline (0x0a) is the 11th: U+010A 'Ċ'.
        assert_eq!(decoder.decode("Ġthe").unwrap(), b" the");
        assert_eq!(decoder.decode("Ċ").unwrap(), b"\n");
        // 0x7f follows the 32 control bytes 0x00..0x1f and the space: U+0121.
        assert_eq!(decoder.decode("\u{121}").unwrap(), vec![0x7f]);
        // Soft hyphen (0xad) is the last byte shifted: U+0143.
        assert_eq!(decoder.decode("\u{143}").unwrap(), vec![0xad]);
    }

    #[test]
    fn decode_latin1_and_multibyte_utf8() {
        let decoder = ByteDecoder::new();
        // "é" in UTF-8 is c3 a9; both bytes are printable Latin-1, shown as 'Ã' and '©'.
        assert_eq!(decoder.decode("Ã©").unwrap(), "é".as_bytes());
        assert_eq!(decoder.decode("ÿ").unwrap(), vec![0xff]);
    }

    #[test]
    fn decode_covers_every_byte_once() {
        let decoder = ByteDecoder::new();
        let mut seen = [0u32; 256];
        for byte in decoder.bytes.iter().flatten() {
            seen[usize::from(*byte)] += 1;
        }
        assert!(seen.iter().all(|&count| count == 1));
    }

    #[test]
    fn decode_rejects_characters_outside_alphabet() {
        let decoder = ByteDecoder::new();
        assert_eq!(decoder.decode(" "), None);
        assert_eq!(decoder.decode("\u{144}"), None);
        assert_eq!(decoder.decode("日本"), None);
    }

    fn vocabulary(n_vocab: usize, end_of_text: usize) -> String {
        let mut lines: Vec<String> = (0..n_vocab).map(|i| format!("t{i}")).collect();
        lines[end_of_text] = END_OF_TEXT.to_string();
        lines.join("\n") + "\n"
    }

    #[test]
    fn base_tokens_of_english_vocabulary() {
        let tokens = base_tokens(&vocabulary(51864, 50256), 51864, "tiny.en").unwrap();

        assert_eq!(tokens.len(), BASE_TOKENS);
        assert_eq!(tokens[0], b"t0");
        assert_eq!(tokens[50256], END_OF_TEXT.as_bytes());
    }

    #[test]
    fn base_tokens_of_multilingual_vocabulary() {
        let tokens = base_tokens(&vocabulary(51865, 50257), 51865, "base").unwrap();

        assert_eq!(tokens.len(), BASE_TOKENS);
        assert_eq!(tokens[50256], b"t50256");
    }

    #[test]
    fn base_tokens_rejects_wrong_count() {
        let err = base_tokens(&vocabulary(51864, 50256), 51865, "base").unwrap_err();
        assert!(err.to_string().contains("51864 tokens"), "{err}");
        assert!(err.to_string().contains("base"), "{err}");
    }

    #[test]
    fn base_tokens_rejects_misplaced_end_of_text() {
        let err = base_tokens(&vocabulary(51865, 50256), 51865, "base").unwrap_err();
        assert!(err.to_string().contains("expected 50257"), "{err}");
    }

    #[test]
    fn base_tokens_rejects_undecodable_token() {
        let mut text = vocabulary(51864, 50256);
        text.replace_range(0..2, "a b");
        let err = base_tokens(&text, 51864, "tiny.en").unwrap_err();
        assert!(err.to_string().contains("token 0"), "{err}");
    }
}
