//! The bridge from the synchronous CLI to async network code: each network step runs on a
//! short-lived current-thread tokio runtime.
//!
//! The CLI does one thing at a time, so a multi-threaded runtime would only cost start-up time.
//! Clients that pool connections (reqwest) must be created inside the future they serve: a pooled
//! connection belongs to the runtime that opened it and dies with it.

use std::future::Future;

/// Runs a future to completion on a fresh current-thread runtime (I/O and timers enabled).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime can always be built")
        .block_on(future)
}

/// Reads a response body, refusing one larger than `max` bytes before reading past the limit:
/// a declared Content-Length above it is refused unread, and a body without one stops being
/// read at the limit. Err(None) means too large; Err(Some(e)) a transport error.
pub async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, Option<reqwest::Error>> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX))
    {
        return Err(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Some)? {
        if body.len() + chunk.len() > max {
            return Err(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// True for an `http://` URL whose host is this machine (127.0.0.0/8, ::1, localhost): the
/// only place a plain-HTTP endpoint is accepted (tests' loopback servers).
pub fn is_loopback_http(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    parsed.scheme() == "http"
        && (host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_hosts_may_use_plain_http() {
        for ok in [
            "http://127.0.0.1:8080/v1",
            "http://localhost:3000",
            "http://[::1]:9/x",
        ] {
            assert!(super::is_loopback_http(ok), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://127.0.0.1.example.com",
            "https://127.0.0.1",
            "http://10.0.0.1",
            "ftp://localhost",
            "not a url",
        ] {
            assert!(!super::is_loopback_http(bad), "{bad}");
        }
    }
}
