//! How a stream ended, as an error when nothing decoded or as a warning when it ended
//! early.

use std::path::Path;

use super::{PacketTally, StreamEnd, TRUNCATION_TOLERANCE_MS};
use crate::audio::{DecodeError, DecodeWarning};

pub(super) fn nothing_decoded(path: &Path, tally: &PacketTally, end: StreamEnd) -> DecodeError {
    let path = path.to_path_buf();

    if tally.skipped > 0 {
        let detail = tally.last_error.clone().unwrap_or_default();
        return DecodeError::Undecodable {
            path,
            count: tally.skipped,
            detail,
        };
    }

    match end {
        StreamEnd::Failed(detail) => DecodeError::Malformed { path, detail },
        StreamEnd::Panicked(detail) => DecodeError::DecoderPanic { path, detail },
        StreamEnd::Complete | StreamEnd::UnexpectedEof => DecodeError::NoSamples { path },
    }
}

pub(super) fn end_warning(end: StreamEnd, decoded_ms: u64, expected_ms: Option<u64>) -> Option<DecodeWarning> {
    match end {
        StreamEnd::Complete => {
            let expected = expected_ms?;
            let short = decoded_ms.saturating_add(TRUNCATION_TOLERANCE_MS) < expected;
            short.then_some(DecodeWarning::Truncated {
                decoded_ms,
                expected_ms,
            })
        }
        StreamEnd::UnexpectedEof => Some(DecodeWarning::Truncated {
            decoded_ms,
            expected_ms,
        }),
        StreamEnd::Failed(reason) => Some(DecodeWarning::StoppedEarly { decoded_ms, reason }),
        StreamEnd::Panicked(message) => Some(DecodeWarning::StoppedEarly {
            decoded_ms,
            reason: format!("the decoder crashed ({message})"),
        }),
    }
}
