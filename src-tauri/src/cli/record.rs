//! `whisperrr record`: record from the microphone and print the transcript while speaking.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::paths::AppDirs;
use whisperrr_core::record::{
    self, files, find_unfinished, finish_unfinished, LiveTuning, RecordEvent, RecordRequest, Recording,
    RecordingOutcome, UnfinishedScan,
};
use whisperrr_core::settings::SettingsStore;
use whisperrr_core::transcribe::{default_threads, TranscribeOptions};

use super::transcribe::load_named_model;
use super::{print_error, RecordArgs};

/// Exit status after a second Ctrl-C, as shells report a process ended by SIGINT.
const EXIT_INTERRUPTED: i32 = 130;

/// How often the waiting command line checks for Ctrl-C.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Maximum length of the tentative text on the status line, in characters.
const MAX_TENTATIVE_CHARS: usize = 60;

pub fn run(args: &RecordArgs, dirs: &AppDirs) -> ExitCode {
    if args.list_devices {
        return list_devices();
    }

    let loaded = SettingsStore::new(&dirs.config()).load();
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let settings = loaded.settings;
    let configured_dir = args.output_dir.as_deref().or(settings.recordings_dir.as_deref());
    let Some(recordings_dir) = files::recordings_dir(configured_dir) else {
        print_error("cannot find your documents folder; choose a folder with --output-dir DIR");
        return ExitCode::from(1);
    };

    let cancel = CancelToken::new();
    install_interrupt_handler(cancel.clone());

    let unfinished = find_unfinished(&recordings_dir);
    for problem in &unfinished.problems {
        eprintln!("warning: {problem}");
    }
    let model_name = args.model.clone().unwrap_or_else(|| settings.model.clone());
    if args.recover {
        return recover(args, dirs, &model_name, &unfinished, &cancel);
    }
    offer_recovery(&unfinished);

    let model = match load_named_model(&model_name, dirs, &cancel) {
        Ok(model) => model,
        Err(message) => {
            print_error(message);
            return ExitCode::from(1);
        }
    };
    if cancel.is_cancelled() {
        return ExitCode::from(EXIT_INTERRUPTED as u8);
    }

    let request = RecordRequest {
        device: args.device.clone().or(settings.input_device),
        recordings_dir,
        options: options(args),
        formats: args.formats.clone(),
        max_duration: args.duration.map(Duration::from_secs_f64),
        live: LiveTuning {
            fit_audio_context: !args.full_window,
            ..LiveTuning::default()
        },
    };
    record(request, model, &cancel)
}

fn options(args: &RecordArgs) -> TranscribeOptions {
    TranscribeOptions {
        language: args.language.clone(),
        translate: false,
        threads: args.threads.map(usize::from).unwrap_or_else(default_threads),
    }
}

/// Installs the Ctrl-C handler. The first Ctrl-C stops the recording cleanly. A second one
/// exits at once and leaves the recording to be recovered on the next start.
fn install_interrupt_handler(cancel: CancelToken) {
    let presses = AtomicUsize::new(0);
    let result = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) >= 1 {
            eprintln!("\ninterrupted again: exiting now; the recording is kept and offered on the next start");
            crate::exit_skipping_destructors(EXIT_INTERRUPTED as u8);
        }
        cancel.cancel();
    });
    if let Err(error) = result {
        tracing::warn!(%error, "Ctrl-C handler not installed");
    }
}

fn record(request: RecordRequest, model: whisperrr_core::transcribe::Model, cancel: &CancelToken) -> ExitCode {
    let display = Arc::new(LiveDisplay::new());
    let handler_display = display.clone();
    let recording = match Recording::start(request, model, move |event| handler_display.show(event)) {
        Ok(recording) => recording,
        Err(error) => {
            display.finish();
            print_error(error);
            return ExitCode::from(1);
        }
    };

    let format = recording.format();
    display.println(&format!(
        "Recording from {} ({} Hz, {} channel(s), {}) into {}; press Ctrl-C to stop.",
        format.device.name,
        format.sample_rate,
        format.channels,
        format.sample_format,
        recording.partial_path().display()
    ));

    while !recording.is_finished() {
        if cancel.is_cancelled() {
            recording.request_stop();
            break;
        }
        std::thread::sleep(POLL_INTERVAL);
    }

    let result = recording.wait();
    display.finish();
    match result {
        Ok(outcome) => report_saved(&outcome),
        Err(error) => {
            print_error(error);
            ExitCode::from(1)
        }
    }
}

