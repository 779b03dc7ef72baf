//! Downloading the pinned archives into the cache, and reusing verified copies.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::FixtureError;
use crate::files::{sha256_file, temporary_file_in};
use crate::http::{self, BodyError};
use crate::pypi;
use crate::sources::{Origin, Source};

/// Accept header for archive downloads.
const ANY_MEDIA_TYPE: &str = "*/*";

/// A pinned archive present in the cache.
#[derive(Debug, Clone)]
pub struct ArchiveStatus {
    pub file_name: &'static str,
    pub path: PathBuf,
    /// The download that brought it, or `None` if a verified copy was already cached.
    pub download: Option<Download>,
}

/// A completed and verified download.
#[derive(Debug, Clone)]
pub struct Download {
    pub url: String,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Returns the cached copy of `source` in `folder`, downloading it first unless a copy with
/// the pinned sha256 is already there.
pub(crate) fn ensure_archive(
    agent: &ureq::Agent,
    folder: &Path,
    source: &'static Source,
) -> Result<ArchiveStatus, FixtureError> {
    let path = folder.join(source.file_name);
    if path.is_file() {
        let actual = sha256_file(&path).map_err(|error| FixtureError::io("read", &path, error))?;
        if actual == source.sha256 {
            return Ok(ArchiveStatus {
                file_name: source.file_name,
                path,
                download: None,
            });
        }
        eprintln!(
            "whisperrr-testkit: cached {} has sha256 {actual}, expected {}; downloading it again",
            path.display(),
            source.sha256
        );
    }

    std::fs::create_dir_all(folder).map_err(|error| FixtureError::io("create", folder, error))?;
    let download = download(agent, source, &path)?;
    Ok(ArchiveStatus {
        file_name: source.file_name,
        path,
        download: Some(download),
    })
}

fn download(
    agent: &ureq::Agent,
    source: &'static Source,
    path: &Path,
) -> Result<Download, FixtureError> {
    let started = Instant::now();
    let url = match source.origin {
        Origin::Url(url) => url.to_string(),
        Origin::PypiFile { project } => {
            pypi::file_url(agent, project, source.file_name, source.sha256)?
        }
    };
    eprintln!("whisperrr-testkit: downloading {url}");

    let folder = path.parent().unwrap_or(Path::new("."));
    let (temporary, bytes, actual) =
        http::get(agent, &url, ANY_MEDIA_TYPE, |body| save_body(body, folder))?;

    if actual != source.sha256 {
        return Err(FixtureError::DownloadChecksum {
            url,
            expected: source.sha256,
            actual,
        });
    }
    temporary
        .persist(path)
        .map_err(|error| FixtureError::io("replace", path, error.error))?;

    let elapsed = started.elapsed();
    eprintln!(
        "whisperrr-testkit: saved {} ({bytes} bytes in {:.1} s)",
        path.display(),
        elapsed.as_secs_f64()
    );
    Ok(Download {
        url,
        bytes,
        elapsed,
    })
}

/// Streams `body` into a new temporary file in `folder`, returning the file, its length and
/// its sha256.
fn save_body(
    body: &mut dyn Read,
    folder: &Path,
) -> Result<(tempfile::NamedTempFile, u64, String), BodyError> {
    let mut temporary = temporary_file_in(folder).map_err(BodyError::Local)?;

    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let count = match body.read(&mut buffer) {
            Ok(count) => count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        if count == 0 {
            break;
        }

        let chunk = &buffer[..count];
        hasher.update(chunk);
        temporary.write_all(chunk).map_err(|error| {
            BodyError::Local(FixtureError::io("write", temporary.path(), error))
        })?;
        bytes += count as u64;
    }

    Ok((temporary, bytes, format!("{:x}", hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::thread::{self, JoinHandle};

    use super::*;
    use crate::files::sha256_hex;

    const BODY: &[u8] = b"archive bytes";

    /// Serves `requests` HTTP requests on loopback with a response of `status` and `body`,
    /// and returns the URL and the server thread, which ends after the last request.
    fn serve(status: u16, body: &'static [u8], requests: usize) -> (String, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/archive.tar.gz", listener.local_addr().unwrap());

        let server = thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap() > 2 {
                    line.clear();
                }

                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(body).unwrap();
            }
        });
        (url, server)
    }

    fn source(url: String, sha256: &str) -> &'static Source {
        Box::leak(Box::new(Source {
            package: "demo==1.0",
            registry: "test",
            file_name: "archive.tar.gz",
            origin: Origin::Url(Box::leak(url.into_boxed_str())),
            sha256: Box::leak(sha256.to_string().into_boxed_str()),
            license: "none",
        }))
    }

    #[test]
    fn download_is_verified_and_cached() {
        let folder = tempfile::tempdir().unwrap();
        let (url, server) = serve(200, BODY, 1);
        let source = source(url, &sha256_hex(BODY));

        let first = ensure_archive(&http::agent(), folder.path(), source).unwrap();
        server.join().unwrap();
        let second = ensure_archive(&http::agent(), folder.path(), source).unwrap();

        assert_eq!(std::fs::read(&first.path).unwrap(), BODY);
        assert_eq!(
            first.download.as_ref().map(|download| download.bytes),
            Some(13)
        );
        assert!(second.download.is_none(), "the cached copy was not reused");
    }

    #[test]
    fn checksum_mismatch_discards_download() {
        let folder = tempfile::tempdir().unwrap();
        let (url, server) = serve(200, BODY, 1);
        let source = source(url, &sha256_hex(b"other bytes"));

        let error = ensure_archive(&http::agent(), folder.path(), source).unwrap_err();
        server.join().unwrap();

        assert!(
            matches!(error, FixtureError::DownloadChecksum { .. }),
            "{error}"
        );
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    }

    #[test]
    fn damaged_cache_is_downloaded_again() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("archive.tar.gz"), b"truncated").unwrap();
        let (url, server) = serve(200, BODY, 1);
        let source = source(url, &sha256_hex(BODY));

        let status = ensure_archive(&http::agent(), folder.path(), source).unwrap();
        server.join().unwrap();

        assert!(status.download.is_some());
        assert_eq!(std::fs::read(&status.path).unwrap(), BODY);
    }

    #[test]
    fn not_found_fails_without_retry() {
        let folder = tempfile::tempdir().unwrap();
        let (url, server) = serve(404, b"", 1);
        let source = source(url.clone(), &sha256_hex(BODY));

        let error = ensure_archive(&http::agent(), folder.path(), source).unwrap_err();
        server.join().unwrap();

        match error {
            FixtureError::Download {
                url: failed_url,
                attempts,
                ..
            } => {
                assert_eq!(failed_url, url);
                assert_eq!(attempts, 1);
            }
            other => panic!("expected a download error, got {other}"),
        }
    }
}
