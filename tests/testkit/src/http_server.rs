//! A small HTTP/1.1 server on 127.0.0.1 for download tests: files with byte ranges,
//! dropped connections, stalls and error statuses. It handles each connection on its own
//! thread and closes it after one response.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Response of the server to the requests for one path.
#[derive(Clone, Debug)]
pub enum Route {
    /// The bytes, with 206 for `Range: bytes=N-`, or 416 past the end.
    File(Arc<Vec<u8>>),
    /// The bytes, always whole with status 200, as a server without range support.
    FileWithoutRanges(Arc<Vec<u8>>),
    /// Like `File`, but the first `times` responses close the connection after the body
    /// reached byte `cut_at` of the file.
    DropAfter {
        bytes: Arc<Vec<u8>>,
        cut_at: usize,
        times: usize,
    },
    /// Sends the headers of the whole file and its first `sent` bytes, then nothing until
    /// the server is dropped.
    Stall { bytes: Arc<Vec<u8>>, sent: usize },
    /// Like `File`, but the body goes out `chunk` bytes at a time with `pause` between
    /// chunks, so a client can watch the download and cancel it midway.
    Throttled {
        bytes: Arc<Vec<u8>>,
        chunk: usize,
        pause: Duration,
    },
    /// The status with a short text body.
    Status(u16),
    /// A 200 response with this content type and body.
    Content {
        content_type: &'static str,
        body: Arc<Vec<u8>>,
    },
}

impl Route {
    /// A [`Route::File`] of `bytes`.
    pub fn file(bytes: Vec<u8>) -> Self {
        Route::File(Arc::new(bytes))
    }
}

/// A request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    pub path: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
}

struct Shared {
    routes: HashMap<String, Route>,
    /// Responses sent per path, for [`Route::DropAfter`].
    served: Mutex<HashMap<String, usize>>,
    seen: Mutex<Vec<SeenRequest>>,
    stop: AtomicBool,
    open_connections: AtomicUsize,
}

