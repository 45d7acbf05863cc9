//! HTTP for the Auth0 endpoints: one reqwest client (no redirects: a token endpoint that
//! redirects is an attack, not a feature), the adapter that lets the `oauth2` crate use it, and
//! the form POST with the OAuth error shape that the hand-written grants (CIBA, Token Vault) share.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The reqwest client for Auth0: rustls, no redirects, bounded time per request.
pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("changeset/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::runtime(format!("building the HTTP client: {e}")))
}

/// The largest IdP response read (token, CIBA, discovery, JWKS answers are a few KiB).
const MAX_BODY: usize = 256 * 1024;

/// Sends an `oauth2` crate request with our reqwest 0.13 client (the crate's own reqwest
/// integration is 0.12, which would mean a second HTTP and TLS stack).
pub async fn oauth2_send(
    client: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> std::result::Result<oauth2::HttpResponse, reqwest::Error> {
    let response = client.execute(reqwest::Request::try_from(request)?).await?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    // An IdP answer is small: a larger one is cut off rather than read whole.
    let body = match crate::net::read_capped(response, MAX_BODY).await {
        Ok(body) => body,
        Err(Some(e)) => return Err(e),
        Err(None) => b"{\"error\":\"response_too_large\"}".to_vec(),
    };
    Ok(builder
        .body(body)
        .expect("a response rebuilt from a valid response"))
}

/// The OAuth error body (RFC 6749 §5.2, RFC 8628 §3.5, CIBA §11), with the `interval` some
/// servers add to `slow_down` and the `Retry-After` header.
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub interval: Option<u64>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
    #[serde(skip)]
    pub status: u16,
}

impl OAuthError {
    /// "access_denied (the user said no)" — server texts are shown, never tokens (they carry none).
    pub fn describe(&self) -> String {
        match &self.error_description {
            Some(d) if !d.is_empty() => format!("{} ({d})", self.error),
            _ => self.error.clone(),
        }
    }
}

/// What a token-endpoint style POST produced.
#[derive(Debug)]
pub enum Outcome<T> {
    Ok(T),
    /// The server answered with an OAuth error.
    Refused(OAuthError),
    /// No usable answer: connection failure, timeout, or a body that is not the OAuth shape.
    Failed(String),
}

/// POSTs a form (optionally with HTTP Basic client authentication) and sorts the answer into
/// success, OAuth error or failure.
pub async fn post_form<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    basic_auth: Option<(&str, &str)>,
) -> Outcome<T> {
    let mut request = client.post(url).form(form);
    if let Some((user, password)) = basic_auth {
        request = request.basic_auth(user, Some(password));
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(transport_message(&e)),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = match crate::net::read_capped(response, MAX_BODY).await {
        Ok(b) => b,
        Err(Some(e)) => return Outcome::Failed(transport_message(&e)),
        Err(None) => {
            return Outcome::Failed(format!(
                "{url} answered with more than {MAX_BODY} bytes; nothing of it was used"
            ));
        }
    };
    if status.is_success() {
        // An empty body (revocation answers 200 with none) reads as JSON null.
        let body: &[u8] = if body.is_empty() { b"null" } else { &body };
        return match serde_json::from_slice::<T>(body) {
            Ok(v) => Outcome::Ok(v),
            Err(e) => Outcome::Failed(format!("unexpected response from {url}: {e}")),
        };
    }
    match serde_json::from_slice::<OAuthError>(&body) {
        Ok(mut err) => {
            err.retry_after = retry_after;
            err.status = status.as_u16();
            Outcome::Refused(err)
        }
        Err(_) => Outcome::Failed(format!("{url} answered HTTP {status}")),
    }
}

/// A transport error without the URL's query (never holds secrets: we send them in bodies).
pub fn transport_message(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match e.url() {
        Some(url) => format!(
            "{what}: {}{}",
            url.origin().ascii_serialization(),
            url.path()
        ),
        None => what.to_string(),
    }
}
