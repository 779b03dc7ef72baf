//! Whisperrr: with arguments, the command line; without, the window.

// Release builds on Windows start without a console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
mod gui;
mod logging;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use whisperrr_core::paths::AppDirs;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(with_implicit_transcribe(std::env::args_os().collect()));

    let Some(dirs) = AppDirs::for_current_user() else {
        eprintln!("error: cannot find a home folder for this user; set HOME");
        return ExitCode::from(1);
    };
    let _log_guard = match logging::init(&dirs.logs()) {
        Ok(guard) => Some(guard),
        Err(error) => {
            eprintln!("warning: logging disabled: cannot write to '{}': {error}", dirs.logs().display());
            None
        }
    };

    match cli.command {
        Some(command) => cli::run(command, &dirs),
        None => gui::run(dirs),
    }
}

/// Treats `whisperrr FILE...` as `whisperrr transcribe FILE...`, so dropping files on the
/// binary or passing one from a shell transcribes them.
fn with_implicit_transcribe(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = args.get(1) else {
        return args;
    };
    let first = first.to_string_lossy();
    let is_command_or_flag = first.starts_with('-') || ["transcribe", "record", "models", "help"].contains(&first.as_ref());
    if !is_command_or_flag {
        args.insert(1, OsString::from("transcribe"));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn bare_file_becomes_transcribe() {
        assert_eq!(
            with_implicit_transcribe(args(&["whisperrr", "talk.mp3"])),
            args(&["whisperrr", "transcribe", "talk.mp3"])
        );
    }

    #[test]
    fn commands_and_flags_unchanged() {
        for list in [&["whisperrr", "models", "list"][..], &["whisperrr", "--help"], &["whisperrr"]] {
            assert_eq!(with_implicit_transcribe(args(list)), args(list));
        }
    }
}
