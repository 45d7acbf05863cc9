//! One Google API call under Google's documented retry policy.
//!
//! 408, 429, 5xx and connection errors are retried with exponential backoff and jitter
//! (`min(2^n + U(0,1) s, 32 s)`), honouring `Retry-After`, under an overall deadline. A 401
//! renews the token once. A write is never resent here once it may have reached Google (a lost
//! answer, a 5xx): the call reports [`Failure::Unknown`] and the caller reads back to decide.
//! Only answers that prove Google did nothing (429, 408, no connection) are retried for writes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::env;
use crate::error::{Error, Result};

/// Largest response accepted: a whole 10-million-cell spreadsheet as JSON fits.
const MAX_BODY: usize = 512 * 1024 * 1024;
/// Longest computed backoff step.
const MAX_BACKOFF: Duration = Duration::from_secs(32);

/// Everything but RFC 3986's unreserved characters is percent-encoded, so A1 ranges (`'`, `!`,
/// `:`, spaces) survive as one path segment or query value.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment or query value.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Time limits of the Google calls of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub read_timeout: Duration,
    /// Above Google's own 180 s processing cap, so a slow write is not abandoned early.
    pub write_timeout: Duration,
    /// For one logical operation, retries included.
    pub deadline: Duration,
}

impl Limits {
    /// Defaults, overridden by `CHANGESET_HTTP_TIMEOUT` (every request) and
    /// `CHANGESET_HTTP_DEADLINE`, both in seconds.
    pub fn from_env() -> Result<Limits> {
        let timeout = seconds(env::HTTP_TIMEOUT)?;
        Ok(Limits {
            read_timeout: timeout.unwrap_or(Duration::from_secs(30)),
            write_timeout: timeout.unwrap_or(Duration::from_secs(200)),
            deadline: seconds(env::HTTP_DEADLINE)?.unwrap_or(Duration::from_secs(300)),
        })
    }
}

fn seconds(var: &str) -> Result<Option<Duration>> {
    match env::var(var) {
        None => Ok(None),
        Some(text) => match text.trim().parse::<f64>() {
            Ok(s) if s > 0.0 && s < 86_400.0 => Ok(Some(Duration::from_secs_f64(s))),
            _ => Err(Error::input(format!(
                "{var}: `{text}` is not a number of seconds"
            ))),
        },
    }
}

/// Whether a request changes anything, and how its failures may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    /// A change whose outcome can be read back: a 5xx or a lost answer is reported as unknown.
    Write,
    /// A change that cannot be read back (a sent e-mail): a 5xx answer that arrived says it
    /// failed and is retried, a lost answer is reported as unknown and never resent.
    Send,
}

/// One request to a Google API.
pub struct Request {
    pub method: Method,
    /// The full URL, query included (values encoded with [`encode`]).
    pub url: String,
    pub body: Option<Value>,
    pub effect: Effect,
    /// What the request does, for messages: "reading the sheet".
    pub what: String,
    /// Which API, for messages: "Google Sheets".
    pub api: &'static str,
}

/// How a call failed, as far as its effect goes.
#[derive(Debug)]
pub enum Failure {
    /// Google certainly did nothing: it refused, or the request never reached it.
    NoEffect(Error),
    /// A write that may or may not have landed: its answer was lost, garbled, or a 5xx.
    Unknown(Error),
}

impl Failure {
    pub fn into_error(self) -> Error {
        match self {
            Failure::NoEffect(e) | Failure::Unknown(e) => e,
        }
    }
}

/// The bearer token of one agent; renewed once when Google answers 401.
pub trait Bearer {
    /// The token to send; `renew` asks for another after Google refused the last one.
    fn bearer(&mut self, renew: bool) -> Result<SecretString>;
    /// The scope the token is meant to have, for messages.
    fn scope(&self) -> &str;
}

/// The retry clock of one logical operation: attempts and the deadline they share.
pub struct Retry {
    pub limits: Limits,
    started: Instant,
    attempt: u32,
}

impl Retry {
    pub fn new(limits: Limits) -> Retry {
        Retry {
            limits,
            started: Instant::now(),
            attempt: 0,
        }
    }

