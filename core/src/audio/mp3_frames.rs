//! Deciding which MP3 frames to decode around damage, one frame behind the reader.
//!
//! A frame is decoded only once the frame after it is found right where it ends. The frame
//! that damage starts in keeps its header and reads as a frame, but its data is damaged and
//! decodes into a burst of noise, which can make whisper misread the speech around it.
//! Frames found just after damage are replaced too (see [`Mp3Gaps::settled`]).

use symphonia::core::packet::Packet;

use super::mp3_gaps::Mp3Gaps;

/// The action for one frame, in stream order.
pub(super) enum Mp3Step {
    /// Decode the frame, after `lost_before_ns` of silence for audio lost before it.
    Decode { packet: Packet, lost_before_ns: u64 },
    /// Put `silence_ns` of silence in place of the frame, after `lost_before_ns` of silence
    /// for audio lost before it.
    Replace { packet: Packet, lost_before_ns: u64, silence_ns: u64 },
}

/// A frame held back until the next one shows whether it is intact.
struct HeldFrame {
    packet: Packet,
    lost_before_ns: u64,
    /// The frame's length from its header, in nanoseconds.
    stated_ns: u64,
}

pub(super) struct Mp3Frames {
    gaps: Mp3Gaps,
    held: Option<HeldFrame>,
    /// False once a frame was not found in the file: frames are then passed on as read.
    locating: bool,
}

impl Mp3Frames {
    pub fn new(gaps: Mp3Gaps) -> Self {
        Mp3Frames { gaps, held: None, locating: true }
    }

    /// Takes the next frame read, whose header states `stated_ns`, and returns what to do
    /// with the frames now ready, in order.
    pub fn admit(&mut self, packet: Packet, stated_ns: u64) -> Vec<Mp3Step> {
        if !self.locating {
            return vec![Mp3Step::Decode { packet, lost_before_ns: 0 }];
        }
        let Some(lost_before_ns) = self.gaps.lost_before(&packet.data) else {
            tracing::debug!(pts = packet.pts.get(), "an MP3 frame was not found in the file; lost audio is no longer measured");
            self.locating = false;
            let mut steps = self.finish();
            steps.push(Mp3Step::Decode { packet, lost_before_ns: 0 });
            return steps;
        };

        let mut steps = Vec::with_capacity(2);
        if let Some(held) = self.held.take() {
            steps.push(match self.gaps.contiguous() {
                true => Mp3Step::Decode { packet: held.packet, lost_before_ns: held.lost_before_ns },
                false => Mp3Step::Replace { packet: held.packet, lost_before_ns: held.lost_before_ns, silence_ns: held.stated_ns },
            });
        }

        let foreign = self.gaps.is_foreign(&packet.data);
        if foreign || !self.gaps.settled() {
            // A frame right after another is real and lasts as long as its header states. One found
            // after a gap may be a header in damaged bytes, so its bytes give its length.
            let silence_ns = match !foreign && self.gaps.contiguous() {
                true => stated_ns,
                false => self.gaps.duration_of(packet.data.len() as u64),
            };
            steps.push(Mp3Step::Replace { packet, lost_before_ns, silence_ns });
        } else {
            self.held = Some(HeldFrame { packet, lost_before_ns, stated_ns });
        }
        steps
    }

    /// Returns the frame held back, to decode, when the stream has ended.
    pub fn finish(&mut self) -> Vec<Mp3Step> {
        self.held
            .take()
            .map(|held| Mp3Step::Decode { packet: held.packet, lost_before_ns: held.lost_before_ns })
            .into_iter()
            .collect()
    }

    /// Records that a frame of `bytes` bytes decoded to `ns` of audio.
    pub fn decoded(&mut self, bytes: usize, ns: u64) {
        self.gaps.decoded(bytes, ns);
    }

    /// Returns how long `bytes` of the stream last at the byte rate of the recent frames.
    pub fn duration_of(&self, bytes: u64) -> u64 {
        self.gaps.duration_of(bytes)
    }
}

#[cfg(test)]
mod tests {
    use symphonia::core::units::{Duration, Timestamp};

    use super::*;

    /// Returns a fake frame of 200 bytes whose bytes depend on `index`, with an MPEG-1
    /// header.
    fn frame(index: u8) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFB, 0x90, 0x64];
        bytes.extend((0..196).map(|offset| index.wrapping_mul(31).wrapping_add(offset as u8)));
        bytes
    }

    fn packet(index: u8) -> Packet {
        Packet::new(0, Timestamp::new(i64::from(index) * 1152), Duration::from(1152u64), frame(index))
    }

    /// Admits frames 0 to 4 of a file with `damage` bytes of garbage after frame 1, and
    /// returns the steps as ("decode" or "replace", frame index) in order.
    fn steps_with_damage(damage: usize) -> Vec<(&'static str, i64)> {
        let mut bytes = [frame(0), frame(1)].concat();
        bytes.extend(vec![0x55; damage]);
        bytes.extend((2..5).flat_map(frame));
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        let mut frames = Mp3Frames::new(Mp3Gaps::open(file.path()).unwrap());

        let mut steps: Vec<Mp3Step> = (0..5).flat_map(|index| frames.admit(packet(index), 26_000_000)).collect();
        steps.extend(frames.finish());

        steps
            .into_iter()
            .map(|step| match step {
                Mp3Step::Decode { packet, .. } => ("decode", packet.pts.get() / 1152),
                Mp3Step::Replace { packet, .. } => ("replace", packet.pts.get() / 1152),
            })
            .collect()
    }

    #[test]
    fn intact_frames_all_decoded_in_order() {
        let decoded: Vec<(&str, i64)> = (0..5).map(|index| ("decode", index)).collect();

        assert_eq!(steps_with_damage(0), decoded);
    }

    #[test]
    fn frame_before_damage_and_two_after_replaced() {
        let steps = steps_with_damage(300);

        assert_eq!(steps, vec![("decode", 0), ("replace", 1), ("replace", 2), ("replace", 3), ("decode", 4)]);
    }
}