fn report_saved(outcome: &RecordingOutcome) -> ExitCode {
    if outcome.transcript.is_empty() {
        eprintln!("no speech found");
    }
    eprintln!("saved {}", outcome.wav.display());
    for path in &outcome.written {
        eprintln!("saved {}", path.display());
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }

    if outcome.stop_reason.is_failure() {
        // The reason itself was printed when capture stopped.
        eprintln!("everything recorded until then is saved and transcribed");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints the committed text on stdout as it arrives, and on a terminal a status line on
/// stderr with the level, the backlog and the tentative text.
struct LiveDisplay {
    status: ProgressBar,
    state: Mutex<StatusState>,
}

#[derive(Default)]
struct StatusState {
    recorded_ms: u64,
    rms_dbfs: f32,
    backlog_ms: u64,
    paused: bool,
    tentative: String,
}

impl LiveDisplay {
    fn new() -> Self {
        // `stderr()` draws nothing when stderr is not a terminal, so logs and pipes stay clean.
        let status = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        status.set_style(ProgressStyle::with_template("{msg}").expect("the status template is valid"));
        Self {
            status,
            state: Mutex::new(StatusState {
                rms_dbfs: -100.0,
                ..StatusState::default()
            }),
        }
    }

    fn show(&self, event: RecordEvent) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match event {
            RecordEvent::Started { .. } => {}
            RecordEvent::Level {
                rms_dbfs, recorded_ms, ..
            } => {
                state.rms_dbfs = rms_dbfs;
                state.recorded_ms = recorded_ms;
            }
            RecordEvent::Paused { .. } => state.paused = true,
            RecordEvent::Resumed { .. } => state.paused = false,
            RecordEvent::Committed { segments, .. } => {
                let text: Vec<&str> = segments.iter().map(|segment| segment.text.as_str()).collect();
                let line = text.join(" ");
                if !line.trim().is_empty() {
                    self.status.suspend(|| println!("{}", line.trim()));
                }
            }
            RecordEvent::Tentative { text, .. } => state.tentative = text,
            RecordEvent::Backlog { pending_ms } => state.backlog_ms = pending_ms,
            RecordEvent::Warning { message } => self.println(&format!("warning: {message}")),
            RecordEvent::Stopped { reason, .. } => {
                if reason.is_failure() {
                    self.println(&format!("error: {}", reason.message()));
                }
                self.println("Finishing the transcript...");
            }
        }
        self.status.set_message(status_line(&state));
    }

    fn println(&self, line: &str) {
        if self.status.is_hidden() {
            eprintln!("{line}");
        } else {
            self.status.println(line);
        }
    }

    fn finish(&self) {
        self.status.finish_and_clear();
    }
}

/// `REC 0:12  [#####       ] -23 dBFS  backlog 1.2 s  tentative text`
fn status_line(state: &StatusState) -> String {
    let seconds = state.recorded_ms / 1000;
    let filled = (((state.rms_dbfs + 60.0) / 60.0).clamp(0.0, 1.0) * 12.0).round() as usize;
    let meter = format!("{}{}", "#".repeat(filled), " ".repeat(12 - filled));
    let mode = if state.paused { "PAUSED" } else { "REC" };
    let mut line = format!(
        "{mode} {}:{:02}  [{meter}] {:>4.0} dBFS",
        seconds / 60,
        seconds % 60,
        state.rms_dbfs
    );
    if state.backlog_ms > 0 {
        line.push_str(&format!("  backlog {:.1} s", state.backlog_ms as f64 / 1000.0));
    }
    if !state.tentative.is_empty() {
        let tail: String = state
            .tentative
            .chars()
            .rev()
            .take(MAX_TENTATIVE_CHARS)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        line.push_str(&format!("  {tail}"));
    }
    line
}

fn list_devices() -> ExitCode {
    match record::list_input_devices() {
        Ok(devices) => {
            for device in devices {
                let marker = if device.is_default { "*" } else { " " };
                println!("{marker} {} ({})", device.name, device.id);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            print_error(error);
            ExitCode::from(1)
        }
    }
}

fn offer_recovery(scan: &UnfinishedScan) {
    if scan.recordings.is_empty() {
        return;
    }
    eprintln!(
        "Found {} unfinished recording(s) from an earlier run:",
        scan.recordings.len()
    );
    for recording in &scan.recordings {
        eprintln!(
            "  {} ({})",
            recording.path.display(),
            format_duration(recording.duration_ms)
        );
    }
    eprintln!("Run `whisperrr record --recover` to transcribe and save them.");
}

/// Transcribes and saves every unfinished recording.
fn recover(args: &RecordArgs, dirs: &AppDirs, model_name: &str, scan: &UnfinishedScan, cancel: &CancelToken) -> ExitCode {
    if scan.recordings.is_empty() {
        eprintln!("no unfinished recordings");
        return if scan.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let model = match load_named_model(model_name, dirs, cancel) {
        Ok(model) => model,
        Err(message) => {
            print_error(message);
            return ExitCode::from(1);
        }
    };

    let mut failed = !scan.problems.is_empty();
    for recording in &scan.recordings {
        if cancel.is_cancelled() {
            return ExitCode::from(EXIT_INTERRUPTED as u8);
        }
        eprintln!(
            "Transcribing {} ({})...",
            recording.path.display(),
            format_duration(recording.duration_ms)
        );
        match finish_unfinished(recording, &model, &options(args), &args.formats, cancel) {
            Ok(outcome) => {
                print_saved_paths(&outcome.wav, &outcome.written);
                if outcome.transcript.is_empty() {
                    eprintln!("{}: no speech found", outcome.wav.display());
                }
            }
            Err(error) => {
                failed = true;
                print_error(error);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_saved_paths(wav: &Path, written: &[std::path::PathBuf]) {
    println!("{}", wav.display());
    for path in written {
        println!("{}", path.display());
    }
}

fn format_duration(ms: u64) -> String {
    let seconds = ms / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}
