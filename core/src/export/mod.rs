//! Transcript file formats. Each writer turns a [`Transcript`] into the bytes of one file;
//! [`crate::save`] decides where those bytes go.

mod cue;
mod json;
mod srt;
mod timestamp;
mod txt;
mod vtt;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::transcript::Transcript;

pub use json::to_json;
pub use srt::to_srt;
pub use timestamp::{format_srt_time, format_vtt_time};
pub use txt::to_txt;
pub use vtt::to_vtt;

/// A transcript file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Txt,
    Srt,
    Vtt,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Txt, Format::Srt, Format::Vtt, Format::Json];

    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Srt => "srt",
            Format::Vtt => "vtt",
            Format::Json => "json",
        }
    }

    /// Renders `transcript` in this format, as UTF-8 text.
    pub fn render(self, transcript: &Transcript) -> String {
        match self {
            Format::Txt => to_txt(transcript),
            Format::Srt => to_srt(transcript),
            Format::Vtt => to_vtt(transcript),
            Format::Json => to_json(transcript),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The name given was not a known format.
#[derive(Debug, thiserror::Error)]
#[error("unknown transcript format '{0}'; expected one of: txt, srt, vtt, json")]
pub struct UnknownFormat(String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let lower = name.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|format| format.extension() == lower)
            .ok_or_else(|| UnknownFormat(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_from_its_extension() {
        for format in Format::ALL {
            assert_eq!(format.extension().parse::<Format>().unwrap(), format);
            assert_eq!(format.extension().to_uppercase().parse::<Format>().unwrap(), format);
        }
    }

    #[test]
    fn unknown_format_error_lists_known_ones() {
        let error = "docx".parse::<Format>().unwrap_err();

        assert_eq!(error.to_string(), "unknown transcript format 'docx'; expected one of: txt, srt, vtt, json");
    }

    #[test]
    fn serde_names_are_extensions() {
        let names: Vec<String> = Format::ALL.iter().map(|f| serde_json::to_string(f).unwrap()).collect();

        assert_eq!(names, ["\"txt\"", "\"srt\"", "\"vtt\"", "\"json\""]);
    }
}

/// Builds an English transcript of `duration_ms` from `(start_ms, end_ms, text)` triples.
#[cfg(test)]
fn test_transcript(segments: &[(u64, u64, &str)], duration_ms: u64) -> Transcript {
    use crate::transcript::Segment;

    Transcript {
        segments: segments
            .iter()
            .map(|&(start_ms, end_ms, text)| Segment { start_ms, end_ms, text: text.into() })
            .collect(),
        language: Some("en".into()),
        duration_ms,
    }
}
