//! The gate's HTTP API on the wire: request and response bodies, with serde
//! both ways so the server and the CLI in gate mode share one definition.
//!
//! ```text
//! POST   /v1/plans            PlanRequest            -> 200 Plan (the plan file's format)
//! POST   /v1/applies          ApplyRequest           -> 202 ApplyView
//! GET    /v1/applies/{id}?wait=N                     -> 200 ApplyView (+ receipt once applied)
//! DELETE /v1/applies/{id}                            -> 200 ApplyView (status cancelled)
//! GET    /v1/receipts/{id}                           -> 200 Receipt (signed)
//! GET    /v1/receipts?after=R-…                      -> 200 ReceiptPage
//! any refusal or failure                             -> ErrorBody (401, 403, 404, 409, 422, 5xx)
//! ```

use serde::{Deserialize, Serialize};

use crate::plan::Plan;
use crate::receipt::Receipt;

pub const PLANS: &str = "/v1/plans";
pub const APPLIES: &str = "/v1/applies";
pub const RECEIPTS: &str = "/v1/receipts";

/// Longest `?wait=` a GET of an apply is held open, in seconds (a client asks again after).
pub const MAX_WAIT_SECONDS: u64 = 60;

/// `POST /v1/plans`: plan a request against a source the gate may touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRequest {
    pub request: String,
    /// As `--source` spells it (`sheets:<id>[/<tab>]` or a CSV path); absent: the first source
    /// of the gate's allow-list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `POST /v1/applies`: apply a plan. Only what the plan writes and where is taken from it; the
/// gate derives every before, fact and tier again under its own rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyRequest {
    pub plan: Plan,
}

/// Where an apply is. `pending_approval` and `approved` are the only non-final states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyStatus {
    /// Waiting for the approvers' answers.
    PendingApproval,
    /// Every required approval is in; the write follows (or waits for the requester's next
    /// authenticated call when the gate holds no valid token of theirs).
    Approved,
    /// Written, verified and sealed: the receipt is attached.
    Applied,
    /// An approver refused.
    Denied,
    /// The approvals did not come in time.
    Expired,
    /// The source changed since the plan was made; nothing was written.
    Stale,
    /// Something else went wrong (the error says what); a rolled-back write ends here too,
    /// with its receipt.
    Failed,
    /// The requester cancelled it (`DELETE`).
    Cancelled,
}

impl ApplyStatus {
    pub const ALL: [ApplyStatus; 8] = [
        ApplyStatus::PendingApproval,
        ApplyStatus::Approved,
        ApplyStatus::Applied,
        ApplyStatus::Denied,
        ApplyStatus::Expired,
        ApplyStatus::Stale,
        ApplyStatus::Failed,
        ApplyStatus::Cancelled,
    ];

    /// The wire name (`pending_approval`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ApplyStatus::PendingApproval => "pending_approval",
            ApplyStatus::Approved => "approved",
            ApplyStatus::Applied => "applied",
            ApplyStatus::Denied => "denied",
            ApplyStatus::Expired => "expired",
            ApplyStatus::Stale => "stale",
            ApplyStatus::Failed => "failed",
            ApplyStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<ApplyStatus> {
        ApplyStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Nothing more will happen to an apply in a final state.
    pub fn is_final(self) -> bool {
        !matches!(self, ApplyStatus::PendingApproval | ApplyStatus::Approved)
    }
}

impl std::fmt::Display for ApplyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One approver's answer so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerState {
    Pending,
    Approved,
    Denied,
    Expired,
}

/// An approver asked, and their answer so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproverView {
    /// The Auth0 user id.
    pub sub: String,
    pub state: AnswerState,
}

/// An apply as the gate reports it: the 202 of `POST /v1/applies`, and every `GET`/`DELETE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyView {
    /// `A-…`, the apply's id (stable across retries of the same plan).
    pub id: String,
    pub status: ApplyStatus,
    pub plan_id: String,
    /// The hash the approvals are bound to (the plan as the gate derived it).
    pub plan_hash: String,
    /// The tier under the gate's rules (not the client's).
    pub tier: u8,
    /// How many distinct approvals the tier needs (0: auto-approved).
    pub required: usize,
    pub approvers: Vec<ApproverView>,
    /// What each approver's device shows; always in the body (DESIGN 13), `null` when no
    /// approval is needed: nobody is shown anything then, and the receipt, which copies this
    /// field as what the approvers saw, must not claim otherwise (as a local auto receipt).
    #[serde(default)]
    pub binding_message: Option<String>,
    /// When the approval requests expire (RFC 3339).
    pub expires_at: String,
    /// The requester: the access token's `sub`.
    pub requester: String,
    /// The signed receipt, once written (and for a rolled-back write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// Why it ended as it did (denied, expired, stale, failed), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `GET /v1/receipts?after=R-…`: receipts in chain order after `after` (from the first without).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptPage {
    pub receipts: Vec<Receipt>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// `?after=` of `GET /v1/receipts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    pub after: Option<String>,
}

/// `?wait=` of `GET /v1/applies/{id}`, in seconds (capped at [`MAX_WAIT_SECONDS`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitQuery {
    #[serde(default)]
    pub wait: Option<u64>,
}

/// Every refusal and failure: an OAuth-style code and a sentence for people (RFC 6750's shape,
/// as the 401/403 of a bad token already are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `invalid_token`, `insufficient_scope`, `source_not_allowed`, `invalid_request`,
    /// `not_found`, `stale`, `forbidden_change`, `denied`, `expired`, `server_error`, ...
    pub error: String,
    pub error_description: String,
    /// What to do about it, when there is something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl ErrorBody {
    pub fn new(error: &str, description: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: error.to_string(),
            error_description: description.into(),
            hints: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_by_their_wire_names() {
        for s in ApplyStatus::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
            assert_eq!(serde_json::from_str::<ApplyStatus>(&json).unwrap(), s);
            assert_eq!(ApplyStatus::parse(s.name()), Some(s));
        }
        assert!(!ApplyStatus::PendingApproval.is_final() && !ApplyStatus::Approved.is_final());
        assert!(ApplyStatus::Cancelled.is_final() && ApplyStatus::Applied.is_final());
    }

    #[test]
    fn an_error_body_without_hints_is_the_oauth_shape() {
        let body = ErrorBody::new("source_not_allowed", "no");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": "source_not_allowed", "error_description": "no"})
        );
    }
}
