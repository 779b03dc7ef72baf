//! Fetching the speech clips into a folder, reusing whatever is already verified.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::archive::read_members;
use crate::build::{build_clip, build_reference, OpenedArchive, OpenedArchives};
use crate::clips::{clips, ClipInfo};
use crate::download::{ensure_archive, ArchiveStatus};
use crate::error::FixtureError;
use crate::files::{sha256_file, write_atomic};
use crate::lock::lock_folder;
use crate::manifest::{self, ManifestEntry};
use crate::paths::cache_dir;
use crate::report::FetchReport;
use crate::sources::Source;

/// Makes sure `speech_dir` contains every clip, its `<clip>.txt` reference and
/// `manifest.json`, downloading archives into the default [`cache_dir`] only if needed.
///
/// Clips already present with their pinned sha256 are kept, so a second call only hashes
/// them. Concurrent calls from several processes wait for each other through lock files.
pub fn fetch_speech(speech_dir: &Path) -> Result<FetchReport, FixtureError> {
    fetch(speech_dir, cache_dir)
}

/// Like [`fetch_speech`], with downloads cached in `cache_dir`.
pub fn fetch_speech_with_cache(
    speech_dir: &Path,
    cache_dir: &Path,
) -> Result<FetchReport, FixtureError> {
    fetch(speech_dir, || Ok(cache_dir.to_path_buf()))
}

fn fetch(
    speech_dir: &Path,
    cache_dir: impl FnOnce() -> Result<PathBuf, FixtureError>,
) -> Result<FetchReport, FixtureError> {
    let started = Instant::now();
    let _lock = lock_folder(speech_dir)?;

    let stale = stale_clips(speech_dir)?;
    let mut report = FetchReport {
        speech_dir: speech_dir.to_path_buf(),
        cache_dir: None,
        archives: Vec::new(),
        written: Vec::new(),
        verified: clips()
            .iter()
            .filter(|clip| !stale.iter().any(|stale| stale.name == clip.name))
            .map(|clip| clip.name)
            .collect(),
        elapsed: started.elapsed(),
    };
    if stale.is_empty() {
        return Ok(report);
    }

    let cache_dir = cache_dir()?;
    let archives = open_archives(&cache_dir.join("archives"), &stale, &mut report.archives)?;
    report.cache_dir = Some(cache_dir);

    for clip in &stale {
        let bytes = build_clip(clip, &archives)?;
        let reference = build_reference(clip, &archives)?;

        write_atomic(&speech_dir.join(clip.name), &bytes)?;
        write_atomic(
            &reference_path(speech_dir, clip.name),
            format!("{reference}\n").as_bytes(),
        )?;
        eprintln!("whisperrr-testkit: wrote {}", clip.name);
        report.written.push(clip.name);
    }

    write_manifest(speech_dir)?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Returns the path of the reference transcript of clip `name` in `speech_dir`.
pub(crate) fn reference_path(speech_dir: &Path, name: &str) -> PathBuf {
    speech_dir.join(format!("{name}.txt"))
}

/// Returns the clips that must be made again: all of them if the manifest is missing or
/// from another recipe version, else those whose file or reference is missing or wrong.
fn stale_clips(speech_dir: &Path) -> Result<Vec<&'static ClipInfo>, FixtureError> {
    if !manifest::is_current(speech_dir) {
        return Ok(clips().iter().collect());
    }

    let mut stale = Vec::new();
    for clip in clips() {
        let path = speech_dir.join(clip.name);
        let intact = path.is_file()
            && sha256_file(&path).map_err(|error| FixtureError::io("read", &path, error))?
                == clip.sha256
            && reference_path(speech_dir, clip.name).is_file();
        if !intact {
            stale.push(clip);
        }
    }
    Ok(stale)
}

/// Downloads or reuses each archive that `clips` need, and reads the needed members.
fn open_archives(
    archives_dir: &Path,
    clips: &[&'static ClipInfo],
    statuses: &mut Vec<ArchiveStatus>,
) -> Result<OpenedArchives, FixtureError> {
    let mut needed: BTreeMap<&'static str, (&'static Source, BTreeSet<&'static str>)> =
        BTreeMap::new();
    for clip in clips {
        let source = clip.source();
        let entry = needed
            .entry(source.file_name)
            .or_insert_with(|| (source, BTreeSet::new()));
        entry.1.extend(clip.recipe.members());

        if let Some((source, member)) = clip.reference.member() {
            let entry = needed
                .entry(source.file_name)
                .or_insert_with(|| (source, BTreeSet::new()));
            entry.1.insert(member);
        }
    }

    let _lock = lock_folder(archives_dir)?;
    let agent = crate::http::agent();
    let mut opened = OpenedArchives::new();
    for (source, members) in needed.into_values() {
        let status = ensure_archive(&agent, archives_dir, source)?;
        let members = read_members(&status.path, &members)?;
        opened.insert(
            source.file_name,
            OpenedArchive {
                path: status.path.clone(),
                members,
            },
        );
        statuses.push(status);
    }
    Ok(opened)
}

fn write_manifest(speech_dir: &Path) -> Result<(), FixtureError> {
    let mut entries = Vec::with_capacity(clips().len());
    for clip in clips() {
        let path = reference_path(speech_dir, clip.name);
        let reference = std::fs::read_to_string(&path)
            .map_err(|error| FixtureError::io("read", &path, error))?;
        entries.push(ManifestEntry::new(
            clip,
            reference.trim_end_matches('\n').to_string(),
        ));
    }
    manifest::write(speech_dir, entries)
}
