//! The current login: an access token when asked for, refreshed when it is near expiry.
//!
//! Refreshes are serialised across processes with a file lock in the data directory: with
//! refresh-token rotation, two processes refreshing the same token at once would trip Auth0's
//! reuse detection and revoke the whole login. Under the lock the store is read again, so a
//! process that waited finds the token its neighbour just obtained and does not refresh at all.
//! The rotated refresh token is stored before the new access token is used.

use std::fs::File;
use std::path::Path;

use oauth2::basic::BasicErrorResponseType;
use oauth2::{RefreshToken, RequestTokenError, TokenResponse as _};
use secrecy::{ExposeSecret, SecretString};

use super::store::{self, Credential, CredentialStore, User};
use super::{Login, Tenant, http, idtoken, public, unix_now};
use crate::env;
use crate::error::{Error, IoContext, Result};

/// An access token closer than this to its expiry is refreshed first.
const MARGIN_SECONDS: i64 = 60;

/// The logged-in user (their `sub` is the default CIBA approver).
pub async fn user(login: &Login) -> Result<User> {
    let session = current(login).await?;
    session.credential.user.ok_or_else(|| {
        Error::runtime("the IdP did not say who is logged in (no ID token)")
            .hint("run `changeset login` again")
    })
}

/// A login with a fresh access token, and where it is stored.
pub struct Session {
    pub tenant: Tenant,
    pub store: Box<dyn CredentialStore>,
    pub credential: Credential,
    /// True when this call refreshed (false when a stored access token was still good).
    pub refreshed: bool,
}

/// The login for the configured tenant with an access token valid for at least a minute.
pub async fn current(login: &Login) -> Result<Session> {
    session(login, false).await
}

/// The login, refreshed now whatever its access token's age: `doctor` proves that the refresh
/// token still works (the rotated token is stored, as on any refresh).
pub async fn refreshed(login: &Login) -> Result<Session> {
    session(login, true).await
}

async fn session(login: &Login, force: bool) -> Result<Session> {
    let tenant = Tenant::resolve(&login.auth0)?;
    let store =
        store::current(&login.data_dir, &tenant)?.ok_or_else(|| store::not_logged_in(&tenant))?;
    let mut credential = store.load()?.ok_or_else(|| store::not_logged_in(&tenant))?;
    let mut refreshed = false;
    if force || !fresh(&credential) {
        let _lock = lock(&login.data_dir)?;
        // Another process may have refreshed while we waited for the lock.
        credential = store.load()?.ok_or_else(|| store::not_logged_in(&tenant))?;
        if force || !fresh(&credential) {
            credential = refresh(&tenant, &credential, store.as_ref()).await?;
            // Store first: if the process dies after this line the rotated token is not lost.
            store.save(&credential)?;
            refreshed = true;
            tracing::debug!(
                store = store.kind().name(),
                token = %crate::digest::token_ref(credential.access_token.as_ref().expect("refreshed")),
                "refreshed the access token"
            );
        }
    }
    Ok(Session {
        tenant,
        store,
        credential,
        refreshed,
    })
}

fn fresh(c: &Credential) -> bool {
    c.access_token.is_some()
        && c.access_expires_at
            .is_some_and(|exp| exp - MARGIN_SECONDS > unix_now())
}

/// Holds `auth.lock` in the data directory until dropped (the OS releases it if we die).
pub struct AuthLock(#[allow(dead_code)] File);

pub fn lock(data_dir: &Path) -> Result<AuthLock> {
    crate::private_dir::create(data_dir).io_context("creating the data directory", data_dir)?;
    let path = data_dir.join("auth.lock");
    let file = crate::private_files::open(&path).io_context("opening the login lock", &path)?;
    file.lock().io_context("locking", &path)?;
    Ok(AuthLock(file))
}

/// Exchanges the refresh token. `invalid_grant` means the login is over (revoked, expired, or
/// a rotated token presented twice): exit 4 with "log in again".
async fn refresh(
    tenant: &Tenant,
    old: &Credential,
    store: &dyn CredentialStore,
) -> Result<Credential> {
    let client = public::client(tenant)?;
    let http_client = http::client()?;
    let send = |request| http::oauth2_send(&http_client, request);
    let token = RefreshToken::new(old.refresh_token.expose_secret().to_string());
    let response = client
        .exchange_refresh_token(&token)
        .request_async(&send)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r)
                if *r.error() == BasicErrorResponseType::InvalidGrant =>
            {
                let err = Error::needs_auth(format!(
                    "the login to {} is no longer valid (expired, revoked, or used elsewhere); log in again",
                    tenant.issuer()
                ));
                if store.kind() == store::Kind::Env {
                    err.hint(format!(
                        "{} holds a refresh token the IdP no longer accepts: replace it",
                        env::REFRESH_TOKEN
                    ))
                    .hint(ROTATION_FIX)
                } else {
                    err.hint("run `changeset login`")
                }
            }
            RequestTokenError::ServerResponse(r) => Error::runtime(format!(
                "refreshing the login failed: {}",
                r.error()
            ))
            .hint("run `changeset login` again; check CHANGESET_CLIENT_ID"),
            RequestTokenError::Request(e) => Error::runtime(format!(
                "refreshing the login failed: {}",
                http::transport_message(&e)
            ))
            .hint("check the network and CHANGESET_AUTH0_DOMAIN, then retry"),
            other => Error::runtime(format!("refreshing the login failed: {other}"))
                .hint("run `changeset login` again"),
        })?;
    let new = credential_from(tenant, response, Some(old))?;
    if store.kind() == store::Kind::Env
        && new.refresh_token.expose_secret() != old.refresh_token.expose_secret()
    {
        warn_rotated_env_token();
    }
    Ok(new)
}

