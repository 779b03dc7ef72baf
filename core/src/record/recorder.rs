//! The recorder thread: from the capture ring buffer to the WAV file and the live
//! transcriber, until the recording stops.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use cpal::ErrorKind;

use super::capture::{self, Capture, CaptureFormat};
use super::live::LiveTranscriber;
use super::session::{Command, EventSink, RecordRequest, RecordingOutcome};
use super::wav::WavWriter;
use super::{files, RecordError, RecordEvent, StopReason, NO_AUDIO_TIMEOUT_S};
use crate::audio::{downmix, Resampler};
use crate::job;
use crate::save;
use crate::transcribe::Model;

/// How often the thread drains the ring buffer.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How often the level is reported: 20 times a second.
const LEVEL_INTERVAL: Duration = Duration::from_millis(50);

/// How often the WAV header is brought up to date. A crash loses at most this much.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Every this many checkpoints the file is also forced to disk (once a second).
const CHECKPOINTS_PER_SYNC: u32 = 2;

/// How long a device may take to deliver its first audio after starting. The ALSA
/// PulseAudio plugin takes about 2 s with its default buffer (measured on Debian 12).
const FIRST_AUDIO_TIMEOUT: Duration = Duration::from_secs(5);

/// Repeats of the same warning within this time are counted, not reported.
const WARNING_INTERVAL: Duration = Duration::from_secs(5);

type Started = Result<(PathBuf, CaptureFormat), RecordError>;

/// Runs one recording from start to saved files.
pub(super) fn run(
    request: RecordRequest,
    model: Model,
    events: EventSink,
    commands: Receiver<Command>,
    started: SyncSender<Started>,
) -> Result<RecordingOutcome, RecordError> {
    let mut recorder = match Recorder::open(&request, model, events.clone()) {
        Ok(recorder) => recorder,
        Err(error) => {
            tracing::error!(%error, "recording failed to start");
            let _ = started.send(Err(error));
            return Err(RecordError::Thread("the recording did not start".into()));
        }
    };

    if let Err(error) = recorder.wait_for_first_audio() {
        tracing::error!(%error, "recording failed to start");
        recorder.discard();
        let _ = started.send(Err(error));
        return Err(RecordError::Thread("the recording did not start".into()));
    }
    let _ = started.send(Ok((recorder.path.clone(), recorder.format.clone())));
    tracing::info!(path = %recorder.path.display(), device = %recorder.format.device.id, "recording started");
    events(RecordEvent::Started {
        format: recorder.format.clone(),
        path: recorder.path.clone(),
    });

    let reason = recorder.record_until_stopped(&commands);
    tracing::info!(?reason, recorded_ms = recorder.recorded_ms(), "recording stopped");
    let result = recorder.finish(reason, &request);
    match &result {
        Ok(outcome) => tracing::info!(wav = %outcome.wav.display(), written = ?outcome.written, "recording saved"),
        Err(error) => tracing::error!(%error, "recording failed to save"),
    }
    result
}

struct Recorder {
    capture: Capture,
    wav: WavWriter,
    resampler: Resampler,
    live: LiveTranscriber,
    events: EventSink,
    path: PathBuf,
    format: CaptureFormat,
    /// Frames at the device rate that the duration limit allows.
    max_frames: Option<u64>,
    /// Mono frames at the device rate written so far.
    frames_written: u64,
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    resampled: Vec<f32>,
    warnings: Vec<String>,
    last_warning: Option<Instant>,
    samples_dropped: u64,
}

impl Recorder {
    fn open(request: &RecordRequest, model: Model, events: EventSink) -> Result<Self, RecordError> {
        let capture = capture::open(request.device.as_deref())?;
        let format = capture.format.clone();
        let resampler = Resampler::new(format.sample_rate)?;

        let (path, file) = files::create_partial(&request.recordings_dir)?;
        let wav = WavWriter::new(file, &path, format.sample_rate, 1)?;

        let live_events = events.clone();
        let live = LiveTranscriber::start(model, request.options.clone(), request.live, move |event| {
            live_events(event.into())
        })
        .map_err(|error| RecordError::Thread(error.to_string()))?;

        let max_frames = request
            .max_duration
            .map(|duration| (duration.as_secs_f64() * f64::from(format.sample_rate)).round() as u64);
        Ok(Self {
            capture,
            wav,
            resampler,
            live,
            events,
            path,
            format,
            max_frames,
            frames_written: 0,
            interleaved: Vec::new(),
            mono: Vec::new(),
            resampled: Vec::new(),
            warnings: Vec::new(),
            last_warning: None,
            samples_dropped: 0,
        })
    }

