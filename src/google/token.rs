//! Google access tokens, one per agent (DESIGN sections 2 and 7): the reader may only read
//! sheets, the writer may write them, the notifier may only send mail.
//!
//! A [`TokenSource`] hands out tokens; the receipt records a [`Delegation`] per agent with a
//! reference to the token (a SHA-256 prefix), never the token. Two sources exist:
//! [`EnvToken`] (`CHANGESET_GOOGLE_ACCESS_TOKEN`, for CI and service accounts) and
//! [`VaultTokens`] (one Token Vault exchange per agent, with the returned scope checked).
//!
//! Token Vault returns the stored Google token with every scope the user granted when connecting
//! the account (Auth0 documents no way to narrow it), so one connection serves the reader and
//! the writer alike. A token must CONTAIN its agent's need; the scopes it actually carries go
//! into the receipt, and least privilege is what our code calls: the reader only reads.

use secrecy::SecretString;

use crate::env;
use crate::error::{Error, Result};
use crate::receipt::Delegation;
use crate::settings::Settings;

pub const SHEETS_READONLY: &str = "https://www.googleapis.com/auth/spreadsheets.readonly";
pub const SHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";
pub const GMAIL_SEND: &str = "https://www.googleapis.com/auth/gmail.send";

/// The agents that act on Google on the user's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Reader,
    Writer,
    Notifier,
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::Reader => "reader",
            Agent::Writer => "writer",
            Agent::Notifier => "notifier",
        }
    }

    /// The one Google scope the agent needs (the narrowest that lets it work).
    pub fn scope(self) -> &'static str {
        match self {
            Agent::Reader => SHEETS_READONLY,
            Agent::Writer => SHEETS,
            Agent::Notifier => GMAIL_SEND,
        }
    }

    /// The scopes that cover the agent's need: its own, or one that includes it.
    fn covered_by(self) -> &'static [&'static str] {
        match self {
            Agent::Reader => &[SHEETS_READONLY, SHEETS],
            Agent::Writer => &[SHEETS],
            Agent::Notifier => &[GMAIL_SEND],
        }
    }
}

/// A Google access token for one agent, with the receipt's record of it.
pub struct GoogleToken {
    pub secret: SecretString,
    pub grant: Delegation,
}

/// Where Google access tokens come from.
pub trait TokenSource {
    /// A token for the agent, on behalf of the logged-in user.
    fn fetch(&mut self, agent: Agent) -> Result<GoogleToken>;
    /// Whether fetching again can give a different token after Google refused one (401).
    fn renewable(&self) -> bool;
    /// What the user can do when Google refuses the token for good.
    fn refused_hint(&self) -> String;
}

/// The token source for this run: `CHANGESET_GOOGLE_ACCESS_TOKEN` when set, else Token Vault
/// through the login. Nothing is fetched until an agent asks.
pub fn for_run(settings: &Settings) -> Result<Box<dyn TokenSource>> {
    if let Some(token) = EnvToken::from_env() {
        return Ok(Box::new(token));
    }
    Ok(Box::new(VaultTokens::new(AuthVault {
        settings: settings.clone(),
    })))
}

/// Token Vault as the login provides it: the user's Auth0 access token, exchanged by the
/// confidential application for a Google token of the `google-oauth2` connection.
struct AuthVault {
    settings: Settings,
}

