//! User settings, kept as JSON in the app's config folder.
//!
//! Loading never fails: a missing file gives the defaults, a field that is missing or of
//! the wrong type (say, from an older or newer version) gives that field's default, and a
//! file that is not JSON at all is kept as `settings.json.bak` before the defaults are
//! used. Each of these cases comes back with a warning for the user.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::export::Format;
use crate::models::{ModelCapabilities, DEFAULT_MODEL};
use crate::transcribe::{default_threads, Language, TranscribeOptions};

const FILE_NAME: &str = "settings.json";

/// Where transcripts are saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "folder", rename_all = "snake_case")]
pub enum SaveLocation {
    /// In the folder of the audio file, named after it.
    #[default]
    BesideAudio,
    /// In one chosen folder.
    Folder(PathBuf),
}

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Settings {
    /// Model name from the catalog, or a path to a ggml file.
    pub model: String,
    pub language: Language,
    /// Translate speech into English instead of transcribing it as spoken.
    pub translate: bool,
    /// whisper threads; `None` picks [`crate::transcribe::default_threads`].
    pub threads: Option<usize>,
    /// Transcript files written after each job.
    pub formats: Vec<Format>,
    pub save_location: SaveLocation,
    /// Name of the microphone to record from; `None` uses the system default.
    pub input_device: Option<String>,
    /// Folder for recordings; `None` uses a folder in the user's documents.
    pub recordings_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: DEFAULT_MODEL.to_string(),
            language: Language::Auto,
            translate: false,
            threads: None,
            formats: vec![Format::Txt, Format::Srt],
            save_location: SaveLocation::BesideAudio,
            input_device: None,
            recordings_dir: None,
        }
    }
}

impl Settings {
    /// Changes `language` and `translate` to what the model `model` can do, and returns one
    /// line for the user per choice that changed. An English-only model gets English, and a
    /// language the model does not know becomes `auto`. Translation is switched off for
    /// models that cannot translate.
    pub fn fit_to_model(&mut self, model: &str, capabilities: &ModelCapabilities) -> Vec<String> {
        let mut notes = Vec::new();

        if !capabilities.multilingual {
            // `auto` on an English-only model means English, so that change needs no note.
            if let Language::Code(code) = &self.language {
                if code != "en" {
                    notes.push(format!(
                        "{model} is English-only, so the language changed from {code} to en"
                    ));
                }
            }
            self.language = Language::Code("en".to_string());
        } else if let Language::Code(code) = &self.language {
            if !capabilities.knows_language(code) {
                notes.push(format!(
                    "{model} does not know the language {code}, so the language changed to auto"
                ));
                self.language = Language::Auto;
            }
        }

        if self.translate && !capabilities.translates {
            notes.push(format!("{model} cannot translate, so translation was switched off"));
            self.translate = false;
        }
        notes
    }

    /// Makes the default model active again when `removed` was the active model. Returns
    /// whether the setting changed.
    pub fn forget_model(&mut self, removed: &str) -> bool {
        if self.model != removed {
            return false;
        }
        self.model = DEFAULT_MODEL.to_string();
        true
    }

    /// Returns the options a transcription with these settings uses.
    pub fn transcribe_options(&self) -> TranscribeOptions {
        TranscribeOptions {
            language: self.language.clone(),
            translate: self.translate,
            threads: self.threads.unwrap_or_else(default_threads),
        }
    }

    /// Returns the folder transcripts go to, or `None` for beside each audio file.
    pub fn output_dir(&self) -> Option<&Path> {
        match &self.save_location {
            SaveLocation::BesideAudio => None,
            SaveLocation::Folder(folder) => Some(folder),
        }
    }
}

/// Settings as loaded, with what had to be repaired.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedSettings {
    pub settings: Settings,
    /// One line per problem found, for the user. Empty when the file was fine or absent.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("failed to save settings to '{}': {source}", path.display())]
