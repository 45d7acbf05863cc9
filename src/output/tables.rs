//! Human-readable renderings of plans, receipts and receipt lists (stdout in text mode).

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::Value;

use super::{escape, paint, tier_code};
use crate::audit::Summary;
use crate::plan::answer::Answer;
use crate::plan::{Operation, Plan};
use crate::receipt::{Check, Receipt};

fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.to_vec());
    t
}

pub use crate::catalog::value::show;

fn tier_label(tier: u8) -> &'static str {
    match tier {
        0 => "read",
        1 => "notify",
        2 => "write",
        _ => "bulk/escalated",
    }
}

/// One operation: its header, why, rule errors and its changes as a table.
fn operation(op: &Operation, colour: bool) -> String {
    let mut out = String::new();
    let tier = paint(colour, tier_code(op.tier), &format!("tier {}", op.tier));
    out.push_str(&format!(
        "\n{}  {}  {}  ({tier})\n",
        escape(&op.id),
        escape(&op.action),
        escape(&op.label)
    ));
    out.push_str(&format!("  why: {}\n", escape(&op.explanation)));
    for err in &op.rule_errors {
        out.push_str(&format!(
            "  {} {}\n",
            paint(colour, "1;31", "rule error:"),
            escape(err)
        ));
    }
    if !op.changes.is_empty() {
        let mut t = table(&["Key", "Field", "Before", "After"]);
        for c in op.changes.iter().take(CHANGE_ROWS) {
            t.add_row(vec![
                escape(c.key),
                escape(c.field),
                show(&c.before()),
                show(&c.after()),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
        if op.changes.len() > CHANGE_ROWS {
            out.push_str(&format!(
                "  … {} more changes (--format json or -o FILE lists them all)\n",
                op.changes.len() - CHANGE_ROWS
            ));
        }
    }
    out
}

/// Changes of an operation shown in text: a bulk operation has hundreds of thousands, which no
/// one reads in a terminal (and a table of them all took longer than the plan). The plan file
/// and `--format json` have them all; the plan hash covers them all.
const CHANGE_ROWS: usize = 100;

/// The plan as a table per operation plus a summary line.
pub fn plan(plan: &Plan, colour: bool) -> String {
    let mut out = format!(
        "Plan {} for \"{}\"\n",
        escape(&plan.id),
        escape(&plan.request)
    );
    for op in &plan.operations {
        out.push_str(&operation(op, colour));
    }
    let changes = plan.write_changes().count();
    if plan.operations.is_empty() {
        out.push_str("\nNo changes: the catalog already matches the request.\n");
    }
    let tier = paint(
        colour,
        tier_code(plan.tier),
        &format!("tier {} ({})", plan.tier, tier_label(plan.tier)),
    );
    let approval = if plan.approval.required {
        match &plan.approval.strength {
            Some(s) => format!(
                "needs approval ({}, {})",
                plan.approval.method,
                s.replace('_', " ")
            ),
            None => format!("needs approval ({})", plan.approval.method),
        }
    } else {
        "applies without approval".to_string()
    };
    out.push_str(&format!(
        "\n{tier} · {} operation(s) · {changes} change(s) on {} product(s) · {approval}\n",
        plan.operations.len(),
        plan.affected_products()
    ));
    if let Some(a) = &plan.answer {
        out.push_str(&answer(a));
    }
    out
}

/// Rows of an answer shown in text; `--format json` has them all.
const ANSWER_ROWS: usize = 20;

/// A read's answer under the plan: yes/no, the count, the rows (capped).
fn answer(a: &Answer) -> String {
    let products = format!("{} product{}", a.count, if a.count == 1 { "" } else { "s" });
    let mut out = match a.yes_no {
        Some(yes) => format!(
            "\nAnswer: {} ({products})\n",
            if yes { "yes" } else { "no" }
        ),
        None => format!("\nAnswer: {products}\n"),
    };
    if a.rows.is_empty() {
        return out;
    }
    let headers: Vec<&str> = a.columns.iter().map(String::as_str).collect();
    let mut t = table(&headers);
    for row in a.rows.iter().take(ANSWER_ROWS) {
        t.add_row(
            a.columns
                .iter()
                .map(|c| row.get(c).map(show).unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if a.rows.len() > ANSWER_ROWS {
        out.push_str(&format!(
            "… {} more (--format json lists them all)\n",
            a.rows.len() - ANSWER_ROWS
        ));
    }
    out
}

/// The receipt summary printed after an apply.
pub fn receipt(r: &Receipt, colour: bool) -> String {
    let mut t = table(&["Key", "Field", "Before", "After", "Read back", "Check"]);
    // Every change that did not pass is listed; passed ones up to the limit.
    let mut passed = 0;
    let mut hidden = 0;
    for op in &r.operations {
        for c in &op.changes {
            if c.check == Check::Pass {
                passed += 1;
                if passed > CHANGE_ROWS {
                    hidden += 1;
                    continue;
                }
            }
            let check = match c.check {
                Check::Pass => paint(colour, "32", "pass"),
                Check::Warning => paint(colour, "33", "warning"),
                Check::Fail => paint(colour, "1;31", "FAIL"),
            };
            t.add_row(vec![
                escape(&c.key),
                escape(&c.field),
                show(&c.before),
                show(&c.after),
                show(&c.actual),
                check,
            ]);
        }
    }
    let approvers = if r.approval.approvers.is_empty() {
        String::new()
    } else {
        format!(" by {}", escape(&r.approval.approvers.join(", ")))
    };
    let hidden = if hidden > 0 {
        format!(
            "… {hidden} more changes passed (`changeset audit show {}` lists them all)\n",
            escape(&r.id)
        )
    } else {
        String::new()
    };
    format!(
        "Receipt {} ({})\n{t}\n{hidden}plan {} · tier {} · approved: {}{approvers}\nhash {}\nprev {}\n",
        escape(&r.id),
        r.outcome,
        escape(&r.plan_id),
        r.tier,
        escape(&r.approval.method),
        r.hash,
        r.prev_hash.as_deref().unwrap_or("(first receipt)")
    )
}

/// `audit list` as a table.
pub fn receipts(list: &[Summary]) -> String {
    if list.is_empty() {
        return "No receipts yet. Apply a plan with `changeset apply` to make one.\n".to_string();
    }
    let mut t = table(&[
        "Receipt", "Plan", "Finished", "Outcome", "Tier", "Changes", "Request",
    ]);
    for s in list {
        let request: String = if s.request.chars().count() > 48 {
            s.request
                .chars()
                .take(47)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            s.request.clone()
        };
        t.add_row(vec![
            escape(&s.id),
            escape(&s.plan_id),
            crate::clock::human(&s.created_at),
            escape(&s.outcome),
            s.tier.to_string(),
            s.changes.to_string(),
            escape(&request),
        ]);
    }
    format!("{t}\n")
}

/// `gate check-config`: what the gate will enforce, one line each.
pub fn gate_config(summary: &Value) -> String {
    let s = |k: &str| summary[k].as_str().unwrap_or_default().to_string();
    let mut out = format!("{} is valid\n", s("config"));
    for (label, key) in [
        ("issuer", "issuer"),
        ("audience", "audience"),
        ("CIBA client", "ciba_client"),
        ("Token Vault client", "token_vault_client"),
        ("rules", "rules"),
        ("rules sha256", "rules_sha256"),
        ("signing key", "signing_key"),
    ] {
        out.push_str(&format!("  {label:<19} {}\n", s(key)));
    }
    out.push_str(&format!(
        "  {:<19} up to tier {}\n",
        "auto-approve", summary["auto_approve_max_tier"]
    ));
    for t in summary["tiers"].as_array().into_iter().flatten() {
        let approvers = strings(&t["approvers"]);
        out.push_str(&format!(
            "  {:<19} {} of [{}]{}, expires after {} s\n",
            format!("tier {}", t["tier"]),
            t["count"],
            approvers.join(", "),
            if t["distinct_from_requester"] == true {
                ", not the requester"
            } else {
                ""
            },
            t["expiry_seconds"]
        ));
    }
    let sources = strings(&summary["allowed_sources"]);
    out.push_str(&format!(
        "  {:<19} {}\n",
        "allowed sources",
        sources.join(", ")
    ));
    if let Some(var) = summary["reader_token_env"].as_str() {
        out.push_str(&format!("  {:<19} ${var}\n", "Sheets reader token"));
    }
    out
}

/// The strings of a JSON array (nothing for anything else).
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// What an approver at this terminal reads before answering: the full plan (as re-derived at
/// apply), the source it writes and the plan-hash prefix that the binding message also carries.
pub fn approval_summary(plan: &Plan, colour: bool) -> String {
    let source = match &plan.source.tab {
        Some(tab) => format!("{} {} / {}", plan.source.kind, plan.source.uri, tab),
        None => format!("{} {}", plan.source.kind, plan.source.uri),
    };
    format!(
        "{}Source: {}\nPlan hash: {} ({})\n",
        self::plan(plan, colour),
        escape(&source),
        plan.short_hash(),
        plan.hash()
    )
}