    /// Waits until the device delivers its first audio, so that a started recording is
    /// one that receives sound.
    fn wait_for_first_audio(&self) -> Result<(), RecordError> {
        let started = Instant::now();
        while self.capture.shared.frames_delivered.load(Ordering::Relaxed) == 0 {
            if let Ok(error) = self.capture.errors.try_recv() {
                return Err(RecordError::OpenDevice {
                    device: self.format.device.name.clone(),
                    message: error.to_string(),
                });
            }
            if started.elapsed() >= FIRST_AUDIO_TIMEOUT {
                return Err(RecordError::NoAudio {
                    device: self.format.device.name.clone(),
                    seconds: FIRST_AUDIO_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        Ok(())
    }

    /// Stops everything and removes the empty recording of a start that failed.
    fn discard(self) {
        let Recorder {
            mut capture,
            wav,
            live,
            path,
            ..
        } = self;
        capture.stop_stream();
        live.cancel();
        drop(live);
        drop(wav);
        if let Err(error) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), %error, "cannot remove the empty recording");
        }
    }

    fn recorded_ms(&self) -> u64 {
        self.frames_written * 1000 / u64::from(self.format.sample_rate)
    }

    /// Moves audio from the device to the file and the transcriber until a command, the
    /// duration limit or a failure stops it.
    fn record_until_stopped(&mut self, commands: &Receiver<Command>) -> StopReason {
        let mut last_level = Instant::now();
        let mut last_checkpoint = Instant::now();
        let mut checkpoints = 0u32;
        let mut frames_seen = 0u64;
        let mut last_audio = Instant::now();

        loop {
            if let Some(reason) = self.handle_commands(commands) {
                return reason;
            }
            if let Some(reason) = self.handle_stream_errors() {
                return reason;
            }
            if let Some(reason) = self.drain_ring() {
                return reason;
            }

            let delivered = self.capture.shared.frames_delivered.load(Ordering::Relaxed);
            if delivered != frames_seen {
                frames_seen = delivered;
                last_audio = Instant::now();
            }
            if last_audio.elapsed() >= Duration::from_secs(NO_AUDIO_TIMEOUT_S) {
                return StopReason::NoAudio;
            }

            if last_level.elapsed() >= LEVEL_INTERVAL {
                last_level = Instant::now();
                let level = self.capture.shared.meter.take();
                (self.events)(RecordEvent::Level {
                    rms_dbfs: level.rms_dbfs,
                    peak_dbfs: level.peak_dbfs,
                    recorded_ms: self.recorded_ms(),
                });
                self.check_dropped_samples();
            }

            if last_checkpoint.elapsed() >= CHECKPOINT_INTERVAL {
                last_checkpoint = Instant::now();
                checkpoints += 1;
                if let Err(error) = self.wav.checkpoint(checkpoints % CHECKPOINTS_PER_SYNC == 0) {
                    return StopReason::WriteFailed {
                        message: error.to_string(),
                    };
                }
            }

            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn handle_commands(&mut self, commands: &Receiver<Command>) -> Option<StopReason> {
        loop {
            match commands.try_recv() {
                Ok(Command::Pause) => {
                    self.capture.shared.paused.store(true, Ordering::Relaxed);
                    (self.events)(RecordEvent::Paused {
                        recorded_ms: self.recorded_ms(),
                    });
                }
                Ok(Command::Resume) => {
                    self.capture.shared.paused.store(false, Ordering::Relaxed);
                    (self.events)(RecordEvent::Resumed {
                        recorded_ms: self.recorded_ms(),
                    });
                }
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return Some(StopReason::Requested),
                Err(TryRecvError::Empty) => return None,
            }
        }
    }

    /// Turns the errors the driver reported into a reason to stop, or into warnings for
    /// those it recovers from by itself.
    fn handle_stream_errors(&mut self) -> Option<StopReason> {
        while let Ok(error) = self.capture.errors.try_recv() {
            let message = error.to_string();
            match error.kind() {
                ErrorKind::Xrun => self.warn("the audio device overran; a few milliseconds of audio may be missing"),
                ErrorKind::RealtimeDenied => tracing::debug!(%message, "audio thread runs without real-time priority"),
                ErrorKind::DeviceChanged => self.warn(&format!("the audio device changed: {message}")),
                ErrorKind::DeviceNotAvailable | ErrorKind::StreamInvalidated => {
                    return Some(StopReason::DeviceLost { message });
                }
                _ => return Some(StopReason::StreamError { message }),
            }
        }
        None
    }

    /// Processes every whole frame in the ring buffer.
    fn drain_ring(&mut self) -> Option<StopReason> {
        let channels = usize::from(self.format.channels);
        let available = self.capture.samples.slots();
        let whole = available - available % channels;
        if whole == 0 {
            return None;
        }

        self.interleaved.clear();
        if let Ok(chunk) = self.capture.samples.read_chunk(whole) {
            let (first, second) = chunk.as_slices();
            self.interleaved.extend_from_slice(first);
            self.interleaved.extend_from_slice(second);
            chunk.commit_all();
        }
        self.process_interleaved()
    }

    /// Downmixes, writes and resamples `self.interleaved`.
    fn process_interleaved(&mut self) -> Option<StopReason> {
        self.mono.clear();
        downmix(&self.interleaved, usize::from(self.format.channels), &mut self.mono);

        let mut reason = None;
        if let Some(max_frames) = self.max_frames {
            let room = max_frames.saturating_sub(self.frames_written);
            if self.mono.len() as u64 >= room {
                self.mono.truncate(room as usize);
                reason = Some(StopReason::DurationReached);
            }
        }

        let written = match self.wav.append(&self.mono) {
            Ok(written) => written,
            Err(error) => {
                return Some(StopReason::WriteFailed {
                    message: error.to_string(),
                })
            }
        };
        if written < self.mono.len() {
            self.mono.truncate(written);
            reason = Some(StopReason::SizeLimit);
        }
        self.frames_written += written as u64;

        self.resampled.clear();
        if let Err(error) = self.resampler.push(&self.mono, &mut self.resampled) {
            return Some(StopReason::StreamError {
                message: error.to_string(),
            });
        }
        self.live.feed(&self.resampled);
        reason
    }

    fn check_dropped_samples(&mut self) {
        let dropped = self.capture.shared.samples_dropped.load(Ordering::Relaxed);
        if dropped > self.samples_dropped {
            self.samples_dropped = dropped;
            let rate = u64::from(self.format.sample_rate) * u64::from(self.format.channels);
            self.warn(&format!(
                "the recorder fell behind and lost {} ms of audio so far; the disk or the machine may be too busy",
                dropped * 1000 / rate.max(1)
            ));
        }
    }

    fn warn(&mut self, message: &str) {
        tracing::warn!(%message, "recording warning");
        let quiet = self.last_warning.is_some_and(|at| at.elapsed() < WARNING_INTERVAL);
        if quiet && self.warnings.last().is_some_and(|last| last == message) {
            return;
        }
        self.last_warning = Some(Instant::now());
        self.warnings.push(message.to_string());
        (self.events)(RecordEvent::Warning {
            message: message.to_string(),
        });
    }

    /// Stops the stream, keeps every sample it delivered, finishes the transcript and
    /// saves the files.
    fn finish(mut self, reason: StopReason, request: &RecordRequest) -> Result<RecordingOutcome, RecordError> {
        self.capture.stop_stream();
        if !matches!(reason, StopReason::WriteFailed { .. } | StopReason::SizeLimit) {
            // The stream is stopped, so this is the last of its samples.
            let _ = self.drain_ring();
        }
        self.check_dropped_samples();
        let recorded_ms = self.recorded_ms();
        let Recorder {
            wav,
            resampler,
            mut live,
            events,
            path,
            format,
            mut warnings,
            ..
        } = self;

        let mut tail = Vec::new();
        if let Err(error) = resampler.finish(&mut tail) {
            warnings.push(format!(
                "the end of the recording could not be resampled for transcription: {error}"
            ));
        }
        live.feed(&tail);
        let wav_result = wav.finish();
        events(RecordEvent::Stopped {
            reason: reason.clone(),
            recorded_ms,
        });
        wav_result?;

        // The recording is complete on disk before the transcript is, so a failure below
        // still leaves a playable WAV file.
        let transcript = live.finish();
        let location = files::final_location(&path);
        let wav = save::move_no_clobber(&path, &location, "wav").map_err(RecordError::Save)?;
        let transcript = transcript.map_err(|source| RecordError::Transcribe {
            wav: wav.clone(),
            source,
        })?;

        let written = if transcript.is_empty() {
            Vec::new()
        } else {
            let job_request = job::JobRequest {
                input: wav.clone(),
                options: request.options.clone(),
                formats: request.formats.clone(),
                output_dir: None,
            };
            job::save_transcript(&wav, &job_request, &transcript).map_err(|source| RecordError::SaveTranscript {
                wav: wav.clone(),
                source,
            })?
        };

        Ok(RecordingOutcome {
            wav,
            written,
            transcript,
            duration_ms: recorded_ms,
            stop_reason: reason,
            warnings,
            format: Some(format),
        })
    }
}
