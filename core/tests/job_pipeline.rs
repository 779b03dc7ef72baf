//! One job from file to saved transcript, with a real model (tiny.en, one thread).

use std::fs;
use std::path::{Path, PathBuf};

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::export::Format;
use whisperrr_core::job::{run_job, JobError, JobEvent, JobId, JobRequest, Phase};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};
use whisperrr_testkit::{clip, model_path, reference, word_error_rate};

fn tiny_model() -> Model {
    Model::load(&model_path("tiny.en")).expect("tiny.en loads")
}

fn request(input: &Path) -> JobRequest {
    JobRequest {
        input: input.to_path_buf(),
        options: TranscribeOptions { language: Language::Code("en".into()), translate: false, threads: 1 },
        formats: vec![Format::Txt, Format::Srt],
        output_dir: None,
    }
}

fn copy_clip(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    fs::copy(clip(name), &path).unwrap();
    path
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn job_reports_phases_and_saves_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = copy_clip(dir.path(), "jfk.mp3");
    let mut events = Vec::new();

    let outcome = run_job(JobId(1), &tiny_model(), &request(&input), &mut |event| events.push(event), &CancelToken::new())
        .expect("job succeeds");

    assert_eq!(outcome.written, vec![dir.path().join("jfk.txt"), dir.path().join("jfk.srt")]);
    assert_eq!(names(dir.path()), ["jfk.mp3", "jfk.srt", "jfk.txt"]);
    let text = fs::read_to_string(dir.path().join("jfk.txt")).unwrap();
    assert!(word_error_rate(&reference("jfk.mp3"), &text) <= 0.10, "{text}");

    let progress: Vec<(Phase, f32)> = events
        .iter()
        .filter_map(|event| match event {
            JobEvent::Progress { phase, percent } => Some((*phase, *percent)),
            _ => None,
        })
        .collect();
    let phases: Vec<Phase> = progress.iter().map(|(phase, _)| *phase).collect();
    assert_eq!(phases.first(), Some(&Phase::Decoding));
    assert!(phases.contains(&Phase::Transcribing));
    assert_eq!(phases.last(), Some(&Phase::Saving));
    assert!(progress.windows(2).all(|pair| pair[0].1 <= pair[1].1), "percent went back: {progress:?}");
    assert_eq!(progress.last().unwrap().1, 100.0);

    let durations: Vec<u64> = events
        .iter()
        .filter_map(|event| match event {
            JobEvent::Duration { duration_ms } => Some(*duration_ms),
            _ => None,
        })
        .collect();
    assert_eq!(durations.len(), 1);
    assert!(durations[0].abs_diff(11_000) <= 50, "{durations:?}");

    let live_segments = events.iter().filter(|event| matches!(event, JobEvent::Segment { .. })).count();
    assert_eq!(live_segments, outcome.transcript.segments.len());
}

#[test]
fn cancelled_job_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = copy_clip(dir.path(), "asterisk_en_long_8k.wav");
    let cancel = CancelToken::new();
    let canceller = cancel.clone();

    let result = run_job(
        JobId(2),
        &tiny_model(),
        &request(&input),
        &mut |event| {
            if matches!(event, JobEvent::Segment { .. }) {
                canceller.cancel();
            }
        },
        &cancel,
    );

    assert!(matches!(result, Err(JobError::Cancelled { .. })), "{result:?}");
    assert_eq!(names(dir.path()), ["asterisk_en_long_8k.wav"]);
}

#[test]
fn unreadable_file_fails_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("notes.mp3");
    fs::write(&input, "just some text").unwrap();

    let error = run_job(JobId(3), &tiny_model(), &request(&input), &mut |_| {}, &CancelToken::new()).unwrap_err();

    assert!(matches!(error, JobError::Decode(_)), "{error:?}");
    assert!(error.to_string().contains("notes.mp3"), "{error}");
    assert_eq!(names(dir.path()), ["notes.mp3"]);
}
