//! A progress bar on stderr, drawn only when stderr is a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the bar redraws on its own. indicatif skips draws that come too fast, and
/// whisper can report nothing for many seconds while it works through a 30-second window,
/// so without this the bar could show a stale step and a frozen clock.
const REDRAW_INTERVAL: Duration = Duration::from_millis(250);

/// A bar from 0 to 100 with a label for the current step.
pub struct ProgressLine {
    bar: ProgressBar,
}

impl ProgressLine {
    pub fn new(prefix: String) -> Self {
        // `stderr()` draws nothing when stderr is redirected, so logs and pipes stay clean.
        let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} {msg:13} [{bar:30}] {pos:>3}% {elapsed}")
            .expect("the progress template is valid")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(prefix);
        bar.enable_steady_tick(REDRAW_INTERVAL);
        Self { bar }
    }

    /// A bar counting bytes, for downloads. The message shows the step, speed and time left.
    pub fn bytes(prefix: String) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg}")
            .expect("the progress template is valid")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(prefix);
        bar.enable_steady_tick(REDRAW_INTERVAL);
        Self { bar }
    }

    pub fn set(&self, step: &str, position: u64) {
        self.bar.set_message(step.to_string());
        self.bar.set_position(position);
    }

    pub fn set_length(&self, length: u64) {
        self.bar.set_length(length);
    }

    /// Prints `line` above the bar without breaking it.
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
