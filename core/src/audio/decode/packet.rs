//! One packet's bookkeeping: decoding it, judging a decoder error, and the length of a
//! packet that could not be decoded.

use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::packet::Packet;

use crate::audio::guard::catch_panic;
use crate::audio::pipeline::Pipeline;
use crate::audio::source::ChosenTrack;

#[derive(Debug, Default)]
pub(super) struct PacketTally {
    pub decoded: u64,
    pub skipped: u64,
    pub skipped_ns: u64,
    /// Audio decoded from packets, not counting silence put in their place.
    pub decoded_ns: u64,
    pub last_error: Option<String>,
    /// Frame count of the last decoded packet, the fallback length of a skipped packet.
    pub last_frames: u64,
    /// The reader asked for a reset, and no packet has been read since. A second request in
    /// a row ends the stream instead of looping.
    pub reset_pending: bool,
}

impl PacketTally {
    /// Returns how much more silence may stand in for lost audio, in nanoseconds: twice
    /// the audio decoded so far, plus [`SILENCE_SLACK_NS`]. Damaged timestamps or packet
    /// durations could otherwise turn a small file into hours of silence.
    pub fn silence_budget_ns(&self) -> u64 {
        (SILENCE_SLACK_NS + 2 * self.decoded_ns).saturating_sub(self.skipped_ns)
    }
}

/// Silence allowed for lost audio beyond twice the audio decoded, in nanoseconds (60 s):
/// enough for a lost Matroska cluster or a few seconds of lost pages at the start.
const SILENCE_SLACK_NS: u64 = 60_000_000_000;

/// Decodes `packet` into `interleaved` and returns its sample rate and channel count.
/// The outer `Err` carries the message of a panic inside the decoder.
pub(super) fn decode_packet(
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
/// exceeds a decoder limit is skipped the same way. So is one that uses an unsupported
/// feature once `decoded` packets decoded fine, because a damaged packet can read as one:
/// symphonia's AAC decoder reports garbage as an unsupported "program config" element.
pub(super) fn is_recoverable(error: &SymphoniaError, decoded: u64) -> bool {
    match error {
        SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_) | SymphoniaError::LimitError(_) => true,
        SymphoniaError::Unsupported(_) => decoded > 0,
        _ => false,
    }
}

/// Returns the duration of a packet that failed to decode: from its own duration and the
/// track's time base, else the length of the last decoded packet, else zero.
pub(super) fn skipped_packet_ns(packet: &Packet, track: ChosenTrack, pipeline: &Pipeline, tally: &PacketTally) -> u64 {
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

/// Returns the length of `packet` as its header states it, in nanoseconds, including the
/// encoder delay or padding trimmed from it. Without a time base it returns zero.
pub(super) fn stated_packet_ns(packet: &Packet, track: ChosenTrack) -> u64 {
    let frames = packet.dur.saturating_add(packet.trim_start).saturating_add(packet.trim_end);
    track
        .time_base
        .and_then(|time_base| time_base.calc_duration(frames))
        .and_then(|time| u64::try_from(time.as_nanos()).ok())
        .unwrap_or(0)
}
