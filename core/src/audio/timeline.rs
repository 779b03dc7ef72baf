//! Keeping decoded audio on the container's timeline: encoder delay that only the
//! container states, packets the container trims away at an end it states wrongly, and
//! holes where damaged packets were dropped unreported.

use std::collections::VecDeque;

use symphonia::core::packet::Packet;
use symphonia::core::units::{Duration, Time, TimeBase};

use super::mp4_edits::EncoderDelay;

/// Drops the encoder delay that an MP4 edit list states from the start of the decoded
/// audio. Symphonia 0.6.1 neither marks it on packets nor trims it in its AAC and ALAC
/// decoders, so it is cut from the decoder output here.
pub(super) struct StartTrim {
    delay: Option<EncoderDelay>,
    /// Frames still to drop, once the sample rate of the first decoded packet is known.
    frames_left: Option<u64>,
    /// Frames dropped so far.
    dropped: u64,
    /// Sample rate of the dropped frames in Hz, 0 before any is dropped.
    rate: u32,
}

impl StartTrim {
    pub fn new(delay: Option<EncoderDelay>) -> Self {
        StartTrim { delay, frames_left: None, dropped: 0, rate: 0 }
    }

    /// Removes the frames still to drop from the front of `interleaved`, a decoded packet
    /// of `channels` channels at `rate` Hz.
    pub fn apply(&mut self, interleaved: &mut Vec<f32>, rate: u32, channels: usize) {
        let Some(delay) = self.delay else {
            return;
        };
        let frames_left = self.frames_left.get_or_insert_with(|| delay.frames_at(rate));
        let channels = channels.max(1);
        let frames = (interleaved.len() / channels) as u64;

        let dropped = (*frames_left).min(frames);
        if dropped == 0 {
            return;
        }
        *frames_left -= dropped;
        interleaved.drain(..dropped as usize * channels);
        self.dropped += dropped;
        self.rate = rate;
    }

    /// Returns the audio dropped so far, in nanoseconds. Packet timestamps count it, so
    /// the gap finder adds it to the time decoded.
    pub fn trimmed_ns(&self) -> u64 {
        match self.rate {
            0 => 0,
            rate => self.dropped * 1_000_000_000 / u64::from(rate),
        }
    }
}

/// Packets marked as lying past the stream's stated end that are held back before the
/// stated end is judged wrong. Encoder padding covers at most two packets of the supported
/// codecs, so a longer run means the stated end cut real audio, as an MP3 reader's
/// estimate from the bitrate of the first frames can.
const MAX_TRAILING_PACKETS: usize = 8;

/// A gap between where the next packet should start and its timestamp that counts as lost
/// audio, in nanoseconds. Matroska rounds timestamps to 1 ms, and Ogg pre-skip shifts the
/// first packet by a few ms. A lost packet lasts 2.5 ms (a short Opus frame) to 1.5 s.
const MIN_GAP_NS: i128 = 30_000_000;

/// Holds back the packets that the reader marks as partly or wholly past the stated end
/// of the stream (`trim_end`), until it is clear whether that end is right.
///
/// When the stream ends within [`MAX_TRAILING_PACKETS`], they were encoder padding and are
/// decoded as marked. When audio goes on, the stated end was wrong, and from then on
/// nothing is trimmed from the end, so no real audio is lost.
#[derive(Default)]
pub(super) struct EndTrims {
    held: VecDeque<Packet>,
    /// The stated end was found to be wrong.
    distrusted: bool,
}

impl EndTrims {
    /// Takes the next packet of the track and returns the packets ready to decode, in order.
    pub fn admit(&mut self, mut packet: Packet) -> Vec<Packet> {
        if self.distrusted {
            keep_end(&mut packet);
            return vec![packet];
        }
        if packet.trim_end.is_zero() && self.held.is_empty() {
            return vec![packet];
        }

        let continues = packet.trim_end.is_zero();
        self.held.push_back(packet);
        if continues || self.held.len() > MAX_TRAILING_PACKETS {
            tracing::debug!(held = self.held.len(), "audio continues past the stated end of the stream");
            self.distrusted = true;
            return self.held.drain(..).map(|mut packet| { keep_end(&mut packet); packet }).collect();
        }
        Vec::new()
    }

