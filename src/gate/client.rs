//! The CLI's side of the gate (gate mode): the gate's HTTP API called with the logged-in user's
//! access token. Nothing here holds a confidential client, asks Token Vault for anything or
//! touches a source: the gate does all of that, after the approvals it requires.
//!
//! Every call takes the login's access token afresh (refreshed when near expiry), so a gate that
//! restarted, or whose copy expired while an approval was pending, gets a valid one from the
//! next poll.

use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::api::{
    APPLIES, ApplyRequest, ApplyStatus, ApplyView, ErrorBody, PLANS, PlanRequest, RECEIPTS,
    ReceiptPage,
};
use crate::auth::{Login, session};
use crate::env;
use crate::error::{Error, Kind, Result};
use crate::plan::Plan;
use crate::receipt::{Outcome, Receipt};

/// How long one `GET /v1/applies/{id}` may be held open by the gate.
pub const POLL_WAIT_SECONDS: u64 = 30;
/// A call's time limit beyond what it asked the gate to wait.
const MARGIN: Duration = Duration::from_secs(30);
/// The largest answer read (a plan over a large catalog is a few MB).
const MAX_BODY: usize = 64 << 20;

/// The gate at `base` (https, or http on loopback; checked by the caller), called as `login`.
pub struct Gate {
    base: String,
    login: Login,
}

impl Gate {
    pub fn new(base: String, login: Login) -> Gate {
        Gate { base, login }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// `POST /v1/plans`: the gate reads the source and plans under its rules.
    pub async fn plan(&self, request: &PlanRequest) -> Result<Plan> {
        self.call(Method::POST, PLANS.to_string(), Some(request), None)
            .await
    }

    /// `POST /v1/applies`: the gate re-derives the plan and asks its approvers (202).
    pub async fn apply(&self, request: &ApplyRequest) -> Result<ApplyView> {
        self.call(Method::POST, APPLIES.to_string(), Some(request), None)
            .await
    }

    /// `GET /v1/applies/{id}`, held open up to `wait` seconds until the apply changes.
    pub async fn status(&self, id: &str, wait: Option<u64>) -> Result<ApplyView> {
        self.poll(id, wait).await.map_err(Error::from)
    }

    async fn poll(&self, id: &str, wait: Option<u64>) -> Result<ApplyView, Failure> {
        let id = checked_id(id).map_err(Failure::Other)?;
        let path = match wait {
            Some(w) => format!("{APPLIES}/{id}?wait={w}"),
            None => format!("{APPLIES}/{id}"),
        };
        let limit = Duration::from_secs(wait.unwrap_or(0)) + MARGIN;
        self.try_call(Method::GET, path, None::<&()>, Some(limit))
            .await
    }

    /// `DELETE /v1/applies/{id}`: cancels a pending apply.
    pub async fn cancel(&self, id: &str) -> Result<ApplyView> {
        let path = format!("{APPLIES}/{}", checked_id(id)?);
        self.call(Method::DELETE, path, None::<&()>, None).await
    }

    /// `GET /v1/receipts?after=…`: one page of the gate's receipts in chain order.
    pub async fn receipts(&self, after: Option<&str>) -> Result<ReceiptPage> {
        let path = match after {
            Some(a) => format!("{RECEIPTS}?after={}", checked_id(a)?),
            None => RECEIPTS.to_string(),
        };
        self.call(Method::GET, path, None::<&()>, None).await
    }

    /// `GET /v1/receipts/{id}`: one signed receipt.
    pub async fn receipt(&self, id: &str) -> Result<Receipt> {
        let path = format!("{RECEIPTS}/{}", checked_id(id)?);
        self.call(Method::GET, path, None::<&()>, None).await
    }

    /// `GET /v1/keys`: the gate's public keys; proves the login's token is accepted.
    pub async fn keys(&self) -> Result<serde_json::Value> {
        self.call(Method::GET, "/v1/keys".to_string(), None::<&()>, None)
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<&impl Serialize>,
        limit: Option<Duration>,
    ) -> Result<T> {
        self.try_call(method, path, body, limit)
            .await
            .map_err(Error::from)
    }

    async fn try_call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<&impl Serialize>,
        limit: Option<Duration>,
    ) -> Result<T, Failure> {
        let token = access_token(&self.login).await.map_err(Failure::Other)?;
        let url = format!("{}{path}", self.base);
        let http = reqwest::Client::builder()
            .timeout(limit.unwrap_or(MARGIN * 4))
            .build()
            .map_err(|e| Failure::Other(Error::runtime(format!("HTTP client: {e}"))))?;
        let mut request = http
            .request(method, &url)
            .bearer_auth(token.expose_secret());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Unreachable(self.unreachable(&e)))?;
        let status = response.status().as_u16();
        let bytes = crate::net::read_capped(response, MAX_BODY)
            .await
            .map_err(|e| match e {
                Some(e) => Failure::Unreachable(self.unreachable(&e)),
                None => Failure::Other(Error::runtime(format!(
                    "the gate's answer to {path} is too large"
                ))),
            })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|e| {
                Failure::Other(
                    Error::runtime(format!(
                        "the gate's answer to {path} is not understood: {e}"
                    ))
                    .hint("the gate may be a different version of changeset than this CLI"),
                )
            });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes).ok() {
            // A proxy in front of a gate that is down or restarting.
            None if (502..=504).contains(&status) => Err(Failure::Unreachable(Error::runtime(
                format!("the gate at {} is not answering (HTTP {status})", self.base),
            ))),
            body => Err(Failure::Other(refusal(status, body))),
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> Error {
        let why = if e.is_timeout() {
            "no answer in time".to_string()
        } else if e.is_connect() {
            "could not connect".to_string()
        } else {
            crate::auth::http::transport_message(e)
        };
        Error::runtime(format!("cannot reach the gate at {}: {why}", self.base))
            .hint("check that the gate is running (`changeset gate serve`) and reachable")
            .hint(format!(
                "or fix {} / `url` in [gate] (unset it to work without the gate)",
                env::GATE_URL
            ))
    }
}

