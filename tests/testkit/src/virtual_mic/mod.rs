//! A virtual microphone for tests: a private PulseAudio server whose default input records
//! whatever `paplay` plays into it, at real-time pace.
//!
//! ALSA's default device goes to PulseAudio (Debian's `99-pulse.conf`, package
//! `libasound2-plugins`), so a program that records from the default input through ALSA,
//! as cpal does, hears the played file when `PULSE_SERVER` points at this server.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server configuration, with `@SOCKET@` in place of the socket path.
const CONFIG: &str = include_str!("virtmic.pa");

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A running PulseAudio server with a virtual microphone, stopped when dropped.
pub struct VirtualMic {
    daemon: Child,
    server: String,
    _dir: tempfile::TempDir,
}

impl VirtualMic {
    /// Starts a private server with its socket and files in a new temporary folder.
    ///
    /// Fails with the package to install when `pulseaudio` or `pactl` is missing.
    pub fn start() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("virtmic-")
            .tempdir()
            .map_err(|error| error.to_string())?;
        let socket = dir.path().join("native");
        let config = dir.path().join("virtmic.pa");
        let socket_text = socket.to_str().ok_or("the temporary folder is not UTF-8")?;
        std::fs::write(&config, CONFIG.replace("@SOCKET@", socket_text)).map_err(|error| error.to_string())?;

        // HOME and XDG_RUNTIME_DIR point into the folder, so the server never touches the
        // user's own PulseAudio files.
        let daemon = Command::new("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--log-target=stderr",
                "-F",
            ])
            .arg(&config)
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| missing_tool("pulseaudio", "pulseaudio", &error))?;

        let mic = Self {
            daemon,
            server: format!("unix:{socket_text}"),
            _dir: dir,
        };
        mic.wait_until_ready()?;
        Ok(mic)
    }

    /// Returns the value for `PULSE_SERVER` that reaches this server.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Starts `paplay` playing `file` into the microphone; wait on the child for the end.
    pub fn play(&self, file: &Path) -> Result<Child, String> {
        Command::new("paplay")
            .arg(file)
            .env("PULSE_SERVER", &self.server)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| missing_tool("paplay", "pulseaudio-utils", &error))
    }

    fn wait_until_ready(&self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            let status = Command::new("pactl")
                .arg("info")
                .env("PULSE_SERVER", &self.server)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|error| missing_tool("pactl", "pulseaudio-utils", &error))?;
            if status.success() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!("the PulseAudio server did not start within {START_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for VirtualMic {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn missing_tool(tool: &str, package: &str, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::NotFound {
        format!("`{tool}` is not installed; install the Debian package `{package}`")
    } else {
        format!("cannot run `{tool}`: {error}")
    }
}
