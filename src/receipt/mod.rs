//! Receipts: what was applied, approved and verified, sealed with SHA-256 over RFC 8785 (JCS)
//! canonical JSON and chained to the previous receipt.

pub mod inverse;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::SourceRef;
use crate::digest::sha256_prefixed;
use crate::error::{Error, Result};
use crate::plan::Operation;

/// `enforced_by` of a receipt whose approval this CLI enforced on its own.
pub const ENFORCED_LOCALLY: &str = "local";

/// The receipt format's major version.
pub const FORMAT_VERSION: u32 = 1;

/// How an apply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written and verified.
    Applied,
    /// The read-back failed and the written cells were restored.
    RolledBack,
    /// The read-back failed and so did the rollback.
    VerificationFailed,
}

impl Outcome {
    /// The name receipts and tables use.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::RolledBack => "rolled_back",
            Outcome::VerificationFailed => "verification_failed",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a read-back compared with the planned value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Pass,
    /// Same value, other spelling (49.9 vs 49.90).
    Warning,
    Fail,
}

/// One cell as planned and as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedChange {
    pub key: String,
    pub field: String,
    pub before: Value,
    pub after: Value,
    /// What the read-back found (null when the cell was not found).
    pub actual: Value,
    pub check: Check,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptOperation {
    pub id: String,
    pub action: String,
    pub label: String,
    pub tier: u8,
    pub matched_rules: Vec<String>,
    pub changes: Vec<VerifiedChange>,
}

/// Who approved, how, and for which plan hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// `auto`, `tty` or `ciba`.
    pub method: String,
    pub tier: u8,
    /// Subjects of the approvers (the local user name for `tty`).
    pub approvers: Vec<String>,
    pub approved_at: String,
    /// The plan hash the approval is bound to.
    pub plan_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_message: Option<String>,
    /// A reference to each out-of-band transaction (CIBA `auth_req_id` hash prefix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transactions: Vec<String>,
    /// How tier 3 was strengthened (`two_approvers`, `approver_and_phrase`, `typed_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<String>,
}

/// One agent of the delegation chain, with the scope it used and a reference to its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delegation {
    pub agent: String,
    pub on_behalf_of: String,
    pub scope: String,
    /// Every scope the token carried when it is more than `scope` (Token Vault hands out the
    /// connected account's whole grant); absent for local sources and environment tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_scope: Option<String>,
    /// SHA-256 prefix of the token, never the token; null for local sources.
    #[serde(default)]
    pub token_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// How the token was obtained (`token_vault`, `env`, `local`).
    pub via: String,
}

impl Delegation {
    /// Names `user` as the one the agent acted for, unless the token source already knew whose
    /// credential it was (Token Vault: the logged-in user, whoever approved).
    pub fn for_user(self, user: &str) -> Delegation {
        if !self.on_behalf_of.is_empty() {
            return self;
        }
        Delegation {
            on_behalf_of: user.to_string(),
            ..self
        }
    }
}

/// Scopes that only identify the user; a token may carry them besides its agent's scope.
const IDENTITY_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
];

impl Delegation {
    /// The scopes the token carried beyond the one the agent used (identity scopes aside).
    pub fn extra_scopes(&self) -> Vec<&str> {
        self.granted_scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .filter(|s| *s != self.scope && !IDENTITY_SCOPES.contains(s))
            .collect()
    }
}

/// The notification outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyRecord {
    /// `sent`, `failed` or `skipped`.
    pub status: String,
    pub recipients: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Millisecond timings of each step, as integers so the canonical form never varies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub approval_ms: u64,
    /// The source's write alone: its stale check under the lock, writing, fsync and rename.
    pub write_ms: u64,
    pub verify_ms: u64,
    pub total_ms: u64,
}

