//! Whisperrr: with arguments, the command line; without, the window.

// Release builds on Windows start without a console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
mod gui;
mod logging;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use whisperrr_core::paths::AppDirs;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(with_implicit_transcribe(std::env::args_os().collect()));

    let Some(dirs) = AppDirs::for_current_user() else {
        eprintln!("error: cannot find a home folder for this user; set HOME");
        return ExitCode::from(1);
    };
    let log_guard = match logging::init(&dirs.logs()) {
        Ok(guard) => Some(guard),
        Err(error) => {
            eprintln!("warning: logging disabled: cannot write to '{}': {error}", dirs.logs().display());
            None
        }
    };
    log_panics();

    // Every line this process logs names it, so runs sharing the log file can be told apart.
    let process_span = tracing::info_span!("process", pid = std::process::id()).entered();

    match cli.command {
        Some(command) => {
            restore_default_sigpipe();
            let code = cli::run(command, &dirs);
            if code == ExitCode::from(cli::EXIT_INTERRUPTED) {
                drop(process_span);
                drop(log_guard);
                exit_skipping_destructors(cli::EXIT_INTERRUPTED);
            }
            code
        }
        None if !display_available() => {
            eprintln!(
                "error: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); \
                 to transcribe without a window, run: whisperrr transcribe FILE"
            );
            ExitCode::from(1)
        }
        None => gui::run(dirs),
    }
}

/// True unless this is a Linux or BSD session without X11 or Wayland, where GTK cannot
/// start and would panic.
fn display_available() -> bool {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return true;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// Flushes stdout and stderr and ends the process at once with `code`, without running
/// `atexit` handlers or C++ static destructors.
///
/// After Ctrl-C a whisper thread whose job was abandoned may still be computing until
/// whisper.cpp checks its abort flag. A normal `exit` then tears down whisper.cpp's static
/// state under that thread, which crashed the process (SIGSEGV) in 2 of 54 interrupted
/// runs. Everything the job wrote is already renamed into place or deleted by then.
fn exit_skipping_destructors(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process, and nothing after this point needs to run.
    // Log lines still queued in the non-blocking writer are lost unless the caller dropped
    // its guard first, as `main` does.
    unsafe { libc::_exit(i32::from(code)) }
}

/// Writes panics to the log as well as to stderr, so a crash in the window, where nobody
/// sees stderr, leaves a trace.
fn log_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "panicked");
        default_hook(info);
    }));
}

/// Lets a closed pipe end the program quietly, as it does for other command-line tools.
/// Rust ignores SIGPIPE, so without this `whisperrr models list | head` would panic on
/// the next write instead of exiting.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: SIG_DFL is a valid disposition, and no code in this program installs its own
    // SIGPIPE handler that this could replace.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Treats `whisperrr [OPTIONS] FILE...` as `whisperrr transcribe [OPTIONS] FILE...`, so
/// dropping files on the binary or passing one from a shell transcribes them.
fn with_implicit_transcribe(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = args.get(1) else {
        return args;
    };
    let first = first.to_string_lossy();
    let is_top_level = ["-h", "--help", "-V", "--version", "help"].contains(&first.as_ref())
        || cli::Cli::has_subcommand(&first);
    if !is_top_level {
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
    fn options_before_file_become_transcribe() {
        assert_eq!(
            with_implicit_transcribe(args(&["whisperrr", "-m", "tiny.en", "talk.mp3"])),
            args(&["whisperrr", "transcribe", "-m", "tiny.en", "talk.mp3"])
        );
    }

    #[test]
    fn commands_and_top_level_flags_unchanged() {
        for list in [
            &["whisperrr", "models", "list"][..],
            &["whisperrr", "transcribe", "a.wav"],
            &["whisperrr", "--help"],
            &["whisperrr", "-V"],
            &["whisperrr", "help"],
            &["whisperrr"],
        ] {
            assert_eq!(with_implicit_transcribe(args(list)), args(list));
        }
    }
}
