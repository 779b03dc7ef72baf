//! `whisperrr transcribe FILE...`

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use whisperrr_core::audio;
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::job::{self, JobError, JobEvent, JobId, JobOutcome, JobRequest};
use whisperrr_core::paths::AppDirs;
use whisperrr_core::save::SaveError;
use whisperrr_core::transcribe::{default_threads, Model, TranscribeOptions};

use super::progress::ProgressLine;
use super::{models, print_error, TranscribeArgs};

/// Exit status after Ctrl-C, as shells report a process ended by SIGINT.
const EXIT_INTERRUPTED: u8 = 130;

pub fn run(args: &TranscribeArgs, dirs: &AppDirs) -> ExitCode {
    let cancel = CancelToken::new();
    let handler_cancel = cancel.clone();
    if let Err(error) = ctrlc::set_handler(move || handler_cancel.cancel()) {
        tracing::warn!(%error, "Ctrl-C handler not installed");
    }

    // Probing first reports missing or unreadable files at once, without waiting for a
    // model to download or load.
    let mut failed = false;
    let mut inputs = Vec::new();
    for file in &args.files {
        match audio::probe(file) {
            Ok(_) => inputs.push(file.as_path()),
            Err(error) => {
                failed = true;
                report_failure(args, file, &error.to_string());
            }
        }
    }
    if inputs.is_empty() {
        return ExitCode::from(1);
    }

    let model = match load_model(&args.model, dirs, &cancel) {
        Ok(model) => model,
        Err(message) => {
            print_error(message);
            return exit_code(&cancel, true);
        }
    };

    let options = TranscribeOptions {
        language: args.language.clone(),
        translate: false,
        threads: args.threads.map(usize::from).unwrap_or_else(default_threads),
    };
    for (index, input) in inputs.into_iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let request = JobRequest {
            input: input.to_path_buf(),
            options: options.clone(),
            formats: args.formats.clone(),
            output_dir: args.output_dir.clone(),
        };
        match transcribe_one(JobId(index as u64 + 1), &model, &request, &cancel) {
            Ok(outcome) => report_success(args, input, &outcome),
            Err(JobError::Cancelled { .. }) => break,
            Err(error) => {
                failed = true;
                report_failure(args, input, &describe(&error));
            }
        }
    }

    exit_code(&cancel, failed)
}

pub(super) fn load_model(name_or_path: &str, dirs: &AppDirs, cancel: &CancelToken) -> Result<Model, String> {
    let path = models::obtain(name_or_path, dirs, cancel)?;
    Model::load(&path).map_err(|error| error.to_string())
}

/// Runs one job with a progress bar, printing warnings above it.
fn transcribe_one(id: JobId, model: &Model, request: &JobRequest, cancel: &CancelToken) -> Result<JobOutcome, JobError> {
    let name = request.input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let line = ProgressLine::new(name);

    let result = job::run_job(
        id,
        model,
        request,
        &mut |event| match event {
            JobEvent::Progress { phase, percent } => line.set(&phase.to_string(), percent as u64),
            JobEvent::Warning { message } => line.println(&format!("warning: {message}")),
            JobEvent::Duration { .. } | JobEvent::Segment { .. } => {}
        },
        cancel,
    );

    line.finish();
    result
}

fn report_success(args: &TranscribeArgs, input: &Path, outcome: &JobOutcome) {
    if outcome.no_speech() {
        eprintln!("{}: no speech found", input.display());
    }

    if args.json {
        let object = json!({
            "input": input,
            "status": if outcome.no_speech() { "no_speech" } else { "ok" },
            "outputs": outcome.written,
            "language": outcome.transcript.language,
            "duration_ms": outcome.transcript.duration_ms,
            "segments": outcome.transcript.segments,
            "warnings": outcome.warnings,
        });
        println!("{object}");
    } else {
        for path in &outcome.written {
            println!("{}", path.display());
        }
    }
}

fn report_failure(args: &TranscribeArgs, input: &Path, message: &str) {
    print_error(message);
    if args.json {
        println!("{}", json!({ "input": input, "status": "error", "error": message }));
    }
}

/// The message for a failed job, with the command-line remedy where there is one.
fn describe(error: &JobError) -> String {
    match error {
        JobError::Save { source: SaveError::FolderNotWritable { .. }, .. } => {
            format!("{error}; nothing was written: choose a writable folder with --output-dir DIR")
        }
        error => error.to_string(),
    }
}

fn exit_code(cancel: &CancelToken, failed: bool) -> ExitCode {
    if cancel.is_cancelled() {
        eprintln!("cancelled");
        ExitCode::from(EXIT_INTERRUPTED)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