    pub fn attempts(&self) -> u32 {
        self.attempt + 1
    }

    /// Sleeps before the next attempt: `Retry-After` when the server sent one, else
    /// `min(2^n + U(0,1) s, 32 s)`. False (without sleeping) when that would pass the deadline.
    pub fn wait(&mut self, retry_after: Option<Duration>) -> bool {
        match self.next_wait(retry_after) {
            Some(wait) => {
                self.sleep(wait);
                true
            }
            None => false,
        }
    }

    /// The wait before the next attempt, or None when it would pass the deadline.
    fn next_wait(&self, retry_after: Option<Duration>) -> Option<Duration> {
        let wait = retry_after.unwrap_or_else(|| backoff(self.attempt));
        (self.started.elapsed() + wait <= self.limits.deadline).then_some(wait)
    }

    fn sleep(&mut self, wait: Duration) {
        std::thread::sleep(wait);
        self.attempt += 1;
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

fn backoff(attempt: u32) -> Duration {
    let mut byte = [0u8; 2];
    // Without randomness the jitter is zero: the wait is still bounded and exponential.
    let _ = getrandom::fill(&mut byte);
    let jitter = f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX);
    let base = 2f64.powi(i32::try_from(attempt.min(10)).unwrap_or(10));
    Duration::from_secs_f64(base + jitter).min(MAX_BACKOFF)
}

/// What one attempt produced.
enum Attempt {
    Answer {
        status: u16,
        retry_after: Option<Duration>,
        body: std::result::Result<Vec<u8>, String>,
    },
    /// No connection was made: the request certainly did not arrive.
    NotSent(String),
    /// The request may have arrived, but no complete answer came back.
    Lost(String),
}

/// Attempts sent to Google and retries decided, since the process started: a long-running
/// process (the gate) reports them in its metrics.
static ATTEMPTS: AtomicU64 = AtomicU64::new(0);
static RETRIES: AtomicU64 = AtomicU64::new(0);

/// (attempts sent, retries) since the process started.
pub fn counts() -> (u64, u64) {
    (
        ATTEMPTS.load(Ordering::Relaxed),
        RETRIES.load(Ordering::Relaxed),
    )
}

/// Sends the request, retrying as the policy allows, and returns the JSON answer.
pub fn call(
    req: &Request,
    auth: &mut dyn Bearer,
    retry: &mut Retry,
) -> std::result::Result<Value, Failure> {
    let mut renewed = false;
    let mut token = auth.bearer(false).map_err(Failure::NoEffect)?;
    let timeout = match req.effect {
        Effect::Read => retry.limits.read_timeout,
        Effect::Write | Effect::Send => retry.limits.write_timeout,
    };
    loop {
        ATTEMPTS.fetch_add(1, Ordering::Relaxed);
        let attempt = crate::net::block_on(send_once(req, &token, timeout));
        let (why, retry_after) = match judge(req, attempt, auth, renewed) {
            Next::Done(result) => return result,
            Next::Renew => {
                renewed = true;
                token = auth.bearer(true).map_err(|e| {
                    Failure::NoEffect(e.context(format!(
                        "{} refused the access token while {}",
                        req.api, req.what
                    )))
                })?;
                continue;
            }
            Next::Retry { why, retry_after } => (why, retry_after),
        };
        let Some(wait) = retry.next_wait(retry_after) else {
            return Err(gave_up(req, retry, &why));
        };
        RETRIES.fetch_add(1, Ordering::Relaxed);
        crate::report::note(&format!(
            "{} answered {why} while {}; retrying in {:.1} s",
            req.api,
            req.what,
            wait.as_secs_f64()
        ));
        retry.sleep(wait);
    }
}

/// What to do after one attempt.
enum Next {
    Done(std::result::Result<Value, Failure>),
    /// A 401 on a token not yet renewed: renew it once and send again.
    Renew,
    Retry {
        why: String,
        retry_after: Option<Duration>,
    },
}

/// Decides on one attempt: an answer, a renewal, a retry, or a failure that must not be retried
/// (a write whose answer was lost is never resent blindly: the caller reads back).
fn judge(req: &Request, attempt: Attempt, auth: &mut dyn Bearer, renewed: bool) -> Next {
    let unknown = |why: String| Next::Done(Err(Failure::Unknown(Error::runtime(why))));
    match attempt {
        Attempt::Answer {
            status,
            body: Ok(body),
            ..
        } if (200..300).contains(&status) => {
            Next::Done(parse_answer(req, &body).map_err(|e| match req.effect {
                Effect::Read => Failure::NoEffect(e),
                Effect::Write | Effect::Send => Failure::Unknown(e),
            }))
        }
        Attempt::Answer { status: 401, .. } if !renewed => Next::Renew,
        Attempt::Answer {
            status,
            retry_after,
            body,
        } => {
            let info = GoogleError::parse(body.as_deref().unwrap_or_default());
            let why = format!("{status} {}", info.short());
            match classify(status, &info) {
                Class::Retry => Next::Retry { why, retry_after },
                Class::Ambiguous if req.effect == Effect::Write => unknown(format!(
                    "{} answered {why} while {}; the write may or may not have landed",
                    req.api, req.what
                )),
                Class::Ambiguous => Next::Retry { why, retry_after },
                Class::Fatal => Next::Done(Err(Failure::NoEffect(fatal(req, status, &info, auth)))),
            }
        }
        Attempt::NotSent(why) => Next::Retry {
            why,
            retry_after: None,
        },
        Attempt::Lost(why) if req.effect != Effect::Read => unknown(format!(
            "{} gave no answer while {} ({why}); {}",
            req.api,
            req.what,
            match req.effect {
                Effect::Send => "it may or may not have been sent",
                _ => "the write may or may not have landed",
            }
        )),
        Attempt::Lost(why) => Next::Retry {
            why,
            retry_after: None,
        },
    }
}

/// The error once the retry budget is spent; nothing landed.
fn gave_up(req: &Request, retry: &Retry, why: &str) -> Failure {
    let nothing = match req.effect {
        Effect::Read => "",
        Effect::Write => "; nothing was written",
        Effect::Send => "; nothing was sent",
    };
    Failure::NoEffect(
        Error::runtime(format!(
            "{} kept failing while {} ({} attempts in {} s, last: {why}){nothing}",
            req.api,
            req.what,
            retry.attempts(),
            retry.elapsed().as_secs()
        ))
        .hint("try again later; Google's quotas refill every minute"),
    )
}

async fn send_once(req: &Request, token: &SecretString, timeout: Duration) -> Attempt {
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        // Google's APIs do not redirect; following one could hand the token to another host.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("changeset/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => return Attempt::NotSent(describe(&e)),
    };
    let mut builder = client
        .request(req.method.clone(), &req.url)
        .bearer_auth(token.expose_secret());
    if let Some(body) = &req.body {
        builder = builder.json(body);
    }
    let mut resp = match builder.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() => return Attempt::NotSent(describe(&e)),
        Err(e) => return Attempt::Lost(describe(&e)),
    };
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let mut body = Vec::new();
    let body = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY => {
                break Err(format!("the answer is larger than {} MiB", MAX_BODY >> 20));
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break Ok(body),
            Err(e) => break Err(describe(&e)),
        }
    };
    match body {
        Err(why) if (200..300).contains(&status) => Attempt::Lost(why),
        body => Attempt::Answer {
            status,
            retry_after,
            body,
        },
    }
}