/// Why a call failed: no answer (a gate that is down or restarting, which a wait rides out), or
/// anything else.
enum Failure {
    Unreachable(Error),
    Other(Error),
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        match f {
            Failure::Unreachable(e) | Failure::Other(e) => e,
        }
    }
}

/// What a wait reports as it goes.
pub enum Waiting<'a> {
    /// The apply as the gate last described it.
    On(&'a ApplyView),
    /// The gate has not answered for this many seconds; the wait goes on.
    GateDown(u64),
}

/// How long a wait keeps asking a gate that does not answer (it keeps pending applies across
/// a restart), and how often.
const RECONNECT_FOR: Duration = Duration::from_secs(120);
const RECONNECT_EVERY: Duration = Duration::from_secs(2);

/// The login's access token, refreshed when near expiry. In gate mode the login is for the
/// gate's API (see `Auth0Config::required_audience`).
async fn access_token(login: &Login) -> Result<SecretString> {
    let session = session::current(login).await?;
    session.credential.access_token.ok_or_else(|| {
        Error::needs_auth("the stored login holds no access token").hint("run `changeset login`")
    })
}

/// Apply and receipt ids go into paths: only the characters ids are made of.
fn checked_id(id: &str) -> Result<&str> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(Error::input(format!(
            "`{}` is not an id",
            crate::escape::escape(id)
        )))
    }
}

/// A refusal or failure of the gate as the CLI's error: 401 means log in again (exit 4), a
/// missing scope too (the login must carry it), a source off the allow-list is bad input.
pub fn refusal(status: u16, body: Option<ErrorBody>) -> Error {
    let (code, description, hints) = match body {
        Some(b) => (b.error, b.error_description, b.hints),
        None => (String::new(), format!("HTTP {status}"), Vec::new()),
    };
    let message = format!("the gate refused: {description}");
    let err = match (status, code.as_str()) {
        (401, _) => Error::needs_auth(format!(
            "the gate did not accept the login: {description}"
        ))
        .hint("run `changeset login` (in gate mode it asks for the gate's API)")
        .hint(format!(
            "if the gate still refuses, check that {} (or `audience` in [gate]) names the gate's API",
            env::GATE_AUDIENCE
        )),
        (403, "insufficient_scope") => Error::needs_auth(format!(
            "the login lacks a permission the gate requires: {description}"
        ))
        .hint("ask your Auth0 administrator to grant the permission on the gate's API, then run `changeset login` again"),
        (403, "source_not_allowed") => Error::input(message).hint(
            "the gate only touches the sources on its allow-list: use one of them, or ask the gate's operator to add this one",
        ),
        (403, _) => Error::denied(message),
        (_, "stale") => Error::stale(message)
            .hint("plan again: the catalog changed since the plan was made"),
        (_, "denied" | "expired") => Error::denied(message),
        (404, "") => Error::input(message)
            .hint("the gate may be a version of changeset without this route: compare `changeset --version` on both sides"),
        (404, _) => Error::input(message),
        (400..=499, _) => Error::input(message),
        _ => Error::runtime(message).hint("check the gate's logs"),
    };
    hints.into_iter().fold(err, Error::hint)
}

