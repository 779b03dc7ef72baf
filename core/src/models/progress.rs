//! Progress reports of [`super::ModelStore::fetch`] and [`super::ModelStore::import`].

use std::fmt;

use serde::Serialize;

/// One progress report: which model, where its bytes come from, and what the fetch is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FetchProgress {
    /// Catalog name of the model being fetched, or the name an import installs.
    pub model: &'static str,
    pub phase: FetchPhase,
    pub source: ModelSource,
    /// Download speed and time left. `None` outside downloads and during the first half
    /// second of one.
    pub rate: Option<TransferRate>,
}

/// The steps of a fetch, in order. Each may be reported many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchPhase {
    /// Downloading the files the model is made from. `done_bytes` counts from the start of
    /// the file, so a resumed download starts above zero. Over the PyPI route the counts
    /// cover every wheel that has to be downloaded, and cached wheels are not counted.
    /// When a PyPI download is retried, `done_bytes` drops back by what that wheel had
    /// received.
    Downloading {
        done_bytes: u64,
        total_bytes: Option<u64>,
    },

    /// Converting a CTranslate2 model to whisper.cpp's format.
    Converting,

    /// Checking the finished file against its pinned size and checksum.
    Verifying,
}

/// Source of the bytes of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// The ggml file downloaded from the model host.
    ModelHost,
    /// A CTranslate2 model in pinned PyPI wheels, converted locally.
    PypiWheels,
    /// A file or folder on this computer.
    Local,
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModelSource::ModelHost => "the model host",
            ModelSource::PypiWheels => "PyPI packages, converted here",
            ModelSource::Local => "a local file",
        })
    }
}

/// Speed of a running download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TransferRate {
    /// Average over the last few seconds.
    pub bytes_per_second: u64,
    /// Estimated seconds until the download completes, when the total size is known and
    /// bytes are arriving.
    pub eta_seconds: Option<u64>,
}

impl FetchProgress {
    /// Returns the completed fraction of the download, from 0.0 to 1.0, or `None` outside the download
    /// or when the total is unknown.
    pub fn download_fraction(&self) -> Option<f64> {
        match self.phase {
            FetchPhase::Downloading {
                done_bytes,
                total_bytes: Some(total),
            } if total > 0 => Some((done_bytes as f64 / total as f64).min(1.0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn downloading(done_bytes: u64, total_bytes: Option<u64>) -> FetchProgress {
        FetchProgress {
            model: "base",
            phase: FetchPhase::Downloading {
                done_bytes,
                total_bytes,
            },
            source: ModelSource::ModelHost,
            rate: None,
        }
    }

    #[test]
    fn download_fraction_cases() {
        assert_eq!(downloading(50, Some(200)).download_fraction(), Some(0.25));
        assert_eq!(downloading(200, Some(200)).download_fraction(), Some(1.0));
        assert_eq!(downloading(5, None).download_fraction(), None);
        assert_eq!(downloading(0, Some(0)).download_fraction(), None);

        let converting = FetchProgress {
            phase: FetchPhase::Converting,
            ..downloading(0, None)
        };
        assert_eq!(converting.download_fraction(), None);
    }

    #[test]
    fn progress_serializes_for_the_window() {
        let json = serde_json::to_value(downloading(5, Some(10))).unwrap();

        assert_eq!(json["model"], "base");
        assert_eq!(json["phase"]["kind"], "downloading");
        assert_eq!(json["phase"]["done_bytes"], 5);
        assert_eq!(json["source"], "model_host");
        assert!(json["rate"].is_null());
    }
}
