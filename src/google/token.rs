//! Google access tokens, one per agent: the reader may only read
//! sheets, the writer may write them, the notifier may only send mail.
//!
//! A [`TokenSource`] hands out tokens; the receipt records a [`Delegation`] per agent with a
//! reference to the token (a SHA-256 prefix), never the token. This module is handed tokens and
//! never fetches them from a login: [`EnvToken`] (`CHANGESET_GOOGLE_ACCESS_TOKEN`, for CI and
//! service accounts) lives here, Token Vault's source in `auth::vault`, and the command layer
//! picks one per run.
//!
//! A token must CONTAIN its agent's need ([`check_scope`]); the scopes it actually carries go
//! into the receipt, and least privilege is what our code calls: the reader only reads.

use secrecy::SecretString;

use crate::digest::token_ref;
use crate::env;
use crate::error::{Error, Result};
use crate::receipt::Delegation;

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
                token_ref: Some(token_ref(&self.token)),
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
}