/// An apply in a final state as the command's result: the applied view, or the error whose
/// kind gives the exit code of a local apply that ended the same way (5 denied or expired,
/// 3 stale, 6 verification failed).
pub fn settled(view: ApplyView) -> Result<ApplyView> {
    let (kind, what) = match view.status {
        ApplyStatus::Applied => return Ok(view),
        ApplyStatus::Denied => (Kind::Denied, "an approver denied it"),
        ApplyStatus::Expired => (Kind::Denied, "the approval expired"),
        ApplyStatus::Cancelled => (Kind::Denied, "it was cancelled"),
        ApplyStatus::Stale => (Kind::Stale, "the source changed since the plan was made"),
        ApplyStatus::Failed => match view.receipt.as_ref().map(|r| r.outcome) {
            Some(Outcome::RolledBack | Outcome::VerificationFailed) => {
                (Kind::Verification, "the read-back did not match")
            }
            _ => (Kind::Runtime, "the gate could not apply it"),
        },
        ApplyStatus::PendingApproval | ApplyStatus::Approved => {
            return Err(Error::runtime(format!(
                "the apply {} is still {}",
                view.id, view.status
            )));
        }
    };
    // The gate's own words when it gave them, else what the state means.
    let why = view
        .error
        .as_ref()
        .map_or(what, |e| e.error_description.as_str());
    let err = Error::new(kind, format!("the gate did not apply {}: {why}", view.id));
    Err(match kind {
        Kind::Stale => err.hint("plan again, then apply the new plan"),
        Kind::Verification => err.hint(format!(
            "see the receipt: `changeset audit show {} --gate`",
            view.receipt
                .as_ref()
                .map_or(view.id.as_str(), |r| r.id.as_str())
        )),
        _ => err,
    })
}