pub struct SettingsError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Reads and writes `settings.json` in one folder.
#[derive(Clone, Debug)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    pub fn new(config_dir: &Path) -> Self {
        Self { path: config_dir.join(FILE_NAME) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the settings, repairing what it must; see the module documentation.
    pub fn load(&self) -> LoadedSettings {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return LoadedSettings { settings: Settings::default(), warnings: Vec::new() };
            }
            Err(error) => {
                let warning = format!("cannot read '{}': {error}; using default settings", self.path.display());
                tracing::warn!(%warning);
                return LoadedSettings { settings: Settings::default(), warnings: vec![warning] };
            }
        };

        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(fields)) => {
                let loaded = from_fields(&fields);
                for warning in &loaded.warnings {
                    tracing::warn!(path = %self.path.display(), %warning, "setting reset to default");
                }
                loaded
            }
            Ok(_) | Err(_) => self.set_aside_corrupt_file(),
        }
    }

    /// Writes `settings` atomically: a reader sees the old file or the new one, never a mix.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let error = |source| SettingsError { path: self.path.clone(), source };
        let dir = self.path.parent().unwrap_or(Path::new(""));
        fs::create_dir_all(dir).map_err(error)?;

        let json = serde_json::to_string_pretty(settings).map_err(|e| error(io::Error::other(e)))?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(error)?;
        temp.write_all(json.as_bytes()).map_err(error)?;
        temp.write_all(b"\n").map_err(error)?;
        temp.as_file().sync_all().map_err(error)?;
        temp.persist(&self.path).map_err(|e| error(e.error))?;
        Ok(())
    }

    fn set_aside_corrupt_file(&self) -> LoadedSettings {
        let backup = self.path.with_extension("json.bak");
        let warning = match fs::rename(&self.path, &backup) {
            Ok(()) => format!(
                "'{}' was not valid settings; it was kept as '{}' and default settings are used",
                self.path.display(),
                backup.display()
            ),
            Err(error) => format!(
                "'{}' was not valid settings and could not be kept as '{}' ({error}); default settings are used",
                self.path.display(),
                backup.display()
            ),
        };
        tracing::warn!(%warning);
        LoadedSettings { settings: Settings::default(), warnings: vec![warning] }
    }
}

/// Builds settings field by field, so one bad field costs only itself.
fn from_fields(fields: &Map<String, Value>) -> LoadedSettings {
    let defaults = Settings::default();
    let mut warnings = Vec::new();
    let w = &mut warnings;

    let settings = Settings {
        model: field(fields, w, "model", defaults.model),
        language: field(fields, w, "language", defaults.language),
        translate: field(fields, w, "translate", defaults.translate),
        threads: field(fields, w, "threads", defaults.threads),
        formats: field(fields, w, "formats", defaults.formats),
        save_location: field(fields, w, "save_location", defaults.save_location),
        input_device: field(fields, w, "input_device", defaults.input_device),
        recordings_dir: field(fields, w, "recordings_dir", defaults.recordings_dir),
    };
    LoadedSettings { settings, warnings }
}

