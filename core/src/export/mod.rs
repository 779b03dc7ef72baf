//! Transcript file formats. Each writer turns a [`Transcript`] into the bytes of one file;
//! [`crate::save`] decides where those bytes go.

mod srt;
mod timestamp;
mod txt;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::transcript::Transcript;

pub use srt::to_srt;
pub use timestamp::format_srt_time;
pub use txt::to_txt;

/// A transcript file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Txt,
    Srt,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Txt, Format::Srt];

    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Srt => "srt",
        }
    }

    /// Renders `transcript` in this format, as UTF-8 text.
    pub fn render(self, transcript: &Transcript) -> String {
        match self {
            Format::Txt => to_txt(transcript),
            Format::Srt => to_srt(transcript),
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
#[error("unknown transcript format '{0}'; expected one of: txt, srt")]
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
