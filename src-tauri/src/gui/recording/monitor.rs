//! The input level while nothing records, so the user sees that the microphone works
//! before pressing Start.
//!
//! The monitor opens the device like a recording does, but keeps the capture paused: the
//! audio callback feeds the level meter and keeps no samples, so nothing is written or
//! transcribed. Only one stream should hold a device, so a recording stops the monitor
//! before it opens the device.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cpal::ErrorKind;
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::record::capture::{self, Capture};
use whisperrr_core::record::NO_AUDIO_TIMEOUT_S;

use super::board::{Level, MonitorState};
use super::hub::Hub;

/// How often the level is sent: 20 times a second, as while recording.
const LEVEL_INTERVAL: Duration = Duration::from_millis(50);

/// How long a device may take to deliver its first audio. The ALSA PulseAudio plugin
/// takes about 2 s with its default buffer (Debian 12), as the recorder also allows for.
const FIRST_AUDIO_TIMEOUT: Duration = Duration::from_secs(5);

/// A running level monitor. [`Monitor::stop`] releases the device.
pub struct Monitor {
    stop: CancelToken,
    thread: Option<JoinHandle<()>>,
}

impl Monitor {
    /// Opens `device` (the system default when `None`) on a thread of its own, which
    /// reports its state and levels to `hub` until stopped or until the device fails.
    pub fn start(device: Option<String>, hub: Arc<Hub>) -> io::Result<Self> {
        let stop = CancelToken::new();
        let thread_stop = stop.clone();
        let thread = thread::Builder::new()
            .name("level-monitor".into())
            .spawn(move || run(device.as_deref(), &hub, &thread_stop))?;
        Ok(Self { stop, thread: Some(thread) })
    }

    /// Stops the stream and waits for the thread, which takes at most about 2 s even when
    /// the driver hangs (see [`Capture::stop_stream`]).
    pub fn stop(mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the level monitor thread panicked");
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn run(device: Option<&str>, hub: &Hub, stop: &CancelToken) {
    hub.update(|board| board.set_monitor(MonitorState::Opening));
    let mut capture = match capture::open(device) {
        Ok(capture) => capture,
        Err(error) => {
            tracing::warn!(device = device.unwrap_or("default"), %error, "level monitor cannot open the input device");
            hub.update(|board| board.set_monitor(MonitorState::Failed { message: error.to_string() }));
            return;
        }
    };
    // The meter keeps running while paused, and no samples pile up in the ring buffer.
    capture.shared.paused.store(true, Ordering::Relaxed);
    tracing::info!(device = %capture.format.device.id, "level monitor started");

    if !stop.is_cancelled() {
        let device = capture.format.device.clone();
        hub.update(|board| board.set_monitor(MonitorState::Listening { device }));
        if let Some(message) = watch(&capture, hub, stop) {
            tracing::warn!(device = %capture.format.device.id, %message, "level monitor stopped");
            hub.update(|board| board.set_monitor(MonitorState::Failed { message }));
        }
    }

    capture.stop_stream();
    tracing::info!(device = %capture.format.device.id, "level monitor stopped");
}

/// Sends the level until `stop` is cancelled, or returns why the device stopped working.
fn watch(capture: &Capture, hub: &Hub, stop: &CancelToken) -> Option<String> {
    let mut silence = SilenceWatch::new(Instant::now());
    while !stop.is_cancelled() {
        thread::sleep(LEVEL_INTERVAL);

        let level = capture.shared.meter.take();
        hub.send_level(Level { rms_dbfs: level.rms_dbfs, peak_dbfs: level.peak_dbfs, recorded_ms: None });

        while let Ok(error) = capture.errors.try_recv() {
            if let Some(message) = failure_message(&error) {
                return Some(message);
            }
        }
        let delivered = capture.shared.frames_delivered.load(Ordering::Relaxed);
        if silence.timed_out(delivered, Instant::now()) {
            return Some(format!(
                "the microphone delivers no audio (none for {} s); check that it is connected and not used by another program",
                silence.limit(delivered).as_secs()
            ));
        }
    }
    None
}

/// Returns a sentence for a stream error that stops the monitor, or `None` for one the
/// driver recovers from by itself.
fn failure_message(error: &cpal::Error) -> Option<String> {
    match error.kind() {
        ErrorKind::Xrun | ErrorKind::RealtimeDenied | ErrorKind::DeviceChanged => None,
        ErrorKind::DeviceNotAvailable | ErrorKind::StreamInvalidated => {
            Some(format!("the microphone was disconnected ({error})"))
        }
        _ => Some(format!("the audio stream failed ({error})")),
    }
}

/// Tells when a device has delivered no frames for too long: [`FIRST_AUDIO_TIMEOUT`]
/// before the first frames, then [`NO_AUDIO_TIMEOUT_S`] between frames.
#[derive(Debug)]
struct SilenceWatch {
    frames_seen: u64,
    since: Instant,
}

impl SilenceWatch {
    fn new(now: Instant) -> Self {
        Self { frames_seen: 0, since: now }
    }

    fn limit(&self, delivered: u64) -> Duration {
        if delivered == 0 {
            FIRST_AUDIO_TIMEOUT
        } else {
            Duration::from_secs(NO_AUDIO_TIMEOUT_S)
        }
    }

    /// Takes the device's count of delivered frames at `now`.
    fn timed_out(&mut self, delivered: u64, now: Instant) -> bool {
        if delivered != self.frames_seen {
            self.frames_seen = delivered;
            self.since = now;
            return false;
        }
        now.duration_since(self.since) >= self.limit(delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_before_first_audio_allows_five_seconds() {
        let start = Instant::now();
        let mut watch = SilenceWatch::new(start);

        assert!(!watch.timed_out(0, start + Duration::from_millis(4900)));
        assert!(watch.timed_out(0, start + Duration::from_secs(5)));
    }

    #[test]
    fn silence_after_audio_allows_two_seconds() {
        let start = Instant::now();
        let mut watch = SilenceWatch::new(start);

        assert!(!watch.timed_out(480, start + Duration::from_millis(600)));
        assert!(!watch.timed_out(960, start + Duration::from_millis(700)));
        assert!(!watch.timed_out(960, start + Duration::from_millis(2600)));
        assert!(watch.timed_out(960, start + Duration::from_millis(2700)));
    }

    #[test]
    fn new_frames_restart_the_clock() {
        let start = Instant::now();
        let mut watch = SilenceWatch::new(start);
        watch.timed_out(480, start);

        assert!(!watch.timed_out(960, start + Duration::from_secs(10)));
        assert!(!watch.timed_out(960, start + Duration::from_millis(11_900)));
    }

    #[test]
    fn overruns_do_not_stop_monitor() {
        for kind in [ErrorKind::Xrun, ErrorKind::RealtimeDenied, ErrorKind::DeviceChanged] {
            assert_eq!(failure_message(&cpal::Error::with_message(kind, "x")), None, "{kind:?}");
        }
    }

    #[test]
    fn lost_device_stops_monitor() {
        let message = failure_message(&cpal::Error::with_message(ErrorKind::DeviceNotAvailable, "gone")).unwrap();

        assert!(message.contains("disconnected"), "{message}");
        assert!(message.contains("gone"), "{message}");
    }
}
