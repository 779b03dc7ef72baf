//! Log lines go to `whisperrr.log` in the app's log folder, never to the terminal, so the
//! command line's stdout and stderr stay clean for the user.

use std::fs;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// whisper.cpp reports every tensor it loads, and symphonia every header it reads, at
/// info level; keep only their warnings.
const DEFAULT_FILTER: &str = "info,whisper_rs=warn,symphonia=warn";

/// Starts writing logs under `dir`. Keep the returned guard alive until the process ends:
/// dropping it flushes the last lines. `RUST_LOG` overrides the default levels.
pub fn init(dir: &Path) -> Result<WorkerGuard, std::io::Error> {
    fs::create_dir_all(dir)?;
    let appender = tracing_appender::rolling::never(dir, "whisperrr.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .init();

    tracing::info!(version = env!("CARGO_PKG_VERSION"), pid = std::process::id(), "whisperrr started");
    Ok(guard)
}
