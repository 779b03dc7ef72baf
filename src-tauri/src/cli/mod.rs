//! The command-line mode of the `whisperrr` binary: the same core as the window, driven by
//! arguments instead of clicks.

mod models;
mod progress;
mod record;
mod transcribe;
mod units;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use whisperrr_core::export::Format;
use whisperrr_core::paths::AppDirs;
use whisperrr_core::transcribe::Language;

/// Turn speech into text on this machine. Without a command, opens the window.
#[derive(Debug, Parser)]
#[command(name = "whisperrr", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Transcribe audio or video files; writes TXT and SRT beside each file.
    Transcribe(TranscribeArgs),

    /// Record from the microphone, printing the transcript as you speak; saves WAV, TXT
    /// and SRT when stopped with Ctrl-C or after --duration.
    Record(RecordArgs),

    /// List, fetch and manage whisper models.
    #[command(subcommand)]
    Models(ModelsCommand),
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Input device to record from, by name or id (see --list-devices). Defaults to the
    /// device chosen in settings, else the system default.
    #[arg(long, short, value_name = "NAME")]
    pub device: Option<String>,

    /// Folder for the recording and its transcripts. Defaults to the folder chosen in
    /// settings, else Whisperrr in your documents folder.
    #[arg(long, short, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Stop after this many seconds of recording.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub duration: Option<f64>,

    /// Model name (such as base or tiny.en) or path to a ggml model file. A named model
    /// that is not installed yet is fetched first. Defaults to the active model, which
    /// `whisperrr models use` sets (base until then).
    #[arg(long, short, value_name = "NAME|PATH")]
    pub model: Option<String>,

    /// Spoken language as a code such as en or fr, or auto to detect it.
    #[arg(long, short, default_value = "auto", value_name = "CODE|auto")]
    pub language: Language,

    /// Worker threads for whisper. Defaults to one fewer than the number of cores.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// Transcript formats to write beside the recording, separated by commas.
    #[arg(long, short, value_delimiter = ',', default_value = "txt,srt", value_name = "FORMATS")]
    pub formats: Vec<Format>,

    /// Have whisper encode a full 30 s window for each phrase: slower live text, and
    /// sometimes slightly more accurate.
    #[arg(long)]
    pub full_window: bool,

    /// List the input devices and exit; `*` marks the system default.
    #[arg(long, conflicts_with = "recover")]
    pub list_devices: bool,

    /// Transcribe the recordings a crash left unfinished, save them, and exit.
    #[arg(long)]
    pub recover: bool,
}

/// Parses a positive number of seconds.
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(seconds),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// Audio or video files to transcribe.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Model name (such as base or tiny.en) or path to a ggml model file. A catalog model
    /// that is not installed yet is fetched first. Defaults to the active model, which
    /// `whisperrr models use` sets (base until then).
    #[arg(long, short, value_name = "NAME|PATH")]
    pub model: Option<String>,

    /// Spoken language as a code such as en or fr, or auto to detect it. Defaults to the
    /// language setting (auto until `whisperrr models use --language` changes it).
    #[arg(long, short, value_name = "CODE|auto")]
    pub language: Option<Language>,

    /// Translate the speech into English instead of transcribing it as spoken; only
    /// multilingual models other than large-v3-turbo can. Defaults to the translate setting.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "true|false")]
    pub translate: Option<bool>,

    /// Worker threads for whisper. Defaults to one fewer than the number of cores.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// Transcript formats to write, separated by commas: txt, srt, vtt (WebVTT), json.
    #[arg(long, short, value_delimiter = ',', default_value = "txt,srt", value_name = "FORMATS")]
    pub formats: Vec<Format>,

    /// Folder for the transcripts instead of the folder of each input file.
    #[arg(long, short, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Print one JSON object per file on stdout instead of the written paths.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the catalog models and the installed ones, with size, memory, languages and
    /// status.
    List,

    /// Download a catalog model and install it, resuming an interrupted download.
    Fetch {
        /// Model name, such as base or tiny.en (see `whisperrr models list`).
        name: String,
    },

    /// Install a ggml model file, or convert a faster-whisper (CTranslate2) model folder.
    Import {
        /// A ggml-*.bin file, or a folder with model.bin and vocabulary.txt or
        /// vocabulary.json.
        path: PathBuf,

        /// Name to install the model under, as ggml-NAME.bin. Defaults to the file or
        /// folder name.
        #[arg(long)]
        name: Option<String>,
    },

    /// Delete an installed model and any partial download of it.
    Remove {
        /// Model name, as `whisperrr models list` shows it.
        name: String,
    },

    /// Make a model the active one, used when `transcribe` has no --model.
    Use {
        /// Catalog name, installed model name, or path to a ggml model file.
        name: String,

        /// Also set the spoken language: a code such as en or fr, or auto.
        #[arg(long, short, value_name = "CODE|auto")]
        language: Option<Language>,

        /// Also set whether to translate into English.
        #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "true|false")]
        translate: Option<bool>,
    },
}

impl Cli {
    /// True when `name` is one of the commands, such as `transcribe` or `models`.
    pub fn has_subcommand(name: &str) -> bool {
        use clap::CommandFactory;
        Cli::command().get_subcommands().any(|command| command.get_name() == name)
    }
}

/// Runs one command and returns the process's exit status: 0 when everything succeeded,
/// 1 when anything failed.
pub fn run(command: Command, dirs: &AppDirs) -> ExitCode {
    match command {
        Command::Transcribe(args) => transcribe::run(&args, dirs),
        Command::Record(args) => record::run(&args, dirs),
        Command::Models(command) => models::run(&command, dirs),
    }
}

/// Exit status after Ctrl-C, as shells report a process ended by SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Prints an error the way every command does: one line on stderr.
fn print_error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}
