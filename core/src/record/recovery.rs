//! Finding recordings that a crash left unfinished, and finishing them.
//!
//! A recording still named `.wav.partial` and not locked by a running recorder was cut
//! short: the app crashed, was killed or lost power. Its header is repaired to cover every
//! whole sample in the file, which is everything up to the last write (at most half a
//! second before the end), and the user is offered to transcribe it. Transcribing saves it
//! as a normal recording with TXT and SRT beside it; until then it stays `.wav.partial`
//! and is offered again on each start.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{files, wav, RecordError, RecordingOutcome, StopReason};
use crate::audio;
use crate::cancel::CancelToken;
use crate::export::Format;
use crate::job;
use crate::save;
use crate::transcribe::{Model, TranscribeError, TranscribeOptions};

/// A recording left unfinished, with its header repaired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UnfinishedRecording {
    /// The `.wav.partial` file.
    pub path: PathBuf,
    /// Length of the audio it holds, in milliseconds.
    pub duration_ms: u64,
    /// True when its header did not match its length and was rewritten now.
    pub repaired: bool,
}

/// Result of [`find_unfinished`] for one folder.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UnfinishedScan {
    /// Recordings ready to transcribe, oldest first.
    pub recordings: Vec<UnfinishedRecording>,
    /// One line per `.wav.partial` file that could not be repaired.
    pub problems: Vec<String>,
}

/// Finds the unfinished recordings in `dir` and repairs their headers. A missing folder
/// has none. Files that a running recorder has locked are skipped.
pub fn find_unfinished(dir: &Path) -> UnfinishedScan {
    let mut scan = UnfinishedScan::default();
    let Ok(entries) = fs::read_dir(dir) else {
        return scan;
    };

    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| files::is_partial(path) && path.is_file())
        .collect();
    paths.sort();

    for path in paths {
        if files::is_locked_by_recorder(&path) {
            continue;
        }
        match wav::repair(&path) {
            Ok(repair) => {
                tracing::info!(path = %path.display(), repaired = repair.changed, duration_ms = repair.duration_ms(), "unfinished recording found");
                scan.recordings.push(UnfinishedRecording {
                    path,
                    duration_ms: repair.duration_ms(),
                    repaired: repair.changed,
                });
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "unfinished recording cannot be repaired");
                scan.problems.push(error.to_string());
            }
        }
    }
    scan
}

