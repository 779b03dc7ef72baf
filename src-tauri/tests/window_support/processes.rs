//! The processes behind one window test: a virtual X display and WebKitWebDriver.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed and reaped on drop.
pub struct Guarded {
    pub child: Child,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `command`, turning a missing program into a message that names the package to
/// install.
fn spawn(command: &mut Command, program: &str, package: &str) -> Child {
    match command.spawn() {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "{program} is not installed, and the window tests need it: install the Debian package {package} \
             (`.ci/install-deps --test` installs every test tool)"
        ),
        Err(error) => panic!("cannot start {program}: {error}"),
    }
}

/// Starts Xvfb on a free display number, which Xvfb picks itself and reports once it
/// accepts connections. Returns the process and the display (such as `:42`).
pub fn start_xvfb() -> (Guarded, String) {
    let mut child = spawn(
        Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
        "Xvfb",
        "xvfb",
    );

    let stdout = child.stdout.take().expect("Xvfb stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("Xvfb reports its display number");
    let number: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb printed '{line}' instead of a display number"));
    (Guarded { child }, format!(":{number}"))
}

/// Returns a TCP port on the loopback interface that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("can bind a loopback port");
    listener.local_addr().unwrap().port()
}

/// Starts WebKitWebDriver on `port` with `envs`, which the app it launches inherits, and
/// waits until it responds.
pub fn start_webdriver(port: u16, envs: &[(&str, &Path)], extra_envs: &[(&str, &str)], log: &Path) -> Guarded {
    let log_file = std::fs::File::create(log).expect("can create the driver log");
    let mut command = Command::new("WebKitWebDriver");
    command
        .args([format!("--port={port}"), "--host=127.0.0.1".to_string()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file);
    for (name, value) in envs {
        command.env(name, value);
    }
    for (name, value) in extra_envs {
        command.env(name, value);
    }
    let driver = Guarded { child: spawn(&mut command, "WebKitWebDriver", "webkit2gtk-driver") };

    let deadline = Instant::now() + Duration::from_secs(30);
    while !super::webdriver::is_ready(port) {
        assert!(Instant::now() < deadline, "WebKitWebDriver did not answer on port {port} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

/// Runs `program` to completion with `args` on `display`, failing the test if it fails.
pub fn run_tool(program: &str, package: &str, args: &[&str], display: &str) -> String {
    let output = match Command::new(program).args(args).env("DISPLAY", display).output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("{program} is not installed: install the Debian package {package} (`.ci/install-deps --test`)")
        }
        Err(error) => panic!("cannot run {program}: {error}"),
    };
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
