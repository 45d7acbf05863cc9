//! Plans: intents + rows → operations with before/after diffs, their facts, and the plan file.

pub mod answer;
pub mod build;
mod changes;
pub mod derive;
pub mod facts;
pub mod file;
pub mod forbid;
mod hash;
pub mod request;
pub mod resolve;
pub mod score;
pub mod suggest;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use changes::{ChangeRef, Changes};
pub use request::{Draft, Parser, Reader, Scoring, assemble, make};

use crate::catalog::SourceRef;
use crate::policy::MatchedRule;

/// The plan file's major format version; readers reject a higher one.
pub const FORMAT_VERSION: u32 = 1;

/// Which agent performs an operation (and so which scope it needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agent {
    Reader,
    Writer,
    Notifier,
}

/// One cell change. `before` is always what the source held at plan time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub key: String,
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// One operation: one action over one or more products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub agent: Agent,
    pub action: String,
    pub label: String,
    pub changes: Changes,
    pub facts: serde_json::Map<String, Value>,
    pub tier: u8,
    pub matched_rules: Vec<MatchedRule>,
    /// Rules that failed to evaluate for this operation (each raises it to tier 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_errors: Vec<String>,
    pub explanation: String,
}

impl Operation {
    /// A new operation, not scored yet (tier 3 until the policy says otherwise).
    pub fn unscored(
        index: usize,
        agent: Agent,
        action: &str,
        label: String,
        changes: Changes,
    ) -> Self {
        Operation {
            id: format!("op-{index}"),
            agent,
            action: action.to_string(),
            label,
            changes,
            facts: Default::default(),
            tier: 3,
            matched_rules: Vec::new(),
            rule_errors: Vec::new(),
            explanation: String::new(),
        }
    }

    pub fn is_write(&self) -> bool {
        self.agent == Agent::Writer
    }
}

/// The rules file a plan was scored under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesRef {
    pub path: String,
    pub sha256: String,
}

/// What approval the plan needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalNeed {
    pub required: bool,
    /// `auto`, `tty` or `ciba`.
    pub method: String,
    /// For tier 3: `two_approvers` or `approver_and_phrase`; absent below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<String>,
}

/// A plan, exactly as written to `plan -o` and printed by `plan --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub id: String,
    pub created_at: String,
    pub request: String,
    pub source: SourceRef,
    pub fingerprint: String,
    pub rules: RulesRef,
    pub operations: Vec<Operation>,
    pub tier: u8,
    pub approval: ApprovalNeed,
    /// For `changeset rollback`: the receipt this plan undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// What a read found (issue 16): absent from plans without a read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<answer::Answer>,
}

impl Plan {
    /// Every change of every write operation.
    pub fn write_changes(&self) -> impl Iterator<Item = ChangeRef<'_>> {
        self.operations
            .iter()
            .filter(|o| o.is_write())
            .flat_map(|o| o.changes.iter())
    }

    pub fn has_changes(&self) -> bool {
        self.write_changes().next().is_some()
    }

    /// Distinct products written by the whole plan.
    pub fn affected_products(&self) -> usize {
        distinct_keys(self.write_changes())
    }

    /// SHA-256 over the canonical JSON (RFC 8785) of what the plan writes and where: ids,
    /// request, source, fingerprint, rules, and each operation's agent and changes. What an
    /// approval and a receipt are bound to. Labels, actions, facts and tiers are left out on
    /// purpose: the program derives them again whenever it uses them, so editing them in a file
    /// changes nothing, and the hash shown at `plan` is the one the approver sees at `apply`.
    pub fn hash(&self) -> String {
        hash::of(self)
    }

    /// The first 8 hex digits of the hash, as shown to approvers (`#a1b2c3d4`).
    pub fn short_hash(&self) -> String {
        short_hash(&self.hash())
    }
}

/// How many distinct row keys the changes write. Sorted rather than put in a tree: a bulk
/// plan's changes come as runs already in key order, which the stable sort merges in one pass.
pub fn distinct_keys<'a>(changes: impl Iterator<Item = ChangeRef<'a>>) -> usize {
    let mut keys: Vec<&str> = changes.map(|c| c.key).collect();
    keys.sort();
    keys.dedup();
    keys.len()
}

/// `#` and the first 8 hex digits of a `sha256:` hash.
pub fn short_hash(hash: &str) -> String {
    let hex = hash.strip_prefix("sha256:").unwrap_or(hash);
    format!("#{}", hex.chars().take(8).collect::<String>())
}
