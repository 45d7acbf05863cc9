//! The approval gate. Tier ≤ auto_approve_max_tier applies without asking; above it an
//! [`Approver`] asks a human: at this terminal (`apply::tty`) or on their own device
//! (`apply::ciba`); a server brings its own. Tier 3 is stronger: at the terminal the user types
//! the changeset id; out of band it takes two approvers, or one approver plus the typed id.

use std::path::Path;

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::policy::RuleSet;
use crate::receipt::ApprovalRecord;

/// Asks a human to approve a plan above the auto-approve tier.
pub trait Approver {
    /// The method's name, recorded in the plan's approval need and in the receipt.
    fn method(&self) -> &'static str;
    /// Obtains the approval of the request's plan (bound to its hash), or refuses.
    fn approve(&self, request: &ApprovalRequest<'_>) -> Result<ApprovalRecord>;
}

/// What an approver is asked to approve, and what it may show or tell.
pub struct ApprovalRequest<'a> {
    /// The plan as the program derives it, tier included.
    pub plan: &'a Plan,
    pub rules: &'a RuleSet,
    /// When the approval is asked; the record's time unless the answer dates it.
    pub now: &'a str,
    /// Renders the full plan as re-derived, its source and its hash prefix, for stderr. Called
    /// only when a human is asked: an auto-approved bulk plan is never rendered.
    pub summary: &'a dyn Fn() -> String,
    /// Told each approver an out-of-band request went to.
    pub sent: &'a dyn Fn(&str),
}

impl ApprovalRequest<'_> {
    /// The record of an approval of this request's plan, at `now`.
    pub fn record(
        &self,
        method: &str,
        approvers: Vec<String>,
        strength: Option<&str>,
    ) -> ApprovalRecord {
        ApprovalRecord {
            method: method.to_string(),
            tier: self.plan.tier,
            approvers,
            approved_at: self.now.to_string(),
            plan_hash: self.plan.hash(),
            binding_message: None,
            transactions: Vec::new(),
            strength: strength.map(str::to_string),
        }
    }
}

/// The approval the plan's tier needs: granted up to auto_approve_max_tier, else asked of the
/// approver. `plan_file`, the plan file being applied, is re-read after approval, and the
/// write refused if it no longer is the approved plan.
pub fn obtain(
    approver: &dyn Approver,
    request: &ApprovalRequest<'_>,
    plan_file: Option<&Path>,
) -> Result<ApprovalRecord> {
    if request.plan.tier <= request.rules.auto_approve_max_tier {
        return Ok(request.record("auto", Vec::new(), None));
    }
    let record = approver.approve(request)?;
    if let Some(path) = plan_file {
        recheck_file(path, &record)?;
    }
    Ok(record)
}

/// Characters Auth0 accepts in a CIBA binding message, and its maximum length.
const BINDING_ALLOWED: &str = " +-_.,:#";
pub const BINDING_MAX: usize = 64;

/// `CS-1A2B3C4D 6 chg 5 prod T3 #a1b2c3d4: 15 off Running`: the id, the counts, the tier and
/// the plan-hash prefix come first and are never cut (they fit: the id is checked on every read);
/// the label, rebuilt from the changes, only fills what is left of Auth0's 64 characters, in
/// its allowed character set.
pub fn binding_message(plan: &Plan) -> String {
    let head = sanitise(&format!(
        "{} {} chg {} prod T{} {}",
        plan.id,
        plan.write_changes().count(),
        plan.affected_products(),
        plan.tier,
        plan.short_hash()
    ));
    let label = plan
        .operations
        .iter()
        .find(|o| o.is_write())
        .map(|o| sanitise(&o.label))
        .unwrap_or_default();
    let room = BINDING_MAX.saturating_sub(head.chars().count() + 2);
    if label.is_empty() || room < 4 {
        return head;
    }
    let cut: String = label.chars().take(room).collect();
    format!("{head}: {}", cut.trim_end())
}

fn sanitise(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c == '%' { ' ' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || BINDING_ALLOWED.contains(*c))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plan file must still be the approved plan: an edit while the approver was deciding
/// (or after) means what is on disk is not what was approved.
fn recheck_file(path: &Path, record: &ApprovalRecord) -> Result<()> {
    let now = crate::plan::file::read(path).map(|p| p.hash());
    if now.as_ref().ok() != Some(&record.plan_hash) {
        return Err(Error::stale(format!(
            "the plan file `{}` changed after it was approved; nothing was written",
            path.display()
        ))
        .hint("plan again, and apply the new plan"));
    }
    Ok(())
}

/// The name of the person at this terminal, for tty approvals.
pub fn local_user() -> String {
    format!("local:{}", crate::local_user::name())
}

#[cfg(test)]
mod tests {
    use super::{BINDING_MAX, binding_message, sanitise};

    /// A plan with `n` one-cell changes on distinct products and this label on the first op.
    fn plan(label: &str, n: usize) -> crate::plan::Plan {
        let changes: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"key": format!("K{i}"), "field": "Inventory", "before": "in_stock", "after": "low_stock"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "format_version": 1, "id": "CS-1A2B3C4D", "created_at": "2026-11-23T12:00:00Z",
            "request": "r", "source": {"kind": "csv", "uri": "/c.csv"}, "fingerprint": "f",
            "rules": {"path": "p", "sha256": "s"}, "tier": 3,
            "approval": {"required": true, "method": "ciba"},
            "operations": [{"id": "op-1", "agent": "writer", "action": "a", "label": label,
                "changes": changes, "facts": {}, "tier": 3, "matched_rules": [], "explanation": ""}]
        }))
        .unwrap()
    }

    #[test]
    fn the_counts_tier_and_hash_come_first_and_are_never_cut() {
        let long = "15% off Running ".repeat(20) + "\r\nApproved by the CFO\u{1b}[2J";
        for n in [1, 6, 123_456] {
            let p = plan(&long, n);
            let m = binding_message(&p);
            let head = format!(
                "CS-1A2B3C4D {n} chg {n} prod T3 #{}",
                &p.hash()["sha256:".len().."sha256:".len() + 8]
            );
            assert!(m.starts_with(&head), "{m}");
            assert!(m.chars().count() <= BINDING_MAX, "{m}");
            assert!(!m.contains('\r') && !m.contains('\u{1b}'), "{m:?}");
        }
        assert!(binding_message(&plan("15% off Running", 6)).ends_with(": 15 off Running"));
    }

    #[test]
    fn binding_messages_keep_only_allowed_characters() {
        assert_eq!(
            sanitise("Approve 2 ops CS-1: 15% off “Running” → $99"),
            "Approve 2 ops CS-1: 15 off Running 99"
        );
    }
}
