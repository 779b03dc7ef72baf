//! A package index on the loopback interface that serves the pinned model wheels from the
//! test kit's download cache, so the window can fetch models without leaving the machine.
//! It speaks just enough HTTP/1.1 and PEP 691 JSON for the app's model store.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use serde_json::json;
use whisperrr_core::models::catalog::{self, PinnedWheel};

/// Bytes sent per pause when the server runs slowly.
const SLOW_CHUNK_BYTES: usize = 64 * 1024;
const SLOW_PAUSE: Duration = Duration::from_millis(100);

/// The running server; it stops accepting when dropped.
pub struct IndexServer {
    pub url: String,
    stopped: Arc<AtomicBool>,
}

impl IndexServer {
    /// Serves every wheel of the catalog that is in the test kit's cache. With `slow`,
    /// downloads trickle at about 640 kB/s, so a test can watch and cancel them.
    pub fn start(slow: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/simple", listener.local_addr().unwrap());
        let stopped = Arc::new(AtomicBool::new(false));

        let stop = stopped.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                thread::spawn(move || {
                    let _ = serve(stream, slow);
                });
            }
        });
        Self { url, stopped }
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // A connection wakes the accept loop, which then reads the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://").trim_end_matches("/simple"));
    }
}

/// A model host URL on a loopback port nothing listens on, so the app's model store falls
/// back to the package index at once instead of trying the real host.
pub fn closed_host_url() -> String {
    let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    format!("http://{address}/models")
}

fn wheels() -> impl Iterator<Item = &'static PinnedWheel> {
    catalog::all().iter().flat_map(|model| model.pypi.iter().flat_map(|source| source.wheels.iter()))
}

/// Returns the cached copy of `wheel`, which fetching the test models downloaded.
pub fn cached_wheel(wheel: &PinnedWheel) -> PathBuf {
    let path = whisperrr_testkit::cache_dir().unwrap().join("wheels").join(wheel.filename);
    assert!(
        path.is_file(),
        "{} is missing from the test cache; run target/debug/fetch-fixtures first",
        path.display()
    );
    path
}

fn serve(stream: TcpStream, slow: bool) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Headers are read and ignored; the app sends no body.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut stream = stream;

    if let Some(project) = path.strip_prefix("/simple/").map(|rest| rest.trim_end_matches('/')) {
        let files: Vec<_> = wheels()
            .filter(|wheel| normalize(wheel.project) == project)
            .map(|wheel| json!({ "filename": wheel.filename, "url": format!("/files/{}", wheel.filename), "hashes": { "sha256": wheel.sha256 } }))
            .collect();
        let body = json!({ "meta": { "api-version": "1.0" }, "name": project, "files": files }).to_string();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return Ok(());
    }

    let Some(wheel) = path.strip_prefix("/files/").and_then(|name| wheels().find(|wheel| wheel.filename == name)) else {
        return write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    let mut file = std::fs::File::open(cached_wheel(wheel))?;
    write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", wheel.size)?;
    let mut buffer = vec![0u8; SLOW_CHUNK_BYTES];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        stream.write_all(&buffer[..read])?;
        if slow {
            thread::sleep(SLOW_PAUSE);
        }
    }
}

/// PEP 503 name normalization: lowercase, runs of `-`, `_` and `.` become one `-`.
fn normalize(name: &str) -> String {
    let mut normalized = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    normalized
}
