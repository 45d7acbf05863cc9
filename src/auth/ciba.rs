//! OpenID CIBA (Client-Initiated Backchannel Authentication) in poll mode, as Auth0 serves it:
//! `POST /bc-authorize` asks the approver's device (Guardian push) to approve a binding
//! message, then `/oauth/token` is polled with the CIBA grant until the approver answers or the
//! request expires. The approval proves who approved; it never becomes a write credential (the
//! writer's Token Vault exchange uses the logged-in user's token, after the approval).

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::Tenant;
use super::client::{self, Confidential};
use super::http::{self, OAuthError, Outcome};
use crate::digest::token_ref;
use crate::error::{Error, Result};

pub const GRANT: &str = "urn:openid:params:grant-type:ciba";
/// RFC 8628 / CIBA: the wait grows by 5 s after each `slow_down`.
const SLOW_DOWN_STEP: u64 = 5;
/// Longest pause between polls after a lost connection.
const MAX_BACKOFF: u64 = 10;

/// The tenant, the confidential client and an HTTP client: what every CIBA call needs.
pub struct Ciba {
    pub tenant: Tenant,
    pub client: Confidential,
    http: reqwest::Client,
}

/// A request the approver's device received.
pub struct Pending {
    pub approver: String,
    auth_req_id: SecretString,
    /// `sha256:` prefix of the auth_req_id: what the receipt records (the id itself is a
    /// credential: whoever holds it and the client secret can collect the token).
    pub reference: String,
    expires_at: Instant,
    interval: u64,
}

/// An approval: who, which request, and the token it produced.
pub struct Approval {
    pub approver: String,
    pub reference: String,
    pub access_token: SecretString,
    pub scope: Option<String>,
    /// The Rich Authorization Request details the token response echoed, if any.
    pub authorization_details: Option<serde_json::Value>,
}

impl Pending {
    /// What a service stores to resume polling after a restart (the id is a credential only
    /// together with the CIBA client's secret, which is never stored with it).
    pub fn auth_req_id(&self) -> &SecretString {
        &self.auth_req_id
    }

    pub fn interval(&self) -> u64 {
        self.interval
    }

    pub fn seconds_left(&self) -> u64 {
        self.expires_at
            .saturating_duration_since(Instant::now())
            .as_secs()
    }

    /// A request sent earlier (by this process or one before it), to poll again.
    pub fn resume(
        approver: &str,
        auth_req_id: SecretString,
        seconds_left: u64,
        interval: u64,
    ) -> Pending {
        Pending {
            approver: approver.to_string(),
            reference: token_ref(&auth_req_id),
            auth_req_id,
            expires_at: Instant::now() + Duration::from_secs(seconds_left),
            interval: interval.max(1),
        }
    }
}

#[derive(Deserialize)]
struct Started {
    auth_req_id: String,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct Tokens {
    access_token: String,
    #[serde(default)]
    authorization_details: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
}

impl Ciba {
    pub fn new(tenant: Tenant, client: Confidential) -> Result<Ciba> {
        Ok(Ciba {
            tenant,
            client,
            http: http::client()?,
        })
    }

    /// Sends the request to the approver (`sub`), bound to the message, valid for `expiry` s;
    /// with Rich Authorization Request `authorization_details` (a JSON array) when given.
    pub async fn start(
        &self,
        approver: &str,
        binding_message: &str,
        expiry: u64,
        authorization_details: Option<&str>,
    ) -> Result<Pending> {
        let login_hint = serde_json::json!({
            "format": "iss_sub",
            "iss": self.tenant.issuer(),
            "sub": approver,
        })
        .to_string();
        let expiry_text = expiry.to_string();
        let mut rest = vec![
            ("scope", "openid"),
            ("login_hint", login_hint.as_str()),
            ("binding_message", binding_message),
            ("requested_expiry", expiry_text.as_str()),
        ];
        if let Some(audience) = &self.tenant.audience {
            rest.push(("audience", audience.as_str()));
        }
        if let Some(details) = authorization_details {
            rest.push(("authorization_details", details));
        }
        let auth = self.client.auth_params(&self.tenant)?;
        let form = client::form(&auth, &rest);
        let sent = Instant::now();
        match http::post_form::<Started>(&self.http, &self.tenant.url("/bc-authorize"), &form, None)
            .await
        {
            Outcome::Ok(started) => {
                let auth_req_id = SecretString::from(started.auth_req_id);
                Ok(Pending {
                    approver: approver.to_string(),
                    reference: token_ref(&auth_req_id),
                    auth_req_id,
                    expires_at: sent + Duration::from_secs(started.expires_in),
                    interval: started.interval.unwrap_or(5).max(1),
                })
            }
            Outcome::Refused(e) => Err(start_error(&self.client, approver, binding_message, &e)),
            Outcome::Failed(why) => Err(Error::runtime(format!(
                "could not send the approval request: {why}"
            ))
            .hint("check the network and CHANGESET_AUTH0_DOMAIN")),
        }
    }

