//! Making clip files and reference texts from archive members.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use flate2::read::GzDecoder;

use crate::archive::Members;
use crate::clips::ClipInfo;
use crate::error::FixtureError;
use crate::recipe::{Recipe, ReferenceText};
use crate::sources::Source;
use crate::transcript::{find_transcription_line, parse_prompt_script};
use crate::wav;

/// An archive in the cache with the members read from it.
pub(crate) struct OpenedArchive {
    pub path: PathBuf,
    pub members: Members,
}

/// Opened archives by the file name of their source.
pub(crate) type OpenedArchives = HashMap<&'static str, OpenedArchive>;

/// Makes the bytes of `clip` and checks them against its pinned sha256.
pub(crate) fn build_clip(
    clip: &ClipInfo,
    archives: &OpenedArchives,
) -> Result<Vec<u8>, FixtureError> {
    let source = clip.source();
    let archive = opened(archives, source);
    let wav_error = |member: &str, source| FixtureError::Wav {
        path: archive.path.clone(),
        member: member.to_string(),
        source,
    };

    let bytes = match &clip.recipe {
        Recipe::Copy { member, .. } => member_bytes(archive, member)?.to_vec(),
        Recipe::RawPcm {
            member,
            sample_rate,
            ..
        } => wav::wrap_mono_s16(*sample_rate, member_bytes(archive, member)?)
            .map_err(|error| wav_error(member, error))?,
        Recipe::Join { members, .. } => {
            let files = members
                .iter()
                .map(|member| member_bytes(archive, member))
                .collect::<Result<Vec<_>, _>>()?;
            wav::join(&files).map_err(|error| wav_error(&members.join(", "), error))?
        }
    };

    let actual = crate::files::sha256_hex(&bytes);
    if actual != clip.sha256 {
        return Err(FixtureError::ClipChecksum {
            name: clip.name,
            archive: archive.path.clone(),
            expected: clip.sha256,
            actual,
        });
    }
    Ok(bytes)
}

/// Makes the reference transcript of `clip`.
pub(crate) fn build_reference(
    clip: &ClipInfo,
    archives: &OpenedArchives,
) -> Result<String, FixtureError> {
    match &clip.reference {
        ReferenceText::Literal { text, .. } => Ok((*text).to_string()),
        ReferenceText::Member { source, member } => {
            let archive = opened(archives, source);
            let text = member_text(archive, member, member_bytes(archive, member)?)?;
            Ok(text.trim().to_string())
        }
        ReferenceText::TranscriptionLine {
            source,
            member,
            utterance,
        } => {
            let archive = opened(archives, source);
            let text = member_text(archive, member, member_bytes(archive, member)?)?;
            find_transcription_line(&text, utterance).ok_or_else(|| {
                FixtureError::UtteranceMissing {
                    path: archive.path.clone(),
                    member: member.to_string(),
                    utterance,
                }
            })
        }
        ReferenceText::PromptScript {
            source,
            member,
            prompts,
        } => {
            let archive = opened(archives, source);
            let script = gunzip_text(archive, member)?;
            let texts = parse_prompt_script(&script);
            let mut joined = Vec::with_capacity(prompts.len());
            for prompt in *prompts {
                let text = texts
                    .get(prompt)
                    .ok_or_else(|| FixtureError::PromptMissing {
                        path: archive.path.clone(),
                        member: member.to_string(),
                        prompt,
                    })?;
                joined.push(text.as_str());
            }
            Ok(joined.join(" "))
        }
    }
}

fn opened<'a>(archives: &'a OpenedArchives, source: &Source) -> &'a OpenedArchive {
    archives.get(source.file_name).unwrap_or_else(|| {
        panic!(
            "{} must be opened before clips are built from it",
            source.file_name
        )
    })
}

fn member_bytes<'a>(archive: &'a OpenedArchive, member: &str) -> Result<&'a [u8], FixtureError> {
    archive
        .members
        .get(member)
        .map(Vec::as_slice)
        .ok_or_else(|| FixtureError::MemberMissing {
            path: archive.path.clone(),
            member: member.to_string(),
        })
}

fn member_text(
    archive: &OpenedArchive,
    member: &str,
    bytes: &[u8],
) -> Result<String, FixtureError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| FixtureError::TextEncoding {
        path: archive.path.clone(),
        member: member.to_string(),
    })
}

fn gunzip_text(archive: &OpenedArchive, member: &str) -> Result<String, FixtureError> {
    let mut text = Vec::new();
    GzDecoder::new(member_bytes(archive, member)?)
        .read_to_end(&mut text)
        .map_err(|source| FixtureError::ArchiveRead {
            path: archive.path.join(member),
            source,
        })?;
    member_text(archive, member, &text)
}
