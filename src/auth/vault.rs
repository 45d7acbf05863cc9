//! Token Vault: the logged-in user's Auth0 access token (audience = the API) is exchanged by
//! the Custom API Client linked to that API for the Google access token of the user's connected
//! account (Auth0's federated-connection access-token exchange, RFC 8693 shaped).
//!
//! No `scope` is sent: Auth0 documents none for this exchange and returns whatever the connected
//! account was granted (every scope the user granted when connecting the account), so one
//! connection serves the reader, the writer and the notifier; [`VaultTokens`] checks that the
//! returned scope covers each agent's need.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::client::{self, Confidential, Role};
use super::http::{self, Outcome};
use super::{Login, Tenant};
use crate::digest::token_ref;
use crate::env;
use crate::error::{Error, Result};
use crate::google::token::{Agent, GoogleToken, TokenSource, check_scope};
use crate::receipt::Delegation;

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
    let outcome =
        http::post_form::<Response>(&http_client, &tenant.url("/oauth/token"), &form, None).await;
    settle(outcome, tenant, client, connection)
}

/// The exchange's answer: the token, or why Token Vault refused and what to do about it.
fn settle(
    outcome: Outcome<Response>,
    tenant: &Tenant,
    client: &Confidential,
    connection: &str,
) -> Result<FederatedToken> {
    match outcome {
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

/// The logged-in user's Auth0 access token and who they are (`sub`, when the IdP said).
pub struct UserToken {
    pub token: SecretString,
    pub sub: Option<String>,
}

/// The Auth0 side of Token Vault: the user's access token and the RFC 8693 exchange.
pub trait Exchange {
    /// The logged-in user's Auth0 access token: the subject of every exchange, the writer's
    /// included (the Google identity that writes is the user's, whoever approved).
    fn user_token(&mut self) -> Result<UserToken>;
    /// Exchanges `subject` for a Google access token of the connected account.
    fn exchange(&mut self, subject: &SecretString) -> Result<FederatedToken>;
}

/// Token Vault: every agent gets its own exchange (so a token reference in the receipt names
/// one agent), and the scope that comes back must cover the agent's need.
pub struct VaultTokens<E: Exchange> {
    exchange: E,
}

impl<E: Exchange> VaultTokens<E> {
    pub fn new(exchange: E) -> Self {
        VaultTokens { exchange }
    }
}

impl<E: Exchange> TokenSource for VaultTokens<E> {
    fn fetch(&mut self, agent: Agent) -> Result<GoogleToken> {
        let user = self.exchange.user_token()?;
        let got = self.exchange.exchange(&user.token)?;
        let granted = check_scope(agent, got.scope.as_deref())?;
        let expires_at = match got.expires_in {
            Some(secs) => {
                let secs = i64::try_from(secs).unwrap_or(i64::MAX);
                let at = crate::clock::now()?
                    .checked_add(jiff::SignedDuration::from_secs(secs))
                    .map_err(|e| Error::runtime(format!("Token Vault expiry: {e}")))?;
                Some(at.to_string())
            }
            None => None,
        };
        Ok(GoogleToken {
            grant: Delegation {
                agent: agent.name().into(),
                // The logged-in user's token was exchanged, whoever approved.
                on_behalf_of: user.sub.unwrap_or_default(),
                scope: agent.scope().into(),
                granted_scope: Some(granted.join(" ")),
                token_ref: Some(token_ref(&got.access_token)),
                jti: got.jti,
                expires_at,
                via: "token_vault".into(),
            },
            secret: got.access_token,
        })
    }

    fn renewable(&self) -> bool {
        true
    }

    fn refused_hint(&self) -> String {
        "run `changeset login` and reconnect the Google account".into()
    }
}

/// Token Vault as the login provides it: the user's Auth0 access token, exchanged by the
/// confidential application for a Google token of the `google-oauth2` connection.
pub struct LoginExchange {
    login: Login,
}

impl LoginExchange {
    pub fn new(login: Login) -> Self {
        LoginExchange { login }
    }
}

impl Exchange for LoginExchange {
    fn user_token(&mut self) -> Result<UserToken> {
        let session = crate::net::block_on(super::session::current(&self.login)).map_err(|e| {
            e.hint(format!(
                "or set {} to a Google access token (CI, service accounts)",
                env::GOOGLE_ACCESS_TOKEN
            ))
        })?;
        Ok(UserToken {
            token: session
                .credential
                .access_token
                .expect("a current session has an access token"),
            sub: session.credential.user.map(|u| u.sub),
        })
    }

    fn exchange(&mut self, subject: &SecretString) -> Result<FederatedToken> {
        let tenant = Tenant::resolve(&self.login.auth0)?;
        let client = Confidential::required(Role::TokenVault)?;
        crate::net::block_on(exchange_async(&tenant, &client, subject, GOOGLE_CONNECTION))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::google::token::{SHEETS, SHEETS_READONLY};

    struct FakeVault {
        scope: &'static str,
        subjects: Vec<String>,
    }

    impl Exchange for FakeVault {
        fn user_token(&mut self) -> Result<UserToken> {
            Ok(UserToken {
                token: SecretString::from("user-at"),
                sub: Some("auth0|user".into()),
            })
        }
        fn exchange(&mut self, subject: &SecretString) -> Result<FederatedToken> {
            self.subjects.push(subject.expose_secret().to_string());
            let access_token = SecretString::from("ya29.google");
            Ok(FederatedToken {
                token_ref: token_ref(&access_token),
                access_token,
                scope: Some(self.scope.into()),
                expires_in: Some(3600),
                jti: Some("jti-1".into()),
            })
        }
    }

    #[test]
    fn every_agent_exchanges_the_users_token_and_records_a_reference() {
        let mut vault = VaultTokens::new(FakeVault {
            scope: SHEETS,
            subjects: Vec::new(),
        });
        let token = vault.fetch(Agent::Writer).unwrap();
        assert_eq!(token.grant.via, "token_vault");
        assert_eq!(token.grant.scope, SHEETS);
        assert_eq!(token.grant.granted_scope.as_deref(), Some(SHEETS));
        assert_eq!(token.grant.on_behalf_of, "auth0|user");
        let reference = token.grant.token_ref.unwrap();
        assert!(reference.starts_with("sha256:") && reference.len() == 23);
        assert!(!reference.contains("ya29"));
        let reader = vault.fetch(Agent::Reader).unwrap();
        assert_eq!(reader.grant.scope, SHEETS_READONLY);
        assert!(
            vault.fetch(Agent::Notifier).is_err(),
            "no gmail.send granted"
        );
        assert_eq!(vault.exchange.subjects, ["user-at", "user-at", "user-at"]);
    }
}
