//! Opening a media file: input checks, container probing, audio track choice and decoder setup.

use std::fs::File;
use std::io;
use std::path::Path;

use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, MediaInfo, Track};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Duration, TimeBase};

use super::codecs::make_decoder;
use super::file_source::{Cut, FileSource, ReadPosition};
use super::guard::catch_panic;
use super::header_repair::{self, Patch};
use super::mp4_edits::{self, EncoderDelay};
use super::unsupported;
use super::{AudioInfo, DecodeError};

/// An opened file with a decoder for its chosen audio track.
pub(super) struct Source {
    pub reader: Box<dyn FormatReader>,
    pub decoder: Box<dyn AudioDecoder>,
    pub track: ChosenTrack,
    pub info: AudioInfo,
    /// Length of the file in bytes.
    pub file_bytes: u64,
    /// Description of the sizes corrected in a header that disagreed with the file.
    pub header_repair: Option<String>,
    read_position: ReadPosition,
}

/// Facts about the chosen track that the decode loop uses.
#[derive(Clone, Copy, Debug)]
pub(super) struct ChosenTrack {
    pub id: u32,
    /// Unit of packet timestamps and durations, if the container states one.
    pub time_base: Option<TimeBase>,
    /// Duration of this track in milliseconds as the container states it, if it does.
    pub stated_ms: Option<u64>,
    /// Encoder delay that the container states but neither symphonia's reader nor the
    /// decoder drops, so the decode loop must.
    pub encoder_delay: Option<EncoderDelay>,
}

/// Opens `path` and prepares a decoder for its first decodable audio track, without decoding
/// any audio. Meant for rejecting unusable files as soon as they are dropped on the app.
///
/// `sample_rate` and `channels` come from the container and may be `None`.
pub fn probe(path: &Path) -> Result<AudioInfo, DecodeError> {
    Source::open(path).map(|source| source.info)
}

impl Source {
    pub(super) fn open(path: &Path) -> Result<Self, DecodeError> {
        Source::open_view(path, None, Vec::new())
    }

    /// Opens `path` with `cut` left out of what the reader sees and `patches` read in place
    /// of the header bytes they cover, so a reader that gave up at damage can start again
    /// after it with the file's own headers.
    pub(super) fn open_view(path: &Path, cut: Option<Cut>, view_patches: Vec<Patch>) -> Result<Self, DecodeError> {
        let (mut file, file_bytes) = open_file(path)?;
        let repair = header_repair::plan(&mut file, file_bytes);
        let (mut patches, header_repair) = match repair {
            Some(repair) => (repair.patches, repair.detail),
            None => (Vec::new(), None),
        };
        patches.extend(view_patches);
        let (file, read_position) = FileSource::new(file, file_bytes, patches, cut);
        let stream = MediaSourceStream::new(Box::new(file), Default::default());

        // NOTE: symphonia 0.6.1 accepts the hint but does not read it yet (its probe
        // scans for container markers only). It is passed so later versions can use it.
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|ext| ext.to_str()) {
            hint.with_extension(extension);
        }

        let probed = catch_panic(|| {
            symphonia::default::get_probe().probe(
                &hint,
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        });
        let reader = match probed {
            Ok(Ok(reader)) => reader,
            Ok(Err(error)) => return Err(probe_error(path, error)),
            Err(detail) => {
                return Err(DecodeError::DecoderPanic {
                    path: path.into(),
                    detail,
                })
            }
        };

        let (track, decoder) = choose_track(path, reader.as_ref())?;
        let info = describe(reader.as_ref(), track, decoder.as_ref());
        tracing::debug!(path = %path.display(), ?info, "opened media file");

        Ok(Source {
            reader,
            decoder,
            track,
            info,
            file_bytes,
            header_repair,
            read_position,
        })
    }

    /// Returns how far into the file the reader has read, in bytes.
    pub(super) fn read_bytes(&self) -> u64 {
        self.read_position.get()
    }

    /// Chooses the track and decoder again, after the reader returned `ResetRequired`
    /// because its track list changed (for example at the start of a chained Ogg stream).
    pub(super) fn reset(&mut self, path: &Path) -> Result<(), DecodeError> {
        let (track, decoder) = choose_track(path, self.reader.as_ref())?;
        self.track = track;
        self.decoder = decoder;
        Ok(())
    }
}

/// Opens `path` and returns it with its length in bytes.
fn open_file(path: &Path) -> Result<(File, u64), DecodeError> {
    let metadata = std::fs::metadata(path).map_err(|source| io_error(path, source))?;

    if metadata.is_dir() {
        return Err(DecodeError::IsDirectory { path: path.into() });
    }
    if metadata.len() == 0 {
        return Err(DecodeError::Empty { path: path.into() });
    }

    let file = File::open(path).map_err(|source| io_error(path, source))?;
    Ok((file, metadata.len()))
}

fn io_error(path: &Path, source: io::Error) -> DecodeError {
    match source.kind() {
        io::ErrorKind::NotFound => DecodeError::NotFound { path: path.into() },
        _ => DecodeError::Io {
            path: path.into(),
            source,
        },
    }
}

