//! The apply routes: `POST /v1/applies`, `GET`/`DELETE /v1/applies/{id}`.
//!
//! Every apply belongs to its requester: another subject gets 404 for it, as for an apply that
//! does not exist. Each authenticated call of the requester hands the gate their current access
//! token, which is what an approved apply waiting for a token writes with.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::api::{
    AnswerState, ApplyRequest, ApplyStatus, ApplyView, ApproverView, ErrorBody, MAX_WAIT_SECONDS,
    WaitQuery,
};
use super::pipeline;
use super::policy;
use super::record::{self, Record};
use super::runner::{self, body_of, with_store};
use super::server::Gate;
use super::sources;
use super::token::SCOPE_APPLY;
use crate::catalog::SourceSpec;
use crate::error::{Error, Kind};
use crate::plan::Plan;

/// A JSON error answer.
pub fn reply(status: StatusCode, body: ErrorBody) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The HTTP status and code of an error from the pipeline.
pub fn refusal_of(e: &Error) -> (StatusCode, &'static str) {
    match e.kind {
        Kind::Input | Kind::Usage => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_plan"),
        Kind::Stale => (StatusCode::CONFLICT, "stale"),
        Kind::Denied => (StatusCode::FORBIDDEN, "forbidden_change"),
        Kind::NeedsAuth => (StatusCode::BAD_GATEWAY, "upstream_refused"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}

pub fn error_reply(e: &Error) -> Response {
    let (status, code) = refusal_of(e);
    // A forbid rule's refusal is an input error in the CLI; here it names itself.
    let code = if e.message.contains("forbid") && status == StatusCode::UNPROCESSABLE_ENTITY {
        "forbidden_change"
    } else {
        code
    };
    reply(status, body_of(code, e))
}

/// `A-` and 12 hex digits derived from the plan id and the requester: a retried POST of a plan by
/// its requester names the same apply, and another subject who learns the plan id names another
/// one (they cannot squat the id). The plan id (checked, no newline) comes first, so the split
/// is unambiguous.
fn apply_id(plan_id: &str, requester: &str) -> String {
    let digest = crate::digest::sha256_prefixed(
        format!("changeset gate apply\n{plan_id}\n{requester}").as_bytes(),
    );
    let hex = digest.trim_start_matches("sha256:");
    format!("A-{}", hex[..12].to_ascii_uppercase())
}

/// `POST /v1/applies {plan}` -> 202 with the apply.
pub async fn create(State(gate): State<Arc<Gate>>, headers: HeaderMap, body: Bytes) -> Response {
    const ROUTE: &str = "/v1/applies";
    let requester = match gate.authorize(ROUTE, &headers, SCOPE_APPLY).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let answer = create_for(&gate, &requester, &body).await;
    gate.count(ROUTE, answer.status());
    answer
}

async fn create_for(
    gate: &Arc<Gate>,
    requester: &super::token::Requester,
    body: &[u8],
) -> Response {
    let (submitted, spec) = match admissible(gate, body) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let id = apply_id(&submitted.id, &requester.sub);
    let hash = submitted.hash();
    let lookup = {
        let id = id.clone();
        with_store(gate, move |_, store| record::load(store, &id)).await
    };
    match lookup {
        Ok(Some(r)) => return same_or_conflict(gate, r, &hash, requester),
        Ok(None) => {}
        Err(e) => return error_reply(&e),
    }
    let made = {
        let (id, sub, hash) = (id.clone(), requester.sub.clone(), hash.clone());
        with_store(gate, move |gate, store| {
            derive_and_insert(gate, store, id, &submitted, &spec, &sub, hash)
        })
        .await
    };
    match made {
        Ok(stored) => {
            if stored.submitted_hash != hash || stored.view.requester != requester.sub {
                return same_or_conflict(gate, stored, &hash, requester);
            }
            gate.entered(&stored);
            gate.remember_token(&stored.view.id, requester);
            runner::start(gate, &stored.view.id);
            (StatusCode::ACCEPTED, axum::Json(stored.view)).into_response()
        }
        Err(e) if e.kind == Kind::Denied && e.message.contains("approver") => {
            reply(StatusCode::FORBIDDEN, body_of("approval_impossible", &e))
        }
        Err(e) => {
            // A retry racing its first try may derive after that try's apply (or another) was
            // written and find the plan stale: the apply of this plan, if there is one now, is
            // the answer, never a refusal of it.
            match with_store(gate, move |_, store| record::load(store, &id)).await {
                Ok(Some(r)) => same_or_conflict(gate, r, &hash, requester),
                _ => error_reply(&e),
            }
        }
    }
}

/// The submitted plan and its source, when the body is a plan with sound ids of a source this
/// gate allows; otherwise the refusal to send.
fn admissible(gate: &Gate, body: &[u8]) -> std::result::Result<(Plan, SourceSpec), Box<Response>> {
    let submitted: Plan = match serde_json::from_slice::<ApplyRequest>(body) {
        Ok(r) => r.plan,
        Err(e) => {
            return Err(Box::new(reply(
                StatusCode::BAD_REQUEST,
                ErrorBody::new(
                    "invalid_request",
                    format!("the body is not {{\"plan\": PLAN}}: {e}"),
                ),
            )));
        }
    };
    crate::plan::file::check_ids(&submitted).map_err(|e| Box::new(error_reply(&e)))?;
    match sources::allowed_ref(&gate.config, &submitted.source) {
        Ok(spec) => Ok((submitted, spec)),
        Err(not) => Err(Box::new(reply(
            StatusCode::FORBIDDEN,
            ErrorBody::new("source_not_allowed", not.0),
        ))),
    }
}

/// Derives the plan afresh from the source (the submitted one is never trusted), selects its
/// approvers and stores the new apply (or finds the one a concurrent try stored first).
fn derive_and_insert(
    gate: &Gate,
    store: &mut dyn crate::audit::AuditStore,
    id: String,
    submitted: &Plan,
    spec: &SourceSpec,
    sub: &str,
    submitted_hash: String,
) -> crate::error::Result<Record> {
    let config = &gate.config;
    let mut source = sources::open(config, spec, None)?;
    let everyone = pipeline::approvers_of(config, sub);
    let circumstances = pipeline::circumstances(store, &everyone)?;
    let (plan, _) = pipeline::derive(config, source.as_mut(), submitted, circumstances)?;
    if !plan.has_changes() {
        return Err(Error::input(format!("plan {} writes nothing", plan.id)));
    }
    let selection = policy::select(config, plan.tier, sub)
        .map_err(|u| Error::denied(u.0).hint("ask the gate's operator for the approver policy"))?;
    record::insert(
        store,
        &new_record(id, plan, &selection, sub, submitted_hash),
    )
}

/// The record of a new apply: asked of the selected approvers, or approved at once for a tier
/// the rules approve automatically.
fn new_record(
    id: String,
    plan: Plan,
    selection: &policy::Selection,
    sub: &str,
    submitted_hash: String,
) -> Record {
    let now = crate::auth::unix_now();
    let expires_at = now + i64::try_from(selection.expiry_seconds).unwrap_or(i64::MAX / 2);
    let auto = selection.required == 0;
    Record {
        view: ApplyView {
            id,
            status: if auto {
                ApplyStatus::Approved
            } else {
                ApplyStatus::PendingApproval
            },
            plan_id: plan.id.clone(),
            plan_hash: plan.hash(),
            tier: plan.tier,
            required: selection.required,
            approvers: selection
                .approvers
                .iter()
                .map(|a| ApproverView {
                    sub: a.clone(),
                    state: AnswerState::Pending,
                })
                .collect(),
            binding_message: (!auto).then(|| crate::apply::approval::binding_message(&plan)),
            expires_at: jiff::Timestamp::from_second(expires_at)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            requester: sub.to_string(),
            receipt: None,
            error: None,
        },
        plan,
        submitted_hash,
        distinct_from_requester: selection.distinct_from_requester,
        requests: Vec::new(),
        approvals: Vec::new(),
        expires_at,
        created_at: now,
        approved_at: auto.then_some(now),
    }
}

/// A retried POST: the same plan by the same requester gets its apply back; anything else under
/// that plan id is refused (an approval is for one plan, never for another carrying its id).
fn same_or_conflict(
    gate: &Arc<Gate>,
    r: Record,
    submitted_hash: &str,
    requester: &super::token::Requester,
) -> Response {
    if r.submitted_hash != submitted_hash || r.view.requester != requester.sub {
        return reply(
            StatusCode::CONFLICT,
            ErrorBody::new(
                "plan_id_in_use",
                format!(
                    "plan id {} already names another plan at this gate (apply {})",
                    r.view.plan_id, r.view.id
                ),
            ),
        );
    }
    took_token(gate, &r, requester);
    (StatusCode::ACCEPTED, axum::Json(r.view)).into_response()
}

/// The requester called: their token is the freshest, and an approved apply waiting for one
/// can now be written.
fn took_token(gate: &Arc<Gate>, r: &Record, requester: &super::token::Requester) {
    if r.view.requester != requester.sub || r.status().is_final() {
        return;
    }
    gate.remember_token(&r.view.id, requester);
    runner::start(gate, &r.view.id);
}

async fn owned(gate: &Arc<Gate>, id: &str, sub: &str) -> std::result::Result<Record, Response> {
    let key = id.to_string();
    match with_store(gate, move |_, store| record::load(store, &key)).await {
        Ok(Some(r)) if r.view.requester == sub => Ok(r),
        Ok(_) => Err(reply(
            StatusCode::NOT_FOUND,
            ErrorBody::new(
                "not_found",
                format!("no apply {} of yours", crate::escape::escape(id)),
            ),
        )),
        Err(e) => Err(error_reply(&e)),
    }
}

/// `GET /v1/applies/{id}?wait=N`: the apply, once its status differs from when the call came
/// (or the wait is over).
pub async fn status(
    State(gate): State<Arc<Gate>>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
    headers: HeaderMap,
) -> Response {
    const ROUTE: &str = "/v1/applies/{id}";
    let requester = match gate.authorize(ROUTE, &headers, SCOPE_APPLY).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let mut r = match owned(&gate, &id, &requester.sub).await {
        Ok(r) => r,
        Err(answer) => {
            gate.count(ROUTE, answer.status());
            return answer;
        }
    };
    took_token(&gate, &r, &requester);
    let first = r.status();
    let wait = Duration::from_secs(q.wait.unwrap_or(0).min(MAX_WAIT_SECONDS));
    let deadline = tokio::time::Instant::now() + wait;
    while r.status() == first && !first.is_final() && tokio::time::Instant::now() < deadline {
        let changed = gate.changed.notified();
        // Woken on a change in this process; a change by another gate is seen within a second.
        let _ = tokio::time::timeout_at(
            deadline.min(tokio::time::Instant::now() + Duration::from_secs(1)),
            changed,
        )
        .await;
        match owned(&gate, &id, &requester.sub).await {
            Ok(now) => r = now,
            Err(answer) => return answer,
        }
    }
    gate.count(ROUTE, StatusCode::OK);
    axum::Json(r.view).into_response()
}

/// `DELETE /v1/applies/{id}`: cancels an apply that has not been written.
pub async fn cancel(
    State(gate): State<Arc<Gate>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    const ROUTE: &str = "/v1/applies/{id}";
    let requester = match gate.authorize(ROUTE, &headers, SCOPE_APPLY).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    if let Err(answer) = owned(&gate, &id, &requester.sub).await {
        return answer;
    }
    // Never while this gate writes it: the write would go ahead under a cancelled status.
    if !gate.claim_writer(&id) {
        return reply(
            StatusCode::CONFLICT,
            ErrorBody::new("not_cancellable", format!("apply {id} is being written")),
        );
    }
    let key = id.clone();
    let cancelled = with_store(&gate, move |_, store| mark_cancelled(store, &key)).await;
    gate.release_writer(&id);
    let answer = cancel_answer(&gate, &id, cancelled);
    gate.count(ROUTE, answer.status());
    answer
}

/// Marks a stored apply cancelled unless it is final: whether it moved, and the record as it is
/// now (None: no such apply). The move is conditional on the status read, so a concurrent change
/// wins and is reported.
fn mark_cancelled(
    store: &mut dyn crate::audit::AuditStore,
    id: &str,
) -> crate::error::Result<Option<(bool, Record)>> {
    let Some(mut r) = record::load(store, id)? else {
        return Ok(None);
    };
    let before = r.status();
    if before.is_final() {
        return Ok(Some((false, r)));
    }
    r.view.status = ApplyStatus::Cancelled;
    r.view.error = Some(ErrorBody::new(
        "cancelled",
        "cancelled by the requester; nothing was written",
    ));
    let moved = record::replace(store, before, &r)?;
    let now = record::load(store, id)?.unwrap_or(r);
    Ok(Some((moved, now)))
}

/// The answer to a cancel, and the bookkeeping of one that took effect.
fn cancel_answer(
    gate: &Gate,
    id: &str,
    cancelled: crate::error::Result<Option<(bool, Record)>>,
) -> Response {
    match cancelled {
        Ok(Some((moved, r))) => {
            if moved {
                gate.entered(&r);
                gate.forget_token(id);
                gate.changed.notify_waiters();
                axum::Json(r.view).into_response()
            } else {
                reply(
                    StatusCode::CONFLICT,
                    ErrorBody::new(
                        "not_cancellable",
                        format!(
                            "apply {id} is {} and can no longer be cancelled",
                            r.status()
                        ),
                    ),
                )
            }
        }
        Ok(None) => reply(
            StatusCode::NOT_FOUND,
            ErrorBody::new("not_found", "no such apply"),
        ),
        Err(e) => error_reply(&e),
    }
}