/// What to do about a rotating refresh token in CI (README: Auth0 tenant checklist).
const ROTATION_FIX: &str = "if the application rotates refresh tokens, each CI run uses the token up: give CI a refresh token of a Native application with Refresh Token Rotation off, or let a gate hold the credentials";

/// A rotated answer for CHANGESET_REFRESH_TOKEN: the value in the environment is now used up
/// (the new one cannot be written back there), and the next process that presents it trips
/// Auth0's reuse detection, which revokes the whole login. Said once per process, as a warning
/// that shows even without -v.
fn warn_rotated_env_token() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            "the IdP rotated {}: the token in the environment is now used up, and the next run that presents it will trip reuse detection, which revokes the whole login. Fix: {ROTATION_FIX}",
            env::REFRESH_TOKEN
        );
    });
}

/// A stored credential from a token response (login or refresh). Without a new refresh token
/// (rotation off) the old one stays; without an ID token the known user stays.
pub fn credential_from(
    tenant: &Tenant,
    response: public::TokenResponse,
    old: Option<&Credential>,
) -> Result<Credential> {
    let now = unix_now();
    let refresh_token = match (response.refresh_token(), old) {
        (Some(rt), _) => SecretString::from(rt.secret().clone()),
        (None, Some(old)) => old.refresh_token.clone(),
        (None, None) => {
            return Err(Error::runtime("the IdP issued no refresh token")
                .hint("enable the Refresh Token grant on the application and Allow Offline Access on the API"));
        }
    };
    let user = match &response.extra_fields().id_token {
        Some(id_token) => {
            let claims = idtoken::verify(id_token, &tenant.issuer(), &tenant.client_id, now)?;
            // The session starts at the ID token's auth_time, else when this login was made
            // (kept across refreshes): the `session_duration_minutes` fact.
            let auth_time = claims
                .auth_time
                .or_else(|| old.and_then(|o| o.user.as_ref()?.auth_time))
                .or_else(|| old.is_none().then_some(now));
            Some(User {
                sub: claims.sub,
                name: claims.name,
                email: claims.email,
                auth_time,
            })
        }
        None => old.and_then(|o| o.user.clone()),
    };
    let lifetime = response
        .expires_in()
        .map_or(300, |d| i64::try_from(d.as_secs()).unwrap_or(300));
    Ok(Credential {
        refresh_token,
        access_token: Some(SecretString::from(response.access_token().secret().clone())),
        access_expires_at: Some(now + lifetime),
        scope: response
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" "))
            .or_else(|| old.and_then(|o| o.scope.clone())),
        user,
    })
}

/// Revokes a refresh token at `/oauth/revoke` (RFC 7009: an unknown token is not an error).
/// Hand-written rather than the `oauth2` crate's, which insists on https even on loopback.
/// Only the parameters Auth0 documents for a Native app are sent: `client_id` and `token`.
pub async fn revoke(tenant: &Tenant, refresh_token: &SecretString) -> Result<()> {
    let http_client = http::client()?;
    let form = [
        ("client_id", tenant.client_id.as_str()),
        ("token", refresh_token.expose_secret()),
    ];
    match http::post_form::<serde_json::Value>(
        &http_client,
        &tenant.url("/oauth/revoke"),
        &form,
        None,
    )
    .await
    {
        http::Outcome::Ok(_) => Ok(()),
        http::Outcome::Refused(e) => Err(Error::runtime(format!(
            "the IdP refused to revoke the login: {}",
            e.describe()
        ))),
        http::Outcome::Failed(why) => Err(Error::runtime(format!(
            "could not revoke the login at the IdP: {why}"
        ))),
    }
}
