//! Capabilities of a model: its languages and whether it translates.

use std::path::Path;

use serde::Serialize;

use super::catalog::{self, CatalogModel};
use super::error::ModelError;
use super::ggml_header::{read_header, GgmlHeader};
use super::store::ModelStore;

/// English-only vocabularies have 51864 tokens, multilingual ones 51765 plus one per
/// language plus one, as whisper.cpp's `whisper_model::num_languages` computes.
const VOCAB_BEFORE_LANGUAGES: i32 = 51765;

/// Languages of every multilingual model before large-v3, which added Cantonese.
const LANGUAGES_BEFORE_V3: usize = 99;

/// A language whisper transcribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LanguageInfo {
    /// ISO 639-1 code (or whisper's code where there is none), such as `en` or `yue`.
    pub code: &'static str,
    /// English name in lowercase, as whisper.cpp spells it, such as `french`.
    pub name: &'static str,
}

/// Capabilities of one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModelCapabilities {
    /// False for English-only models.
    pub multilingual: bool,
    /// Whether the model can translate speech into English.
    pub translates: bool,
    /// Number of languages the model transcribes: 1 for English-only models.
    pub language_count: usize,
}

impl ModelCapabilities {
    /// Capabilities of a catalog model, from the catalog.
    pub fn of_catalog_model(model: &CatalogModel) -> Self {
        let language_count = match (model.multilingual, model.family) {
            (false, _) => 1,
            (true, "large-v3" | "large-v3-turbo") => LANGUAGES_BEFORE_V3 + 1,
            (true, _) => LANGUAGES_BEFORE_V3,
        };
        Self {
            multilingual: model.multilingual,
            translates: model.translates,
            language_count,
        }
    }

    /// Capabilities read from a ggml header. A model with the dimensions of large-v3-turbo
    /// is taken not to translate, as OpenAI did not train that model for translation.
    pub fn of_header(header: &GgmlHeader) -> Self {
        let multilingual = header.is_multilingual();
        let language_count = if multilingual {
            (header.n_vocab - VOCAB_BEFORE_LANGUAGES - 1).max(1) as usize
        } else {
            1
        };
        Self {
            multilingual,
            translates: multilingual && header.family() != Some("large-v3-turbo"),
            language_count,
        }
    }

    /// Returns the languages the model can transcribe, in whisper's order (English first).
    pub fn languages(&self) -> Vec<LanguageInfo> {
        let known = all_languages();
        known.into_iter().take(self.language_count).collect()
    }

    /// Returns whether the model transcribes the language `code`.
    pub fn knows_language(&self, code: &str) -> bool {
        self.languages()
            .iter()
            .any(|language| language.code == code)
    }
}

/// Returns every language of whisper.cpp's table, in its order.
pub fn all_languages() -> Vec<LanguageInfo> {
    (0..=whisper_rs::get_lang_max_id())
        .filter_map(|id| {
            Some(LanguageInfo {
                code: whisper_rs::get_lang_str(id)?,
                name: whisper_rs::get_lang_str_full(id)?,
            })
        })
        .collect()
}

impl ModelStore {
    /// Returns what the model `name_or_path` can do: from the catalog for a catalog name,
    /// installed or not, and from the file's header for other installed models and paths.
    pub fn capabilities(&self, name_or_path: &str) -> Result<ModelCapabilities, ModelError> {
        if let Some(model) = catalog::find(name_or_path) {
            return Ok(ModelCapabilities::of_catalog_model(model));
        }
        let path = self.resolve(name_or_path)?;
        capabilities_of_file(&path)
    }
}

/// Reads the capabilities of a model file from its header.
pub fn capabilities_of_file(path: &Path) -> Result<ModelCapabilities, ModelError> {
    Ok(ModelCapabilities::of_header(&read_header(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_start_with_english() {
        let all = all_languages();
        assert_eq!(
            all[0],
            LanguageInfo {
                code: "en",
                name: "english"
            }
        );
        assert!(all.iter().any(|l| l.code == "fr" && l.name == "french"));
        assert_eq!(all.len(), LANGUAGES_BEFORE_V3 + 1);
        assert_eq!(all.last().unwrap().code, "yue");
    }

    #[test]
    fn english_model_offers_english_only() {
        let capabilities = ModelCapabilities::of_catalog_model(catalog::find("base.en").unwrap());

        assert!(!capabilities.multilingual);
        assert!(!capabilities.translates);
        let codes: Vec<&str> = capabilities.languages().iter().map(|l| l.code).collect();
        assert_eq!(codes, ["en"]);
        assert!(!capabilities.knows_language("fr"));
    }

    #[test]
    fn multilingual_models_and_translation() {
        let base = ModelCapabilities::of_catalog_model(catalog::find("base").unwrap());
        assert!(base.translates);
        assert_eq!(base.languages().len(), 99);
        assert!(base.knows_language("fr"));
        assert!(!base.knows_language("yue"));

        let turbo = ModelCapabilities::of_catalog_model(catalog::find("large-v3-turbo").unwrap());
        assert!(turbo.multilingual);
        assert!(!turbo.translates);
        assert!(turbo.knows_language("yue"));
    }

    #[test]
    fn capabilities_from_header_match_catalog() {
        let header = |n_vocab, text_layers| GgmlHeader {
            n_vocab,
            n_audio_ctx: 1500,
            n_audio_state: 1280,
            n_audio_head: 20,
            n_audio_layer: 32,
            n_text_ctx: 448,
            n_text_state: 1280,
            n_text_head: 20,
            n_text_layer: text_layers,
            n_mels: 128,
            ftype: 1,
        };

        let large = ModelCapabilities::of_header(&header(51866, 32));
        assert_eq!(
            large,
            ModelCapabilities::of_catalog_model(catalog::find("large-v3").unwrap())
        );
        let turbo = ModelCapabilities::of_header(&header(51866, 4));
        assert_eq!(
            turbo,
            ModelCapabilities::of_catalog_model(catalog::find("large-v3-turbo").unwrap())
        );
        let english = ModelCapabilities::of_header(&header(51864, 32));
        assert_eq!(english.language_count, 1);
        let multilingual = ModelCapabilities::of_header(&header(51865, 32));
        assert_eq!(multilingual.language_count, 99);
    }
}
