//! Importing models from this computer: a ggml `.bin` file, copied after its header is
//! checked, or a CTranslate2 (faster-whisper) folder, converted to ggml.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::catalog;
use super::convert::convert_to_ggml;
use super::ct2_folder::{converted_size_estimate, Ct2Folder};
use super::disk_space::ensure_free_space;
use super::error::ModelError;
use super::ggml_header::{read_header, GgmlHeader};
use super::progress::FetchPhase;
use super::staged::{file_digests, StagedFile};
use super::store::{is_catalog_file, ModelStore};
use crate::cancel::CancelToken;

const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Maximum length of a model name, which keeps file names well inside every file system's limit.
const MAX_NAME_CHARS: usize = 64;

/// Kind of source an import started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// A whisper.cpp ggml file, copied.
    GgmlFile,
    /// A CTranslate2 model folder, converted.
    Ct2Folder,
}

/// The result of a successful [`ModelStore::import`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    /// Name the model is installed under: the `NAME` of `ggml-NAME.bin`.
    pub name: String,
    pub path: PathBuf,
    pub kind: ImportKind,
    pub header: GgmlHeader,
}

impl ModelStore {
    /// Installs the model at `source` as `ggml-NAME.bin`, where `NAME` is `name` or, when
    /// `None`, derived from the file or folder name.
    ///
    /// A file must be a ggml model with a sane header. PyTorch, GGUF, CTranslate2 and other
    /// files are rejected with a message that names the format. A folder must hold a
    /// CTranslate2 Whisper model (`model.bin` and `vocabulary.txt` or `vocabulary.json`)
    /// with float16, float32, bfloat16 or scaled int8 weights, and is converted. An
    /// installed model of the same name is never replaced. A catalog name is accepted only
    /// for that catalog model's exact file. Errors and cancels leave no file under the
    /// model's name.
    pub fn import(
        &self,
        source: &Path,
        name: Option<&str>,
        on_progress: &mut dyn FnMut(FetchPhase),
        cancel: &CancelToken,
    ) -> Result<ImportOutcome, ModelError> {
        let metadata = std::fs::metadata(source).map_err(|_| ModelError::FileNotFound {
            path: source.to_path_buf(),
        })?;
        let name = match name {
            Some(name) => name.to_string(),
            None => default_name(source, metadata.is_dir()),
        };
        validate_name(&name)?;

        let dest = self.path_for(&name);
        if dest.exists() {
            return Err(ModelError::AlreadyInstalled { name, path: dest });
        }
        std::fs::create_dir_all(&self.models_dir)
            .map_err(ModelError::io("create the folder", &self.models_dir))?;

        tracing::info!(model = %name, source = %source.display(), "importing model");
        let result = if metadata.is_dir() {
            self.import_folder(source, &name, &dest, on_progress, cancel)
        } else {
            self.import_file(source, &name, &dest, metadata.len(), on_progress, cancel)
        };
        match &result {
            Ok(outcome) => {
                tracing::info!(model = %name, path = %outcome.path.display(), kind = ?outcome.kind, "imported model")
            }
            Err(error) => tracing::warn!(model = %name, %error, "import failed"),
        }
        result
    }

    fn import_file(
        &self,
        source: &Path,
        name: &str,
        dest: &Path,
        len: u64,
        on_progress: &mut dyn FnMut(FetchPhase),
        cancel: &CancelToken,
    ) -> Result<ImportOutcome, ModelError> {
        let header = read_header(source)?;

        if let Some(model) = catalog::find(name) {
            on_progress(FetchPhase::Verifying);
            let digests = file_digests(source)?;
            if !is_catalog_file(model, &digests.sha1, &digests.sha256, digests.size) {
                return Err(ModelError::CatalogNameTaken {
                    name: name.to_string(),
                    path: source.to_path_buf(),
                });
            }
        }

        ensure_free_space(&self.models_dir, len)?;
        let mut input = File::open(source).map_err(ModelError::io("open", source))?;
        let mut staged = StagedFile::create(dest, ".tmp")?;
        let mut buf = vec![0u8; COPY_CHUNK_BYTES];
        loop {
            if cancel.is_cancelled() {
                return Err(ModelError::Cancelled {
                    name: name.to_string(),
                });
            }
            let n = input
                .read(&mut buf)
                .map_err(ModelError::io("read", source))?;
            if n == 0 {
                break;
            }
            staged
                .write_all(&buf[..n])
                .map_err(ModelError::io("write", dest))?;
        }

        let path = staged.commit_new(name)?;
        Ok(ImportOutcome {
            name: name.to_string(),
            path,
            kind: ImportKind::GgmlFile,
            header,
        })
    }