/// Polls the apply until it is final, calling `progress` with every state seen. A gate that
/// stops answering is asked again for up to two minutes (a restarted gate resumes its pending
/// applies, and the next poll hands it a fresh token); Ctrl-C stops waiting (the apply stays at
/// the gate).
pub async fn wait(
    gate: &Gate,
    first: ApplyView,
    progress: &dyn Fn(Waiting<'_>),
) -> Result<ApplyView> {
    let id = first.id.clone();
    let mut view = first;
    let poll = async {
        let mut down_since: Option<std::time::Instant> = None;
        while !view.status.is_final() {
            match down_since {
                Some(since) => progress(Waiting::GateDown(since.elapsed().as_secs())),
                None => progress(Waiting::On(&view)),
            }
            match gate.poll(&view.id, Some(POLL_WAIT_SECONDS)).await {
                Ok(next) => {
                    view = next;
                    down_since = None;
                }
                Err(Failure::Unreachable(e)) => {
                    let since = *down_since.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() >= RECONNECT_FOR {
                        return Err(e.hint(format!(
                            "the apply {} is kept at the gate: `changeset gate status {}` once it is back",
                            view.id, view.id
                        )));
                    }
                    tokio::time::sleep(RECONNECT_EVERY).await;
                }
                Err(Failure::Other(e)) => return Err(e),
            }
        }
        Ok(view)
    };
    tokio::select! {
        r = poll => r,
        _ = tokio::signal::ctrl_c() => Err(Error::new(
            Kind::Interrupted,
            format!("stopped waiting; the apply {id} goes on at the gate"),
        )
        .hint(format!("follow it with `changeset gate status {id}`, or stop it with `changeset gate cancel {id}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &str) -> Option<ErrorBody> {
        Some(ErrorBody::new(error, "why"))
    }

    #[test]
    fn refusals_map_to_the_exit_codes_of_a_local_run() {
        assert_eq!(refusal(401, body("invalid_token")).exit_code(), 4);
        assert_eq!(refusal(401, None).exit_code(), 4);
        assert_eq!(refusal(403, body("insufficient_scope")).exit_code(), 4);
        assert_eq!(refusal(403, body("source_not_allowed")).exit_code(), 1);
        assert_eq!(refusal(409, body("stale")).exit_code(), 3);
        assert_eq!(refusal(409, body("plan_id_in_use")).exit_code(), 1);
        assert_eq!(refusal(403, body("forbidden_change")).exit_code(), 5);
        assert_eq!(refusal(422, body("forbidden_change")).exit_code(), 1);
        assert_eq!(refusal(500, None).exit_code(), 1);
        let err = refusal(401, body("invalid_token"));
        assert!(err.hints.iter().any(|h| h.contains("changeset login")));
        let mut with_hint = ErrorBody::new("source_not_allowed", "not on the list");
        with_hint.hints.push("allowed: sheets:abc".into());
        let err = refusal(403, Some(with_hint));
        assert!(err.message.contains("not on the list"));
        assert!(err.hints.iter().any(|h| h == "allowed: sheets:abc"));
    }

    #[test]
    fn final_states_exit_as_a_local_apply_that_ended_the_same_way() {
        let view = |status: &str| -> ApplyView {
            serde_json::from_value(serde_json::json!({
                "id": "A-1", "status": status, "plan_id": "P-1", "plan_hash": "sha256:00",
                "tier": 2, "required": 1, "approvers": [], "expires_at": "2026-12-01T00:00:00Z",
                "requester": "auth0|user-1",
                "error": {"error": status, "error_description": "because"}
            }))
            .unwrap()
        };
        let code = |status: &str| {
            settled(view(status))
                .map(|_| 0)
                .unwrap_or_else(|e| e.exit_code())
        };
        assert_eq!(code("applied"), 0);
        for (status, exit) in [
            ("denied", 5),
            ("expired", 5),
            ("cancelled", 5),
            ("stale", 3),
            ("failed", 1),
        ] {
            assert_eq!(code(status), exit, "{status}");
        }
        let err = settled(view("denied")).unwrap_err();
        assert_eq!(err.message, "the gate did not apply A-1: because");
        // A pending apply is not an outcome.
        assert!(settled(view("pending_approval")).is_err());
        // A write whose read-back failed (rolled back or not) exits 6, as locally.
        for outcome in ["rolled_back", "verification_failed"] {
            let mut failed = view("failed");
            failed.receipt = Some(
                serde_json::from_value(serde_json::json!({
                    "format_version": 1, "id": "R-1A2B3C4D5E6F", "plan_id": "CS-1A2B3C4D",
                    "plan_hash": "sha256:00", "request": "r",
                    "source": {"kind": "csv", "uri": "/c.csv"}, "rules_sha256": "sha256:11",
                    "planned_at": "t", "started_at": "t", "finished_at": "t",
                    "outcome": outcome, "tier": 2, "operations": [],
                    "approval": {"method": "ciba", "tier": 2, "approvers": [], "approved_at": "t",
                        "plan_hash": "sha256:00"},
                    "delegation": [], "canon": "RFC8785", "alg": "sha256",
                    "timings": {"approval_ms": 0, "write_ms": 0, "verify_ms": 0, "total_ms": 0},
                    "prev_id": null, "prev_hash": null, "hash": ""
                }))
                .unwrap(),
            );
            let err = settled(failed).unwrap_err();
            assert_eq!(err.exit_code(), 6, "{outcome}");
            assert!(
                err.hints
                    .iter()
                    .any(|h| h.contains("audit show R-1A2B3C4D5E6F --gate"))
            );
        }
    }

    #[test]
    fn ids_in_paths_are_only_id_characters() {
        assert!(checked_id("A-20261201-abc_1").is_ok());
        for bad in ["", "../keys", "A?wait=1", "A/1", "a b", "A%2F"] {
            assert!(checked_id(bad).is_err(), "{bad}");
        }
    }
}
