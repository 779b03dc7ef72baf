//! The packet loop: read, decode, recover from bad packets, and sum up what happened.
//!
//! [`DecodeStream`] hands out the 16 kHz output a block at a time, so a caller can analyse or
//! transcribe a long file without holding all of it. [`decode_for_whisper`] collects the
//! whole output for callers that want one buffer.

use std::io;
use std::path::{Path, PathBuf};

use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::packet::Packet;

mod ending;
mod packet;
mod resume;

use ending::{end_warning, nothing_decoded};
use packet::{decode_packet, is_recoverable, skipped_packet_ns, stated_packet_ns, PacketTally};

use super::guard::catch_panic;
use super::mp3_frames::{Mp3Frames, Mp3Step};
use super::mp3_gaps::Mp3Gaps;
use super::mp3_tail::ends_inside_frame;
use super::pipeline::Pipeline;
use super::progress::ProgressReporter;
use super::source::Source;
use super::timeline::{EndTrims, GapFinder, Resumer, StartTrim};
use super::{AudioInfo, DecodeError, DecodeProgress, DecodeWarning, DecodedAudio};
use crate::cancel::CancelToken;

/// Shortfall against the duration in the header that counts as truncation, in milliseconds.
/// Intact files can fall slightly short: for a 3 s ALAC file in CAF written by ffmpeg 5.1,
/// symphonia 0.6.1 reads a duration 65 ms longer than it decodes.
const TRUNCATION_TOLERANCE_MS: u64 = 250;

/// Decodes the first decodable audio track of `path` to 16 kHz mono samples for whisper.
///
/// `on_progress` is called at the start, after each further second of decoded audio, and at
/// the end. `cancel` is checked before each packet. Recovery from damage is described on
/// [`DecodeStream`].
///
/// The whole output is returned in one buffer of 64 kB per second of audio. Long files are
/// better read block by block with [`DecodeStream`].
pub fn decode_for_whisper(
    path: &Path,
    on_progress: &mut dyn FnMut(DecodeProgress),
    cancel: &CancelToken,
) -> Result<DecodedAudio, DecodeError> {
    check_cancel(path, cancel)?;

    let mut stream = DecodeStream::open(path)?;
    let mut progress = ProgressReporter::new(on_progress, stream.progress());
    let mut samples = Vec::new();

    while stream.read(&mut samples, cancel)? > 0 {
        progress.update(stream.progress());
    }
    if samples.is_empty() {
        return Err(DecodeError::NoSamples { path: path.into() });
    }

    let end_progress = stream.progress();
    let summary = stream.finish();
    progress.finish(end_progress);

    Ok(DecodedAudio {
        samples,
        source: summary.source,
        warnings: summary.warnings,
    })
}

/// A file being decoded to 16 kHz mono, read block by block with [`read`](Self::read).
///
/// Packets are downmixed and resampled as they are decoded, so memory stays the same
/// whatever the file's length. A packet that fails to decode is replaced by silence of its
/// duration, so later audio keeps its time, and the summary carries a
/// [`DecodeWarning::SkippedPackets`]. So is audio that the reader dropped unreported, where
/// the packet timestamps show a gap. A file that ends early yields the audio before the end
/// and a [`DecodeWarning::Truncated`]. Audio that goes on past the end a header states is
/// kept.
///
/// MP3 frames carry no timestamps, so in an MP3 file the bytes the reader skipped between
/// frames stand for the lost audio instead, and frames at damage are replaced by silence
/// (see [`Mp3Gaps`] and [`Mp3Frames`]).
///
/// Decoding is deterministic: opening the same file again yields the same samples, which
/// lets a caller read a file once to analyse it and again to transcribe it.
pub struct DecodeStream {
    path: PathBuf,
    source: Source,
    pipeline: Pipeline,
    tally: PacketTally,
    /// Reason the packet loop ended, once it has.
    end: Option<StreamEnd>,
    /// Warnings from the pipeline, collected when it is flushed at the end.
    pipeline_warnings: Vec<DecodeWarning>,
    start_trim: StartTrim,
    end_trims: EndTrims,
    gaps: GapFinder,
    resumer: Resumer,
    /// Read position when the first packet was read, where the audio data starts.
    data_start_bytes: Option<u64>,
    /// Data of the last packet decoded from an MP3 file, to check at the end whether the
    /// file stops inside the frame after it.
    last_mp3_frame: Option<Box<[u8]>>,
    /// Frame check of an MP3 file, which finds audio lost between frames and holds back
    /// frames at damage.
    mp3_frames: Option<Mp3Frames>,
    /// Flag set when the reader cannot tell the end of the stream from a cut, as in a
    /// Matroska view without sizes after damage. The decoded length is then compared with
    /// the stated one.
    ends_open: bool,
}