    fn import_folder(
        &self,
        source: &Path,
        name: &str,
        dest: &Path,
        on_progress: &mut dyn FnMut(FetchPhase),
        cancel: &CancelToken,
    ) -> Result<ImportOutcome, ModelError> {
        let folder = Ct2Folder::open(source)?;
        let mut model = folder.open_model(name)?;
        let model_bin_bytes = std::fs::metadata(&folder.model_bin)
            .map_err(ModelError::io("read", &folder.model_bin))?
            .len();
        ensure_free_space(
            &self.models_dir,
            converted_size_estimate(&model, model_bin_bytes),
        )?;

        on_progress(FetchPhase::Converting);
        let mut staged = StagedFile::create(dest, ".tmp")?;
        let summary = convert_to_ggml(
            &mut model,
            &folder.vocabulary_txt,
            &mut staged,
            dest,
            name,
            cancel,
        )?;
        staged.flush().map_err(ModelError::io("write", dest))?;
        tracing::info!(
            model = name,
            tensors = summary.tensors,
            bytes = staged.written(),
            "converted the CTranslate2 folder"
        );

        on_progress(FetchPhase::Verifying);
        if let Some(model) = catalog::find(name) {
            if !is_catalog_file(model, "", &staged.sha256(), staged.written()) {
                return Err(ModelError::CatalogNameTaken {
                    name: name.to_string(),
                    path: source.to_path_buf(),
                });
            }
        }

        let path = staged.commit_new(name)?;
        let header = read_header(&path)?;
        Ok(ImportOutcome {
            name: name.to_string(),
            path,
            kind: ImportKind::Ct2Folder,
            header,
        })
    }
}

/// Derives a model name from a file (`ggml-small.bin` gives `small`) or a folder name
/// (`faster-whisper-tiny.en` stays as it is). A Hugging Face cache snapshot folder, named by
/// a commit hash inside `models--ORG--NAME`, gives `NAME`. Characters a name cannot have
/// become `-`.
/// Returns the name [`ModelStore::import`] installs `source` under when no name is given.
/// That is the file name without `ggml-` and `.bin`, or the folder's name (the
/// repository's name for a Hugging Face cache snapshot). Characters other than letters,
/// digits, `.`, `-` and `_` become `-`.
pub fn import_name(source: &Path) -> String {
    default_name(source, source.is_dir())
}

fn default_name(source: &Path, is_dir: bool) -> String {
    let file_name = source
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();

    let raw = if is_dir {
        let is_snapshot = file_name.len() == 40 && file_name.bytes().all(|b| b.is_ascii_hexdigit());
        let repository = source.ancestors().find_map(|ancestor| {
            let name = ancestor.file_name()?.to_str()?;
            name.strip_prefix("models--")?
                .rsplit("--")
                .next()
                .map(str::to_string)
        });
        match repository {
            Some(repository) if is_snapshot => repository,
            _ => file_name,
        }
    } else {
        let stem = file_name.strip_suffix(".bin").unwrap_or(&file_name);
        stem.strip_prefix("ggml-").unwrap_or(stem).to_string()
    };

    let cleaned: String = raw
        .chars()
        .map(|c| if is_name_char(c) { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_start_matches(['-', '.', '_']);
    let mut name: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
    if name.is_empty() {
        name = "imported".to_string();
    }
    name
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// Checks that `name` can be the `NAME` of `ggml-NAME.bin`: letters, digits, `.`, `-` and
/// `_`, starting with a letter or digit, at most 64 characters.
pub(crate) fn validate_name(name: &str) -> Result<(), ModelError> {
    let invalid = |reason| ModelError::InvalidName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("the name is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("a name has at most 64 characters"));
    }
    if !name.chars().all(is_name_char) {
        return Err(invalid("use only letters, digits, '.', '-' and '_'"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(invalid("a name starts with a letter or digit"));
    }
    if name.ends_with(".bin") || name.ends_with(".part") {
        return Err(invalid(
            "give the NAME of ggml-NAME.bin, without an extension",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
