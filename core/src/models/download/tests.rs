//! Tests of the downloader against a loopback HTTP server: whole and resumed downloads,
//! servers that drop, stall, ignore ranges or fail, wrong files, and cancels.

use std::net::TcpListener;
use std::sync::Arc;

use sha1::{Digest, Sha1};
use whisperrr_testkit::http_server::{Route, TestServer};

use super::*;
use crate::models::staged::hex;

const FILE_BYTES: usize = 3 << 20;

/// A file that starts with the ggml magic, with varied content after it.
fn model_bytes() -> Vec<u8> {
    let mut bytes = GGML_MAGIC.to_le_bytes().to_vec();
    let mut state: u32 = 12345;
    while bytes.len() < FILE_BYTES {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((state >> 16) as u8);
    }
    bytes
}

fn sha1_hex(bytes: &[u8]) -> String {
    hex(&Sha1::digest(bytes))
}

fn fast_policy() -> DownloadPolicy {
    DownloadPolicy {
        attempts: 3,
        first_retry_delay: Duration::from_millis(10),
        max_retry_delay: Duration::from_millis(50),
        stall_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_secs(5),
    }
}

/// A models folder and a server with one file at `/ggml-test.bin`.
struct Fixture {
    dir: tempfile::TempDir,
    dest: PathBuf,
    server: TestServer,
    bytes: Vec<u8>,
    sha1: String,
    url: String,
}

impl Fixture {
    fn new(route: impl FnOnce(Arc<Vec<u8>>) -> Route) -> Self {
        let bytes = model_bytes();
        let server =
            TestServer::start([("/ggml-test.bin".to_string(), route(Arc::new(bytes.clone())))]);
        let url = server.url("/ggml-test.bin");
        let dir = tempfile::tempdir().unwrap();
        Self {
            dest: dir.path().join("ggml-test.bin"),
            dir,
            sha1: sha1_hex(&bytes),
            server,
            bytes,
            url,
        }
    }

    fn dest(&self) -> PathBuf {
        self.dest.clone()
    }

    fn part(&self) -> PathBuf {
        part_path(&self.dest())
    }

    fn request(&self) -> DownloadRequest<'_> {
        DownloadRequest {
            model: "test",
            url: &self.url,
            dest: &self.dest,
            sha1: &self.sha1,
            size: Some(self.bytes.len() as u64),
            size_hint: self.bytes.len() as u64,
            also_accept: None,
        }
    }

    fn download(
        &self,
        policy: DownloadPolicy,
        request: &DownloadRequest<'_>,
        cancel: &CancelToken,
    ) -> (Result<PathBuf, ModelError>, Vec<DownloadProgress>) {
        let mut reports = Vec::new();
        let result = Downloader::new(policy).download(request, &mut |p| reports.push(p), cancel);
        (result, reports)
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn ranges(&self) -> Vec<Option<String>> {
        self.server
            .requests()
            .into_iter()
            .map(|r| r.range)
            .collect()
    }
}

fn assert_progress_climbs_to(reports: &[DownloadProgress], total: u64) {
    assert!(!reports.is_empty());
    assert!(
        reports
            .windows(2)
            .all(|pair| pair[0].done_bytes <= pair[1].done_bytes),
        "progress went back"
    );
    let last = reports.last().unwrap();
    assert_eq!(last.done_bytes, total);
    assert_eq!(last.total_bytes, Some(total));
}

#[test]
fn download_whole_file_installs_it() {
    let fixture = Fixture::new(Route::File);

    let (result, reports) =
        fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());

    assert_eq!(result.unwrap(), fixture.dest());
    assert_eq!(std::fs::read(fixture.dest()).unwrap(), fixture.bytes);
    assert_eq!(fixture.names(), ["ggml-test.bin"]);
    assert_progress_climbs_to(&reports, fixture.bytes.len() as u64);
    assert_eq!(fixture.ranges(), [None]);
}

#[test]
fn download_resumes_after_dropped_connection() {
    let cut_at = 1 << 20;
    let fixture = Fixture::new(|bytes| Route::DropAfter {
        bytes,
        cut_at,
        times: 1,
    });

    let (result, reports) =
        fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());

    assert_eq!(result.unwrap(), fixture.dest());
    assert_eq!(std::fs::read(fixture.dest()).unwrap(), fixture.bytes);
    assert_eq!(fixture.ranges(), [None, Some(format!("bytes={cut_at}-"))]);
    assert_progress_climbs_to(&reports, fixture.bytes.len() as u64);
    assert_eq!(fixture.names(), ["ggml-test.bin"]);
}

