//! Capturing audio from an input device with cpal.
//!
//! The audio callback converts each buffer to `f32`, feeds the level meter and pushes the
//! interleaved samples into a wait-free single-producer ring buffer. The recorder thread
//! drains the ring buffer, so the callback never waits for disk or transcription.

pub mod config;
pub mod convert;
pub mod devices;
pub mod meter;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{BufferSize, FromSample, Sample, SampleFormat, SizedSample, StreamConfig};
use serde::Serialize;

use self::devices::InputDevice;
use self::meter::LevelMeter;
use super::RecordError;

/// Seconds of audio the ring buffer holds, which is how long the recorder thread may stall
/// (a slow disk, a busy machine) before samples are lost.
const RING_SECONDS: usize = 10;

/// How long stopping a stream may take before the recorder goes on without it.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// State shared between the audio callback and the recorder thread. Only atomics, so the
/// callback never waits on the other side.
#[derive(Debug, Default)]
pub struct CaptureShared {
    pub meter: LevelMeter,
    /// While set, the callback still feeds the meter but keeps no samples.
    pub paused: AtomicBool,
    /// Frames the driver delivered, counted while paused too, so the recorder can tell
    /// that audio stopped arriving.
    pub frames_delivered: AtomicU64,
    /// Samples lost because the ring buffer was full.
    pub samples_dropped: AtomicU64,
}

/// Format the device was opened in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaptureFormat {
    pub device: InputDevice,
    /// cpal's name of the sample format, such as `i16` or `f32`.
    pub sample_format: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// Frames per callback requested from the driver; `None` when the driver chose.
    pub buffer_frames: Option<u32>,
}

/// An open, running input stream. Dropping it stops the stream.
pub struct Capture {
    /// Held to keep the stream running; `None` once stopped.
    stream: Option<cpal::Stream>,
    pub samples: rtrb::Consumer<f32>,
    pub shared: Arc<CaptureShared>,
    /// Errors the driver reported, in order.
    pub errors: Receiver<cpal::Error>,
    pub format: CaptureFormat,
}

