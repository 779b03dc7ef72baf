//! Where the workspace, the speech clips and the download cache are.

use std::path::{Path, PathBuf};

use crate::error::FixtureError;

/// Environment variable that sets the download cache folder.
pub const CACHE_ENV: &str = "WHISPERRR_TEST_CACHE";

/// Returns the root of the Cargo workspace that contains this crate.
pub fn workspace_root() -> PathBuf {
    // This crate lives at <workspace>/tests/testkit.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("tests/testkit has two parent folders")
        .to_path_buf()
}

/// Returns `<workspace>/target/fixtures/speech`, where the clips go by default.
pub fn default_speech_dir() -> PathBuf {
    workspace_root()
        .join("target")
        .join("fixtures")
        .join("speech")
}

/// Returns the download cache: `$WHISPERRR_TEST_CACHE` if set, else
/// `$XDG_CACHE_HOME/whisperrr-test`, else `$HOME/.cache/whisperrr-test`.
pub fn cache_dir() -> Result<PathBuf, FixtureError> {
    if let Some(folder) = non_empty_env(CACHE_ENV) {
        return Ok(PathBuf::from(folder));
    }

    // The XDG Base Directory Specification (0.7 and later) requires absolute paths and
    // treats a relative one as invalid, to be ignored.
    if let Some(folder) = non_empty_env("XDG_CACHE_HOME").map(PathBuf::from) {
        if folder.is_absolute() {
            return Ok(folder.join("whisperrr-test"));
        }
    }

    let home = non_empty_env("HOME").ok_or(FixtureError::NoCacheDir)?;
    Ok(PathBuf::from(home).join(".cache").join("whisperrr-test"))
}

fn non_empty_env(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_contains_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();

        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn default_speech_dir_is_under_target() {
        assert!(default_speech_dir().starts_with(workspace_root().join("target")));
    }
}
