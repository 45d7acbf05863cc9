//! `changeset login`: the OAuth 2.0 device authorization grant (RFC 8628) with the `oauth2`
//! crate. The user code and verification URL go to the caller's [`Prompt`] (a browser opens
//! when asked and possible; `--qr` adds a QR code of the complete URL), then the token endpoint
//! is polled at
//! the server's `interval`, five seconds slower after each `slow_down`, until approval, denial,
//! expiry or Ctrl-C.

use std::time::Duration;

use oauth2::basic::BasicErrorResponse;
use oauth2::{
    DeviceCodeErrorResponse, DeviceCodeErrorResponseType, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse,
};

use super::store::Credential;
use super::{Tenant, http, public, session};
use crate::error::{Error, Result};

pub struct Options {
    /// Try to open the verification URL in a browser.
    pub open_browser: bool,
    /// Show a QR code of the verification URL.
    pub qr: bool,
    /// The API's permissions to ask for besides the login scopes (the gate's, in gate mode);
    /// the IdP grants those the user holds.
    pub api_scopes: Vec<String>,
}

/// What the person logging in must do: open a URL and enter a code.
pub struct UserCode {
    pub uri: String,
    pub code: String,
    /// The URL with the code filled in, when the IdP gives one.
    pub complete: Option<String>,
    /// A QR code of the URL drawn in text, when asked for.
    pub qr: Option<String>,
}

/// How the code reaches the person (implemented by the edge: a terminal prints it).
pub trait Prompt {
    fn show(&self, code: &UserCode);
    /// Opening a browser was asked for and was not possible.
    fn no_browser(&self);
}

/// Runs the device flow to the end and returns the new login.
pub async fn login(tenant: &Tenant, options: &Options, prompt: &dyn Prompt) -> Result<Credential> {
    let client = public::client(tenant)?;
    let http_client = http::client()?;
    let send = |request| http::oauth2_send(&http_client, request);

    let mut request = client
        .exchange_device_code()
        .add_scopes(public::LOGIN_SCOPES.map(|s| Scope::new(s.to_string())))
        .add_scopes(options.api_scopes.iter().cloned().map(Scope::new));
    if let Some(audience) = &tenant.audience {
        request = request.add_extra_param("audience", audience.clone());
    }
    let details: StandardDeviceAuthorizationResponse =
        request.request_async(&send).await.map_err(start_refused)?;
    let code = show_code(&details, options, prompt)?;

    let spinner = crate::report::step(&format!(
        "Waiting for the code {code} to be confirmed in the browser"
    ));
    let sleep = |interval: Duration| {
        spinner.update(&format!(
            "Waiting for the code {code} to be confirmed (checking every {} s)",
            interval.as_secs()
        ));
        tokio::time::sleep(interval)
    };
    let poll = client
        .exchange_device_access_token(&details)
        .request_async(&send, sleep, None);
    let result = tokio::select! {
        r = poll => r,
        _ = tokio::signal::ctrl_c() => {
            return Err(Error::interrupted().context("login"));
        }
    };
    drop(spinner);
    let response = result.map_err(poll_refused)?;
    let credential = session::credential_from(tenant, response, None)?;
    if credential.user.is_none() {
        return Err(
            Error::runtime("the IdP returned no ID token, so it is unknown who logged in")
                .hint("the application must allow the `openid` scope"),
        );
    }
    Ok(credential)
}

/// Shows the user code and the URL (opening a browser when asked); returns the code.
fn show_code(
    details: &StandardDeviceAuthorizationResponse,
    options: &Options,
    prompt: &dyn Prompt,
) -> Result<String> {
    let code = details.user_code().secret().clone();
    let uri = details.verification_uri().to_string();
    let complete = details
        .verification_uri_complete()
        .map(|c| c.secret().clone());
    let target = complete.clone().unwrap_or_else(|| uri.clone());
    let qr = options.qr.then(|| qr(&target)).transpose()?;
    prompt.show(&UserCode {
        uri,
        code: code.clone(),
        complete,
        qr,
    });
    if options.open_browser && !open_browser(&target) {
        prompt.no_browser();
    }
    Ok(code)
}

/// Why the device login could not start.
fn start_refused(e: RequestTokenError<reqwest::Error, BasicErrorResponse>) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => Error::input(format!(
            "the IdP refused to start a device login: {}{}",
            r.error(),
            r.error_description()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ))
        .hint(
            "check CHANGESET_CLIENT_ID: it must be a Native application with the Device Code grant",
        ),
        RequestTokenError::Request(e) => Error::runtime(format!(
            "could not reach the IdP to start the login: {}",
            http::transport_message(&e)
        ))
        .hint("check the network and CHANGESET_AUTH0_DOMAIN"),
        other => Error::runtime(format!("starting the device login failed: {other}"))
            .hint("check CHANGESET_AUTH0_DOMAIN, then run `changeset login` again"),
    }
}

/// Why waiting for the confirmation ended without a login.
fn poll_refused(e: RequestTokenError<reqwest::Error, DeviceCodeErrorResponse>) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            DeviceCodeErrorResponseType::AccessDenied => {
                Error::denied("the login was denied in the browser")
                    .hint("run `changeset login` again and confirm the code")
            }
            DeviceCodeErrorResponseType::ExpiredToken => {
                Error::denied("the login code expired before it was confirmed")
                    .hint("run `changeset login` again and confirm the code in time")
            }
            other => Error::runtime(format!(
                "the IdP refused the login: {}{}",
                other.as_ref(),
                r.error_description()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ))
            .hint("run `changeset login` again"),
        },
        RequestTokenError::Request(e) => Error::runtime(format!(
            "lost the connection to the IdP while waiting: {}",
            http::transport_message(&e)
        ))
        .hint("check the network, then run `changeset login` again"),
        other => {
            Error::runtime(format!("the login failed: {other}")).hint("run `changeset login` again")
        }
    }
}

/// The URL as a QR code drawn with Unicode half blocks (two modules per character cell).
fn qr(url: &str) -> Result<String> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| Error::runtime(format!("making a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Opens the URL with the platform's opener; false when that was not possible.
fn open_browser(url: &str) -> bool {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        if crate::env::var("DISPLAY").is_none() && crate::env::var("WAYLAND_DISPLAY").is_none() {
            return false;
        }
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn qr_codes_render_as_text() {
        let text = super::qr("https://t.example/activate?user_code=ABCD-EFGH").unwrap();
        assert!(text.lines().count() > 10);
        assert!(text.contains('█') || text.contains('▀') || text.contains('▄'));
    }
}