/// The field `name` of `fields`, or `default` when it is absent or invalid.
fn field<T: DeserializeOwned>(fields: &Map<String, Value>, warnings: &mut Vec<String>, name: &str, default: T) -> T {
    let Some(value) = fields.get(name) else {
        return default;
    };
    match T::deserialize(value) {
        Ok(parsed) => parsed,
        Err(error) => {
            warnings.push(format!("setting '{name}' has an invalid value {value} ({error}); using the default"));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SettingsStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        (dir, store)
    }

    #[test]
    fn missing_file_gives_defaults_without_warning() {
        let (_dir, store) = store();

        let loaded = store.load();

        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn saved_settings_load_back() {
        let (_dir, store) = store();
        let settings = Settings {
            model: "tiny.en".into(),
            language: Language::Code("fr".into()),
            translate: true,
            threads: Some(3),
            formats: vec![Format::Srt],
            save_location: SaveLocation::Folder("/tmp/out".into()),
            input_device: Some("USB Microphone".into()),
            recordings_dir: Some("/tmp/rec".into()),
        };

        store.save(&settings).unwrap();
        let loaded = store.load();

        assert_eq!(loaded.settings, settings);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn corrupt_file_kept_as_bak_and_defaults_used() {
        let (dir, store) = store();
        fs::write(store.path(), "{ not json").unwrap();

        let loaded = store.load();

        assert_eq!(loaded.settings, Settings::default());
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].contains("settings.json.bak"), "{:?}", loaded.warnings);
        assert_eq!(fs::read_to_string(dir.path().join("settings.json.bak")).unwrap(), "{ not json");
        assert!(!store.path().exists());
    }

    #[test]
    fn old_file_with_missing_and_unknown_fields_loads() {
        let (_dir, store) = store();
        fs::write(store.path(), r#"{"model": "tiny.en", "theme": "dark", "beam_size": 5}"#).unwrap();

        let loaded = store.load();

        assert_eq!(loaded.settings.model, "tiny.en");
        assert_eq!(loaded.settings.formats, Settings::default().formats);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn invalid_field_reset_alone_with_warning() {
        let (_dir, store) = store();
        fs::write(store.path(), r#"{"model": "base", "language": "klingon", "threads": "many"}"#).unwrap();

        let loaded = store.load();

        assert_eq!(loaded.settings.model, "base");
        assert_eq!(loaded.settings.language, Language::Auto);
        assert_eq!(loaded.settings.threads, None);
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("language"));
    }

    fn capabilities(model: &str) -> ModelCapabilities {
        ModelCapabilities::of_catalog_model(crate::models::catalog::find(model).unwrap())
    }

    #[test]
    fn fit_to_english_model_sets_english() {
        let mut settings = Settings {
            language: Language::Code("fr".into()),
            translate: true,
            ..Settings::default()
        };

        let notes = settings.fit_to_model("base.en", &capabilities("base.en"));

        assert_eq!(settings.language, Language::Code("en".into()));
        assert!(!settings.translate);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("English-only"), "{notes:?}");
    }

    #[test]
    fn fit_auto_to_english_model_without_note() {
        let mut settings = Settings::default();

        let notes = settings.fit_to_model("tiny.en", &capabilities("tiny.en"));

        assert_eq!(settings.language, Language::Code("en".into()));
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn fit_to_multilingual_model_keeps_known_language() {
        let mut settings = Settings {
            language: Language::Code("fr".into()),
            translate: true,
            ..Settings::default()
        };

        let notes = settings.fit_to_model("base", &capabilities("base"));

        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(settings.language, Language::Code("fr".into()));
        assert!(settings.translate);
    }

    #[test]
    fn fit_drops_unknown_language_and_translation() {
        let mut settings = Settings {
            language: Language::Code("yue".into()),
            ..Settings::default()
        };
        let notes = settings.fit_to_model("base", &capabilities("base"));
        assert_eq!(settings.language, Language::Auto);
        assert_eq!(notes.len(), 1);

        settings.translate = true;
        let notes = settings.fit_to_model("large-v3-turbo", &capabilities("large-v3-turbo"));
        assert!(!settings.translate);
        assert!(notes[0].contains("cannot translate"), "{notes:?}");
    }

    #[test]
    fn forget_model_resets_active_model_only() {
        let mut settings = Settings { model: "small".into(), ..Settings::default() };

        assert!(!settings.forget_model("medium"));
        assert_eq!(settings.model, "small");
        assert!(settings.forget_model("small"));
        assert_eq!(settings.model, DEFAULT_MODEL);
    }

    #[test]
    fn every_format_saved_and_loaded() {
        let (_dir, store) = store();
        let settings = Settings { formats: Format::ALL.to_vec(), ..Settings::default() };

        store.save(&settings).unwrap();

        assert_eq!(store.load().settings.formats, [Format::Txt, Format::Srt, Format::Vtt, Format::Json]);
    }

    #[test]
    fn unknown_format_resets_formats_with_warning() {
        let (_dir, store) = store();
        fs::write(store.path(), r#"{"model": "tiny.en", "formats": ["srt", "docx"]}"#).unwrap();

        let loaded = store.load();

        assert_eq!(loaded.settings.model, "tiny.en");
        assert_eq!(loaded.settings.formats, Settings::default().formats);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("'formats'"), "{:?}", loaded.warnings);
    }

    #[test]
    fn old_save_location_shape_reset_alone() {
        let (_dir, store) = store();
        fs::write(store.path(), r#"{"threads": 2, "save_location": "/home/me/transcripts"}"#).unwrap();

        let loaded = store.load();

        assert_eq!(loaded.settings.threads, Some(2));
        assert_eq!(loaded.settings.save_location, SaveLocation::BesideAudio);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    }

    #[test]
    fn folder_save_location_round_trips() {
        let (_dir, store) = store();
        let settings = Settings { save_location: SaveLocation::Folder("/tmp/a b #1/é".into()), ..Settings::default() };

        store.save(&settings).unwrap();
        let loaded = store.load();

        assert_eq!(loaded.settings.output_dir(), Some(Path::new("/tmp/a b #1/é")));
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(text.contains(r#""kind": "folder""#), "{text}");
    }

    #[test]
    fn transcribe_options_follow_settings() {
        let settings = Settings {
            language: Language::Code("fr".into()),
            translate: true,
            threads: Some(3),
            ..Settings::default()
        };

        let options = settings.transcribe_options();

        assert_eq!(options.language, Language::Code("fr".into()));
        assert!(options.translate);
        assert_eq!(options.threads, 3);
        assert_eq!(Settings::default().transcribe_options().threads, default_threads());
    }

    #[test]
    fn json_that_is_not_an_object_is_corrupt() {
        let (dir, store) = store();
        fs::write(store.path(), "[1, 2, 3]").unwrap();

        let loaded = store.load();

        assert_eq!(loaded.settings, Settings::default());
        assert!(dir.path().join("settings.json.bak").exists());
    }
}