    /// Returns the packets still held when the stream has ended, trimmed as marked.
    pub fn finish(&mut self) -> Vec<Packet> {
        self.held.drain(..).collect()
    }
}

fn keep_end(packet: &mut Packet) {
    packet.dur = packet.dur.saturating_add(packet.trim_end);
    packet.trim_end = Duration::ZERO;
}

/// Compares packet timestamps with the time decoded so far, to find audio that a reader
/// dropped without an error, as symphonia's FLAC reader does with a damaged frame.
#[derive(Default)]
pub(super) struct GapFinder {
    /// The lowest `timestamp - decoded time` seen so far, in nanoseconds: where the
    /// container's timeline sits against the decoded audio.
    offset_ns: Option<i128>,
}

impl GapFinder {
    /// Returns the length of audio missing before `packet`, in nanoseconds, given the
    /// time decoded so far. Packets whose start is trimmed (encoder delay) are not compared,
    /// because their timestamps count frames that are never output.
    pub fn missing_before(&self, packet: &Packet, time_base: Option<TimeBase>, decoded_ns: u64) -> u64 {
        let (Some(ahead), Some(offset)) = (ahead_ns(packet, time_base, decoded_ns), self.offset_ns) else {
            return 0;
        };
        let gap = ahead - offset;
        if gap < MIN_GAP_NS {
            return 0;
        }
        u64::try_from(gap).unwrap_or(u64::MAX)
    }

    /// Takes the timestamp of `packet`, which decoded, as a reference, given the time
    /// decoded before it (gap filled included). The first packet anchors the timeline, and
    /// packets that come early move it. Only packets that decoded count, because a damaged
    /// packet's timestamp can be anything.
    pub fn anchor(&mut self, packet: &Packet, time_base: Option<TimeBase>, decoded_ns: u64) {
        if let Some(ahead) = ahead_ns(packet, time_base, decoded_ns) {
            self.offset_ns = Some(self.offset_ns.map_or(ahead, |offset| offset.min(ahead)));
        }
    }

    /// Moves the reference by `ns` of a gap that was not filled, so the packets after it
    /// do not report it again.
    pub fn shift(&mut self, ns: u64) {
        if let Some(offset) = &mut self.offset_ns {
            *offset += i128::from(ns);
        }
    }
}

/// Returns how far the timestamp of `packet` lies ahead of `decoded_ns`, in nanoseconds.
/// Returns `None` for a packet whose start is trimmed, or without a time base.
fn ahead_ns(packet: &Packet, time_base: Option<TimeBase>, decoded_ns: u64) -> Option<i128> {
    let time_base = time_base.filter(|_| packet.trim_start.is_zero())?;
    let pts = time_base.calc_time(packet.pts)?;
    Some(pts.as_nanos() - i128::from(decoded_ns))
}

/// Times a stream that ended early at damage is resumed by seeking past it. Each attempt
/// seeks twice as far beyond the last packet decoded: 0.5 s, 1 s, 2 s and so on to 16 s.
const MAX_RESUMES: u32 = 6;

/// First distance past the last packet to seek to, in milliseconds.
const FIRST_RESUME_STEP_MS: i64 = 500;

/// Where a stream that ended at damage can go on: just past the last packet decoded.
///
/// Symphonia's Ogg reader ends the stream at a page whose header is destroyed, and its
/// Matroska reader at a damaged element, though the file goes on. Seeking past the damage
/// lets the reader find its footing again; the packets before the point already decoded
/// are then skipped, and the gap is filled from the timestamps like any other.
#[derive(Default)]
pub(super) struct Resumer {
    attempts: u32,
    /// End of the last packet decoded, in the track's time base.
    last_end: Option<i64>,
    /// Packets ending at or before this timestamp are skipped after a resume.
    skip_until: Option<i64>,
}

