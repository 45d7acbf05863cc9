//! Drives each apply through its states: send the CIBA requests, poll every approver until the
//! tier's policy is met or can no longer be, then (and never before) write with the requester's
//! token. One task per apply; started when the apply is made and, after a restart, for every
//! apply the store still holds open.
//!
//! ```text
//! pending_approval --enough distinct approvals--> approved --write--> applied | failed | stale
//!        |--a refusal leaves too few--> denied        |--no valid requester token: waits for
//!        |--time runs out-------------> expired       |  the requester's next call
//!        `--DELETE by the requester---> cancelled  <--'
//! ```

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::task::JoinSet;

use super::api::{AnswerState, ApplyStatus, ErrorBody};
use super::pipeline;
use super::policy::{self, Selection};
use super::record::{self, Approval, Record, Request};
use super::server::Gate;
use crate::auth::ciba::Pending;
use crate::error::{Error, Kind, Result};
use crate::google::token::GoogleToken;

/// A requester's token is not used for a write when it expires sooner than this (seconds).
const TOKEN_MARGIN: i64 = 30;

/// Runs `f` on the store, off the async threads: on a connection from the gate's small pool,
/// and at most [`super::server::STORE_CONNECTIONS`] at once, so a burst of requests queues
/// instead of opening a database connection each.
pub async fn with_store<T: Send + 'static>(
    gate: &Arc<Gate>,
    f: impl FnOnce(&Gate, &mut dyn crate::audit::AuditStore) -> Result<T> + Send + 'static,
) -> Result<T> {
    let permit = gate
        .store_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::runtime(format!("the gate's store is closed: {e}")))?;
    let gate = Arc::clone(gate);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut store = match gate.idle_store() {
            Some(store) => store,
            None => crate::audit::open(&gate.config.audit_location())?,
        };
        let result = f(&gate, store.as_mut());
        // A connection that just failed may be broken: only a good one goes back.
        if result.is_ok() {
            gate.return_store(store);
        }
        result
    })
    .await
    .map_err(|e| Error::runtime(format!("a gate task failed: {e}")))?
}

/// Starts driving the apply unless a task already does.
pub fn start(gate: &Arc<Gate>, id: &str) {
    if !gate.claim_driver(id) {
        return;
    }
    let gate = Arc::clone(gate);
    let id = id.to_string();
    tokio::spawn(async move {
        if let Err(e) = drive(&gate, &id).await {
            tracing::warn!(apply = %id, "driving the apply failed: {}", e.message);
        }
        gate.release_driver(&id);
        gate.changed.notify_waiters();
    });
}

/// Resumes every open apply in the store (at start-up).
pub async fn resume_all(gate: &Arc<Gate>) -> Result<usize> {
    let open = with_store(gate, |_, store| record::open(store)).await?;
    for r in &open {
        start(gate, &r.view.id);
    }
    Ok(open.len())
}

async fn load(gate: &Arc<Gate>, id: &str) -> Result<Record> {
    let id = id.to_string();
    with_store(gate, move |_, store| {
        record::load(store, &id)?.ok_or_else(|| Error::runtime(format!("apply {id} vanished")))
    })
    .await
}

/// Applies `change` to the stored record, unless another task moved its status meanwhile;
/// returns the record stored.
async fn update(
    gate: &Arc<Gate>,
    id: &str,
    change: impl FnOnce(&mut Record) + Send + 'static,
) -> Result<Option<Record>> {
    let id = id.to_string();
    let updated = with_store(gate, move |_, store| {
        let Some(mut r) = record::load(store, &id)? else {
            return Ok(None);
        };
        let expected = r.status();
        change(&mut r);
        Ok(record::replace(store, expected, &r)?.then_some((expected, r)))
    })
    .await?;
    Ok(updated.map(|(before, r)| {
        if before != r.status() {
            gate.entered(&r);
        }
        // A final apply writes nothing more: the requester's token is not kept for it.
        if r.status().is_final() {
            gate.forget_token(&r.view.id);
        }
        gate.changed.notify_waiters();
        r
    }))
}

async fn drive(gate: &Arc<Gate>, id: &str) -> Result<()> {
    loop {
        let r = load(gate, id).await?;
        match r.status() {
            ApplyStatus::PendingApproval => wait_for_approvals(gate, r).await?,
            ApplyStatus::Approved => {
                try_write(gate, id).await?;
                return Ok(());
            }
            // Final (a replayed POST or a status call may have handed it a token): none kept.
            _ => {
                gate.forget_token(id);
                return Ok(());
            }
        }
    }
}

fn now_unix() -> i64 {
    crate::auth::unix_now()
}

