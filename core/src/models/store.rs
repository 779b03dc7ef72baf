//! The folder of installed models and the operations on it.
//!
//! Fetching is in [`super::fetch`], importing in [`super::import`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::catalog::{self, CatalogModel};
use super::download::{part_path, DownloadPolicy, Downloader};
use super::error::ModelError;
use super::ggml::GGML_MAGIC;
use super::host::host_url_from_env;
use super::pypi::{index_url_from_env, PypiClient};
use super::staged::file_digests;

/// A model file found in the models folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledModel {
    /// The `NAME` of `ggml-NAME.bin`, which is the catalog name for catalog models.
    pub name: String,
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// Sources [`ModelStore::fetch`] may take a catalog model from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchSources {
    /// The model host, and the PyPI route for the models that have one when the host
    /// cannot be reached.
    #[default]
    HostThenPypi,
    /// Only the model host.
    HostOnly,
    /// Only the PyPI route, which gives byte-identical files on every machine.
    PypiOnly,
}

/// The state of one model in the models folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelStatus {
    /// `ggml-NAME.bin` exists.
    Installed { path: PathBuf, size: u64 },
    /// Only a `ggml-NAME.bin.part` file exists: a download that can be resumed.
    Partial { path: PathBuf, bytes: u64 },
    /// Nothing is on disk yet.
    Available,
}

/// One row of [`ModelStore::list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelEntry {
    pub name: String,
    /// The catalog entry, or `None` for a model installed by hand or imported.
    pub catalog: Option<&'static CatalogModel>,
    pub status: ModelStatus,
}

/// Files that [`ModelStore::remove`] deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedModel {
    pub name: String,
    /// The model file and the partial download, whichever existed.
    pub paths: Vec<PathBuf>,
}

/// Installed models in `models_dir`, and the download cache in `cache_dir`.
///
/// Models are stored as `ggml-NAME.bin`, whisper.cpp's naming, so files downloaded by hand
/// from whisper.cpp can be dropped into the folder too. The cache keeps downloaded wheels,
/// so a model can be converted again without downloading it again.
#[derive(Debug, Clone)]
pub struct ModelStore {
    pub(super) models_dir: PathBuf,
    pub(super) cache_dir: PathBuf,
    pub(super) client: PypiClient,
    pub(super) host_url: String,
    pub(super) downloader: Downloader,
    pub(super) sources: FetchSources,
}

