//! HTTP GET with timeouts and retries.

use std::io::Read;
use std::thread;
use std::time::Duration;

use ureq::tls::{RootCerts, TlsConfig};

use crate::error::FixtureError;

/// Attempts for one request before giving up.
const ATTEMPTS: u32 = 3;

/// Creates the HTTP client for all downloads.
pub(crate) fn agent() -> ureq::Agent {
    // The operating system's certificate store, unlike the bundled WebPKI roots, also
    // contains the CAs of corporate TLS proxies.
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::PlatformVerifier)
        .build();

    ureq::Agent::config_builder()
        .tls_config(tls)
        .user_agent(concat!("whisperrr-testkit/", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A failure while consuming a response body.
pub(crate) enum BodyError {
    /// Receiving the body failed; the request may be retried.
    Transfer(ureq::Error),
    /// Handling the received bytes failed, for example writing them to disk.
    Local(FixtureError),
}

impl From<std::io::Error> for BodyError {
    /// Treats an I/O error as a failure to receive the body.
    fn from(error: std::io::Error) -> Self {
        BodyError::Transfer(ureq::Error::Io(error))
    }
}

/// Sends a GET request to `url` and passes the body to `consume`, retrying transport
/// failures, timeouts and server errors (HTTP 5xx and 429).
///
/// `consume` runs again from the start on each retry, so it must discard what an earlier
/// attempt read.
pub(crate) fn get<T>(
    agent: &ureq::Agent,
    url: &str,
    accept: &str,
    mut consume: impl FnMut(&mut dyn Read) -> Result<T, BodyError>,
) -> Result<T, FixtureError> {
    let mut attempt = 1;
    loop {
        let result = match agent.get(url).header("Accept", accept).call() {
            Ok(mut response) => consume(&mut response.body_mut().as_reader()),
            Err(error) => Err(BodyError::Transfer(error)),
        };

        let error = match result {
            Ok(value) => return Ok(value),
            Err(BodyError::Local(error)) => return Err(error),
            Err(BodyError::Transfer(error)) => error,
        };

        if attempt >= ATTEMPTS || !is_transient(&error) {
            return Err(FixtureError::Download {
                url: url.to_string(),
                attempts: attempt,
                source: error,
            });
        }

        let delay = Duration::from_secs(2 * u64::from(attempt));
        eprintln!(
            "whisperrr-testkit: GET {url} failed ({error}); retrying in {} s",
            delay.as_secs()
        );
        thread::sleep(delay);
        attempt += 1;
    }
}

fn is_transient(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::StatusCode(status) => *status == 429 || *status >= 500,
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_are_transient() {
        assert!(is_transient(&ureq::Error::StatusCode(503)));
        assert!(is_transient(&ureq::Error::StatusCode(429)));
    }

    #[test]
    fn client_errors_are_final() {
        assert!(!is_transient(&ureq::Error::StatusCode(404)));
        assert!(!is_transient(&ureq::Error::StatusCode(403)));
    }
}
