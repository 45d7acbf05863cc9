//! Token Vault: an Auth0 access token (the user's, or the one a CIBA approval produced) is
//! exchanged by the confidential application for the Google access token of the user's
//! connected account (Auth0's federated-connection access-token exchange, RFC 8693 shaped).
//! Token Vault returns whatever scope the connected account holds; callers check it.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::client::{self, Confidential};
use super::http::{self, Outcome};
use super::{Tenant, token_ref};
use crate::error::{Error, Result};
use crate::settings::Settings;

pub const GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
pub const REQUESTED_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The Auth0 connection that holds the Google account.
pub const GOOGLE_CONNECTION: &str = "google-oauth2";

/// A Google access token from Token Vault and what came with it.
pub struct FederatedToken {
    pub access_token: SecretString,
    /// The scope granted, as returned (space-separated; Auth0 may use commas). None if absent.
    pub scope: Option<String>,
    /// Seconds from now.
    pub expires_in: Option<u64>,
    pub jti: Option<String>,
    /// `sha256:` prefix of the token, for receipts and logs.
    pub token_ref: String,
}

#[derive(Deserialize)]
struct Response {
    access_token: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    jti: Option<String>,
}

/// Exchanges `subject` (an Auth0 access token for the API audience) for a Google token of the
/// connection, asking for `scope` (None: whatever the account holds). Uses the confidential
/// application from the environment.
pub fn exchange(
    settings: &Settings,
    subject: &SecretString,
    connection: &str,
    scope: Option<&str>,
) -> Result<FederatedToken> {
    let tenant = Tenant::from_settings(settings)?;
    let client = Confidential::required("the Token Vault exchange")?;
    crate::net::block_on(exchange_async(&tenant, &client, subject, connection, scope))
}

pub async fn exchange_async(
    tenant: &Tenant,
    client: &Confidential,
    subject: &SecretString,
    connection: &str,
    scope: Option<&str>,
) -> Result<FederatedToken> {
    let mut rest = vec![
        ("grant_type", GRANT),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("subject_token", subject.expose_secret()),
        ("requested_token_type", REQUESTED_TOKEN_TYPE),
        ("connection", connection),
    ];
    if let Some(scope) = scope {
        rest.push(("scope", scope));
    }
    let auth = client.auth_params(tenant)?;
    let form = client::form(&auth, &rest);
    let http_client = http::client()?;
    match http::post_form::<Response>(&http_client, &tenant.url("/oauth/token"), &form, None).await
    {
        Outcome::Ok(r) => {
            let access_token = SecretString::from(r.access_token);
            tracing::debug!(token = %token_ref(&access_token), scope = ?r.scope, "Token Vault exchange");
            Ok(FederatedToken {
                token_ref: token_ref(&access_token),
                access_token,
                scope: r.scope,
                expires_in: r.expires_in,
                jti: r.jti,
            })
        }
        Outcome::Refused(e) if e.error == "federated_connection_refresh_token_not_found" => {
            Err(Error::needs_auth(format!(
                "Token Vault holds no {connection} account for this user"
            ))
            .hint("connect the Google account to Auth0 (Connected Accounts), then log in again"))
        }
        Outcome::Refused(e) if e.error == "invalid_grant" || e.status == 401 => Err(
            Error::needs_auth(format!("Token Vault refused the exchange: {}", e.describe()))
                .hint("run `changeset login` again"),
        ),
        Outcome::Refused(e) => Err(Error::runtime(format!(
            "Token Vault refused the exchange: {}",
            e.describe()
        ))
        .hint("check CHANGESET_CONFIDENTIAL_CLIENT_ID: it must be the Custom API Client with the Token Vault grant")),
        Outcome::Failed(why) => Err(Error::runtime(format!(
            "could not reach Token Vault: {why}"
        ))
        .hint("check the network and CHANGESET_AUTH0_DOMAIN, then retry")),
    }
}
