//! `manifest.json`: a description of every clip in a speech folder.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::clips::ClipInfo;
use crate::error::FixtureError;
use crate::files::write_atomic;

pub(crate) const MANIFEST_FILE: &str = "manifest.json";

/// Version of the way clips and references are made. Increase it whenever a recipe or a
/// reference changes, so that existing speech folders are rebuilt.
pub(crate) const RECIPE_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub recipe_version: u32,
    pub clips: Vec<ManifestEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ManifestEntry {
    pub name: String,
    pub language: String,
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u16,
    pub format: String,
    pub sha256: String,
    pub reference: String,
    pub reference_origin: String,
    pub package: String,
    pub registry: String,
    /// Paths of the archive members that the clip is made from.
    pub members: Vec<String>,
    pub license: String,
}

impl ManifestEntry {
    pub(crate) fn new(clip: &ClipInfo, reference: String) -> Self {
        let source = clip.source();
        ManifestEntry {
            name: clip.name.to_string(),
            language: clip.language.to_string(),
            duration_s: clip.duration_s,
            sample_rate: clip.sample_rate,
            channels: clip.channels,
            format: clip.format.to_string(),
            sha256: clip.sha256.to_string(),
            reference,
            reference_origin: clip.reference.origin(),
            package: source.package.to_string(),
            registry: source.registry.to_string(),
            members: clip
                .recipe
                .members()
                .into_iter()
                .map(String::from)
                .collect(),
            license: source.license.to_string(),
        }
    }
}

/// Returns whether `folder` has a manifest written by the current recipe version.
pub(crate) fn is_current(folder: &Path) -> bool {
    let Ok(bytes) = std::fs::read(folder.join(MANIFEST_FILE)) else {
        return false;
    };
    serde_json::from_slice::<Manifest>(&bytes)
        .is_ok_and(|manifest| manifest.recipe_version == RECIPE_VERSION)
}

/// Writes the manifest of `entries` into `folder`.
pub(crate) fn write(folder: &Path, entries: Vec<ManifestEntry>) -> Result<(), FixtureError> {
    let manifest = Manifest {
        recipe_version: RECIPE_VERSION,
        clips: entries,
    };
    let mut json = serde_json::to_vec_pretty(&manifest).expect("the manifest serializes");
    json.push(b'\n');
    write_atomic(&folder.join(MANIFEST_FILE), &json)
}
