//! The packet loop of [`decode_for_whisper`]: read, decode, recover from bad packets, and
//! sum up what happened.

use std::io;
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::packet::Packet;

use super::guard::catch_panic;
use super::pipeline::Pipeline;
use super::progress::ProgressReporter;
use super::source::{ChosenTrack, Source};
use super::{DecodeError, DecodeProgress, DecodeWarning, DecodedAudio};
use crate::cancel::CancelToken;

/// Shortfall against the duration in the header that counts as truncation, in milliseconds.
/// Intact files can fall slightly short: for a 3 s ALAC file in CAF written by ffmpeg 5.1,
/// symphonia 0.6.1 reads a duration 65 ms longer than it decodes.
const TRUNCATION_TOLERANCE_MS: u64 = 250;

/// Decodes the first decodable audio track of `path` to 16 kHz mono samples for whisper.
///
/// Packets are downmixed and resampled as they are decoded, so the only buffer that grows
/// with the file is the 16 kHz output. `on_progress` is called at the start, after each
/// further second of decoded audio, and at the end. `cancel` is checked before each packet.
///
/// A packet that fails to decode is replaced by silence of its duration, so later audio keeps
/// its time, and the result carries a [`DecodeWarning::SkippedPackets`]. A file that ends
/// early yields the audio before the end and a [`DecodeWarning::Truncated`]. Audio shorter
/// than one sample at 16 kHz counts as [`DecodeError::NoSamples`].
///
/// NOTE: symphonia 0.6.1's Ogg and Matroska readers drop a damaged page or block without an
/// error and without a jump in the packet timestamps, so the audio after it comes early by
/// the lost length and no warning is raised.
pub fn decode_for_whisper(
    path: &Path,
    on_progress: &mut dyn FnMut(DecodeProgress),
    cancel: &CancelToken,
) -> Result<DecodedAudio, DecodeError> {
    check_cancel(path, cancel)?;

    let mut source = Source::open(path)?;
    let mut progress = ProgressReporter::new(on_progress, source.info.duration_ms);
    let mut pipeline = Pipeline::new(source.info.duration_ms);
    let mut tally = PacketTally::default();

    let end = read_packets(
        path,
        &mut source,
        &mut pipeline,
        &mut progress,
        &mut tally,
        cancel,
    )?;

    if tally.decoded == 0 {
        return Err(nothing_decoded(path, &tally, end));
    }

    let decoded_ms = pipeline.decoded_ms();
    let first_format = pipeline.first_format();
    let (samples, mut warnings) = pipeline.finish().map_err(|source| DecodeError::Resample {
        path: path.into(),
        source,
    })?;
    if samples.is_empty() {
        return Err(DecodeError::NoSamples { path: path.into() });
    }

    if tally.skipped > 0 {
        warnings.push(DecodeWarning::SkippedPackets {
            count: tally.skipped,
            silence_ms: tally.skipped_ns / 1_000_000,
            last_error: tally.last_error.clone().unwrap_or_default(),
        });
    }
    warnings.extend(end_warning(end, decoded_ms, source.track.stated_ms));

    for warning in &warnings {
        tracing::warn!(path = %path.display(), %warning, "decoded with a problem");
    }
    progress.finish(decoded_ms);

    let mut info = source.info;
    info.sample_rate = first_format.map(|(rate, _)| rate);
    info.channels = first_format.map(|(_, channels)| channels);

    Ok(DecodedAudio {
        samples,
        source: info,
        warnings,
    })
}

/// Reason the packet loop ended.
#[derive(Debug)]
enum StreamEnd {
    /// The reader reported the end of the stream.
    Complete,
    /// The reader hit the end of the file inside a packet.
    UnexpectedEof,
    /// The reader or decoder returned an error that ends the stream.
    Failed(String),
    /// The reader or decoder panicked.
    Panicked(String),
}

#[derive(Debug, Default)]
struct PacketTally {
    decoded: u64,
    skipped: u64,
    skipped_ns: u64,
    last_error: Option<String>,
    /// Frame count of the last decoded packet, the fallback length of a skipped packet.
    last_frames: u64,
}