/// A sealed receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub format_version: u32,
    pub id: String,
    pub plan_id: String,
    pub plan_hash: String,
    pub request: String,
    pub source: SourceRef,
    pub rules_sha256: String,
    pub planned_at: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: Outcome,
    pub tier: u8,
    pub operations: Vec<ReceiptOperation>,
    pub approval: ApprovalRecord,
    pub delegation: Vec<Delegation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyRecord>,
    /// The receipt this one undoes, for rollbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// Who enforced the approval: `local` (this CLI, trusting its user) or `gate`. Absent in
    /// receipts made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforced_by: Option<String>,
    /// Who asked for the apply (the `sub` of the access token the gate was called with); absent
    /// in receipts the CLI enforced locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// Facts the caller supplied (`--fact`), as the rules saw them.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub caller_facts: serde_json::Map<String, Value>,
    pub timings: Timings,
    pub canon: String,
    pub alg: String,
    /// Id and hash of the previous receipt in the store (null for the first).
    pub prev_id: Option<String>,
    pub prev_hash: Option<String>,
    /// The key that signs this receipt (`<name>+<8 hex key id>`, as in its verifier key):
    /// receipts sealed by the gate; covered by the hash, so set before sealing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub hash: String,
    /// The gate's Ed25519 signature (base64) over [`signed_message`] of `hash`: added after
    /// the seal, so the one field besides `hash` that the hash leaves out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// What a receipt signature covers: the receipt's hash, behind a context line so the key can
/// sign nothing else by accident (its checkpoints are signed notes, which start otherwise).
pub fn signed_message(hash: &str) -> String {
    format!("changeset receipt v1\n{hash}\n")
}

impl Receipt {
    /// SHA-256 over the JCS canonical JSON of every field except `hash` and `signature`.
    pub fn compute_hash(&self) -> String {
        let mut value = serde_json::to_value(self).expect("receipts always serialise");
        let object = value.as_object_mut().expect("a receipt is an object");
        object.remove("hash");
        object.remove("signature");
        sha256_prefixed(&crate::canonical::to_vec(&value))
    }

    /// Sets `hash` from the content.
    pub fn seal(&mut self) {
        self.hash = self.compute_hash();
    }

    /// Parses a receipt and checks its seal. The hash is recomputed over the JSON as given, so a
    /// field this version does not know about is still covered.
    pub fn verify_text(text: &str) -> Result<Receipt> {
        let mut value: Value = serde_json::from_str(text)
            .map_err(|e| Error::input(format!("not a receipt (invalid JSON: {e})")))?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| Error::input("not a receipt (not a JSON object)"))?;
        let stated = object
            .remove("hash")
            .and_then(|h| h.as_str().map(str::to_string))
            .ok_or_else(|| Error::input("not a receipt (no hash)"))?;
        let signature = object.remove("signature");
        let actual = sha256_prefixed(&crate::canonical::to_vec(&value));
        if actual != stated {
            return Err(Error::input(format!(
                "the receipt's hash does not match its content (stated {stated}, computed {actual})"
            ))
            .hint("the receipt was changed after it was sealed"));
        }
        let object = value.as_object_mut().expect("checked above");
        object.insert("hash".into(), Value::String(stated));
        if let Some(signature) = signature {
            object.insert("signature".into(), signature);
        }
        let receipt: Receipt = serde_json::from_value(value)
            .map_err(|e| Error::input(format!("the receipt is malformed: {e}")))?;
        crate::ids::check_receipt(&receipt.id)?;
        crate::ids::check_plan(&receipt.plan_id)?;
        if let Some(of) = &receipt.rollback_of {
            crate::ids::check_receipt(of)?;
        }
        Ok(receipt)
    }
}

impl ReceiptOperation {
    pub fn from_operation(op: &Operation, changes: Vec<VerifiedChange>) -> Self {
        ReceiptOperation {
            id: op.id.clone(),
            action: op.action.clone(),
            label: op.label.clone(),
            tier: op.tier,
            matched_rules: op.matched_rules.iter().map(|m| m.id.clone()).collect(),
            changes,
        }
    }
}