#[test]
fn download_interrupted_then_resumed_by_next_call() {
    let cut_at = 1 << 20;
    let fixture = Fixture::new(|bytes| Route::DropAfter {
        bytes,
        cut_at,
        times: 1,
    });
    let one_attempt = DownloadPolicy {
        attempts: 1,
        ..fast_policy()
    };

    let (first, _) = fixture.download(one_attempt, &fixture.request(), &CancelToken::new());
    let err = first.unwrap_err();
    assert!(matches!(err, ModelError::Download { .. }), "{err}");
    assert!(err.to_string().contains(&fixture.url), "{err}");
    assert!(err.to_string().contains("resumes"), "{err}");
    // The bytes received stay in the .part file, and nothing carries the model's name.
    assert_eq!(fixture.names(), ["ggml-test.bin.part"]);
    assert_eq!(
        std::fs::metadata(fixture.part()).unwrap().len(),
        cut_at as u64
    );

    let (second, reports) =
        fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());

    assert_eq!(second.unwrap(), fixture.dest());
    assert_eq!(std::fs::read(fixture.dest()).unwrap(), fixture.bytes);
    assert_eq!(reports[0].done_bytes, cut_at as u64);
    assert_eq!(fixture.ranges()[1], Some(format!("bytes={cut_at}-")));
    assert_eq!(fixture.names(), ["ggml-test.bin"]);
}

#[test]
fn download_with_wrong_sha1_keeps_nothing() {
    let fixture = Fixture::new(Route::File);
    let wrong = sha1_hex(b"another file");
    let request = DownloadRequest {
        sha1: &wrong,
        ..fixture.request()
    };

    let (result, _) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::ChecksumMismatch {
                algorithm: "SHA-1",
                ..
            }
        ),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains(&fixture.sha1), "{message}");
    assert!(message.contains(&wrong), "{message}");
    assert!(fixture.names().is_empty(), "{:?}", fixture.names());
}

#[test]
fn download_matching_pypi_conversion_pin_installs() {
    let fixture = Fixture::new(Route::File);
    let wrong = sha1_hex(b"another file");
    let sha256: &'static str = Box::leak(hex(&sha2::Sha256::digest(&fixture.bytes)).into_boxed_str());
    let pin = PinnedFile { size: fixture.bytes.len() as u64, sha256 };
    let request = DownloadRequest {
        sha1: &wrong,
        size: Some(1),
        also_accept: Some(&pin),
        ..fixture.request()
    };

    let (result, _) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let path = result.expect("the PyPI route's pinned file is accepted");
    assert_eq!(std::fs::read(path).unwrap(), fixture.bytes);
}

#[test]
fn download_missing_both_pins_keeps_nothing() {
    let fixture = Fixture::new(Route::File);
    let wrong = sha1_hex(b"another file");
    let pin = PinnedFile { size: fixture.bytes.len() as u64, sha256: "0000" };
    let request = DownloadRequest {
        sha1: &wrong,
        also_accept: Some(&pin),
        ..fixture.request()
    };

    let (result, _) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(fixture.names().is_empty(), "{:?}", fixture.names());
}

#[test]
fn download_of_missing_file_fails_clearly() {
    let fixture = Fixture::new(Route::File);
    let url = fixture.server.url("/ggml-missing.bin");
    let request = DownloadRequest {
        url: &url,
        ..fixture.request()
    };

    let (result, reports) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let err = result.unwrap_err();
    assert!(
        matches!(err, ModelError::DownloadStatus { status: 404, .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("WHISPERRR_MODEL_HOST_URL"), "{message}");
    assert!(reports.is_empty());
    // A 404 is not retried, and leaves no empty .part behind.
    assert_eq!(fixture.server.requests().len(), 1);
    assert!(fixture.names().is_empty(), "{:?}", fixture.names());
}

#[test]
fn download_retries_server_errors() {
    let fixture = Fixture::new(|_| Route::Status(503));

    let (result, _) = fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());

    let err = result.unwrap_err();
    assert!(
        matches!(err, ModelError::DownloadStatus { status: 503, .. }),
        "{err}"
    );
    assert_eq!(fixture.server.requests().len(), 3);
    assert!(fixture.names().is_empty());
}

#[test]
fn download_from_stalled_server_times_out() {
    let sent = 100_000;
    let fixture = Fixture::new(|bytes| Route::Stall { bytes, sent });
    let policy = DownloadPolicy {
        attempts: 2,
        stall_timeout: Duration::from_millis(300),
        ..fast_policy()
    };

    let (result, _) = fixture.download(policy, &fixture.request(), &CancelToken::new());

    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::DownloadStalled { .. }), "{err}");
    assert!(err.to_string().contains("stalled"), "{err}");
    // Both attempts were made, the second resuming after what the first received.
    let ranges = fixture.ranges();
    assert_eq!(ranges.len(), 2);
    assert_eq!(ranges[1], Some(format!("bytes={sent}-")));
    assert_eq!(fixture.names(), ["ggml-test.bin.part"]);
}