impl Capture {
    /// Stops the stream. The samples it delivered stay in the ring buffer.
    ///
    /// Dropping a cpal stream joins its driver thread, and that thread can be stuck for
    /// good: with ALSA's PulseAudio plugin (Debian 12), a server that dies mid-stream leaves
    /// it waiting on a lock inside libpulse. So the stream is dropped on a thread of its
    /// own, and this returns after [`STOP_TIMEOUT`] at the latest.
    // NOTE: a stream stuck that way keeps its thread until the process exits.
    pub fn stop_stream(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        let (done, stopped) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new().name("stream-stop".into()).spawn(move || {
            drop(stream);
            let _ = done.send(());
        });
        match spawned {
            Ok(_) => {
                if stopped.recv_timeout(STOP_TIMEOUT).is_err() {
                    tracing::warn!(device = %self.format.device.id, "the audio stream did not stop; leaving it behind");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot start a thread to stop the audio stream"),
        }
    }
}

/// Opens the input device named `wanted` (the system default when `None`) in a
/// configuration it supports, and starts it.
pub fn open(wanted: Option<&str>) -> Result<Capture, RecordError> {
    let (device, info) = devices::find_input_device(wanted)?;
    let open_error = |message: String| RecordError::OpenDevice {
        device: info.name.clone(),
        message,
    };

    let default = device.default_input_config().ok();
    let chosen = match default.filter(config::is_usable) {
        Some(config) => config,
        None => {
            let offered: Vec<_> = device
                .supported_input_configs()
                .map_err(|error| match error.kind() {
                    // ALSA always lists a default device, even when no sound card or server provides it.
                    cpal::ErrorKind::DeviceNotAvailable if wanted.is_none() => RecordError::NoInputDevice,
                    _ => open_error(error.to_string()),
                })?
                .collect();
            config::choose(default, &offered).ok_or_else(|| RecordError::NoUsableConfig {
                device: info.name.clone(),
                offered: config::describe(&offered),
            })?
        }
    };

    let format = chosen.sample_format();
    let channels = chosen.channels();
    let shared = Arc::new(CaptureShared::default());
    let capacity = RING_SECONDS * chosen.sample_rate() as usize * usize::from(channels);

    // A fixed short buffer makes the first audio arrive sooner; drivers that refuse it get
    // their default instead.
    let mut result = Err(String::new());
    let mut buffer_frames = None;
    for buffer_size in [config::buffer_size(&chosen), BufferSize::Default] {
        let (producer, consumer) = rtrb::RingBuffer::new(capacity);
        let (error_sender, errors) = mpsc::channel();
        let stream_config = StreamConfig {
            channels,
            sample_rate: chosen.sample_rate(),
            buffer_size,
        };
        let sink = Sink {
            producer,
            shared: shared.clone(),
            channels: usize::from(channels),
        };

        match build_stream(&device, stream_config, format, sink, error_sender) {
            Ok(stream) => {
                buffer_frames = match buffer_size {
                    BufferSize::Fixed(frames) => Some(frames),
                    BufferSize::Default => None,
                };
                result = Ok((stream, consumer, errors));
                break;
            }
            Err(error) => {
                tracing::warn!(device = %info.id, ?buffer_size, %error, "input device rejected the buffer size");
                result = Err(error.to_string());
            }
        }
    }
    let (stream, samples, errors) = result.map_err(open_error)?;
    stream.play().map_err(|error| open_error(error.to_string()))?;

    let format = CaptureFormat {
        device: info,
        sample_format: format.to_string(),
        sample_rate: chosen.sample_rate(),
        channels,
        buffer_frames,
    };
    tracing::info!(?format, "input stream started");
    Ok(Capture {
        stream: Some(stream),
        samples,
        shared,
        errors,
        format,
    })
}

/// Builds the stream with the callback for `format`.
fn build_stream(
    device: &cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    sink: Sink,
    errors: Sender<cpal::Error>,
) -> Result<cpal::Stream, cpal::Error> {
    match format {
        SampleFormat::I8 => build::<i8>(device, config, sink, errors),
        SampleFormat::I16 => build::<i16>(device, config, sink, errors),
        SampleFormat::I24 => build::<cpal::I24>(device, config, sink, errors),
        SampleFormat::I32 => build::<i32>(device, config, sink, errors),
        SampleFormat::I64 => build::<i64>(device, config, sink, errors),
        SampleFormat::U8 => build::<u8>(device, config, sink, errors),
        SampleFormat::U16 => build::<u16>(device, config, sink, errors),
        SampleFormat::U24 => build::<cpal::U24>(device, config, sink, errors),
        SampleFormat::U32 => build::<u32>(device, config, sink, errors),
        SampleFormat::U64 => build::<u64>(device, config, sink, errors),
        SampleFormat::F32 => build::<f32>(device, config, sink, errors),
        SampleFormat::F64 => build::<f64>(device, config, sink, errors),
        other => Err(cpal::Error::with_message(
            cpal::ErrorKind::UnsupportedConfig,
            format!("sample format {other} is not PCM"),
        )),
    }
}

fn build<T>(
    device: &cpal::Device,
    config: StreamConfig,
    mut sink: Sink,
    errors: Sender<cpal::Error>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], _| sink.write(data),
        // Errors are rare, so this callback may allocate a channel node.
        move |error| {
            let _ = errors.send(error);
        },
        None,
    )
}

/// The audio callback's end of the ring buffer.
struct Sink {
    producer: rtrb::Producer<f32>,
    shared: Arc<CaptureShared>,
    channels: usize,
}

impl Sink {
    /// Runs on the driver's real-time thread: no locks, no allocation, no I/O.
    fn write<T>(&mut self, data: &[T])
    where
        T: Sample,
        f32: FromSample<T>,
    {
        let shared = &*self.shared;
        shared
            .frames_delivered
            .fetch_add((data.len() / self.channels) as u64, Ordering::Relaxed);
        shared.meter.observe(data.iter().map(|&sample| convert::to_f32(sample)));
        if shared.paused.load(Ordering::Relaxed) {
            return;
        }

        // Whole frames only, so a full buffer never shifts the channels.
        let mut take = data.len().min(self.producer.slots());
        take -= take % self.channels;
        if take > 0 {
            if let Ok(chunk) = self.producer.write_chunk_uninit(take) {
                chunk.fill_from_iter(data[..take].iter().map(|&sample| convert::to_f32(sample)));
            }
        }
        if take < data.len() {
            shared
                .samples_dropped
                .fetch_add((data.len() - take) as u64, Ordering::Relaxed);
        }
    }
}