/// Serves `routes` by path on 127.0.0.1 until dropped. Unknown paths get 404.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start(routes: impl IntoIterator<Item = (String, Route)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("cannot listen on 127.0.0.1");
        let addr = listener.local_addr().expect("a listening address");
        let shared = Arc::new(Shared {
            routes: routes.into_iter().collect(),
            served: Mutex::new(HashMap::new()),
            seen: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            open_connections: AtomicUsize::new(0),
        });

        let thread = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = shared.clone();
                    shared.open_connections.fetch_add(1, Ordering::SeqCst);
                    std::thread::spawn(move || {
                        serve(stream, &shared);
                        shared.open_connections.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            })
        };

        Self {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// Returns `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Returns the requests received so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.seen.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // One connection unblocks `accept`, so that the loop reads the stop flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Stalled responses notice the flag within their polling interval.
        for _ in 0..100 {
            if self.shared.open_connections.load(Ordering::SeqCst) == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || shared.stop.load(Ordering::SeqCst) {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();

    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
        }
    }
    shared.seen.lock().unwrap().push(SeenRequest {
        path: path.clone(),
        range: range.clone(),
    });

    let served_before = {
        let mut served = shared.served.lock().unwrap();
        let count = served.entry(path.clone()).or_insert(0);
        *count += 1;
        *count - 1
    };

    let mut stream = reader.into_inner();
    let route = shared
        .routes
        .get(&path)
        .cloned()
        .unwrap_or(Route::Status(404));
    match route {
        Route::File(bytes) => send_file(&mut stream, &bytes, range.as_deref(), None),
        Route::FileWithoutRanges(bytes) => send_file(&mut stream, &bytes, None, None),
        Route::DropAfter {
            bytes,
            cut_at,
            times,
        } => {
            let cut = (served_before < times).then_some(cut_at);
            send_file(&mut stream, &bytes, range.as_deref(), cut);
        }
        Route::Stall { bytes, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&bytes[..sent.min(bytes.len())]);
            let _ = stream.flush();
            while !shared.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Route::Throttled {
            bytes,
            chunk,
            pause,
        } => send_throttled(&mut stream, &bytes, range.as_deref(), chunk, pause, shared),
        Route::Status(status) => send(
            &mut stream,
            status,
            "text/plain",
            &[],
            b"canned error status\n",
        ),
        Route::Content { content_type, body } => send(&mut stream, 200, content_type, &[], &body),
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// The status, first byte and extra headers of the answer to a request with `range`, or
/// `None` after a 416 was sent for a range past the end.
fn range_response(
    stream: &mut TcpStream,
    bytes: &[u8],
    range: Option<&str>,
) -> Option<(u16, usize, Vec<String>)> {
    let start = range
        .and_then(|range| range.strip_prefix("bytes="))
        .and_then(|range| range.split('-').next())
        .and_then(|start| start.parse::<usize>().ok());

    match start {
        None => Some((200, 0, Vec::new())),
        Some(start) if start >= bytes.len() => {
            let header = format!("Content-Range: bytes */{}", bytes.len());
            send(stream, 416, "text/plain", &[header], b"");
            None
        }
        Some(start) => {
            let header = format!(
                "Content-Range: bytes {start}-{}/{}",
                bytes.len() - 1,
                bytes.len()
            );
            Some((206, start, vec![header]))
        }
    }
}

/// Sends `bytes`, or the part a `bytes=N-` range requests, stopping at byte `cut_at` of the
/// file when it is set.
fn send_file(stream: &mut TcpStream, bytes: &[u8], range: Option<&str>, cut_at: Option<usize>) {
    let Some((status, first, extra)) = range_response(stream, bytes, range) else {
        return;
    };

    let body = &bytes[first..];
    let end = cut_at.map_or(bytes.len(), |cut| cut.max(first).min(bytes.len()));
    let head = response_head(status, "application/octet-stream", &extra, body.len());
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&bytes[first..end]);
    let _ = stream.flush();
}

/// Sends `bytes` as [`send_file`] does, in chunks with a pause after each. Stops early when
/// the client goes away or the server is dropped.
fn send_throttled(
    stream: &mut TcpStream,
    bytes: &[u8],
    range: Option<&str>,
    chunk: usize,
    pause: Duration,
    shared: &Shared,
) {
    let Some((status, first, extra)) = range_response(stream, bytes, range) else {
        return;
    };

    let head = response_head(status, "application/octet-stream", &extra, bytes.len() - first);
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    for piece in bytes[first..].chunks(chunk.max(1)) {
        if shared.stop.load(Ordering::SeqCst) || stream.write_all(piece).is_err() {
            return;
        }
        std::thread::sleep(pause);
    }
    let _ = stream.flush();
}

fn send(stream: &mut TcpStream, status: u16, content_type: &str, extra: &[String], body: &[u8]) {
    let head = response_head(status, content_type, extra, body.len());
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

fn response_head(status: u16, content_type: &str, extra: &[String], len: usize) -> String {
    let mut head = format!(
        "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n"
    );
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn get(server: &TestServer, path: &str, range: Option<&str>) -> String {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        let range = range.map(|r| format!("Range: {r}\r\n")).unwrap_or_default();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n{range}\r\n").unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    }

    #[test]
    fn server_serves_ranges_and_statuses() {
        let server = TestServer::start([
            ("/f".to_string(), Route::file(b"0123456789".to_vec())),
            ("/gone".to_string(), Route::Status(410)),
        ]);

        let whole = get(&server, "/f", None);
        assert!(whole.starts_with("HTTP/1.1 200"), "{whole}");
        assert!(whole.ends_with("\r\n\r\n0123456789"), "{whole}");

        let part = get(&server, "/f", Some("bytes=7-"));
        assert!(part.starts_with("HTTP/1.1 206"), "{part}");
        assert!(part.contains("Content-Range: bytes 7-9/10"), "{part}");
        assert!(part.ends_with("789"), "{part}");

        let past = get(&server, "/f", Some("bytes=10-"));
        assert!(past.starts_with("HTTP/1.1 416"), "{past}");
        assert!(past.contains("Content-Range: bytes */10"), "{past}");

        assert!(get(&server, "/gone", None).starts_with("HTTP/1.1 410"));
        assert!(get(&server, "/other", None).starts_with("HTTP/1.1 404"));
        assert_eq!(server.requests().len(), 5);
        assert_eq!(server.requests()[1].range.as_deref(), Some("bytes=7-"));
    }

    #[test]
    fn server_drops_then_serves() {
        let bytes = Arc::new(b"abcdefghij".to_vec());
        let server = TestServer::start([(
            "/f".to_string(),
            Route::DropAfter {
                bytes,
                cut_at: 4,
                times: 1,
            },
        )]);

        let first = get(&server, "/f", None);
        assert!(first.contains("Content-Length: 10"), "{first}");
        assert!(first.ends_with("\r\n\r\nabcd"), "{first}");
        let second = get(&server, "/f", Some("bytes=4-"));
        assert!(second.ends_with("efghij"), "{second}");
    }
}
