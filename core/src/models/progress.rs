//! Progress reports of [`super::ModelStore::fetch`].

/// One progress report: which model, and what the fetch is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchProgress {
    /// Catalog name of the model being fetched.
    pub model: &'static str,
    pub phase: FetchPhase,
}

/// The steps of a fetch, in order. Each may be reported many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPhase {
    /// Downloading the files the model is made from. The byte counts cover every file that
    /// has to be downloaded. Files already in the cache are not counted. When a download is
    /// retried, `done_bytes` drops back by what that file had received.
    Downloading {
        done_bytes: u64,
        total_bytes: Option<u64>,
    },

    /// Converting the downloaded model to whisper.cpp's format.
    Converting,

    /// Checking the finished file against its pinned size and checksum.
    Verifying,
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
        }
    }

    #[test]
    fn download_fraction_cases() {
        assert_eq!(downloading(50, Some(200)).download_fraction(), Some(0.25));
        assert_eq!(downloading(200, Some(200)).download_fraction(), Some(1.0));
        assert_eq!(downloading(5, None).download_fraction(), None);
        assert_eq!(downloading(0, Some(0)).download_fraction(), None);

        let converting = FetchProgress {
            model: "base",
            phase: FetchPhase::Converting,
        };
        assert_eq!(converting.download_fraction(), None);
    }
}