/// The root cause of a transport error ("connection closed before message completed"):
/// reqwest's own wrapping ("error sending request for url (...)") says little.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(text: &str) -> Option<Duration> {
    if let Ok(secs) = text.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(text.trim()).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    Some(Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO))
}

fn parse_answer(req: &Request, body: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(malformed(req, "the answer is not a JSON object")),
        Err(e) => Err(malformed(req, &format!("the answer is not JSON ({e})"))),
    }
}

/// An answer that is not what the API documents: named, never trusted.
pub fn malformed(req: &Request, why: &str) -> Error {
    Error::runtime(format!(
        "{} sent an unexpected answer while {}: {why}",
        req.api, req.what
    ))
    .hint("if a proxy sits between you and Google, check it; otherwise try again")
}

/// The parts of a `google.rpc.Status` error body that matter here.
#[derive(Debug, Default, PartialEq)]
struct GoogleError {
    status: Option<String>,
    message: Option<String>,
    reason: Option<String>,
}

impl GoogleError {
    fn parse(body: &[u8]) -> GoogleError {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return GoogleError::default();
        };
        let e = &v["error"];
        let text = |v: &Value| v.as_str().map(|s| s.chars().take(500).collect::<String>());
        let reason = e["details"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(e["errors"].as_array().into_iter().flatten())
            .find_map(|d| text(&d["reason"]));
        GoogleError {
            status: text(&e["status"]),
            message: text(&e["message"]),
            reason,
        }
    }