/// Summary of a fully read file, from [`DecodeStream::finish`].
#[derive(Clone, Debug)]
pub struct DecodeSummary {
    /// The file and track as decoded: `sample_rate` and `channels` come from the first
    /// decoded packet rather than from the container.
    pub source: AudioInfo,
    /// Problems that decoding worked around: sample rate changes in stream order, then
    /// skipped packets, then how the stream ended.
    pub warnings: Vec<DecodeWarning>,
}

impl DecodeStream {
    /// Opens `path` and prepares the decoder of its first decodable audio track.
    pub fn open(path: &Path) -> Result<Self, DecodeError> {
        let source = Source::open(path)?;
        let mp3_frames = match source.info.container.as_str() {
            "mp3" => Mp3Gaps::open(path)
                .inspect_err(|error| tracing::debug!(%error, "MP3 frames will not be located"))
                .ok()
                .map(Mp3Frames::new),
            _ => None,
        };
        let start_trim = StartTrim::new(source.track.encoder_delay);
        Ok(DecodeStream {
            path: path.to_path_buf(),
            source,
            pipeline: Pipeline::new(),
            tally: PacketTally::default(),
            end: None,
            pipeline_warnings: Vec::new(),
            start_trim,
            end_trims: EndTrims::default(),
            gaps: GapFinder::default(),
            resumer: Resumer::default(),
            data_start_bytes: None,
            last_mp3_frame: None,
            mp3_frames,
            ends_open: false,
        })
    }

    /// Facts from the container. `sample_rate` and `channels` may still change to those of
    /// the first decoded packet, which [`finish`](Self::finish) reports.
    pub fn info(&self) -> &AudioInfo {
        &self.source.info
    }

    /// Returns the progress so far: time decoded, and bytes read since the first packet.
    pub fn progress(&self) -> DecodeProgress {
        let start = self.data_start_bytes.unwrap_or(self.source.file_bytes);
        DecodeProgress {
            decoded_ms: self.pipeline.decoded_ms(),
            total_ms: self.source.info.duration_ms,
            read_bytes: self.source.read_bytes().saturating_sub(start),
            file_bytes: self.source.file_bytes.saturating_sub(start),
        }
    }

    /// Decodes packets until some 16 kHz output is ready, appends it to `out` and returns
    /// the number of samples appended. Returns 0 once the file is fully read.
    ///
    /// Fails when the file yields no decodable packet at all, when the resampler rejects the
    /// sample rate, and when `cancel` is raised.
    pub fn read(&mut self, out: &mut Vec<f32>, cancel: &CancelToken) -> Result<usize, DecodeError> {
        let before = out.len();

        while self.end.is_none() {
            check_cancel(&self.path, cancel)?;

            if let Some(end) = self.decode_next_packet()? {
                self.end_stream(end)?;
            }
            self.pipeline.take_output(out);
            if out.len() > before {
                break;
            }
        }

        self.pipeline.take_output(out);
        Ok(out.len() - before)
    }