/// Transcribes an unfinished recording, then saves it as `recording-<date>_<time>.wav`
/// with its transcript files beside it.
pub fn finish_unfinished(
    recording: &UnfinishedRecording,
    model: &Model,
    options: &TranscribeOptions,
    formats: &[Format],
    cancel: &CancelToken,
) -> Result<RecordingOutcome, RecordError> {
    let path = recording.path.as_path();
    let decoded = audio::decode_for_whisper(path, &mut |_| {}, cancel).map_err(|error| RecordError::Recover {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    let warnings: Vec<String> = decoded
        .warnings
        .iter()
        .map(|warning| format!("{}: {warning}", path.display()))
        .collect();

    let transcript = model
        .transcribe(decoded.samples, options, &mut |_| {}, cancel)
        .map_err(|source| match source {
            TranscribeError::Cancelled => RecordError::Cancelled,
            source => RecordError::Transcribe {
                wav: path.to_path_buf(),
                source,
            },
        })?;

    let location = files::final_location(path);
    let wav = save::move_no_clobber(path, &location, "wav").map_err(RecordError::Save)?;
    let written = if transcript.is_empty() {
        Vec::new()
    } else {
        let request = job::JobRequest {
            input: wav.clone(),
            options: options.clone(),
            formats: formats.to_vec(),
            output_dir: None,
        };
        job::save_transcript(&wav, &request, &transcript).map_err(|source| RecordError::SaveTranscript {
            wav: wav.clone(),
            source,
        })?
    };

    tracing::info!(wav = %wav.display(), written = ?written, "unfinished recording transcribed");
    Ok(RecordingOutcome {
        duration_ms: transcript.duration_ms,
        wav,
        written,
        transcript,
        stop_reason: StopReason::Recovered,
        warnings,
        format: None,
    })
}

/// Saves an unfinished recording as `recording-<date>_<time>.wav` without transcribing
/// it, so it is kept but no longer offered. Returns the WAV file.
pub fn keep_unfinished(recording: &UnfinishedRecording) -> Result<PathBuf, RecordError> {
    let path = recording.path.as_path();
    if files::is_locked_by_recorder(path) {
        return Err(RecordError::Recover {
            path: path.to_path_buf(),
            message: "a running recorder is still writing it".into(),
        });
    }
    let wav = save::move_no_clobber(path, &files::final_location(path), "wav").map_err(RecordError::Save)?;
    tracing::info!(wav = %wav.display(), "unfinished recording kept without a transcript");
    Ok(wav)
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use super::*;
    use crate::record::wav::WavWriter;

    fn unfinished_file(dir: &Path, name: &str, samples: usize) -> PathBuf {
        let path = dir.join(name);
        let mut writer = WavWriter::new(File::create_new(&path).unwrap(), &path, 16_000, 1).unwrap();
        writer.append(&vec![0.1; samples]).unwrap();
        path
    }

    #[test]
    fn partial_files_found_and_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let path = unfinished_file(dir.path(), "recording-2024-01-01_10-00-00.wav.partial", 8_000);
        unfinished_file(dir.path(), "finished.wav", 100);

        let scan = find_unfinished(dir.path());

        assert_eq!(
            scan.recordings,
            vec![UnfinishedRecording {
                path: path.clone(),
                duration_ms: 500,
                repaired: true
            }]
        );
        assert!(scan.problems.is_empty());
        assert_eq!(hound::WavReader::open(&path).unwrap().len(), 8_000);
    }

    #[test]
    fn locked_partial_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (path, file) = files::create_partial(dir.path()).unwrap();
        let _writer = WavWriter::new(file, &path, 16_000, 1).unwrap();

        let scan = find_unfinished(dir.path());

        assert!(scan.recordings.is_empty(), "{:?}", scan.recordings);
    }

    #[test]
    fn damaged_partial_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("recording-x.wav.partial"), b"not a wav").unwrap();

        let scan = find_unfinished(dir.path());

        assert!(scan.recordings.is_empty());
        assert_eq!(scan.problems.len(), 1);
        assert!(
            scan.problems[0].contains("recording-x.wav.partial"),
            "{:?}",
            scan.problems
        );
    }

    #[test]
    fn kept_partial_becomes_wav() {
        let dir = tempfile::tempdir().unwrap();
        let path = unfinished_file(dir.path(), "recording-2024-01-01_10-00-00.wav.partial", 1_600);
        fs::write(dir.path().join("recording-2024-01-01_10-00-00.wav"), b"taken").unwrap();
        let scan = find_unfinished(dir.path());

        let wav = keep_unfinished(&scan.recordings[0]).unwrap();

        assert_eq!(wav, dir.path().join("recording-2024-01-01_10-00-00 (1).wav"));
        assert!(!path.exists());
        assert_eq!(hound::WavReader::open(&wav).unwrap().len(), 1_600);
        assert!(find_unfinished(dir.path()).recordings.is_empty());
    }

    #[test]
    fn locked_partial_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (path, file) = files::create_partial(dir.path()).unwrap();
        let _writer = WavWriter::new(file, &path, 16_000, 1).unwrap();
        let recording = UnfinishedRecording {
            path: path.clone(),
            duration_ms: 0,
            repaired: false,
        };

        let error = keep_unfinished(&recording).unwrap_err();

        assert!(matches!(error, RecordError::Recover { .. }), "{error}");
        assert!(path.exists());
    }

    #[test]
    fn missing_folder_has_none() {
        let scan = find_unfinished(Path::new("/nonexistent/whisperrr/recordings"));

        assert!(scan.recordings.is_empty());
        assert!(scan.problems.is_empty());
    }
}
