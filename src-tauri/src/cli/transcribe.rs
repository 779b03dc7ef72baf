//! `whisperrr transcribe FILE...`

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use whisperrr_core::audio;
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::job::{self, JobError, JobEvent, JobId, JobOutcome, JobRequest};
use whisperrr_core::paths::AppDirs;
use whisperrr_core::export::Format;
use whisperrr_core::save::{self, OutputLocation, SaveError};
use whisperrr_core::models::capabilities_of_file;
use whisperrr_core::settings::Settings;
use whisperrr_core::transcribe::{default_threads, Language, Model, TranscribeOptions};

use super::progress::ProgressLine;
use super::{models, print_error, TranscribeArgs, EXIT_INTERRUPTED};

pub fn run(args: &TranscribeArgs, dirs: &AppDirs) -> ExitCode {
    let cancel = CancelToken::new();
    let handler_cancel = cancel.clone();
    if let Err(error) = ctrlc::set_handler(move || handler_cancel.cancel()) {
        tracing::warn!(%error, "Ctrl-C handler not installed");
    }

    let formats = unique_formats(&args.formats);
    let mut chosen = models::load_settings(dirs);
    if let Some(model) = &args.model {
        chosen.model = model.clone();
    }

    // The model is loaded when the first readable file needs it, so missing or unreadable
    // files are reported at once, without waiting for a download.
    let mut model: Option<Model> = None;
    let mut model_error: Option<String> = None;
    let mut failed = false;

    for (index, input) in args.files.iter().enumerate() {
        let input = input.as_path();
        if cancel.is_cancelled() {
            report_cancelled(args, input);
            continue;
        }

        if let Err(error) = audio::probe(input) {
            failed = true;
            report_failure(args, input, &error.to_string());
            continue;
        }
        let location = OutputLocation::for_input(input, args.output_dir.as_deref());
        if let Err(error) = save::check_writable(&location) {
            failed = true;
            report_failure(args, input, &describe_save_error(args, &format!("{}: {error}", input.display()), &error));
            continue;
        }

        if model.is_none() && model_error.is_none() {
            match load_model(&mut chosen, args, dirs, &cancel) {
                Ok(loaded) => model = Some(loaded),
                Err(message) => {
                    print_error(&message);
                    model_error = Some(message);
                }
            }
        }
        let Some(model) = &model else {
            failed = true;
            if cancel.is_cancelled() {
                report_cancelled(args, input);
            } else if args.json {
                let message = model_error.as_deref().unwrap_or_default();
                println!("{}", json!({ "input": input, "status": "error", "error": message }));
            }
            continue;
        };

        let options = TranscribeOptions {
            language: chosen.language.clone(),
            translate: chosen.translate,
            threads: args.threads.map(usize::from).unwrap_or_else(default_threads),
        };
        let request = JobRequest {
            input: input.to_path_buf(),
            options,
            formats: formats.clone(),
            output_dir: args.output_dir.clone(),
        };
        match transcribe_one(JobId(index as u64 + 1), model, &request, &cancel) {
            Ok(outcome) => report_success(args, input, &outcome, &request.options.language),
            Err(JobError::Cancelled { .. }) => report_cancelled(args, input),
            Err(error) => {
                failed = true;
                let message = match &error {
                    JobError::Save { source, .. } => describe_save_error(args, &error.to_string(), source),
                    error => error.to_string(),
                };
                report_failure(args, input, &message);
            }
        }
    }

    exit_code(&cancel, failed)
}

/// The formats in the order given, each once, so `-f srt,srt` writes one file.
fn unique_formats(formats: &[Format]) -> Vec<Format> {
    let mut unique = Vec::with_capacity(formats.len());
    for format in formats {
        if !unique.contains(format) {
            unique.push(*format);
        }
    }
    unique
}

/// Obtains and loads the model `name_or_path`, fetching a catalog model on first use.
pub(super) fn load_named_model(name_or_path: &str, dirs: &AppDirs, cancel: &CancelToken) -> Result<Model, String> {
    let path = models::obtain(name_or_path, dirs, cancel)?;
    Model::load(&path).map_err(|error| error.to_string())
}

/// Obtains and loads `chosen.model`. The language and translate settings are fitted to the
/// model, with a note for each change, before `--language` and `--translate` override them.
/// The transcriber rejects an explicit choice that the model cannot do.
fn load_model(chosen: &mut Settings, args: &TranscribeArgs, dirs: &AppDirs, cancel: &CancelToken) -> Result<Model, String> {
    let path = models::obtain(&chosen.model, dirs, cancel)?;
    let capabilities = capabilities_of_file(&path).map_err(|error| error.to_string())?;
    let name = chosen.model.clone();
    for note in chosen.fit_to_model(&name, &capabilities) {
        eprintln!("note: {note}");
    }
    if let Some(language) = &args.language {
        chosen.language = language.clone();
    }
    if let Some(translate) = args.translate {
        chosen.translate = translate;
    }
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

fn report_success(args: &TranscribeArgs, input: &Path, outcome: &JobOutcome, requested: &Language) {
    if outcome.no_speech() {
        eprintln!("{}: no speech found", input.display());
    }
    if let (Language::Auto, Some(detected)) = (requested, &outcome.transcript.language) {
        eprintln!("{}: detected language {detected}", input.display());
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
    tracing::error!(input = %input.display(), error = %message, "file not transcribed");
    print_error(message);
    if args.json {
        println!("{}", json!({ "input": input, "status": "error", "error": message }));
    }
}

/// Reports, in JSON mode, a file that Ctrl-C stopped or kept from starting, so every input
/// gets an object.
fn report_cancelled(args: &TranscribeArgs, input: &Path) {
    if args.json {
        println!("{}", json!({ "input": input, "status": "cancelled" }));
    }
}

/// Adds the command-line remedy to `message` when the output folder is the problem.
fn describe_save_error(args: &TranscribeArgs, message: &str, error: &SaveError) -> String {
    match error {
        SaveError::FolderNotWritable { .. } if args.output_dir.is_some() => {
            format!("{message}; nothing was written: choose another folder with --output-dir DIR")
        }
        SaveError::FolderNotWritable { .. } => {
            format!("{message}; nothing was written: choose a writable folder with --output-dir DIR")
        }
        _ => message.to_string(),
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
