//! Settings for one transcription.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The spoken language, or a request to detect it.
///
/// whisper.cpp assumes English when no language is given, so the transcriber always passes
/// one of these explicitly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type), specta(type = String))]
#[serde(into = "String", try_from = "String")]
pub enum Language {
    /// Let whisper detect the language from the first 30 seconds.
    #[default]
    Auto,
    /// An ISO 639-1 code that whisper knows, such as `en` or `fr`.
    Code(String),
}

impl Language {
    /// The string whisper.cpp takes.
    pub fn as_whisper_str(&self) -> &str {
        match self {
            Language::Auto => "auto",
            Language::Code(code) => code,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_whisper_str())
    }
}

/// The language name was neither `auto` nor a code whisper knows.
#[derive(Debug, thiserror::Error)]
#[error("unknown language '{0}'; use 'auto' or a code such as en, fr, de, es, ja")]
pub struct UnknownLanguage(String);

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let code = name.trim().to_ascii_lowercase();
        if code == "auto" {
            return Ok(Language::Auto);
        }
        // Looked up in whisper's table rather than with `get_lang_id`, which prints an error
        // line of its own for an unknown code.
        let known = (0..=whisper_rs::get_lang_max_id()).any(|id| whisper_rs::get_lang_str(id) == Some(code.as_str()));
        if known {
            Ok(Language::Code(code))
        } else {
            Err(UnknownLanguage(name.to_string()))
        }
    }
}

impl From<Language> for String {
    fn from(language: Language) -> Self {
        language.as_whisper_str().to_string()
    }
}

impl TryFrom<String> for Language {
    type Error = UnknownLanguage;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

/// One language whisper.cpp can transcribe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhisperLanguage {
    /// ISO 639-1 code, such as `en`, or a longer code for the few languages without one.
    pub code: &'static str,
    /// English name, in whisper.cpp's lowercase spelling, such as `english`.
    pub name: &'static str,
}

/// Every language whisper.cpp knows, in its own order (by amount of training data).
pub fn whisper_languages() -> Vec<WhisperLanguage> {
    (0..=whisper_rs::get_lang_max_id())
        .filter_map(|id| {
            let code = whisper_rs::get_lang_str(id)?;
            let name = whisper_rs::get_lang_str_full(id)?;
            Some(WhisperLanguage { code, name })
        })
        .collect()
}

/// How to transcribe one recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscribeOptions {
    pub language: Language,
    /// Translate the speech to English instead of transcribing it as spoken.
    pub translate: bool,
    /// Worker threads for whisper.cpp. Its threads spin while they wait, so more threads
    /// than idle cores makes a job slower, not faster.
    pub threads: usize,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        Self { language: Language::Auto, translate: false, threads: default_threads() }
    }
}

/// Hints for transcribing one piece of a longer stream, such as a chunk of a live recording.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkHints {
    /// Text spoken just before this audio, given to whisper as its prompt so names, spelling
    /// and punctuation carry over between chunks. whisper.cpp keeps at most the last 224
    /// tokens of it.
    pub previous_text: String,
    /// Encode only about as much audio as the chunk contains instead of a whole 30 s window,
    /// and decode it in one pass with a token limit proportional to its length. This makes
    /// short chunks several times faster (0.6 s instead of 3.3 s for 3 s of speech with
    /// tiny.en on one thread of the 2-core development machine). whisper.cpp marks the
    /// audio context option experimental: it can make whisper repeat a sentence, which the
    /// one-pass limit bounds. Chunks must be shorter than 30 s.
    pub fit_audio_context: bool,
    /// Decode once, without whisper's retries at higher temperatures when the text looks
    /// repetitive or unsure. Each retry costs another full decode, so this bounds the time
    /// of a pass at the risk of keeping a weaker result.
    pub no_fallback: bool,
}

/// One thread fewer than the machine has cores, so the window and the decoder keep a
/// core, with at least one and at most eight (whisper.cpp gains little beyond that).
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    cores.saturating_sub(1).clamp(1, 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auto_and_codes() {
        assert_eq!("auto".parse::<Language>().unwrap(), Language::Auto);
        assert_eq!("FR".parse::<Language>().unwrap(), Language::Code("fr".into()));
    }

    #[test]
    fn language_list_starts_with_english() {
        let languages = whisper_languages();

        assert_eq!(languages[0], WhisperLanguage { code: "en", name: "english" });
        assert!(languages.len() >= 99, "{}", languages.len());
        assert!(languages.iter().any(|language| language.code == "fr" && language.name == "french"));
    }

    #[test]
    fn rejects_unknown_code() {
        let error = "xx".parse::<Language>().unwrap_err();

        assert!(error.to_string().contains("'xx'"), "{error}");
    }
}