#[test]
fn download_without_ggml_magic_is_discarded() {
    let page = b"<!DOCTYPE html><html><body>Rate limited</body></html>".to_vec();
    let fixture = Fixture::new(|_| Route::file(page.clone()));
    let sha1 = sha1_hex(&page);
    let request = DownloadRequest {
        sha1: &sha1,
        size: None,
        ..fixture.request()
    };

    let (result, _) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::DownloadNotGgml { .. }), "{err}");
    assert!(err.to_string().contains("ggml magic"), "{err}");
    assert!(fixture.names().is_empty(), "{:?}", fixture.names());
}

#[test]
fn download_cancelled_keeps_part_for_resume() {
    let fixture = Fixture::new(Route::File);
    let kept = 1 << 20;
    std::fs::write(fixture.part(), &fixture.bytes[..kept]).unwrap();
    let cancel = CancelToken::new();

    // The first report comes once the server has answered the resume request.
    let mut reports = Vec::new();
    let result = Downloader::new(fast_policy()).download(
        &fixture.request(),
        &mut |progress| {
            reports.push(progress);
            cancel.cancel();
        },
        &cancel,
    );

    let err = result.unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(reports[0].done_bytes, kept as u64);
    assert_eq!(fixture.names(), ["ggml-test.bin.part"]);
    assert_eq!(
        std::fs::read(fixture.part()).unwrap(),
        &fixture.bytes[..kept]
    );

    let (resumed, _) = fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());
    assert_eq!(resumed.unwrap(), fixture.dest());
    assert_eq!(std::fs::read(fixture.dest()).unwrap(), fixture.bytes);
    let range = Some(format!("bytes={kept}-"));
    assert_eq!(fixture.ranges(), [range.clone(), range]);
}

#[test]
fn download_cancel_during_stall_is_prompt() {
    let sent = 100_000;
    let fixture = Fixture::new(|bytes| Route::Stall { bytes, sent });
    // A stall timeout far longer than the test: only the cancel can end the download.
    let policy = DownloadPolicy {
        attempts: 1,
        stall_timeout: Duration::from_secs(600),
        ..fast_policy()
    };
    let cancel = CancelToken::new();
    let part = fixture.part();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            while std::fs::metadata(&part).map_or(0, |m| m.len()) < sent as u64 {
                std::thread::sleep(Duration::from_millis(10));
            }
            cancel.cancel();
        })
    };

    let (result, _) = fixture.download(policy, &fixture.request(), &cancel);
    canceller.join().unwrap();

    let err = result.unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(
        std::fs::metadata(fixture.part()).unwrap().len(),
        sent as u64
    );
}

#[test]
fn download_restarts_when_server_ignores_range() {
    let fixture = Fixture::new(Route::FileWithoutRanges);
    std::fs::write(fixture.part(), b"stale bytes of an older download").unwrap();

    let (result, _) = fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());

    assert_eq!(result.unwrap(), fixture.dest());
    assert_eq!(std::fs::read(fixture.dest()).unwrap(), fixture.bytes);
    assert_eq!(fixture.names(), ["ggml-test.bin"]);
}

#[test]
fn download_of_complete_part_needs_no_body() {
    let fixture = Fixture::new(Route::File);
    std::fs::write(fixture.part(), &fixture.bytes).unwrap();

    let (result, _) = fixture.download(fast_policy(), &fixture.request(), &CancelToken::new());

    assert_eq!(result.unwrap(), fixture.dest());
    let expected_range = format!("bytes={}-", fixture.bytes.len());
    assert_eq!(fixture.ranges(), [Some(expected_range)]);
    assert_eq!(fixture.names(), ["ggml-test.bin"]);
}

#[test]
fn download_rejects_wrong_announced_size() {
    let fixture = Fixture::new(Route::File);
    let request = DownloadRequest {
        size: Some(fixture.bytes.len() as u64 + 1),
        ..fixture.request()
    };

    let (result, _) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::SizeMismatch { .. }), "{err}");
    assert!(fixture.names().is_empty(), "{:?}", fixture.names());
}

#[test]
fn download_from_closed_port_fails_without_retry() {
    let fixture = Fixture::new(Route::File);
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}/ggml-test.bin");
    let request = DownloadRequest {
        url: &url,
        ..fixture.request()
    };

    let (result, _) = fixture.download(fast_policy(), &request, &CancelToken::new());

    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::Download { .. }), "{err}");
    assert!(!is_transient(&err), "{err}");
    assert!(fixture.names().is_empty());
}

#[test]
fn part_path_appends_suffix() {
    assert_eq!(
        part_path(Path::new("/models/ggml-base.bin")),
        Path::new("/models/ggml-base.bin.part")
    );
}
