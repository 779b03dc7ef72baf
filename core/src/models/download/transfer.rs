//! One HTTP request run on its own thread, so that the download loop can react to a cancel
//! or a stall while the request blocks in a read.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

const CHUNK_BYTES: usize = 256 * 1024;

/// Chunks buffered between the thread and the download loop: 2 MiB at most.
const CHANNEL_CHUNKS: usize = 8;

/// How often the download loop checks the cancel token while it waits.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The parts of the response head the download reads.
#[derive(Debug)]
pub(super) struct Head {
    pub status: u16,
    pub content_range: Option<String>,
    pub content_length: Option<u64>,
}

/// Message of the request thread. It sends a head, then data until the end or a failure.
#[derive(Debug)]
pub(super) enum Message {
    Head(Head),
    Data(Vec<u8>),
    End,
    Failed(ureq::Error),
}

/// Reason a wait for the next message ended without one.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum WaitError {
    Cancelled,
    /// Nothing arrived for the stall timeout.
    Stalled,
}

/// A request in flight. Dropping it abandons the request: the thread stops at its next
/// send, or when ureq's own read timeout expires.
pub(super) struct Transfer {
    messages: Receiver<Message>,
}

impl Transfer {
    /// Starts `GET url`, with `Range: bytes=FROM-` when `range_from` is above zero.
    pub(super) fn start(agent: &ureq::Agent, url: &str, range_from: u64) -> Self {
        let (sender, messages) = mpsc::sync_channel(CHANNEL_CHUNKS);
        let agent = agent.clone();
        let url = url.to_string();
        std::thread::spawn(move || run(&agent, &url, range_from, &sender));
        Self { messages }
    }

    /// Waits for the next message, checking `is_cancelled` every 50 ms, and gives up when
    /// nothing arrives for `stall_timeout`.
    pub(super) fn next(
        &self,
        is_cancelled: &dyn Fn() -> bool,
        stall_timeout: Duration,
    ) -> Result<Message, WaitError> {
        let started = Instant::now();
        loop {
            if is_cancelled() {
                return Err(WaitError::Cancelled);
            }
            match self.messages.recv_timeout(POLL_INTERVAL) {
                Ok(message) => return Ok(message),
                Err(RecvTimeoutError::Timeout) if started.elapsed() >= stall_timeout => {
                    return Err(WaitError::Stalled);
                }
                Err(RecvTimeoutError::Timeout) => {}
                // The thread always sends End or Failed before it stops.
                Err(RecvTimeoutError::Disconnected) => {
                    return Ok(Message::Failed(ureq::Error::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the request thread stopped",
                    ))));
                }
            }
        }
    }
}

fn run(agent: &ureq::Agent, url: &str, range_from: u64, sender: &SyncSender<Message>) {
    let mut request = agent.get(url);
    if range_from > 0 {
        request = request.header("Range", format!("bytes={range_from}-"));
    }
    let response = match request.call() {
        Ok(response) => response,
        Err(error) => {
            let _ = sender.send(Message::Failed(error));
            return;
        }
    };

    let head = Head {
        status: response.status().as_u16(),
        content_range: response
            .headers()
            .get("content-range")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        content_length: response.body().content_length(),
    };
    if sender.send(Message::Head(head)).is_err() {
        return;
    }

    let mut body = response.into_body().into_reader();
    loop {
        let mut buf = vec![0u8; CHUNK_BYTES];
        let message = match body.read(&mut buf) {
            Ok(0) => Message::End,
            Ok(n) => {
                buf.truncate(n);
                Message::Data(buf)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => Message::Failed(ureq::Error::from(error)),
        };
        let last = !matches!(message, Message::Data(_));
        if sender.send(message).is_err() || last {
            return;
        }
    }
}
