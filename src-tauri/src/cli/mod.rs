//! The command-line mode of the `whisperrr` binary: the same core as the window, driven by
//! arguments instead of clicks.

mod models;
mod progress;
mod transcribe;

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

    /// List, fetch and manage whisper models.
    #[command(subcommand)]
    Models(ModelsCommand),
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// Audio or video files to transcribe.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Model name (such as base or tiny.en) or path to a ggml model file. A named model
    /// that is not installed yet is fetched first.
    #[arg(long, short, default_value = "base", value_name = "NAME|PATH")]
    pub model: String,

    /// Spoken language as a code such as en or fr, or auto to detect it.
    #[arg(long, short, default_value = "auto", value_name = "CODE|auto")]
    pub language: Language,

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
    /// List the models that can be fetched and those installed.
    List,

    /// Download a model and install it.
    Fetch {
        /// Model name, such as base or tiny.en.
        name: String,
    },
}

/// Runs one command and returns the process's exit status: 0 when everything succeeded,
/// 1 when anything failed.
pub fn run(command: Command, dirs: &AppDirs) -> ExitCode {
    match command {
        Command::Transcribe(args) => transcribe::run(&args, dirs),
        Command::Models(command) => models::run(&command, dirs),
    }
}

/// Prints an error the way every command does: one line on stderr.
fn print_error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}
