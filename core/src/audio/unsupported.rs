//! Recognising files in formats that no reader here supports, so the error can name the
//! format instead of calling the file unknown.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Bytes read from the start of a file to recognise it. An ASF header object lists its
/// streams first, and their properties fit well within this.
const SNIFF_BYTES: usize = 64 * 1024;

/// Advanced Systems Format (WMA and WMV files): the header object's GUID.
const ASF_HEADER: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];

/// ASF stream properties object.
const ASF_STREAM_PROPERTIES: [u8; 16] = [
    0x91, 0x07, 0xDC, 0xB7, 0xB7, 0xA9, 0xCF, 0x11, 0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65,
];

/// ASF stream type of audio streams.
const ASF_AUDIO_MEDIA: [u8; 16] = [
    0x40, 0x9E, 0x69, 0xF8, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B,
];

/// Returns the name of the audio codec of `path` when the file starts like a format that
/// is known but not supported, such as a WMA file.
pub(super) fn identify(path: &Path) -> Option<String> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    File::open(path).ok()?.take(SNIFF_BYTES as u64).read_to_end(&mut head).ok()?;
    identify_bytes(&head)
}

fn identify_bytes(head: &[u8]) -> Option<String> {
    if head.starts_with(&ASF_HEADER) {
        return Some(asf_audio_codec(head).unwrap_or("Windows Media (ASF)").to_owned());
    }

    let name = if head.starts_with(b"#!AMR-WB\n") {
        "AMR-WB"
    } else if head.starts_with(b"#!AMR\n") {
        "AMR-NB"
    } else if head.starts_with(b"MAC ") {
        "Monkey's Audio (APE)"
    } else if head.starts_with(b"wvpk") {
        "WavPack"
    } else if head.starts_with(b".RMF") {
        "RealAudio"
    } else {
        return None;
    };
    Some(name.to_owned())
}

/// Names the codec of the first audio stream in an ASF header, from the format tag of its
/// WAVEFORMATEX.
fn asf_audio_codec(head: &[u8]) -> Option<&'static str> {
    // Header object: GUID, size (u64), object count (u32), two reserved bytes.
    let mut offset = 30;

    while let Some(object) = head.get(offset..offset + 24) {
        let size = u64::from_le_bytes(object[16..24].try_into().ok()?);
        if object[..16] == ASF_STREAM_PROPERTIES {
            let data = head.get(offset + 24..)?;
            // Stream type (16), error correction type (16), time offset (8), type-specific
            // and error correction lengths (4 + 4), flags (2), reserved (4).
            if data.get(..16)? == ASF_AUDIO_MEDIA {
                let tag = u16::from_le_bytes(data.get(54..56)?.try_into().ok()?);
                return Some(wave_format_name(tag));
            }
        }
        if size < 24 {
            return None;
        }
        offset = offset.checked_add(usize::try_from(size).ok()?)?;
    }
    None
}

fn wave_format_name(tag: u16) -> &'static str {
    match tag {
        0x0160 => "WMA 1 (Windows Media Audio)",
        0x0161 => "WMA 2 (Windows Media Audio)",
        0x0162 => "WMA Pro (Windows Media Audio)",
        0x0163 => "WMA Lossless (Windows Media Audio)",
        0x000A => "WMA Voice (Windows Media Audio)",
        _ => "Windows Media (ASF)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amr_named() {
        assert_eq!(identify_bytes(b"#!AMR\n\x3c...").as_deref(), Some("AMR-NB"));
        assert_eq!(identify_bytes(b"RIFF....WAVE"), None);
    }

    #[test]
    fn asf_without_streams_named_by_container() {
        let mut head = ASF_HEADER.to_vec();
        head.extend_from_slice(&30u64.to_le_bytes());
        head.extend_from_slice(&[0; 6]);

        assert_eq!(identify_bytes(&head).as_deref(), Some("Windows Media (ASF)"));
    }
}