impl Resumer {
    /// Records a packet that was decoded or replaced by silence.
    pub fn note(&mut self, packet: &Packet) {
        let end = packet.pts.get().saturating_add(i64::try_from(packet.dur.get()).unwrap_or(i64::MAX));
        self.last_end = Some(self.last_end.map_or(end, |last| last.max(end)));
    }

    /// True for a packet that lies before the point already decoded, after a resume.
    pub fn skips(&self, packet: &Packet) -> bool {
        let end = packet.pts.get().saturating_add(i64::try_from(packet.dur.get()).unwrap_or(i64::MAX));
        self.skip_until.is_some_and(|until| end <= until)
    }

    /// Starts an attempt that reopens the stream after the last packet decoded, and returns
    /// that packet's end in the track's time base. `None` when the attempts are used up or
    /// nothing was decoded yet.
    pub fn next_resync(&mut self) -> Option<i64> {
        if self.attempts >= MAX_RESUMES {
            return None;
        }
        let last_end = self.last_end?;
        self.attempts += 1;
        self.skip_until = Some(last_end);
        Some(last_end)
    }

    /// Returns the time to seek to for the next attempt, or `None` when the attempts are
    /// used up or nothing was decoded yet.
    pub fn next_target(&mut self, time_base: Option<TimeBase>) -> Option<Time> {
        if self.attempts >= MAX_RESUMES {
            return None;
        }
        let last_end = self.last_end?;
        let step_ms = FIRST_RESUME_STEP_MS << self.attempts;
        self.attempts += 1;
        self.skip_until = Some(last_end);
        time_base?.calc_time(symphonia::core::units::Timestamp::new(last_end))?.checked_add_millis(step_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::units::Timestamp;

    fn packet(pts: i64, dur: u64, trim_end: u64) -> Packet {
        let mut packet = Packet::new(0, Timestamp::new(pts), Duration::from(dur), vec![0u8; 4]);
        packet.trim_end = Duration::from(trim_end);
        packet
    }

    /// Checks `packet` for a gap and, as after a packet that decoded, anchors it after the
    /// gap is filled.
    fn check(gaps: &mut GapFinder, packet: &Packet, time_base: Option<TimeBase>, decoded_ns: u64) -> u64 {
        let missing = gaps.missing_before(packet, time_base, decoded_ns);
        gaps.anchor(packet, time_base, decoded_ns + missing);
        missing
    }

    #[test]
    fn padding_at_the_end_stays_trimmed() {
        let mut trims = EndTrims::default();

        assert_eq!(trims.admit(packet(0, 1152, 0)).len(), 1);
        assert!(trims.admit(packet(1152, 600, 552)).is_empty());
        assert!(trims.admit(packet(2304, 0, 1152)).is_empty());
        let last = trims.finish();

        assert_eq!(last.len(), 2);
        assert_eq!(last[1].trim_end.get(), 1152);
    }

    #[test]
    fn audio_past_a_wrong_end_is_kept() {
        let mut trims = EndTrims::default();
        let mut ready = Vec::new();

        for index in 0..20 {
            ready.extend(trims.admit(packet(index * 1152, 0, 1152)));
        }
        ready.extend(trims.finish());

        assert_eq!(ready.len(), 20);
        assert!(ready.iter().all(|packet| packet.trim_end.is_zero() && packet.dur.get() == 1152));
    }

    #[test]
    fn start_trim_spans_packets() {
        let mut trim = StartTrim::new(Some(EncoderDelay { media_time: 2112, timescale: 44_100 }));
        let mut lengths = Vec::new();

        for _ in 0..4 {
            let mut stereo = vec![0.5; 2 * 1024];
            trim.apply(&mut stereo, 44_100, 2);
            lengths.push(stereo.len() / 2);
        }

        assert_eq!(lengths, vec![0, 0, 960, 1024]);
        assert_eq!(trim.trimmed_ns(), 2112 * 1_000_000_000 / 44_100);
    }

    #[test]
    fn start_trim_without_delay_keeps_all() {
        let mut trim = StartTrim::new(None);
        let mut mono = vec![0.5; 1024];

        trim.apply(&mut mono, 44_100, 1);

        assert_eq!(mono.len(), 1024);
        assert_eq!(trim.trimmed_ns(), 0);
    }

    #[test]
    fn gap_found_after_dropped_packet() {
        let time_base = TimeBase::try_new(1, 1000);
        let mut gaps = GapFinder::default();

        assert_eq!(check(&mut gaps, &packet(0, 20, 0), time_base, 0), 0);
        assert_eq!(check(&mut gaps, &packet(20, 20, 0), time_base, 20_000_000), 0);
        assert_eq!(check(&mut gaps, &packet(300, 20, 0), time_base, 40_000_000), 260_000_000);
    }

    #[test]
    fn unfilled_gap_not_reported_again() {
        let time_base = TimeBase::try_new(1, 1000);
        let mut gaps = GapFinder::default();

        check(&mut gaps, &packet(0, 20, 0), time_base, 0);
        assert_eq!(check(&mut gaps, &packet(5_020, 20, 0), time_base, 20_000_000), 5_000_000_000);
        gaps.shift(5_000_000_000);

        assert_eq!(check(&mut gaps, &packet(5_040, 20, 0), time_base, 40_000_000), 0);
    }

    #[test]
    fn trimmed_start_is_not_a_gap() {
        let time_base = TimeBase::try_new(1, 1000);
        let mut gaps = GapFinder::default();
        let mut delayed = packet(-70, 36, 0);
        delayed.trim_start = Duration::from(36u64);

        assert_eq!(check(&mut gaps, &delayed, time_base, 0), 0);
        assert_eq!(check(&mut gaps, &packet(2, 36, 0), time_base, 2_000_000), 0);
        assert_eq!(check(&mut gaps, &packet(38, 36, 0), time_base, 38_000_000), 0);
    }

    #[test]
    fn resume_targets_double_and_run_out() {
        let time_base = TimeBase::try_new(1, 1000);
        let mut resumer = Resumer::default();
        assert_eq!(resumer.next_target(time_base), None);

        resumer.note(&packet(1_000, 20, 0));
        let targets: Vec<i64> =
            std::iter::from_fn(|| resumer.next_target(time_base)).map(|time| time_base.unwrap().calc_timestamp(time).unwrap().get()).collect();

        assert_eq!(targets, vec![1_520, 2_020, 3_020, 5_020, 9_020, 17_020]);
        assert!(resumer.skips(&packet(1_000, 20, 0)));
        assert!(!resumer.skips(&packet(1_020, 20, 0)));
    }

    #[test]
    fn damaged_timestamp_does_not_move_the_reference() {
        let time_base = TimeBase::try_new(1, 1000);
        let mut gaps = GapFinder::default();

        check(&mut gaps, &packet(0, 20, 0), time_base, 0);
        // A packet that failed to decode, with a timestamp 30 s early, is not anchored.
        assert_eq!(gaps.missing_before(&packet(-30_000, 20, 0), time_base, 20_000_000), 0);

        assert_eq!(check(&mut gaps, &packet(40, 20, 0), time_base, 40_000_000), 0);
    }

    #[test]
    fn timestamp_jitter_is_not_a_gap() {
        let time_base = TimeBase::try_new(1, 1000);
        let mut gaps = GapFinder::default();

        assert_eq!(check(&mut gaps, &packet(-7, 20, 0), time_base, 0), 0);
        assert_eq!(check(&mut gaps, &packet(14, 20, 0), time_base, 13_000_000), 0);
        assert_eq!(check(&mut gaps, &packet(33, 20, 0), time_base, 33_500_000), 0);
    }
}
