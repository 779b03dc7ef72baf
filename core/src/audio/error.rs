//! Errors that stop decoding, and warnings about problems that decoding worked around.

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde::Serialize;

use super::resample::ResamplerError;

/// Error that stops a file from being decoded. Every variant carries the path, and its
/// message names the file and the problem in one line.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{}: file not found", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: is a folder, not a file", path.display())]
    IsDirectory { path: PathBuf },

    #[error("{}: the file is empty (0 bytes)", path.display())]
    Empty { path: PathBuf },

    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: not an audio or video file in a supported format", path.display())]
    UnsupportedFormat { path: PathBuf },

    /// The container was recognised, but its header or stream is invalid or uses a feature
    /// that symphonia does not support. `detail` is symphonia's message.
    #[error("{}: the file is damaged or uses an unsupported feature ({detail})", path.display())]
    Malformed { path: PathBuf, detail: String },

    /// An MP4 or M4A file without its index (the `moov` box), as a recording or download
    /// cut off before the writer put the index at the end leaves it. Without the index the
    /// codec settings and where each packet starts are unknown.
    #[error(
        "{}: the file has no index (its 'moov' box is missing), so its audio cannot be located; \
         a recording or download that was cut off before it finished leaves a file like this",
        path.display()
    )]
    MissingIndex { path: PathBuf },

    #[error("{}: the file contains no audio track", path.display())]
    NoAudioTrack { path: PathBuf },

    #[error("{}: the audio codec {codec} is not supported", path.display())]
    UnsupportedCodec { path: PathBuf, codec: String },

    #[error("{}: the file contains no audio samples", path.display())]
    NoSamples { path: PathBuf },

    /// Packets were read, but none of them decoded.
    #[error(
        "{}: none of the {count} audio packets could be decoded (last error: {detail})",
        path.display()
    )]
    Undecodable {
        path: PathBuf,
        count: u64,
        detail: String,
    },

    #[error("{}: {source}", path.display())]
    Resample {
        path: PathBuf,
        #[source]
        source: ResamplerError,
    },

    /// A symphonia reader or decoder panicked before any audio was decoded.
    #[error("{}: the decoder crashed on this file ({detail})", path.display())]
    DecoderPanic { path: PathBuf, detail: String },

    #[error("{}: decoding was cancelled", path.display())]
    Cancelled { path: PathBuf },
}

/// A problem that decoding worked around. The samples are still usable. Messages omit the
/// path because the warning belongs to the [`DecodedAudio`](super::DecodedAudio) of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecodeWarning {
    /// The file ends before the point its header states, or inside a packet.
    /// `expected_ms` is the duration from the header, if it states one.
    Truncated {
        decoded_ms: u64,
        expected_ms: Option<u64>,
    },

    /// Packets that failed to decode, each replaced by silence of the packet's duration.
    SkippedPackets {
        count: u64,
        silence_ms: u64,
        last_error: String,
    },

    /// An error that ended decoding early. The audio before `decoded_ms` is kept.
    StoppedEarly { decoded_ms: u64, reason: String },

    /// The sample rate changed inside the stream, as in chained Ogg streams. The output stays
    /// continuous at 16 kHz.
    SampleRateChanged {
        from_hz: u32,
        to_hz: u32,
        at_ms: u64,
    },

    /// Sizes in the header disagreed with the file and were corrected to what the file
    /// holds, as a recorder that crashed leaves them.
    HeaderCorrected { detail: String },
}

impl fmt::Display for DecodeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeWarning::Truncated { decoded_ms, expected_ms: Some(expected_ms) } => write!(
                f,
                "the file is truncated: decoded {} of the {} its header states",
                format_time(*decoded_ms),
                format_time(*expected_ms)
            ),
            DecodeWarning::Truncated { decoded_ms, expected_ms: None } => write!(
                f,
                "the file is truncated: it ends inside a packet after {}",
                format_time(*decoded_ms)
            ),
            DecodeWarning::SkippedPackets { count, silence_ms, last_error } => write!(
                f,
                "replaced {count} undecodable packet(s) with {} of silence (last error: {last_error})",
                format_time(*silence_ms)
            ),
            DecodeWarning::StoppedEarly { decoded_ms, reason } => write!(
                f,
                "decoding stopped after {} and the rest of the file was ignored: {reason}",
                format_time(*decoded_ms)
            ),
            DecodeWarning::SampleRateChanged { from_hz, to_hz, at_ms } => write!(
                f,
                "the sample rate changed from {from_hz} Hz to {to_hz} Hz at {}",
                format_time(*at_ms)
            ),
            DecodeWarning::HeaderCorrected { detail } => {
                write!(f, "the header's sizes disagree with the file: {detail}")
            }
        }
    }
}

/// Formats milliseconds as `12.345 s` below one minute, `4:05` below one hour, and
/// `1:02:03` above.
fn format_time(ms: u64) -> String {
    let total_s = ms / 1000;

    if total_s < 60 {
        return format!("{}.{:03} s", total_s, ms % 1000);
    }

    let (hours, minutes, seconds) = (total_s / 3600, total_s / 60 % 60, total_s % 60);
    if hours == 0 {
        format!("{minutes}:{seconds:02}")
    } else {
        format!("{hours}:{minutes:02}:{seconds:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_time_picks_unit_by_length() {
        assert_eq!(format_time(0), "0.000 s");
        assert_eq!(format_time(12_345), "12.345 s");
        assert_eq!(format_time(245_000), "4:05");
        assert_eq!(format_time(3_723_000), "1:02:03");
    }

    #[test]
    fn warnings_display_one_line() {
        let warnings = [
            DecodeWarning::Truncated {
                decoded_ms: 1_200,
                expected_ms: Some(3_000),
            },
            DecodeWarning::Truncated {
                decoded_ms: 1_200,
                expected_ms: None,
            },
            DecodeWarning::SkippedPackets {
                count: 2,
                silence_ms: 52,
                last_error: "malformed stream: bad".into(),
            },
            DecodeWarning::StoppedEarly {
                decoded_ms: 5,
                reason: "boom".into(),
            },
            DecodeWarning::SampleRateChanged {
                from_hz: 44_100,
                to_hz: 48_000,
                at_ms: 61_000,
            },
            DecodeWarning::HeaderCorrected {
                detail: "the data chunk states 0 bytes, but the file holds 320; read those".into(),
            },
        ];

        for warning in warnings {
            let line = warning.to_string();
            assert!(!line.contains('\n'), "{line}");
            assert!(!line.is_empty());
        }
    }
}