/// Sends the requests not sent yet, then polls until the answers settle the apply.
async fn wait_for_approvals(gate: &Arc<Gate>, mut r: Record) -> Result<()> {
    if r.requests.is_empty() {
        r = send_requests(gate, r).await?;
        if r.status() != ApplyStatus::PendingApproval {
            return Ok(());
        }
    }
    let mut polls = poll_unanswered(gate, &r);
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(u64::try_from(r.expires_at - now_unix()).unwrap_or(0));
    loop {
        tokio::select! {
            joined = polls.join_next() => {
                let Some(joined) = joined else {
                    // Every poll ended without settling it: the time is up.
                    expire(gate, &r.view.id).await?;
                    return Ok(());
                };
                let (approver, reference, result) =
                    joined.map_err(|e| Error::runtime(format!("an approval poll failed: {e}")))?;
                let settled =
                    answer(gate, &r, approver, reference, result).await?;
                if settled.is_none_or(|s| s != ApplyStatus::PendingApproval) {
                    return Ok(());
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                expire(gate, &r.view.id).await?;
                return Ok(());
            }
            _ = gate.changed.notified() => {
                // A cancel (or another gate) may have moved it: stop polling if so.
                if load(gate, &r.view.id).await?.status() != ApplyStatus::PendingApproval {
                    return Ok(());
                }
            }
        }
    }
}

/// One poll of its CIBA request per approver who has not answered yet (resumed after a
/// restart from the stored requests); each yields the approver, the reference and the answer.
fn poll_unanswered(
    gate: &Arc<Gate>,
    r: &Record,
) -> JoinSet<(String, String, Result<crate::auth::ciba::Approval>)> {
    let mut polls = JoinSet::new();
    for req in &r.requests {
        let answered = r
            .view
            .approvers
            .iter()
            .any(|a| a.sub == req.approver && a.state != AnswerState::Pending);
        if answered {
            continue;
        }
        let seconds_left = u64::try_from(req.expires_at - now_unix()).unwrap_or(0);
        let pending = Pending::resume(
            &req.approver,
            SecretString::from(req.auth_req_id.clone()),
            seconds_left,
            req.interval,
        );
        let g = Arc::clone(gate);
        polls.spawn(async move {
            let approver = pending.approver.clone();
            let reference = pending.reference.clone();
            let result = g.ciba.wait(pending, None, &|_, _| {}).await;
            (approver, reference, result)
        });
    }
    polls
}

/// Sends one CIBA request to each selected approver and stores them.
async fn send_requests(gate: &Arc<Gate>, r: Record) -> Result<Record> {
    let message = r.view.binding_message.clone().unwrap_or_default();
    let details = crate::apply::rar::authorization_details(&r.plan).to_string();
    let expiry = u64::try_from(r.expires_at - now_unix()).unwrap_or(1).max(1);
    let mut requests = Vec::new();
    let mut failure = None;
    for a in &r.view.approvers {
        match gate
            .ciba
            .start(&a.sub, &message, expiry, Some(&details))
            .await
        {
            Ok(p) => requests.push(Request {
                approver: a.sub.clone(),
                auth_req_id: secrecy::ExposeSecret::expose_secret(p.auth_req_id()).to_string(),
                expires_at: now_unix() + i64::try_from(p.seconds_left()).unwrap_or(0),
                interval: p.interval(),
            }),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let sent: Vec<String> = requests.iter().map(|q| q.approver.clone()).collect();
    let _ = with_store(gate, move |_, store| {
        for a in &sent {
            store.record_approval_request(a, now_unix())?;
        }
        Ok(())
    })
    .await;
    let updated = update(gate, &r.view.id, move |rec| {
        if rec.status() != ApplyStatus::PendingApproval {
            return;
        }
        rec.requests = requests;
        if let Some(e) = failure {
            rec.view.status = ApplyStatus::Failed;
            rec.view.error = Some(body_of("approval_request_failed", &e));
        }
    })
    .await?;
    match updated {
        Some(rec) => Ok(rec),
        None => load(gate, &r.view.id).await,
    }
}

/// Records one approver's answer; returns the status it leaves the apply in.
async fn answer(
    gate: &Arc<Gate>,
    r: &Record,
    approver: String,
    reference: String,
    result: Result<crate::auth::ciba::Approval>,
) -> Result<Option<ApplyStatus>> {
    let outcome: std::result::Result<(), (AnswerState, Error)> = match result {
        // The answer must echo the hash of the plan the gate stored (RAR): an approval of
        // another plan does not count for this one.
        Ok(approval) => {
            crate::apply::rar::check_echo(&r.plan, &approval).map_err(|e| (AnswerState::Denied, e))
        }
        Err(e) if crate::auth::ciba::is_expiry(&e) => Err((AnswerState::Expired, e)),
        Err(e) if e.kind == Kind::Denied => Err((AnswerState::Denied, e)),
        Err(e) => Err((AnswerState::Expired, e)),
    };
    let updated = update(gate, &r.view.id, move |r| {
        if r.status() == ApplyStatus::PendingApproval {
            record_answer(r, &approver, &reference, &outcome);
        }
    })
    .await?;
    Ok(updated.map(|r| r.status()))
}

/// Marks the approver's answer on a pending apply (an approval counts only if the policy lets
/// this approver count) and settles its status.
fn record_answer(
    r: &mut Record,
    approver: &str,
    reference: &str,
    outcome: &std::result::Result<(), (AnswerState, Error)>,
) {
    let selection = Selection {
        approvers: r.view.approvers.iter().map(|a| a.sub.clone()).collect(),
        required: r.view.required,
        expiry_seconds: 0,
        distinct_from_requester: r.distinct_from_requester,
    };
    let state = match outcome {
        Ok(()) if policy::may_count(&selection, &r.view.requester, approver) => {
            if !r.approvals.iter().any(|a| a.sub == approver) {
                r.approvals.push(Approval {
                    sub: approver.to_string(),
                    reference: reference.to_string(),
                    at: crate::apply::executor::now_text(),
                });
            }
            AnswerState::Approved
        }
        Ok(()) => AnswerState::Denied,
        Err((state, _)) => *state,
    };
    for a in r.view.approvers.iter_mut().filter(|a| a.sub == approver) {
        a.state = state;
    }
    let status = policy::settle(r.view.required, &r.view.approvers);
    r.view.status = status;
    match status {
        ApplyStatus::Approved => r.approved_at = Some(now_unix()),
        ApplyStatus::Denied | ApplyStatus::Expired => {
            let why = match outcome {
                Err((_, e)) => body_of(status.name(), e),
                Ok(()) => ErrorBody::new(status.name(), "too few approvals"),
            };
            r.view.error = Some(why);
        }
        _ => {}
    }
}

async fn expire(gate: &Arc<Gate>, id: &str) -> Result<()> {
    update(gate, id, |r| {
        if r.status() == ApplyStatus::PendingApproval {
            r.view.status = ApplyStatus::Expired;
            r.view.error = Some(ErrorBody::new(
                "expired",
                "the approvals did not come in time; nothing was written",
            ));
            for a in r.view.approvers.iter_mut() {
                if a.state == AnswerState::Pending {
                    a.state = AnswerState::Expired;
                }
            }
        }
    })
    .await
    .map(|_| ())
}

/// Writes an approved apply if the gate holds a valid token of the requester's (Sheets) or
/// needs none (a CSV file); otherwise it stays `approved` until the requester calls again.
pub async fn try_write(gate: &Arc<Gate>, id: &str) -> Result<()> {
    let r = load(gate, id).await?;
    if r.status() != ApplyStatus::Approved {
        return Ok(());
    }
    let token = gate.requester_token(id, now_unix() + TOKEN_MARGIN);
    if !gate.claim_writer(id) {
        return Ok(());
    }
    // A stopping gate starts no write: it stays `approved`, and the next start writes it.
    let result = if gate.stopping() {
        Ok(())
    } else {
        write_and_record(gate, &r, token).await
    };
    // Released only once the outcome is recorded: a stopping gate waits for that.
    gate.release_writer(id);
    result
}

/// The write of [`try_write`] and its outcome recorded in the apply.
async fn write_and_record(gate: &Arc<Gate>, r: &Record, token: Option<SecretString>) -> Result<()> {
    let id = r.view.id.clone();
    let rec = r.clone();
    let (written, mail) = with_store(gate, move |gate, store| {
        let mut mail = None;
        let written = write_or_settle(gate, store, &rec, token, &mut mail)?;
        Ok((written, mail))
    })
    .await?;
    if let Err(e) = &written
        && e.kind == Kind::NeedsAuth
    {
        // No token of the requester's, or Token Vault refused it: wait for a fresh one.
        gate.forget_token(&id);
        tracing::info!(apply = %id, "{}", e.message);
        return Ok(());
    }
    if let (Some(token), Ok((receipt, None))) = (mail, &written)
        && crate::apply::executor::notification_pending(receipt)
    {
        deliver(gate, receipt.clone(), token).await;
    }
    update(gate, &id, move |rec| {
        if rec.status() == ApplyStatus::Approved {
            record_write(rec, written);
        }
    })
    .await?;
    Ok(())
}

/// Sends the summary of a sealed receipt in a task of its own, on a store connection of its own
/// (not one of the pool's): a slow or unreachable Gmail holds up no one else's requests. It is
/// awaited before the apply is recorded `applied` (a requester who sees `applied` can count on
/// the mail having been tried; its outcome is recorded beside the receipt either way).
async fn deliver(gate: &Arc<Gate>, receipt: crate::receipt::Receipt, token: GoogleToken) {
    let gate = Arc::clone(gate);
    let sent = tokio::task::spawn_blocking(move || {
        let notifier = crate::notify::Notifier::holding(&gate.config.notify, token);
        match (notifier, crate::audit::open(&gate.config.audit_location())) {
            (Ok(Some(mut n)), Ok(mut store)) => n.deliver(store.as_mut(), &receipt),
            (Ok(None), _) => {}
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(receipt = %receipt.id, "no e-mail was sent: {}", e.message);
            }
        }
    })
    .await;
    if let Err(e) = sent {
        tracing::warn!("the e-mail task failed: {e}");
    }
}

/// The blocking part of [`try_write`]: settle an earlier interrupted write from the journal, or
/// write (and settle a write whose outcome it could not know). The outer error is the store's;
/// the inner result is the write's.
fn write_or_settle(
    gate: &Gate,
    store: &mut dyn crate::audit::AuditStore,
    rec: &Record,
    token: Option<SecretString>,
    mail: &mut Option<GoogleToken>,
) -> Result<Result<(crate::receipt::Receipt, Option<Error>)>> {
    // Cancelled meanwhile (a cancel holds the writer claim while it moves the status).
    if record::load(store, &rec.view.id)?.map(|r| r.status()) != Some(ApplyStatus::Approved) {
        return Ok(Err(Error::runtime("no longer approved")));
    }
    // Already written by a gate that stopped before recording it: settled from the
    // journal, with or without a token.
    let claim = store.claim_of(&rec.plan.id)?;
    if let Some((_, Some(receipt_id))) = &claim {
        let body = store.find(receipt_id)?;
        let receipt: crate::receipt::Receipt = serde_json::from_str(&body)?;
        return Ok(Ok((receipt, None)));
    }
    let token = match (token, rec.plan.source.kind.as_str()) {
        (Some(t), _) => t,
        // A local file needs no Google identity: nothing is exchanged for the write.
        (None, "csv") => SecretString::from(String::new()),
        (None, _) => {
            return Ok(Err(Error::needs_auth(
                "approved; waiting for the requester's next call for a fresh token",
            )));
        }
    };
    // A write interrupted before (a claim without a receipt) is settled first; so is one
    // whose outcome this write could not know. Released (nothing landed): written now.
    if claim.is_some()
        && let Some(receipt) = pipeline::settle(&gate.config, store, rec, token.clone())?
    {
        return Ok(Ok((receipt, None)));
    }
    let written = pipeline::write(&gate.config, store, rec, token.clone(), mail);
    if let Err(e) = &written
        && !matches!(e.kind, Kind::Stale | Kind::NeedsAuth)
        && matches!(store.claim_of(&rec.plan.id)?, Some((_, None)))
    {
        tracing::info!(apply = %rec.view.id, "settling a write of unknown outcome: {}", e.message);
        if let Some(receipt) = pipeline::settle(&gate.config, store, rec, token)? {
            return Ok(Ok((receipt, None)));
        }
    }
    Ok(written)
}

/// Where the write leaves an approved apply.
fn record_write(rec: &mut Record, written: Result<(crate::receipt::Receipt, Option<Error>)>) {
    match written {
        Ok((receipt, None)) if receipt.outcome != crate::receipt::Outcome::Applied => {
            let why = format!("the write ended {}; see its receipt", receipt.outcome);
            rec.view.status = ApplyStatus::Failed;
            rec.view.error = Some(ErrorBody::new("verification_failed", why));
            rec.view.receipt = Some(receipt);
        }
        Ok((receipt, None)) => {
            rec.view.status = ApplyStatus::Applied;
            rec.view.receipt = Some(receipt);
        }
        Ok((receipt, Some(e))) => {
            rec.view.status = ApplyStatus::Failed;
            rec.view.receipt = Some(receipt);
            rec.view.error = Some(body_of("verification_failed", &e));
        }
        Err(e) if e.kind == Kind::Stale => {
            rec.view.status = ApplyStatus::Stale;
            rec.view.error = Some(body_of("stale", &e));
        }
        Err(e) => {
            rec.view.status = ApplyStatus::Failed;
            rec.view.error = Some(body_of("write_failed", &e));
        }
    }
}

/// An error as the API reports it.
pub fn body_of(code: &str, e: &Error) -> ErrorBody {
    ErrorBody {
        error: code.to_string(),
        error_description: e.message.clone(),
        hints: e.hints.clone(),
    }
}
