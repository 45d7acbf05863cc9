//! The gate's pending-apply store: one JSON record per apply in the gate's audit store
//! (`gate_applies`, SQLite or PostgreSQL), so a restarted gate, or another gate sharing the
//! database, resumes every apply that was waiting. A status only moves by compare-and-set, so a
//! cancel and an approval, or two gates, never both move the same apply.
//!
//! What is stored: the view the API serves, the plan as the gate derived it, the CIBA requests
//! sent (their `auth_req_id`s, needed to resume polling; useless without the CIBA client's
//! credential, which is never stored) and the approvals received. Never the requester's access
//! token: that lives in memory only.

use serde::{Deserialize, Serialize};

use super::api::{ApplyStatus, ApplyView};
use crate::audit::{AuditStore, GateApply};
use crate::error::{Error, Result};
use crate::plan::Plan;

/// One CIBA request the gate sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub approver: String,
    pub auth_req_id: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub interval: u64,
}

/// One approval received (counted once per subject).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub sub: String,
    /// `sha256:` prefix of the request's auth_req_id.
    pub reference: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub view: ApplyView,
    /// The plan as the gate derived it under its rules (what the approvals are bound to).
    pub plan: Plan,
    /// The hash of the plan as the client sent it: a retried POST of the same plan gets this
    /// apply back; the same plan id with other content is refused.
    pub submitted_hash: String,
    pub distinct_from_requester: bool,
    pub requests: Vec<Request>,
    pub approvals: Vec<Approval>,
    /// Unix seconds: when the approvals stop counting.
    pub expires_at: i64,
    /// Unix seconds: when the apply was made, and when its last approval came.
    pub created_at: i64,
    #[serde(default)]
    pub approved_at: Option<i64>,
}

impl Record {
    pub fn status(&self) -> ApplyStatus {
        self.view.status
    }

    fn row(&self) -> Result<GateApply> {
        Ok(GateApply {
            id: self.view.id.clone(),
            plan_id: self.view.plan_id.clone(),
            status: self.view.status.name().to_string(),
            body: serde_json::to_string(self)?,
        })
    }
}

fn parse(row: &GateApply) -> Result<Record> {
    serde_json::from_str(&row.body)
        .map_err(|e| Error::runtime(format!("gate apply {} is unreadable: {e}", row.id)))
}

/// Stores a new apply, or returns the one its plan id already has.
pub fn insert(store: &mut dyn AuditStore, record: &Record) -> Result<Record> {
    parse(&store.gate_apply_insert(&record.row()?, &now())?)
}

pub fn load(store: &mut dyn AuditStore, id: &str) -> Result<Option<Record>> {
    store.gate_apply(id)?.as_ref().map(parse).transpose()
}

/// Stores `record` if the stored status is still `expected`; false when someone moved it first.
pub fn replace(store: &mut dyn AuditStore, expected: ApplyStatus, record: &Record) -> Result<bool> {
    let row = record.row()?;
    store.gate_apply_update(&row.id, expected.name(), &row.status, &row.body, &now())
}

/// Every apply that is not final (waiting for approval, or approved and not yet written).
pub fn open(store: &mut dyn AuditStore) -> Result<Vec<Record>> {
    store
        .gate_applies(&[
            ApplyStatus::PendingApproval.name(),
            ApplyStatus::Approved.name(),
        ])?
        .iter()
        .map(parse)
        .collect()
}

fn now() -> String {
    crate::clock::now()
        .map(|t| t.to_string())
        .unwrap_or_default()
}