    /// Returns the summary of a file that [`read`](Self::read) has read to the end, and logs
    /// its warnings. Called earlier, it reports the part read so far.
    pub fn finish(self) -> DecodeSummary {
        let decoded_ms = self.pipeline.decoded_ms();
        let ends_inside_mp3_frame = self.ends_inside_mp3_frame();
        let mut warnings: Vec<DecodeWarning> =
            self.source.header_repair.iter().map(|detail| DecodeWarning::HeaderCorrected { detail: detail.clone() }).collect();
        warnings.extend(self.pipeline_warnings);

        if self.tally.skipped > 0 {
            warnings.push(DecodeWarning::SkippedPackets {
                count: self.tally.skipped,
                silence_ms: self.tally.skipped_ns / 1_000_000,
                last_error: self.tally.last_error.clone().unwrap_or_default(),
            });
        }
        if let Some(end) = self.end {
            // A Matroska file written live, as browsers record WebM, states no duration and
            // no sizes, so its normal end reads as the file ending mid-element.
            let live_matroska = self.source.info.container == "matroska" && self.source.track.stated_ms.is_none();
            let end = match end {
                StreamEnd::UnexpectedEof if live_matroska || self.ends_open => StreamEnd::Complete,
                StreamEnd::Complete if ends_inside_mp3_frame => StreamEnd::UnexpectedEof,
                end => end,
            };
            warnings.extend(end_warning(end, decoded_ms, self.source.track.stated_ms));
        }
        for warning in &warnings {
            tracing::warn!(path = %self.path.display(), %warning, "decoded with a problem");
        }

        let first_format = self.pipeline.first_format();
        let mut source = self.source.info;
        source.sample_rate = first_format.map(|(rate, _)| rate);
        source.channels = first_format.map(|(_, channels)| channels);

        DecodeSummary { source, warnings }
    }

    /// True for an MP3 file that stops inside the frame after the last one decoded.
    fn ends_inside_mp3_frame(&self) -> bool {
        let Some(last_frame) = &self.last_mp3_frame else {
            return false;
        };
        ends_inside_frame(&self.path, last_frame).unwrap_or(false)
    }

    /// Reads one packet and decodes it, or the packets held back before it. Returns why the
    /// stream ended, if it did.
    fn decode_next_packet(&mut self) -> Result<Option<StreamEnd>, DecodeError> {
        match self.read_packet() {
            Next::Packet(packet) => {
                self.data_start_bytes.get_or_insert_with(|| self.source.read_bytes());
                for packet in self.end_trims.admit(packet) {
                    if let Some(end) = self.decode_admitted(packet)? {
                        return Ok(Some(end));
                    }
                }
                Ok(None)
            }
            Next::OtherTrack => Ok(None),
            Next::Reset => {
                // The previous link of a chained stream really ended, so its held packets
                // are trimmed as marked, and decoded before the decoder is replaced.
                if let Some(end) = self.decode_held_packets()? {
                    return Ok(Some(end));
                }
                match self.source.reset(&self.path) {
                    Ok(()) => Ok(None),
                    Err(error) => Ok(Some(StreamEnd::Failed(error.to_string()))),
                }
            }
            Next::End(end) => {
                if matches!(end, StreamEnd::Complete | StreamEnd::UnexpectedEof) {
                    if let Some(failure) = self.decode_held_packets()? {
                        return Ok(Some(failure));
                    }
                }
                let damaged = matches!(end, StreamEnd::UnexpectedEof | StreamEnd::Failed(_));
                if damaged && self.resume_after_damage(&end) {
                    return Ok(None);
                }
                Ok(Some(end))
            }
        }
    }

    /// Decodes the packets held back at the end of a stream: those past its stated end,
    /// then the MP3 frame waiting for the next one.
    fn decode_held_packets(&mut self) -> Result<Option<StreamEnd>, DecodeError> {
        for packet in self.end_trims.finish() {
            if let Some(end) = self.decode_admitted(packet)? {
                return Ok(Some(end));
            }
        }
        let steps = self.mp3_frames.as_mut().map(Mp3Frames::finish).unwrap_or_default();
        self.apply_mp3_steps(steps)
    }

