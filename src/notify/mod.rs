//! The notifier agent: one Gmail message per successful apply, to the configured recipients,
//! with the summary and the receipt's hash.
//!
//! Order, and why. The message carries the hash of the receipt as stored, so the receipt must
//! be sealed before the message is sent — and then the send's outcome cannot be inside it (the
//! hash would change). So:
//! 1. before sealing, the notifier gets its own `gmail.send` token (the delegation chain in the
//!    receipt names it) and the receipt records `notify: {status: "pending", recipients}`;
//!    a notifier that cannot get a token is recorded as `failed` right there, and nothing is sent;
//! 2. the receipt is sealed and stored;
//! 3. the notification is claimed in the audit store (keyed by receipt id: at most one per
//!    changeset, even if the process dies mid-send), the message is sent, and the outcome
//!    (`sent` with Gmail's message id, or `failed` with the reason) is recorded beside the chain,
//!    bound to the receipt's hash, and shown by `audit show`.
//!
//! A failed notification never undoes the write: it is recorded and reported on stderr. A send
//! whose answer was lost is not sent again (Gmail cannot tell whether it went out).

pub mod message;

use base64::Engine;
use reqwest::Method;
use serde_json::json;

use crate::audit::AuditStore;
use crate::error::{Error, Result};
use crate::google::http::{self, Effect, Failure, Limits, Request, Retry};
use crate::google::token::{Agent, GoogleToken, Lease, TokenSource};
use crate::receipt::Delegation;
use crate::receipt::{NotifyRecord, Receipt};

pub struct Notifier {
    recipients: Vec<String>,
    base: String,
    tokens: Box<dyn TokenSource>,
    token: Option<GoogleToken>,
}

impl Notifier {
    /// The notifier for these recipients, None when there are none. Bad addresses are a config
    /// error, found before anything is written. Tokens are asked for only when authorizing.
    pub fn new(recipients: &[String], tokens: Box<dyn TokenSource>) -> Result<Option<Notifier>> {
        if recipients.is_empty() {
            return Ok(None);
        }
        for r in recipients {
            message::check_address(r)?;
        }
        Ok(Some(Notifier {
            recipients: recipients.to_vec(),
            base: crate::google::gmail_base()?,
            tokens,
            token: None,
        }))
    }

    /// The notifier's own token once authorized (to send later, on another thread: see
    /// [`Notifier::holding`]).
    pub fn into_token(self) -> Option<GoogleToken> {
        self.token
    }

    /// A notifier that already holds its `token` and asks for no other (a refused one is not
    /// renewed: the send fails and is recorded as failed).
    pub fn holding(recipients: &[String], token: GoogleToken) -> Result<Option<Notifier>> {
        let fixed = crate::google::token::EnvToken::new(token.secret.clone());
        Ok(Notifier::new(recipients, Box::new(fixed))?.map(|mut n| {
            n.token = Some(token);
            n
        }))
    }

    pub fn recipients(&self) -> usize {
        self.recipients.len()
    }

    /// Gets the notifier's own token (scope `gmail.send` only) for the delegation chain.
    pub fn authorize(&mut self) -> Result<Delegation> {
        let token = self.tokens.fetch(Agent::Notifier)?;
        let grant = token.grant.clone();
        self.token = Some(token);
        Ok(grant)
    }

    /// What the receipt records before it is sealed: `pending` when the notifier holds its
    /// token (the outcome follows the seal), `failed` when it could not get one.
    pub fn prepare(&mut self) -> (Option<Delegation>, NotifyRecord) {
        match self.authorize() {
            Ok(grant) => (Some(grant), self.record("pending", None, None)),
            Err(e) => {
                crate::report::warn(&format!("no e-mail will be sent: {}", e.message));
                (None, self.record("failed", None, Some(e.message)))
            }
        }
    }

    fn record(
        &self,
        status: &str,
        message_id: Option<String>,
        error: Option<String>,
    ) -> NotifyRecord {
        NotifyRecord {
            status: status.into(),
            recipients: self.recipients.len(),
            message_id,
            error,
        }
    }

    /// Sends the summary of a sealed receipt once: claims it in the store, sends, records the
    /// outcome and reports a failure on stderr. Never fails the apply.
    pub fn deliver(&mut self, store: &mut dyn AuditStore, receipt: &Receipt) {
        let now = crate::clock::now()
            .map(|t| t.to_string())
            .unwrap_or_default();
        let sending = self.record("sending", None, None);
        match store.claim_notification(receipt, &sending, &now) {
            Ok(true) => {}
            Ok(false) => return, // already sent (or tried) for this receipt
            Err(e) => {
                crate::report::warn(&format!("no e-mail was sent: {}", e.message));
                return;
            }
        }
        let outcome = match self.send(receipt) {
            Ok(id) => self.record("sent", Some(id), None),
            Err(e) => {
                crate::report::warn(&format!(
                    "the changes were applied, but the e-mail to {} recipient(s) failed: {}",
                    self.recipients.len(),
                    e.message
                ));
                self.record("failed", None, Some(e.message))
            }
        };
        if let Err(e) = store.record_notification(&receipt.id, &outcome, &now) {
            crate::report::warn(&format!(
                "the notification outcome was not recorded: {}",
                e.message
            ));
        }
    }

    /// One `users/me/messages/send` with the base64url RFC 822 message; Gmail's message id.
    fn send(&mut self, receipt: &Receipt) -> Result<String> {
        let text = message::compose(receipt, &self.recipients)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.as_bytes());
        let req = Request {
            method: Method::POST,
            url: format!("{}/gmail/v1/users/me/messages/send", self.base),
            body: Some(json!({ "raw": raw })),
            effect: Effect::Send,
            what: format!("sending the summary of {}", receipt.id),
            api: "Gmail",
        };
        if self.token.is_none() {
            return Err(Error::runtime("the notifier was not authorized"));
        }
        let mut lease = Lease {
            source: self.tokens.as_mut(),
            slot: &mut self.token,
            agent: Agent::Notifier,
        };
        let answer = http::call(&req, &mut lease, &mut Retry::new(Limits::from_env()?))
            .map_err(Failure::into_error)?;
        answer["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| http::malformed(&req, "no message id"))
    }
}
