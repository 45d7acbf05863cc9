//! `audit show`: a receipt as a readable timeline, one humane line per step and permission.

use super::escape;
use super::tables::show;
use crate::clock::human;
use crate::receipt::{ApprovalRecord, Check, Delegation, Receipt};

pub fn render(r: &Receipt) -> String {
    let mut t = Timeline(vec![escape(&format!("Receipt {} · {}", r.id, r.outcome))]);
    planned(&mut t, r);
    t.at(&r.approval.approved_at, approved(&r.approval));
    t.at(
        &r.approval.approved_at,
        enforced_by(r.enforced_by.as_deref()),
    );
    if !r.caller_facts.is_empty() {
        let facts: Vec<String> = r
            .caller_facts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        t.at(
            &r.planned_at,
            format!("facts given by the caller: {}", facts.join(", ")),
        );
    }
    for d in &r.delegation {
        t.at(&r.started_at, acted(d));
    }
    written(&mut t, r);
    finished(&mut t, r);
    t.0.push(String::new());
    t.0.join("\n")
}

/// The lines of a timeline.
struct Timeline(Vec<String>);

impl Timeline {
    /// One step at its time. Every line quotes receipt data (requests, cells, labels): escaped
    /// as a whole.
    fn at(&mut self, time: &str, text: String) {
        self.0.push(escape(&format!("  {}  {text}", human(time))));
    }
}

/// What was planned, from what, and how it was scored.
fn planned(t: &mut Timeline, r: &Receipt) {
    t.at(
        &r.planned_at,
        format!(
            "planned {} from \"{}\" against {} {}",
            r.plan_id, r.request, r.source.kind, r.source.uri
        ),
    );
    let ops: Vec<String> = r
        .operations
        .iter()
        .map(|o| format!("{} {} → tier {}", o.id, o.action, o.tier))
        .collect();
    t.at(
        &r.planned_at,
        format!(
            "scored under rules {}: {} (plan tier {})",
            short(&r.rules_sha256),
            ops.join(", "),
            r.tier
        ),
    );
    if r.rules_sha256 != default_rules_sha256() {
        t.at(
            &r.planned_at,
            "WARNING: scored under rules other than the embedded default; check them with `audit verify --require-rules`".to_string(),
        );
    }
}

/// How the plan was approved, bound to which hash, message and transactions.
fn approved(approval: &ApprovalRecord) -> String {
    let mut text = if approval.method == "auto" {
        format!(
            "approved automatically: tier {} is within auto_approve_max_tier",
            approval.tier
        )
    } else if approval.method.starts_with("none") {
        format!("no approval: {}", approval.method)
    } else {
        format!(
            "approved via {} by {}",
            approval.method,
            approval.approvers.join(" and ")
        )
    };
    text.push_str(&format!(" (plan hash {})", short(&approval.plan_hash)));
    if let Some(m) = &approval.binding_message {
        text.push_str(&format!(", message \"{m}\""));
    }
    if let Some(s) = &approval.strength {
        text.push_str(&format!(", tier-3 strength {}", s.replace('_', " ")));
    }
    for t in &approval.transactions {
        text.push_str(&format!(", transaction {t}"));
    }
    text
}

fn enforced_by(by: Option<&str>) -> String {
    match by {
        Some(crate::receipt::ENFORCED_LOCALLY) => {
            "enforced by: local (this CLI, trusting the user who ran it)".to_string()
        }
        Some(other) => format!("enforced by: {other}"),
        None => "enforced by: not recorded (receipt made before enforced_by)".to_string(),
    }
}

/// One link of the delegation chain.
fn acted(d: &Delegation) -> String {
    let token = d
        .token_ref
        .as_deref()
        .map(|t| format!(" (token {t})"))
        .unwrap_or_default();
    let extra = d.extra_scopes();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("; the token also carried {} (unused)", extra.join(" "))
    };
    format!(
        "{} acted for {} with scope `{}` via {}{token}{extra}",
        d.agent, d.on_behalf_of, d.scope, d.via
    )
}

/// The cells written and what the read-back found.
fn written(t: &mut Timeline, r: &Receipt) {
    let changes: Vec<_> = r.operations.iter().flat_map(|o| o.changes.iter()).collect();
    t.at(
        &r.started_at,
        format!("wrote {} cell(s) in one batch", changes.len()),
    );
    for c in &changes {
        t.at(
            &r.started_at,
            format!(
                "  {} {}: {} → {}",
                c.key,
                c.field,
                show(&c.before),
                show(&c.after)
            ),
        );
    }
    let count = |k: Check| changes.iter().filter(|c| c.check == k).count();
    t.at(
        &r.finished_at,
        format!(
            "read back: {} pass, {} warning, {} fail",
            count(Check::Pass),
            count(Check::Warning),
            count(Check::Fail)
        ),
    );
}

/// Notification, rollback link and seal.
fn finished(t: &mut Timeline, r: &Receipt) {
    if let Some(n) = &r.notify {
        let detail = n
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        t.at(
            &r.finished_at,
            format!(
                "notify {} to {} recipient(s){detail}",
                n.status, n.recipients
            ),
        );
    }
    if let Some(of) = &r.rollback_of {
        t.at(
            &r.finished_at,
            format!("this changeset rolls back receipt {of}"),
        );
    }
    t.at(
        &r.finished_at,
        format!(
            "sealed {} (prev {})",
            r.hash,
            r.prev_hash.as_deref().unwrap_or("none")
        ),
    );
}

/// The notification outcome recorded after the receipt was sealed (the message carries the
/// receipt's hash, so the outcome cannot be inside it).
pub fn notify_outcome(at: &str, n: &crate::receipt::NotifyRecord) -> String {
    let detail = match (&n.message_id, &n.error) {
        (_, Some(e)) => format!(": {e}"),
        (Some(id), None) => format!(" (message {id})"),
        (None, None) => String::new(),
    };
    let line = format!(
        "  {}  notify {} to {} recipient(s){detail} (recorded after sealing)",
        human(at),
        n.status,
        n.recipients
    );
    format!("{}\n", escape(&line))
}

/// The hash of the embedded default rules, as receipts record rules.
pub fn default_rules_sha256() -> String {
    crate::digest::sha256_prefixed(crate::policy::DEFAULT_RULES.as_bytes())
}

/// The first 16 hex digits of a `sha256:` hash, for display.
fn short(hash: &str) -> &str {
    let end = hash.len().min("sha256:".len() + 16);
    &hash[..end]
}