    fn short(&self) -> String {
        match (&self.status, &self.message) {
            (Some(s), Some(m)) => format!("{s}: {m}"),
            (Some(s), None) => s.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => String::new(),
        }
    }
}

enum Class {
    /// Google did nothing; try again.
    Retry,
    /// Google may have done something (5xx).
    Ambiguous,
    /// Trying again will not help.
    Fatal,
}

fn classify(status: u16, info: &GoogleError) -> Class {
    match status {
        408 | 429 => Class::Retry,
        // Drive and Gmail signal rate limits as 403 with these reasons.
        403 if matches!(
            info.reason.as_deref(),
            Some("rateLimitExceeded" | "userRateLimitExceeded" | "RATE_LIMIT_EXCEEDED")
        ) =>
        {
            Class::Retry
        }
        500..=599 => Class::Ambiguous,
        _ => Class::Fatal,
    }
}

fn fatal(req: &Request, status: u16, info: &GoogleError, auth: &dyn Bearer) -> Error {
    let detail = info.short();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" {detail}")
    };
    let base = format!("{} refused {} ({status}{detail})", req.api, req.what);
    match status {
        401 => Error::needs_auth(base).hint("the access token was refused twice; log in again or set a fresh token"),
        403 => Error::runtime(base)
            .hint(format!(
                "the token needs the scope {}, and the account behind it needs access",
                auth.scope()
            ))
            .hint("share the spreadsheet with that Google account (for a service account: its client_email), as Editor for writes"),
        404 => Error::input(base).hint("check the spreadsheet id in --source sheets:<spreadsheet-id>[/<tab>]"),
        400 if detail.contains("parse range") || detail.contains("grid limits") => Error::input(base)
            .hint("check the tab name in --source sheets:<spreadsheet-id>/<tab>"),
        _ => Error::runtime(base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a1_ranges_as_one_component() {
        assert_eq!(
            encode("'Jon''s Data'!A1:B2"),
            "%27Jon%27%27s%20Data%27%21A1%3AB2"
        );
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn reads_google_error_bodies() {
        let body = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded","details":[{"@type":"x","reason":"RATE_LIMIT_EXCEEDED"}]}}"#;
        let e = GoogleError::parse(body);
        assert_eq!(e.status.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(e.reason.as_deref(), Some("RATE_LIMIT_EXCEEDED"));
        assert_eq!(GoogleError::parse(b"<html>"), GoogleError::default());
        let old = br#"{"error":{"errors":[{"reason":"userRateLimitExceeded"}]}}"#;
        assert!(matches!(
            classify(403, &GoogleError::parse(old)),
            Class::Retry
        ));
        assert!(matches!(
            classify(403, &GoogleError::default()),
            Class::Fatal
        ));
        assert!(matches!(
            classify(503, &GoogleError::default()),
            Class::Ambiguous
        ));
        assert!(matches!(
            classify(400, &GoogleError::default()),
            Class::Fatal
        ));
    }

    #[test]
    fn retry_after_and_backoff() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        for n in 0..8 {
            let b = backoff(n);
            assert!(b >= Duration::from_secs(1 << n.min(5)).min(MAX_BACKOFF));
            assert!(b <= MAX_BACKOFF);
        }
    }

    #[test]
    fn a_wait_past_the_deadline_is_refused_without_sleeping() {
        let mut retry = Retry::new(Limits {
            read_timeout: Duration::from_secs(1),
            write_timeout: Duration::from_secs(1),
            deadline: Duration::from_millis(10),
        });
        let started = Instant::now();
        assert!(!retry.wait(Some(Duration::from_secs(5))));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
