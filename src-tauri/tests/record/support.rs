//! A sandbox with its own virtual microphone and home folder, and a recorder process whose
//! output lines are timed as they arrive.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use regex::Regex;
use whisperrr_core::audio::{decode_for_whisper, DecodedAudio, WHISPER_SAMPLE_RATE};
use whisperrr_core::cancel::CancelToken;
use whisperrr_testkit::model_path;
use whisperrr_testkit::virtual_mic::VirtualMic;

/// How long the recorder may take to load the model and start capturing.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Sandbox {
    root: tempfile::TempDir,
    pub mic: VirtualMic,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("home")).unwrap();
        let mic = VirtualMic::start().unwrap_or_else(|error| panic!("cannot start the virtual microphone: {error}"));
        Self { root, mic }
    }

    /// Returns the folder the recordings go to.
    pub fn recordings_dir(&self) -> PathBuf {
        self.root.path().join("recordings")
    }

    /// `whisperrr` with HOME, the XDG folders and PULSE_SERVER inside the sandbox.
    pub fn command(&self) -> Command {
        let home = self.root.path().join("home");
        let mut command = Command::new(env!("CARGO_BIN_EXE_whisperrr"));
        command
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("PULSE_SERVER", self.mic.server())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        command
    }

    /// Runs `whisperrr ARGS` to the end, with the test model, one thread and the sandbox's
    /// recordings folder added to `record` commands.
    pub fn whisperrr(&self, args: &[&str]) -> Output {
        let mut command = self.command();
        command.args(args);
        if args.first() == Some(&"record") && !args.contains(&"--list-devices") {
            command.args(self.record_options());
        }
        command.output().unwrap()
    }

    pub fn record_options(&self) -> Vec<String> {
        vec![
            "--model".into(),
            model_path("tiny.en").to_string_lossy().into_owned(),
            "--threads".into(),
            "1".into(),
            "--output-dir".into(),
            self.recordings_dir().to_string_lossy().into_owned(),
        ]
    }

    /// File names in the recordings folder, sorted.
    pub fn recordings(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.recordings_dir())
            .map(|entries| {
                entries
                    .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Returns the one file in the recordings folder whose name ends with `.EXTENSION`.
    pub fn recording_with_extension(&self, extension: &str) -> PathBuf {
        let suffix = format!(".{extension}");
        let matching: Vec<String> = self
            .recordings()
            .into_iter()
            .filter(|name| name.ends_with(&suffix))
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "expected one {suffix} file among {:?}",
            self.recordings()
        );
        self.recordings_dir().join(&matching[0])
    }
}

/// Lines of one output stream with the time each was read.
type TimedLines = Arc<Mutex<Vec<(Instant, String)>>>;

/// A running `whisperrr record`.
pub struct Recorder {
    child: Child,
    stdout: TimedLines,
    stderr: TimedLines,
    readers: Vec<JoinHandle<()>>,
    started_at: Instant,
}