    /// Polls until the approver answers, the request expires, or `deadline` (the `--wait`
    /// bound) passes. `progress` is told the time left before each wait.
    pub async fn wait(
        &self,
        pending: Pending,
        deadline: Option<Instant>,
        progress: &(dyn Fn(&Pending, Duration) + Sync),
    ) -> Result<Approval> {
        let mut interval = pending.interval;
        let mut failures = 0u32;
        let until = deadline.map_or(pending.expires_at, |d| d.min(pending.expires_at));
        loop {
            self.count_down(&pending, interval, until, deadline, progress)
                .await?;
            match self.poll(&pending).await? {
                Outcome::Ok(tokens) => {
                    return Ok(Approval {
                        approver: pending.approver.clone(),
                        reference: pending.reference.clone(),
                        access_token: SecretString::from(tokens.access_token),
                        scope: tokens.scope,
                        authorization_details: tokens.authorization_details,
                    });
                }
                Outcome::Refused(e) if e.error == "authorization_pending" => failures = 0,
                Outcome::Refused(e) if e.error == "slow_down" => {
                    interval = (interval + SLOW_DOWN_STEP)
                        .max(e.interval.unwrap_or(0))
                        .max(e.retry_after.unwrap_or(0));
                    tracing::debug!(interval, "slow_down: polling less often");
                }
                Outcome::Refused(e) => return Err(self.refused(&pending, &e)),
                // A lost connection is retried (backing off) as long as the request is valid.
                Outcome::Failed(why) => {
                    failures += 1;
                    tracing::info!("approval poll failed ({why}); retrying");
                    interval = (interval * 2).min(MAX_BACKOFF).max(interval);
                    if failures > 50 {
                        return Err(Error::runtime(format!(
                            "lost the connection to the IdP while waiting for approval: {why}"
                        ))
                        .hint("check the network, then apply again; nothing was written"));
                    }
                }
            }
        }
    }

    /// Waits `interval` seconds, telling the user every second how long is left; fails when
    /// the request or the `--wait` bound runs out first.
    async fn count_down(
        &self,
        pending: &Pending,
        interval: u64,
        until: Instant,
        deadline: Option<Instant>,
        progress: &(dyn Fn(&Pending, Duration) + Sync),
    ) -> Result<()> {
        let next = Instant::now() + Duration::from_secs(interval);
        while Instant::now() < next {
            let left = until.saturating_duration_since(Instant::now());
            progress(pending, left);
            if left.is_zero() {
                return Err(self.timed_out(pending, deadline));
            }
            let step = next
                .saturating_duration_since(Instant::now())
                .min(Duration::from_secs(1))
                .min(left);
            tokio::time::sleep(step).await;
        }
        Ok(())
    }

    /// One poll of the token endpoint for the request.
    async fn poll(&self, pending: &Pending) -> Result<Outcome<Tokens>> {
        let auth = self.client.auth_params(&self.tenant)?;
        let form = client::form(
            &auth,
            &[
                ("grant_type", GRANT),
                ("auth_req_id", pending.auth_req_id.expose_secret()),
            ],
        );
        Ok(
            http::post_form::<Tokens>(&self.http, &self.tenant.url("/oauth/token"), &form, None)
                .await,
        )
    }

    /// A final answer other than approval: denied, expired, or a refusal to poll at all.
    fn refused(&self, pending: &Pending, e: &OAuthError) -> Error {
        match e.error.as_str() {
            "access_denied" => Error::denied(format!(
                "{} denied the approval request, or it expired; nothing was written",
                pending.approver
            ))
            .hint("plan again if the change is still wanted"),
            "expired_token" | "invalid_grant" => Error::denied(format!(
                "the approval request to {} {EXPIRED}; nothing was written",
                pending.approver
            ))
            .hint("apply again and approve on the device in time"),
            _ => Error::runtime(format!(
                "the IdP refused the approval poll: {}",
                e.describe()
            ))
            .hint(format!(
                "check {} and its credential, then apply again",
                self.client.id_var
            )),
        }
    }

    fn timed_out(&self, pending: &Pending, deadline: Option<Instant>) -> Error {
        if deadline.is_some_and(|d| d < pending.expires_at) {
            Error::denied(format!(
                "no answer from {} within the --wait time; nothing was written",
                pending.approver
            ))
            .hint("apply again with a longer --wait, or approve sooner")
        } else {
            Error::denied(format!(
                "the approval request to {} {EXPIRED}; nothing was written",
                pending.approver
            ))
            .hint("apply again and approve on the device in time")
        }
    }
}

/// Whether a refusal from [`Ciba::wait`] is the request running out of time (rather than the
/// approver saying no): the messages below are the one place that tells them apart.
pub fn is_expiry(e: &Error) -> bool {
    e.kind == crate::error::Kind::Denied && e.message.contains(EXPIRED)
}

const EXPIRED: &str = "expired before an answer";

fn start_error(
    client: &Confidential,
    approver: &str,
    binding_message: &str,
    e: &OAuthError,
) -> Error {
    match e.error.as_str() {
        "unknown_user_id" => Error::input(format!(
            "the IdP does not know the approver `{approver}`"
        ))
        .hint("approvers are Auth0 user ids such as auth0|abc123: check approval.approvers in the config"),
        "invalid_binding_message" => Error::input(format!(
            "the IdP refused the binding message `{binding_message}`: {}",
            e.describe()
        ))
        .hint("binding messages are at most 64 characters of letters, digits, spaces and +-_.,:#"),
        "invalid_client" | "unauthorized_client" => Error::input(format!(
            "the IdP refused the confidential application `{}` for CIBA: {}",
            client.client_id,
            e.describe()
        ))
        .hint(format!(
            "check {} and its secret or key; the application needs the CIBA grant",
            client.id_var
        )),
        _ => Error::input(format!(
            "the IdP refused the approval request: {}",
            e.describe()
        ))
        .hint(format!(
            "check that `{approver}` is enrolled for push approvals (Auth0 Guardian)"
        )),
    }
}