/// Symphonia's message when no container format matches the file. Its other `Unsupported`
/// errors come from the reader of a recognised container (such as "isomp4: missing moov
/// atom", which becomes [`DecodeError::MissingIndex`]); the rest become
/// [`DecodeError::Malformed`].
// NOTE: copied from symphonia-core 0.6.1 (formats/probe.rs). If a later version rewords it,
// unrecognised files get the `Malformed` message instead, which is less clear but still true.
const NO_FORMAT_MATCHED: &str = "core (probe): no suitable format reader found";

/// Symphonia's message for an MP4 file without its `moov` box, from symphonia-format-isomp4
/// 0.6.1 (demuxer.rs), with the same caveat.
const MISSING_MOOV: &str = "isomp4: missing moov atom";

fn probe_error(path: &Path, error: SymphoniaError) -> DecodeError {
    tracing::debug!(path = %path.display(), %error, "symphonia rejected the file");

    match error {
        SymphoniaError::Unsupported(NO_FORMAT_MATCHED) => match unsupported::identify(path) {
            Some(codec) => DecodeError::UnsupportedCodec { path: path.into(), codec },
            None => DecodeError::UnsupportedFormat { path: path.into() },
        },
        SymphoniaError::Unsupported(MISSING_MOOV) => DecodeError::MissingIndex { path: path.into() },
        SymphoniaError::IoError(source) if source.kind() == io::ErrorKind::UnexpectedEof => {
            DecodeError::Malformed {
                path: path.into(),
                detail: "the file ends inside its header".to_owned(),
            }
        }
        SymphoniaError::IoError(source) => io_error(path, source),
        other => DecodeError::Malformed {
            path: path.into(),
            detail: other.to_string(),
        },
    }
}

/// Picks the first audio track, in container order, that symphonia can decode.
fn choose_track(
    path: &Path,
    reader: &dyn FormatReader,
) -> Result<(ChosenTrack, Box<dyn AudioDecoder>), DecodeError> {
    let mut first_failure = None;

    for track in reader.tracks() {
        let Some(CodecParameters::Audio(params)) = &track.codec_params else {
            continue;
        };

        match make_decoder(path, params) {
            Ok(decoder) => {
                let chosen = ChosenTrack {
                    id: track.id,
                    time_base: track.time_base,
                    stated_ms: stated_duration_ms(reader, track, params.sample_rate),
                    encoder_delay: unapplied_encoder_delay(path, reader, track.id, params),
                };
                return Ok((chosen, decoder));
            }
            Err(error) => {
                tracing::debug!(
                    path = %path.display(),
                    track = track.id,
                    %error,
                    "skipping audio track"
                );
                first_failure.get_or_insert(error);
            }
        }
    }

    Err(first_failure.unwrap_or_else(|| DecodeError::NoAudioTrack { path: path.into() }))
}

/// Returns the encoder delay that an MP4 file's edit list states for track `track_id`,
/// which symphonia 0.6.1's MP4 reader does not apply. Opus is left out because its decoder
/// drops the pre-skip of its identification header, which the edit list repeats.
fn unapplied_encoder_delay(
    path: &Path,
    reader: &dyn FormatReader,
    track_id: u32,
    params: &AudioCodecParameters,
) -> Option<EncoderDelay> {
    if reader.format_info().short_name != "isomp4" || params.codec == CODEC_ID_OPUS {
        return None;
    }
    let delay = mp4_edits::encoder_delay(path, track_id)?;
    tracing::debug!(path = %path.display(), track = track_id, ?delay, "dropping the encoder delay that the edit list states");
    Some(delay)
}

fn describe(
    reader: &dyn FormatReader,
    track: ChosenTrack,
    decoder: &dyn AudioDecoder,
) -> AudioInfo {
    let params = decoder.codec_params();

    AudioInfo {
        container: reader.format_info().short_name.to_owned(),
        codec: decoder.codec_info().short_name.to_owned(),
        sample_rate: params.sample_rate,
        channels: params.channels.as_ref().map(|channels| channels.count()),
        duration_ms: track
            .stated_ms
            .or_else(|| media_duration_ms(reader.media_info())),
    }
}

/// Returns the duration of `track` that the container states, from the track itself or,
/// when the file has no other track, from the file's duration.
fn stated_duration_ms(reader: &dyn FormatReader, track: &Track, rate: Option<u32>) -> Option<u64> {
    let from_track = track_duration_ms(track, rate);
    if from_track.is_some() || reader.tracks().len() > 1 {
        return from_track;
    }
    media_duration_ms(reader.media_info())
}

/// Returns the playable duration of `track` in milliseconds: from its frame count when the
/// container states one, else from its duration and time base.
fn track_duration_ms(track: &Track, sample_rate: Option<u32>) -> Option<u64> {
    if let (Some(frames), Some(rate)) = (track.num_frames, sample_rate.filter(|rate| *rate > 0)) {
        let ms = u128::from(frames) * 1000 / u128::from(rate);
        return u64::try_from(ms).ok();
    }

    duration_ms(track.time_base?, track.duration?)
}

/// Returns the duration of the whole file, the only one Matroska states. With several
/// tracks it is the longest track's, which may be the video's.
fn media_duration_ms(media: &MediaInfo) -> Option<u64> {
    duration_ms(media.time_base?, media.duration?)
}

fn duration_ms(time_base: TimeBase, duration: Duration) -> Option<u64> {
    let time = time_base.calc_duration(duration)?;
    u64::try_from(time.as_millis()).ok()
}
