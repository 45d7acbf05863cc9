//! Google APIs with hand-written reqwest calls: the Sheets values API and
//! Gmail send, their endpoints, the retry policy and the per-agent access tokens.

pub mod a1;
pub mod http;
pub mod token;

use crate::env;
use crate::error::{Error, Result};

const SHEETS_DEFAULT: &str = "https://sheets.googleapis.com";
const GMAIL_DEFAULT: &str = "https://gmail.googleapis.com";

/// The Sheets API base URL (`CHANGESET_SHEETS_API_URL`, default Google's).
pub fn sheets_base() -> Result<String> {
    base_url(env::SHEETS_API_URL, SHEETS_DEFAULT)
}

/// The Gmail API base URL (`CHANGESET_GMAIL_API_URL`, default Google's).
pub fn gmail_base() -> Result<String> {
    base_url(env::GMAIL_API_URL, GMAIL_DEFAULT)
}

/// A base URL without its trailing slash.
fn base_url(var: &str, default: &str) -> Result<String> {
    match env::var(var) {
        Some(text) => check_base(var, &text, default),
        None => Ok(default.to_string()),
    }
}

/// Bearer tokens must never cross the network in clear text, so plain `http` is accepted only
/// for loopback test servers.
fn check_base(var: &str, text: &str, default: &str) -> Result<String> {
    let url = reqwest::Url::parse(text).map_err(|e| {
        Error::input(format!("{var}: `{text}` is not a URL: {e}"))
            .hint(format!("use an https URL such as {default}"))
    })?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(text.trim_end_matches('/').to_string()),
        "http" if loopback => Ok(text.trim_end_matches('/').to_string()),
        _ => Err(Error::input(format!(
            "{var}: `{text}` must be an https URL (plain http only for a loopback test server)"
        ))
        .hint(format!("use {default}, or unset {var}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let d = SHEETS_DEFAULT;
        assert_eq!(
            check_base("V", "http://127.0.0.1:8080/", d).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(check_base("V", d, d).unwrap(), d);
        assert!(check_base("V", "http://sheets.example.com", d).is_err());
        assert!(check_base("V", "ftp://127.0.0.1", d).is_err());
        assert!(check_base("V", "not a url", d).is_err());
    }
}