    /// Decodes a packet that passed the end-trim check, through the MP3 frame check for an
    /// MP3 file.
    fn decode_admitted(&mut self, packet: Packet) -> Result<Option<StreamEnd>, DecodeError> {
        let Some(frames) = &mut self.mp3_frames else {
            return self.decode(&packet, 0);
        };
        let stated_ns = stated_packet_ns(&packet, self.source.track);
        let steps = frames.admit(packet, stated_ns);
        self.apply_mp3_steps(steps)
    }

    fn apply_mp3_steps(&mut self, steps: Vec<Mp3Step>) -> Result<Option<StreamEnd>, DecodeError> {
        for step in steps {
            let end = match step {
                Mp3Step::Decode { packet, lost_before_ns } => self.decode(&packet, lost_before_ns)?,
                Mp3Step::Replace { packet, lost_before_ns, silence_ns } => {
                    self.replace_frame(&packet, lost_before_ns, silence_ns)?;
                    None
                }
            };
            if end.is_some() {
                return Ok(end);
            }
        }
        Ok(None)
    }

    /// Puts silence in place of an MP3 frame in or right after damage, after the audio lost
    /// before it. The decoder is reset, so it drops the damaged bytes it keeps for later frames.
    fn replace_frame(&mut self, packet: &Packet, lost_before_ns: u64, silence_ns: u64) -> Result<(), DecodeError> {
        let tally = &mut self.tally;
        let silence_ns = lost_before_ns.saturating_add(silence_ns).min(tally.silence_budget_ns());
        tracing::debug!(path = %self.path.display(), pts = packet.pts.get(), silence_ns, "replacing an MP3 frame at damage");

        self.resumer.note(packet);
        self.source.decoder.reset();
        tally.skipped += 1;
        tally.skipped_ns += self.pipeline.push_silence(silence_ns).map_err(|source| DecodeError::Resample { path: self.path.clone(), source })?;
        tally.last_error.get_or_insert_with(|| "frames lost in damaged data".to_owned());
        Ok(())
    }

    /// Reads the next packet.
    fn read_packet(&mut self) -> Next {
        let source = &mut self.source;

        let packet = match catch_panic(|| source.reader.next_packet()) {
            Ok(Ok(Some(packet))) => packet,
            Ok(Ok(None)) => return Next::End(StreamEnd::Complete),
            Ok(Err(SymphoniaError::ResetRequired)) if !self.tally.reset_pending => {
                // Symphonia's contract: the track list changed, so choose the track again
                // and make a new decoder.
                self.tally.reset_pending = true;
                return Next::Reset;
            }
            Ok(Err(SymphoniaError::IoError(error))) if error.kind() == io::ErrorKind::UnexpectedEof => {
                return Next::End(StreamEnd::UnexpectedEof);
            }
            Ok(Err(error)) => return Next::End(StreamEnd::Failed(error.to_string())),
            Err(message) => return Next::End(StreamEnd::Panicked(message)),
        };
        self.tally.reset_pending = false;

        if packet.track_id == source.track.id && !self.resumer.skips(&packet) {
            Next::Packet(packet)
        } else {
            Next::OtherTrack
        }
    }

