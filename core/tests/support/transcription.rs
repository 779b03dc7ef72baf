//! Running whole jobs on generated files with a real model (tiny.en, one thread), and
//! judging their transcripts against the reference text of the fixture speech.

use std::path::{Path, PathBuf};

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::job::{run_job, JobError, JobEvent, JobId, JobOutcome, JobRequest, Phase};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};
use whisperrr_testkit::{clip, model_path, reference, word_error_rate};

/// Silence between the two clips of [`two_clips`], in seconds: long enough that damage in
/// its middle, which can cost an Ogg page of a second or more, spares the speech.
pub const PAUSE_S: u32 = 4;

pub fn tiny_model() -> Model {
    Model::load(&model_path("tiny.en")).expect("tiny.en loads")
}

/// Builds a job that transcribes `input` in English on one thread and writes no files.
pub fn request(input: &Path) -> JobRequest {
    JobRequest {
        input: input.to_path_buf(),
        options: TranscribeOptions { language: Language::Code("en".into()), translate: false, threads: 1 },
        formats: Vec::new(),
        output_dir: None,
    }
}

/// The result of one job and every event it reported.
pub struct JobRun {
    pub result: Result<JobOutcome, JobError>,
    pub events: Vec<JobEvent>,
}

impl JobRun {
    pub fn outcome(&self) -> &JobOutcome {
        match &self.result {
            Ok(outcome) => outcome,
            Err(error) => panic!("the job failed: {error}"),
        }
    }

    /// The transcript's text on one line.
    pub fn text(&self) -> String {
        self.outcome().transcript.text().replace('\n', " ")
    }

    /// Every progress percentage reported, in order, with its phase.
    pub fn progress(&self) -> Vec<(Phase, f32)> {
        self.events
            .iter()
            .filter_map(|event| match event {
                JobEvent::Progress { phase, percent } => Some((*phase, *percent)),
                _ => None,
            })
            .collect()
    }
}

pub fn transcribe_file(model: &Model, input: &Path) -> JobRun {
    let mut events = Vec::new();
    let result = run_job(JobId(1), model, &request(input), &mut |event| events.push(event), &CancelToken::new());
    JobRun { result, events }
}

/// Writes `jfk.wav`, then [`PAUSE_S`] of silence, then `librivox_0930.wav` (16 kHz mono,
/// 18.29 s) as a WAV file, and returns it with its reference text. The second clip starts
/// at 15.0 s.
pub fn two_clips(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("two clips.wav");
    let silence = dir.join("pause.wav");
    let pause = PAUSE_S.to_string();
    // `-R`: sox dithers its output with a random seed unless `-R` fixes it, and the
    // pause's dither changes how encoders size their frames from run to run.
    super::run_tool("sox", &["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", super::path_str(&silence), "trim", "0", &pause]);
    super::run_tool(
        "sox",
        &[
            "-R",
            super::path_str(&clip("jfk.wav")),
            super::path_str(&silence),
            super::path_str(&clip("librivox_0930.wav")),
            super::path_str(&path),
        ],
    );
    let text = format!("{} {}", reference("jfk.wav"), reference("librivox_0930.wav"));
    (path, text)
}

/// The word error rate of `hypothesis` against `reference`, printed with the text.
pub fn wer_of(label: &str, reference: &str, hypothesis: &str) -> f64 {
    let wer = word_error_rate(reference, hypothesis);
    println!("{label:40} WER {wer:.3}  {hypothesis}");
    wer
}

/// Collects the failed checks of a table of cases, so one failure does not hide the rest.
#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    pub fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            let message = message();
            println!("FAILED: {message}");
            self.0.push(message);
        }
    }

    pub fn assert_none(self) {
        assert!(self.0.is_empty(), "{} case(s) failed:\n{}", self.0.len(), self.0.join("\n"));
    }
}