fn read_packets(
    path: &Path,
    source: &mut Source,
    pipeline: &mut Pipeline,
    progress: &mut ProgressReporter<'_>,
    tally: &mut PacketTally,
    cancel: &CancelToken,
) -> Result<StreamEnd, DecodeError> {
    let resample_error = |source| DecodeError::Resample {
        path: path.into(),
        source,
    };
    let mut reset_pending = false;

    loop {
        check_cancel(path, cancel)?;

        let packet = match catch_panic(|| source.reader.next_packet()) {
            Ok(Ok(Some(packet))) => packet,
            Ok(Ok(None)) => return Ok(StreamEnd::Complete),
            Ok(Err(SymphoniaError::ResetRequired)) if !reset_pending => {
                // Symphonia's contract: the track list changed, so choose the track again
                // and make a new decoder.
                reset_pending = true;
                if let Err(error) = source.reset(path) {
                    return Ok(StreamEnd::Failed(error.to_string()));
                }
                continue;
            }
            Ok(Err(SymphoniaError::IoError(error)))
                if error.kind() == io::ErrorKind::UnexpectedEof =>
            {
                return Ok(StreamEnd::UnexpectedEof);
            }
            Ok(Err(error)) => return Ok(StreamEnd::Failed(error.to_string())),
            Err(message) => return Ok(StreamEnd::Panicked(message)),
        };
        reset_pending = false;

        if packet.track_id != source.track.id {
            continue;
        }

        match decode_packet(source.decoder.as_mut(), &packet, &mut pipeline.interleaved) {
            Ok(Ok((rate, channels))) => {
                tally.decoded += 1;
                tally.last_frames = (pipeline.interleaved.len() / channels.max(1)) as u64;
                pipeline
                    .push_decoded(rate, channels)
                    .map_err(resample_error)?;
            }
            Ok(Err(error)) if is_recoverable(&error) => {
                let silence_ns = skipped_packet_ns(&packet, source.track, pipeline, tally);
                tracing::debug!(
                    path = %path.display(),
                    pts = packet.pts.get(),
                    %error,
                    silence_ns,
                    "skipping packet"
                );
                tally.skipped += 1;
                tally.skipped_ns += pipeline.push_silence(silence_ns).map_err(resample_error)?;
                tally.last_error = Some(error.to_string());
            }
            Ok(Err(error)) => return Ok(StreamEnd::Failed(error.to_string())),
            Err(message) => return Ok(StreamEnd::Panicked(message)),
        }

        progress.update(pipeline.decoded_ms());
    }
}

/// Decodes `packet` into `interleaved` and returns its sample rate and channel count.
/// The outer `Err` carries the message of a panic inside the decoder.
fn decode_packet(
    decoder: &mut dyn AudioDecoder,
    packet: &Packet,
    interleaved: &mut Vec<f32>,
) -> Result<Result<(u32, usize), SymphoniaError>, String> {
    catch_panic(|| {
        let buffer = decoder.decode(packet)?;
        let format = (buffer.spec().rate(), buffer.spec().channels().count());
        buffer.copy_to_vec_interleaved(interleaved);
        Ok(format)
    })
}

/// Returns whether the decoder can go on after `error`, which symphonia documents for
/// malformed data (`DecodeError`) and for a packet that ends early (`IoError`). A packet that
/// exceeds a decoder limit is skipped the same way.
fn is_recoverable(error: &SymphoniaError) -> bool {
    matches!(
        error,
        SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_) | SymphoniaError::LimitError(_)
    )
}

/// Returns the duration of a packet that failed to decode: from its own duration and the
/// track's time base, else the length of the last decoded packet, else zero.
fn skipped_packet_ns(
    packet: &Packet,
    track: ChosenTrack,
    pipeline: &Pipeline,
    tally: &PacketTally,
) -> u64 {
    let from_packet = track
        .time_base
        .filter(|_| !packet.dur.is_zero())
        .and_then(|time_base| time_base.calc_duration(packet.dur))
        .and_then(|time| u64::try_from(time.as_nanos()).ok());

    let from_last_packet = pipeline
        .current_rate()
        .map(|rate| tally.last_frames * 1_000_000_000 / u64::from(rate));

    from_packet.or(from_last_packet).unwrap_or(0)
}

fn nothing_decoded(path: &Path, tally: &PacketTally, end: StreamEnd) -> DecodeError {
    let path = path.to_path_buf();

    if tally.skipped > 0 {
        let detail = tally.last_error.clone().unwrap_or_default();
        return DecodeError::Undecodable {
            path,
            count: tally.skipped,
            detail,
        };
    }

    match end {
        StreamEnd::Failed(detail) => DecodeError::Malformed { path, detail },
        StreamEnd::Panicked(detail) => DecodeError::DecoderPanic { path, detail },
        StreamEnd::Complete | StreamEnd::UnexpectedEof => DecodeError::NoSamples { path },
    }
}

fn end_warning(end: StreamEnd, decoded_ms: u64, expected_ms: Option<u64>) -> Option<DecodeWarning> {
    match end {
        StreamEnd::Complete => {
            let expected = expected_ms?;
            let short = decoded_ms.saturating_add(TRUNCATION_TOLERANCE_MS) < expected;
            short.then_some(DecodeWarning::Truncated {
                decoded_ms,
                expected_ms,
            })
        }
        StreamEnd::UnexpectedEof => Some(DecodeWarning::Truncated {
            decoded_ms,
            expected_ms,
        }),
        StreamEnd::Failed(reason) => Some(DecodeWarning::StoppedEarly { decoded_ms, reason }),
        StreamEnd::Panicked(message) => Some(DecodeWarning::StoppedEarly {
            decoded_ms,
            reason: format!("the decoder crashed ({message})"),
        }),
    }
}

fn check_cancel(path: &Path, cancel: &CancelToken) -> Result<(), DecodeError> {
    if cancel.is_cancelled() {
        return Err(DecodeError::Cancelled { path: path.into() });
    }
    Ok(())
}
