//! The paths the page may ask the app to open or write: those the user gave the app or
//! chose in one of its dialogs, and those the app wrote. Anything else from the page is
//! rejected, so a compromised page cannot make the app open or write arbitrary files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use whisperrr_core::jobs::JobSnapshot;

use super::error::{CommandError, ErrorCode};

#[derive(Default)]
pub struct AllowedPaths {
    chosen: Mutex<HashSet<PathBuf>>,
}

impl AllowedPaths {
    /// Allows `path`, which came from a dialog or was written by the app.
    pub fn allow(&self, path: PathBuf) {
        self.chosen.lock().unwrap_or_else(PoisonError::into_inner).insert(path);
    }

    /// Checks that `path` was allowed, or is the input or an output of one of `jobs`.
    /// Paths are compared exactly as given, with no resolution of `..` or links.
    pub fn check(&self, path: &Path, jobs: &[JobSnapshot]) -> Result<(), CommandError> {
        let known_to_jobs = jobs
            .iter()
            .any(|job| job.summary.input == path || job.summary.outputs.iter().any(|output| output == path));
        let chosen = self.chosen.lock().unwrap_or_else(PoisonError::into_inner).contains(path);

        if known_to_jobs || chosen {
            Ok(())
        } else {
            tracing::warn!(path = %path.display(), "page asked for a path the app did not give it");
            Err(CommandError::new(
                ErrorCode::NotAllowed,
                format!("'{}' was not added to or written by Whisperrr, so it cannot be opened", path.display()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use whisperrr_core::job::JobId;
    use whisperrr_core::jobs::{JobStatus, JobSummary};

    use super::*;

    fn job(input: &str, outputs: &[&str]) -> JobSnapshot {
        JobSnapshot {
            summary: JobSummary {
                id: JobId(1),
                revision: 1,
                input: input.into(),
                file_name: String::new(),
                status: JobStatus::Finished,
                phase: None,
                percent: 100.0,
                duration_ms: None,
                elapsed_ms: None,
                eta_ms: None,
                segment_count: 0,
                outputs: outputs.iter().map(PathBuf::from).collect(),
                formats: Vec::new(),
                error: None,
                language: None,
                warnings: Vec::new(),
            },
            segments: Vec::new(),
        }
    }

    #[test]
    fn job_inputs_and_outputs_allowed() {
        let allowed = AllowedPaths::default();
        let jobs = [job("/talks/a b #1.wav", &["/talks/a b #1.txt"])];

        assert!(allowed.check(Path::new("/talks/a b #1.wav"), &jobs).is_ok());
        assert!(allowed.check(Path::new("/talks/a b #1.txt"), &jobs).is_ok());
    }

    #[test]
    fn chosen_path_allowed() {
        let allowed = AllowedPaths::default();
        allowed.allow("/exports/out.srt".into());

        assert!(allowed.check(Path::new("/exports/out.srt"), &[]).is_ok());
    }

    #[test]
    fn other_paths_rejected() {
        let allowed = AllowedPaths::default();
        let jobs = [job("/talks/a.wav", &["/talks/a.txt"])];

        for path in ["/etc/passwd", "/talks", "/talks/../etc/passwd", "/talks/a.wav/..", "talks/a.wav"] {
            let error = allowed.check(Path::new(path), &jobs).unwrap_err();
            assert_eq!(error.code, ErrorCode::NotAllowed, "{path}");
        }
    }
}