impl Exchange for AuthVault {
    fn user_token(&mut self) -> Result<UserToken> {
        let session =
            crate::net::block_on(crate::auth::session::current(&self.settings)).map_err(|e| {
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

    fn exchange(&mut self, subject: &SecretString) -> Result<Exchanged> {
        let got = crate::auth::vault::exchange(
            &self.settings,
            subject,
            crate::auth::vault::GOOGLE_CONNECTION,
        )?;
        Ok(Exchanged {
            access_token: got.access_token,
            scope: got.scope,
            expires_in: got.expires_in,
            jti: got.jti,
        })
    }
}

/// One token from the environment serves every agent. Its scope cannot be checked without a
/// call to Google, so the grant records the scope each agent used it for and `via = "env"`.
pub struct EnvToken {
    token: SecretString,
}

impl EnvToken {
    pub fn from_env() -> Option<EnvToken> {
        env::var(env::GOOGLE_ACCESS_TOKEN)
            .map(|t| EnvToken::new(SecretString::from(t.trim().to_string())))
    }

    pub fn new(token: SecretString) -> EnvToken {
        EnvToken { token }
    }
}

impl TokenSource for EnvToken {
    fn fetch(&mut self, agent: Agent) -> Result<GoogleToken> {
        Ok(GoogleToken {
            secret: self.token.clone(),
            grant: Delegation {
                agent: agent.name().into(),
                // Whose token it is cannot be known; the receipt names the approver or user.
                on_behalf_of: String::new(),
                scope: agent.scope().into(),
                granted_scope: None,
                token_ref: Some(crate::auth::token_ref(&self.token)),
                jti: None,
                expires_at: None,
                via: "env".into(),
            },
        })
    }

    fn renewable(&self) -> bool {
        false
    }

    fn refused_hint(&self) -> String {
        format!(
            "{} was refused (expired?); set a fresh one, e.g. `gcloud auth print-access-token`",
            env::GOOGLE_ACCESS_TOKEN
        )
    }
}

/// What one Token Vault exchange returned.
pub struct Exchanged {
    pub access_token: SecretString,
    /// The scope Google granted, as returned (space- or comma-separated); None when absent.
    pub scope: Option<String>,
    pub expires_in: Option<u64>,
    pub jti: Option<String>,
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
    fn exchange(&mut self, subject: &SecretString) -> Result<Exchanged>;
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
                let at = crate::settings::now()?
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
                token_ref: Some(crate::auth::token_ref(&got.access_token)),
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

/// The scopes of a token that covers the agent's need; refuses one whose scope is missing or
/// narrower. Extra scopes are expected (Token Vault returns the whole grant): the receipt
/// records them all, and `audit show` names the extra ones.
pub fn check_scope(agent: Agent, returned: Option<&str>) -> Result<Vec<String>> {
    let who = agent.name();
    let want = agent.scope();
    let Some(returned) = returned.filter(|s| !s.trim().is_empty()) else {
        return Err(Error::needs_auth(format!(
            "Token Vault returned the {who} token without its scope; a token of unknown power is not used"
        ))
        .hint(format!("the {who} needs {want}")));
    };
    let scopes: Vec<String> = returned
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !scopes
        .iter()
        .any(|s| agent.covered_by().contains(&s.as_str()))
    {
        return Err(Error::needs_auth(format!(
            "the Google token for the {who} lacks the scope {want} (it has: {})",
            scopes.join(" ")
        ))
        .hint("reconnect the Google account to Auth0 and grant that scope"));
    }
    Ok(scopes)
}

/// One agent's token slot, lent to an HTTP call: fetched on first use, fetched again once after
/// a 401 when the source can renew it.
pub struct Lease<'a> {
    pub source: &'a mut dyn TokenSource,
    pub slot: &'a mut Option<GoogleToken>,
    pub agent: Agent,
}

impl super::http::Bearer for Lease<'_> {
    fn bearer(&mut self, renew: bool) -> Result<SecretString> {
        if renew && !self.source.renewable() {
            return Err(Error::needs_auth(format!(
                "the {} token cannot be renewed",
                self.agent.name()
            ))
            .hint(self.source.refused_hint()));
        }
        if renew || self.slot.is_none() {
            *self.slot = Some(self.source.fetch(self.agent)?);
        }
        Ok(self
            .slot
            .as_ref()
            .map(|t| t.secret.clone())
            .expect("filled above"))
    }

    fn scope(&self) -> &str {
        self.agent.scope()
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_token_must_cover_the_agents_need_and_may_carry_more() {
        let reader = check_scope(Agent::Reader, Some(SHEETS_READONLY)).unwrap();
        assert_eq!(reader, [SHEETS_READONLY]);
        assert!(
            check_scope(
                Agent::Reader,
                Some(&format!("openid {SHEETS_READONLY},email"))
            )
            .is_ok()
        );
        // One Google connection (sheets + mail) serves every agent.
        let all = format!("openid {SHEETS} {GMAIL_SEND}");
        for agent in [Agent::Reader, Agent::Writer, Agent::Notifier] {
            let granted = check_scope(agent, Some(&all)).unwrap();
            assert_eq!(granted, ["openid", SHEETS, GMAIL_SEND]);
        }
        // Narrower than the need is refused.
        let missing = check_scope(Agent::Writer, Some(SHEETS_READONLY));
        assert!(missing.unwrap_err().message.contains("lacks"));
        assert!(check_scope(Agent::Notifier, Some(SHEETS)).is_err());
        assert!(check_scope(Agent::Notifier, None).is_err());
        assert!(check_scope(Agent::Notifier, Some(" ")).is_err());
    }

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
        fn exchange(&mut self, subject: &SecretString) -> Result<Exchanged> {
            self.subjects.push(subject.expose_secret().to_string());
            Ok(Exchanged {
                access_token: SecretString::from("ya29.google"),
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
