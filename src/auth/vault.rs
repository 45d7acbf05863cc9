//! Token Vault: the logged-in user's Auth0 access token (audience = the API) is exchanged by
//! the Custom API Client linked to that API for the Google access token of the user's connected
//! account (Auth0's federated-connection access-token exchange, RFC 8693 shaped).
//!
//! No `scope` is sent: Auth0 documents none for this exchange and returns whatever the connected
//! account was granted, so callers check that the returned scope covers their need.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::client::{self, Confidential, Role};
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

/// Exchanges `subject` (the user's Auth0 access token for the API audience) for a Google token
/// of the connection, with the Token Vault application from the environment.
pub fn exchange(
    settings: &Settings,
    subject: &SecretString,
    connection: &str,
) -> Result<FederatedToken> {
    let tenant = Tenant::from_settings(settings)?;
    let client = Confidential::required(Role::TokenVault)?;
    crate::net::block_on(exchange_async(&tenant, &client, subject, connection))
}

pub async fn exchange_async(
    tenant: &Tenant,
    client: &Confidential,
    subject: &SecretString,
    connection: &str,
) -> Result<FederatedToken> {
    let rest = [
        ("grant_type", GRANT),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("subject_token", subject.expose_secret()),
        ("requested_token_type", REQUESTED_TOKEN_TYPE),
        ("connection", connection),
    ];
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
        Outcome::Refused(e) if e.error == "invalid_client" => Err(Error::input(format!(
            "Token Vault refused the credentials of `{}`: {}",
            client.client_id,
            e.describe()
        ))
        .hint(format!("check {} and its secret or key", client.id_var))),
        Outcome::Refused(e) if e.error == "invalid_grant" || e.status == 401 => Err(
            Error::needs_auth(format!("Token Vault refused the exchange: {}", e.describe()))
                .hint("run `changeset login` again"),
        ),
        Outcome::Refused(e) => Err(Error::runtime(format!(
            "Token Vault refused the exchange by `{}`: {}",
            client.client_id,
            e.describe()
        ))
        .hint(format!(
            "check {}: it must be the Custom API Client linked to the API {} with the Token Vault grant",
            client.id_var,
            tenant.audience.as_deref().unwrap_or("(no audience)")
        ))),
        Outcome::Failed(why) => Err(Error::runtime(format!(
            "could not reach Token Vault: {why}"
        ))
        .hint("check the network and CHANGESET_AUTH0_DOMAIN, then retry")),
    }
}