    /// Decodes one packet of the chosen track into the pipeline, first filling any gap in
    /// the timestamps before it, and `lost_mp3_ns` of MP3 audio lost before it, with
    /// silence. Returns why the stream ended, if the decoder failed for good.
    fn decode(&mut self, packet: &Packet, lost_mp3_ns: u64) -> Result<Option<StreamEnd>, DecodeError> {
        let path = &self.path;
        let source = &mut self.source;
        let pipeline = &mut self.pipeline;
        let tally = &mut self.tally;
        let resample_error = |source| DecodeError::Resample { path: path.clone(), source };

        // The first packet only anchors the timeline, so it never gets a gap. Packet
        // timestamps count the encoder delay dropped from the output, so it counts as decoded.
        let timeline_ns = pipeline.decoded_ns() + self.start_trim.trimmed_ns();
        let timestamp_gap_ns = self.gaps.missing_before(packet, source.track.time_base, timeline_ns);
        let gaps = &mut self.gaps;
        // Fills the gap before the packet with silence. A gap beyond the budget means the
        // timestamps are damaged: the audio is followed instead.
        let mut fill_gap = |pipeline: &mut Pipeline, tally: &mut PacketTally, missing_ns: u64| -> Result<u64, DecodeError> {
            if missing_ns == 0 {
                return Ok(0);
            }
            let fill_ns = missing_ns.min(tally.silence_budget_ns());
            tracing::debug!(path = %path.display(), pts = packet.pts.get(), missing_ns, fill_ns, "filling a gap in the timestamps");
            gaps.shift(missing_ns - fill_ns);
            if fill_ns > 0 {
                tally.skipped += 1;
                tally.skipped_ns += pipeline.push_silence(fill_ns).map_err(|source| DecodeError::Resample { path: path.clone(), source })?;
                tally.last_error.get_or_insert_with(|| "audio missing between packets".to_owned());
            }
            Ok(fill_ns)
        };

        self.resumer.note(packet);
        match decode_packet(source.decoder.as_mut(), packet, &mut pipeline.interleaved) {
            Ok(Ok((rate, channels))) => {
                if source.info.container == "mp3" {
                    self.last_mp3_frame = Some(packet.data.clone());
                }
                tally.decoded += 1;
                tally.last_frames = (pipeline.interleaved.len() / channels.max(1)) as u64;
                let packet_ns = tally.last_frames * 1_000_000_000 / u64::from(rate.max(1));
                tally.decoded_ns += packet_ns;
                if let Some(frames) = &mut self.mp3_frames {
                    frames.decoded(packet.data.len(), packet_ns);
                }
                self.start_trim.apply(&mut pipeline.interleaved, rate, channels);
                let filled_ns = fill_gap(pipeline, tally, timestamp_gap_ns.saturating_add(lost_mp3_ns))?;
                gaps.anchor(packet, source.track.time_base, timeline_ns + filled_ns);
                pipeline.push_decoded(rate, channels).map_err(resample_error)?;
            }
            Ok(Err(error)) if is_recoverable(&error, tally.decoded) => {
                // A packet that fails to decode is damaged, and so may be its timestamp: the
                // gap it shows is left for the next intact packet to confirm.
                fill_gap(pipeline, tally, lost_mp3_ns)?;
                // An MP3 frame that fails to decode is often a false one found in damage, whose
                // header states any length: its bytes tell the lost time better.
                let packet_ns = match &self.mp3_frames {
                    Some(frames) => frames.duration_of(packet.data.len() as u64),
                    None => skipped_packet_ns(packet, source.track, pipeline, tally),
                };
                let silence_ns = packet_ns.min(tally.silence_budget_ns());
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
            Ok(Err(error)) => return Ok(Some(StreamEnd::Failed(error.to_string()))),
            Err(message) => return Ok(Some(StreamEnd::Panicked(message))),
        }
        Ok(None)
    }

    /// Records why the stream ended and flushes the resampler, or fails when nothing at all
    /// could be decoded.
    fn end_stream(&mut self, end: StreamEnd) -> Result<(), DecodeError> {
        if self.tally.decoded == 0 {
            return Err(nothing_decoded(&self.path, &self.tally, end));
        }

        self.pipeline_warnings = self.pipeline.finish().map_err(|source| DecodeError::Resample {
            path: self.path.clone(),
            source,
        })?;
        self.end = Some(end);
        Ok(())
    }
}

/// Result of reading the next packet.
enum Next {
    Packet(Packet),
    /// A packet of another track, or one already decoded before a resume.
    OtherTrack,
    /// The track list changed, as at the start of the next link of a chained Ogg stream.
    Reset,
    End(StreamEnd),
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

fn check_cancel(path: &Path, cancel: &CancelToken) -> Result<(), DecodeError> {
    if cancel.is_cancelled() {
        return Err(DecodeError::Cancelled { path: path.into() });
    }
    Ok(())
}
