//! Test-friendly access to the default speech folder.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::clips::{clips, find_clip};
use crate::fetch::{fetch_speech, reference_path};
use crate::paths::default_speech_dir;

/// The default speech folder once this process has fetched or verified it.
static SPEECH_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Returns `<workspace>/target/fixtures/speech`, fetching the clips on the first call in
/// this process.
///
/// # Panics
///
/// Panics if the clips cannot be fetched, with a message that names the failing URL or file.
pub fn speech_dir() -> PathBuf {
    SPEECH_DIR
        .get_or_init(|| {
            let folder = default_speech_dir();
            if let Err(error) = fetch_speech(&folder) {
                panic!(
                    "speech fixtures for {} are not available: {error}",
                    folder.display()
                );
            }
            folder
        })
        .clone()
}

/// Returns the path of clip `name` in the default speech folder, fetching it if needed.
///
/// # Panics
///
/// Panics if `name` is not one of [`clips`], or if fetching fails.
pub fn clip(name: &str) -> PathBuf {
    speech_dir().join(known_clip(name))
}

/// Returns the reference transcript of clip `name`, fetching it if needed.
///
/// # Panics
///
/// Panics if `name` is not one of [`clips`], or if fetching or reading the text fails.
pub fn reference(name: &str) -> String {
    let path = reference_path(&speech_dir(), known_clip(name));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));
    text.trim_end_matches('\n').to_string()
}

fn known_clip(name: &str) -> &'static str {
    match find_clip(name) {
        Some(clip) => clip.name,
        None => {
            let names: Vec<&str> = clips().iter().map(|clip| clip.name).collect();
            panic!(
                "unknown speech clip {name:?}; the clips are: {}",
                names.join(", ")
            )
        }
    }
}
