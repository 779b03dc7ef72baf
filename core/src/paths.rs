//! Where the app keeps its files, following each OS's conventions through `directories`.
//!
//! On Linux these honour `XDG_DATA_HOME`, `XDG_CACHE_HOME` and `XDG_CONFIG_HOME`, which is
//! how tests give the app a private home.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The app's folders. Nothing is created until a caller writes there.
#[derive(Clone, Debug)]
pub struct AppDirs {
    data: PathBuf,
    cache: PathBuf,
    config: PathBuf,
}

impl AppDirs {
    /// Resolves the folders for the current user, or `None` when the OS reports no home
    /// folder at all.
    pub fn for_current_user() -> Option<Self> {
        let project = ProjectDirs::from("", "", "Whisperrr")?;
        Some(Self {
            data: project.data_local_dir().to_path_buf(),
            cache: project.cache_dir().to_path_buf(),
            config: project.config_dir().to_path_buf(),
        })
    }

    /// Places every folder under `root`, for tests and portable installs.
    pub fn under(root: &Path) -> Self {
        Self {
            data: root.join("data"),
            cache: root.join("cache"),
            config: root.join("config"),
        }
    }

    /// Installed ggml models.
    pub fn models(&self) -> PathBuf {
        self.data.join("models")
    }

    /// Downloads that can be fetched again, such as the wheels models are converted from.
    pub fn cache(&self) -> PathBuf {
        self.cache.clone()
    }

    /// Log files, one line per job start, end and error.
    pub fn logs(&self) -> PathBuf {
        self.data.join("logs")
    }

    /// Settings.
    pub fn config(&self) -> PathBuf {
        self.config.clone()
    }
}