impl Recorder {
    /// Starts `whisperrr record EXTRA...` and waits until it reports that it records.
    pub fn start(sandbox: &Sandbox, extra: &[&str]) -> Self {
        let mut command = sandbox.command();
        command
            .arg("record")
            .args(sandbox.record_options())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();

        let stdout: TimedLines = Arc::default();
        let stderr: TimedLines = Arc::default();
        let readers = vec![
            read_lines(child.stdout.take().unwrap(), stdout.clone()),
            read_lines(child.stderr.take().unwrap(), stderr.clone()),
        ];
        let mut recorder = Self {
            child,
            stdout,
            stderr,
            readers,
            started_at: Instant::now(),
        };

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(at) = find_line(&recorder.stderr, "Recording from") {
                recorder.started_at = at;
                return recorder;
            }
            if let Some(status) = recorder.child.try_wait().unwrap() {
                panic!(
                    "the recorder exited with {status} before recording:\n{}",
                    joined(&recorder.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "the recorder did not start within {START_TIMEOUT:?}:\n{}",
                joined(&recorder.stderr)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// When the recorder reported that audio flows.
    pub fn started_at(&self) -> Instant {
        self.started_at
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Sends SIGKILL and waits for the process to end.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits for the process to end and returns everything it printed.
    pub fn wait_for_exit(mut self, timeout: Duration) -> RunOutput {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the recorder did not finish within {timeout:?}:\n{}",
                    joined(&self.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        let take = |lines: &TimedLines| std::mem::take(&mut *lines.lock().unwrap());
        RunOutput {
            status,
            stdout: take(&self.stdout),
            stderr: take(&self.stderr),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct RunOutput {
    pub status: ExitStatus,
    stdout: Vec<(Instant, String)>,
    stderr: Vec<(Instant, String)>,
}

impl RunOutput {
    pub fn stdout_text(&self) -> String {
        lines_text(&self.stdout)
    }

    pub fn stderr_text(&self) -> String {
        lines_text(&self.stderr)
    }

    /// When the first stderr line containing `text` arrived.
    pub fn stderr_time(&self, text: &str) -> Option<Instant> {
        self.stderr
            .iter()
            .find(|(_, line)| line.contains(text))
            .map(|(at, _)| *at)
    }

    /// Returns the stdout lines that arrived before `moment`.
    pub fn stdout_before(&self, moment: Instant) -> String {
        let lines: Vec<&str> = self
            .stdout
            .iter()
            .filter(|(at, _)| *at < moment)
            .map(|(_, line)| line.as_str())
            .collect();
        lines.join("\n")
    }
}

fn read_lines(stream: impl Read + Send + 'static, lines: TimedLines) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            lines.lock().unwrap().push((Instant::now(), line));
        }
    })
}

fn find_line(lines: &TimedLines, text: &str) -> Option<Instant> {
    lines
        .lock()
        .unwrap()
        .iter()
        .find(|(_, line)| line.contains(text))
        .map(|(at, _)| *at)
}

fn joined(lines: &TimedLines) -> String {
    lines_text(&lines.lock().unwrap())
}

fn lines_text(lines: &[(Instant, String)]) -> String {
    let texts: Vec<&str> = lines.iter().map(|(_, line)| line.as_str()).collect();
    texts.join("\n")
}

/// Decodes a file to 16 kHz mono, failing the test on any decoding warning.
pub fn audio_of(path: &Path) -> DecodedAudio {
    let decoded = decode_for_whisper(path, &mut |_| {}, &CancelToken::new())
        .unwrap_or_else(|error| panic!("{} does not decode: {error}", path.display()));
    assert!(
        decoded.warnings.is_empty(),
        "{}: {:?}",
        path.display(),
        decoded.warnings
    );
    decoded
}

pub trait Duration16k {
    fn duration_s(&self) -> f64;
}

impl Duration16k for DecodedAudio {
    fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(WHISPER_SAMPLE_RATE)
    }
}

/// Fails unless `recording` contains the whole of `played`: its 20 ms frame levels must
/// match, with a correlation of at least 0.8, at some offset that leaves room for all of it.
pub fn speech_found_at(recording: &DecodedAudio, played: &Path) {
    let played = audio_of(played);
    let recorded_levels = frame_levels(&recording.samples);
    let played_levels = frame_levels(&played.samples);
    assert!(
        recorded_levels.len() + 25 >= played_levels.len(),
        "the recording ({} frames) is shorter than what was played ({} frames)",
        recorded_levels.len(),
        played_levels.len()
    );

    let last_offset = recorded_levels.len().saturating_sub(played_levels.len());
    let (offset, correlation) = (0..=last_offset)
        .map(|offset| (offset, correlation(&played_levels, &recorded_levels[offset..])))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert!(
        correlation >= 0.8,
        "the played speech is not in the recording: best correlation {correlation:.2} at {} ms",
        offset * 20
    );
}

fn frame_levels(samples: &[f32]) -> Vec<f64> {
    samples
        .chunks(320)
        .map(|frame| {
            let energy = frame.iter().map(|&s| f64::from(s * s)).sum::<f64>() / frame.len() as f64;
            (10.0 * (energy + 1e-12).log10()).max(-80.0)
        })
        .collect()
}

/// Pearson correlation of `a` with the start of `b`.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mean_a = a.iter().sum::<f64>() / n as f64;
    let mean_b = b.iter().sum::<f64>() / n as f64;
    let covariance: f64 = a.iter().zip(b).map(|(x, y)| (x - mean_a) * (y - mean_b)).sum();
    let spread_a: f64 = a.iter().map(|x| (x - mean_a).powi(2)).sum();
    let spread_b: f64 = b.iter().map(|y| (y - mean_b).powi(2)).sum();
    covariance / (spread_a * spread_b).sqrt().max(1e-12)
}

/// Fails unless every word in `words` appears in `text`, ignoring case.
pub fn key_words_in(text: &str, words: &[&str]) {
    let lower = text.to_lowercase();
    for word in words {
        assert!(lower.contains(&word.to_lowercase()), "'{word}' missing from: {text}");
    }
}

pub fn assert_valid_srt(srt: &str) {
    let timing = Regex::new(r"^\d{2,}:\d{2}:\d{2},\d{3} --> \d{2,}:\d{2}:\d{2},\d{3}$").unwrap();
    let cues: Vec<&str> = srt.trim_end().split("\n\n").collect();
    assert!(!cues.is_empty(), "no cues in {srt:?}");

    for (index, cue) in cues.iter().enumerate() {
        let lines: Vec<&str> = cue.lines().collect();
        assert!(lines.len() >= 3, "cue {index} too short: {cue:?}");
        assert_eq!(lines[0], (index + 1).to_string(), "cue numbering in {srt:?}");
        assert!(timing.is_match(lines[1]), "bad timing line {:?}", lines[1]);
    }
    assert!(srt.ends_with("\n\n"), "SRT must end with a blank line: {srt:?}");
}