impl ModelStore {
    /// Creates a store over the two folders, which need not exist yet. Downloads use the
    /// model host named by `$WHISPERRR_MODEL_HOST_URL` and the package index named by
    /// `$WHISPERRR_PYPI_INDEX_URL`, or their defaults.
    pub fn new(models_dir: impl Into<PathBuf>, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            models_dir: models_dir.into(),
            cache_dir: cache_dir.into(),
            client: PypiClient::new(&index_url_from_env()),
            host_url: host_url_from_env(),
            downloader: Downloader::new(DownloadPolicy::default()),
            sources: FetchSources::default(),
        }
    }

    /// Uses the package index at `index_url` (a PEP 691 simple index base URL, such as
    /// `https://pypi.org/simple`) instead of the one from the environment.
    pub fn with_index_url(mut self, index_url: &str) -> Self {
        self.client = PypiClient::new(index_url);
        self
    }

    /// Uses the model host at `host_url` (the folder of the `ggml-NAME.bin` files) instead
    /// of the one from the environment.
    pub fn with_host_url(mut self, host_url: &str) -> Self {
        self.host_url = host_url.trim().to_string();
        self
    }

    /// Restricts where catalog models are fetched from.
    pub fn with_sources(mut self, sources: FetchSources) -> Self {
        self.sources = sources;
        self
    }

    /// Uses other timeouts and retries for host downloads.
    #[cfg(test)]
    pub(crate) fn with_download_policy(mut self, policy: DownloadPolicy) -> Self {
        self.downloader = Downloader::new(policy);
        self
    }

    pub fn models_dir(&self) -> &Path {
        &self.models_dir
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// Base URL of the package index that the PyPI route uses.
    pub fn index_url(&self) -> &str {
        self.client.index_url()
    }

    /// Base URL of the model host.
    pub fn host_url(&self) -> &str {
        &self.host_url
    }

    /// Returns where the model `name` is or would be installed: `ggml-NAME.bin` in the
    /// models folder, for catalog names and other names alike.
    pub fn path_for(&self, name: &str) -> PathBuf {
        match catalog::find(name) {
            Some(model) => self.models_dir.join(model.file_name),
            None => self.models_dir.join(format!("ggml-{name}.bin")),
        }
    }

    /// Returns the size of the partial download of `name`, if one can be resumed.
    pub fn partial_download(&self, name: &str) -> Option<u64> {
        let metadata = std::fs::metadata(part_path(&self.path_for(name))).ok()?;
        metadata.is_file().then_some(metadata.len())
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

    /// Lists every catalog model, in catalog order, then the other installed models by
    /// name, each with its state on disk.
    pub fn list(&self) -> Vec<ModelEntry> {
        let installed = self.installed();
        let status_of = |name: &str| {
            if let Some(model) = installed.iter().find(|m| m.name == name) {
                return ModelStatus::Installed {
                    path: model.path.clone(),
                    size: model.size,
                };
            }
            match self.partial_download(name) {
                Some(bytes) => ModelStatus::Partial {
                    path: part_path(&self.path_for(name)),
                    bytes,
                },
                None => ModelStatus::Available,
            }
        };

        let mut entries: Vec<ModelEntry> = catalog::all()
            .iter()
            .map(|model| ModelEntry {
                name: model.name.to_string(),
                catalog: Some(model),
                status: status_of(model.name),
            })
            .collect();
        for model in installed
            .iter()
            .filter(|m| catalog::find(&m.name).is_none())
        {
            entries.push(ModelEntry {
                name: model.name.clone(),
                catalog: None,
                status: status_of(&model.name),
            });
        }
        entries
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

        if !is_plain_name(name_or_path) {
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

    /// Hashes the installed catalog model `name` and compares it with the catalog: the
    /// host's SHA-1, or the size and sha256 of the PyPI route's file. Returns its path when
    /// either matches.
    pub fn verify(&self, name: &str) -> Result<PathBuf, ModelError> {
        let model = catalog::find(name).ok_or_else(|| unknown_model(name))?;
        let path = self.models_dir.join(model.file_name);

        if !path.is_file() {
            return Err(ModelError::NotInstalled {
                name: model.name.to_string(),
                path,
            });
        }
        let digests = file_digests(&path)?;
        if is_catalog_file(model, &digests.sha1, &digests.sha256, digests.size) {
            return Ok(path);
        }

        if let Some(expected) = model.exact_size.filter(|&size| size != digests.size) {
            return Err(ModelError::SizeMismatch {
                file: path.display().to_string(),
                expected,
                actual: digests.size,
            });
        }
        Err(ModelError::ChecksumMismatch {
            file: path.display().to_string(),
            algorithm: "SHA-1",
            expected: model.sha1.to_string(),
            actual: digests.sha1,
        })
    }

    /// Deletes the installed model `name` and its partial download. A name with neither
    /// gives [`ModelError::NotFound`].
    pub fn remove(&self, name: &str) -> Result<RemovedModel, ModelError> {
        if !is_plain_name(name) || name.is_empty() {
            return Err(ModelError::InvalidName {
                name: name.to_string(),
                reason: "give the NAME of an installed ggml-NAME.bin, not a path",
            });
        }

        let model_path = self.path_for(name);
        let mut paths = Vec::new();
        for path in [model_path.clone(), part_path(&model_path)] {
            match std::fs::remove_file(&path) {
                Ok(()) => paths.push(path),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(ModelError::Io {
                        action: "delete",
                        path,
                        source: error,
                    })
                }
            }
        }

        if paths.is_empty() {
            return Err(ModelError::NotFound {
                name: name.to_string(),
                dir: self.models_dir.clone(),
            });
        }
        tracing::info!(model = name, ?paths, "removed model");
        Ok(RemovedModel {
            name: name.to_string(),
            paths,
        })
    }
}

/// Returns whether `text` is a bare model name rather than a path or file name.
pub(super) fn is_plain_name(text: &str) -> bool {
    !text.contains(['/', '\\']) && !text.ends_with(".bin")
}

/// Returns whether a file with these digests is the catalog model: the host's file, or the
/// PyPI route's converted file.
pub(super) fn is_catalog_file(model: &CatalogModel, sha1: &str, sha256: &str, size: u64) -> bool {
    let host_file = sha1 == model.sha1 && model.exact_size.is_none_or(|exact| exact == size);
    let pypi_file = model
        .pypi
        .as_ref()
        .is_some_and(|source| source.output.sha256 == sha256 && source.output.size == size);
    host_file || pypi_file
}

pub(super) fn unknown_model(name: &str) -> ModelError {
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
