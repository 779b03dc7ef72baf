//! Reading selected members of `.tar.gz` and Debian `.deb` archives into memory.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::error::FixtureError;

/// Archive member path mapped to its bytes.
pub(crate) type Members = BTreeMap<String, Vec<u8>>;

/// Reads the regular files named in `requested` from a `.deb` or a gzip-compressed tar archive.
///
/// Member paths are compared without a leading `./`. Fails if any of them is missing.
pub(crate) fn read_members(
    path: &Path,
    requested: &BTreeSet<&str>,
) -> Result<Members, FixtureError> {
    let read_error = |source| FixtureError::ArchiveRead {
        path: path.to_path_buf(),
        source,
    };

    let file = File::open(path).map_err(read_error)?;
    let reader = BufReader::new(file);
    let is_deb = path.extension().is_some_and(|extension| extension == "deb");
    let found = if is_deb {
        read_deb(reader, requested)
    } else {
        read_tar(GzDecoder::new(reader), requested)
    }
    .map_err(read_error)?;

    if let Some(missing) = requested.iter().find(|name| !found.contains_key(**name)) {
        return Err(FixtureError::MemberMissing {
            path: path.to_path_buf(),
            member: (*missing).to_string(),
        });
    }
    Ok(found)
}

/// Reads members of the `data.tar*` member of a Debian binary package, an `ar` archive.
fn read_deb(reader: impl Read, requested: &BTreeSet<&str>) -> io::Result<Members> {
    let mut archive = ar::Archive::new(reader);
    while let Some(entry) = archive.next_entry() {
        let entry = entry?;
        let identifier = String::from_utf8_lossy(entry.header().identifier()).into_owned();
        let name = identifier.trim_end_matches([' ', '/']);
        let Some(compression) = name.strip_prefix("data.tar") else {
            continue;
        };

        return match compression {
            "" => read_tar(entry, requested),
            ".gz" => read_tar(GzDecoder::new(entry), requested),
            ".xz" => read_tar(lzma_rust2::XzReader::new(entry, true), requested),
            ".zst" => {
                let decoder = ruzstd::decoding::StreamingDecoder::new(entry)
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
                read_tar(decoder, requested)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("unsupported compression of package member {name}"),
            )),
        };
    }

    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "not a Debian package: no data.tar member",
    ))
}

/// Reads the requested regular files of a tar stream, stopping once all are found.
fn read_tar(reader: impl Read, requested: &BTreeSet<&str>) -> io::Result<Members> {
    let mut found = Members::new();
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }

        let path = entry.path()?.to_string_lossy().into_owned();
        let name = path.strip_prefix("./").unwrap_or(&path);
        if !requested.contains(name) {
            continue;
        }

        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        found.insert(name.to_string(), bytes);
        if found.len() == requested.len() {
            break;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn tar_with(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn xz(bytes: &[u8]) -> Vec<u8> {
        let options = lzma_rust2::XzOptions::with_preset(1);
        let mut writer = lzma_rust2::XzWriter::new(Vec::new(), options).unwrap();
        writer.write_all(bytes).unwrap();
        writer.finish().unwrap()
    }

    fn zstd(bytes: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn deb_with(data_name: &str, data: Vec<u8>) -> Vec<u8> {
        let mut builder = ar::Builder::new(Vec::new());
        let members = [
            ("debian-binary", b"2.0\n".to_vec()),
            (
                "control.tar.xz",
                xz(&tar_with(&[("./control", b"Package: t\n")])),
            ),
            (data_name, data),
        ];
        for (name, bytes) in members {
            let header = ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64);
            builder.append(&header, bytes.as_slice()).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn write_temp(suffix: &str, bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn requested(names: &[&'static str]) -> BTreeSet<&'static str> {
        names.iter().copied().collect()
    }

    #[test]
    fn tar_gz_members_are_read() {
        let tar = tar_with(&[("pkg/a.txt", b"alpha"), ("pkg/b.txt", b"beta")]);
        let file = write_temp(".tar.gz", &gzip(&tar));

        let found = read_members(file.path(), &requested(&["pkg/b.txt"])).unwrap();

        assert_eq!(found.len(), 1);
        assert_eq!(found["pkg/b.txt"], b"beta");
    }

    #[test]
    fn deb_members_are_read_for_each_compression() {
        let tar = tar_with(&[
            ("./usr/share/a.wav", b"wave"),
            ("./usr/share/b.txt", b"text"),
        ]);
        let cases = [
            ("data.tar", tar.clone()),
            ("data.tar.gz", gzip(&tar)),
            ("data.tar.xz", xz(&tar)),
            ("data.tar.zst", zstd(&tar)),
        ];

        for (data_name, data) in cases {
            let file = write_temp(".deb", &deb_with(data_name, data));

            let found = read_members(
                file.path(),
                &requested(&["usr/share/a.wav", "usr/share/b.txt"]),
            )
            .unwrap_or_else(|error| panic!("{data_name}: {error}"));

            assert_eq!(found["usr/share/a.wav"], b"wave", "{data_name}");
            assert_eq!(found["usr/share/b.txt"], b"text", "{data_name}");
        }
    }

    #[test]
    fn missing_member_is_reported() {
        let file = write_temp(".tar.gz", &gzip(&tar_with(&[("a", b"1")])));

        let error = read_members(file.path(), &requested(&["a", "b"])).unwrap_err();

        assert!(
            matches!(&error, FixtureError::MemberMissing { member, .. } if member == "b"),
            "{error}"
        );
    }

    #[test]
    fn deb_without_data_is_rejected() {
        let mut builder = ar::Builder::new(Vec::new());
        let header = ar::Header::new(b"debian-binary".to_vec(), 4);
        builder.append(&header, &b"2.0\n"[..]).unwrap();
        let file = write_temp(".deb", &builder.into_inner().unwrap());

        let error = read_members(file.path(), &requested(&["a"])).unwrap_err();

        assert!(matches!(error, FixtureError::ArchiveRead { .. }), "{error}");
    }

    #[test]
    fn corrupt_gzip_is_rejected() {
        let file = write_temp(".tar.gz", b"not gzip at all");

        let error = read_members(file.path(), &requested(&["a"])).unwrap_err();

        assert!(matches!(error, FixtureError::ArchiveRead { .. }), "{error}");
    }
}
