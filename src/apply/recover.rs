//! `changeset recover`: settles applies that were interrupted between claiming the plan and
//! sealing the receipt (a crash, a kill, a lost connection), using the journal.
//!
//! For each unfinished apply the planned cells are read back: all still at `before` → nothing
//! was written, the claim is released; all at `after` → the write landed, the receipt is
//! sealed; a mix → the written cells are rolled back and a rolled-back receipt is sealed; any
//! other value → someone else changed them: reported as a conflict, left for a human.

use serde::Serialize;

use super::executor::{self, Verified};
use crate::audit::{AuditStore, JournalEntry, state};
use crate::catalog::{CellRef, value};
use crate::error::{Error, Result};
use crate::plan::{Change, Plan};
use crate::receipt::{ApprovalRecord, Check, Delegation, Timings};
use crate::source::Source;

/// What recover did with one unfinished apply.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub plan_id: String,
    /// `released`, `completed`, `rolled_back` or `conflict`.
    pub action: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
}

/// Settles every unfinished apply. `open` opens a plan's source (the caller decides how
/// --source interacts and where tokens come from).
pub fn run(
    store: &mut dyn AuditStore,
    rules_sha256: &str,
    open: impl Fn(&Plan) -> Result<Box<dyn Source>>,
) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for entry in store.unfinished()? {
        outcomes.push(settle(store, rules_sha256, &entry, &open)?);
    }
    Ok(outcomes)
}

fn settle(
    store: &mut dyn AuditStore,
    rules_sha256: &str,
    entry: &JournalEntry,
    open: &impl Fn(&Plan) -> Result<Box<dyn Source>>,
) -> Result<Outcome> {
    let plan: Plan = serde_json::from_str(&entry.plan).map_err(|e| {
        Error::runtime(format!(
            "journal entry {} is unreadable: {e}",
            entry.plan_id
        ))
    })?;
    let approval: ApprovalRecord = serde_json::from_str(&entry.approval).map_err(|e| {
        Error::runtime(format!(
            "journal entry {} is unreadable: {e}",
            entry.plan_id
        ))
    })?;
    let mut source = open(&plan)?;
    let catalog = source.read()?;
    let outcome = |action: &str, detail: String, receipt_id: Option<String>| Outcome {
        plan_id: plan.id.clone(),
        action: action.to_string(),
        detail,
        receipt_id,
    };

    let cells: Vec<CellRef> = plan.write_changes().map(Change::cell).collect();
    let current = source.read_cells(&cells)?;
    let (mut at_before, mut at_after, mut other) = (0, 0, Vec::new());
    for (change, now) in plan.write_changes().zip(&current) {
        let field = catalog.field_of(&change.field);
        let before = value::to_text(field, &change.before);
        let after = value::to_text(field, &change.after);
        match now {
            Some(n) if value::same(field, &after, n) => at_after += 1,
            Some(n) if value::same(field, &before, n) => at_before += 1,
            // A created row that does not exist yet is still "before".
            None if before.is_empty() => at_before += 1,
            _ => other.push(format!("{} {}", change.key, change.field)),
        }
    }
    if !other.is_empty() {
        return Ok(outcome(
            "conflict",
            format!(
                "{} hold values that are neither the plan's before nor after; resolve by hand",
                other.join(", ")
            ),
            None,
        ));
    }
    if at_after == 0 {
        store.release_plan(&plan.id)?;
        return Ok(outcome(
            "released",
            "nothing was written; the plan may be applied again".into(),
            None,
        ));
    }
    let (action, final_state) = if at_before == 0 {
        ("applied", state::DONE)
    } else {
        let verified = executor::read_back(source.as_mut(), &catalog, &plan)?;
        executor::roll_back(source.as_mut(), &catalog, &only_written(verified))?;
        ("rolled_back", state::ROLLED_BACK)
    };
    let verified = executor::read_back(source.as_mut(), &catalog, &plan)?;
    let delegation = vec![Delegation {
        agent: "recover".into(),
        on_behalf_of: super::approval::local_user(),
        scope: "journal".into(),
        granted_scope: None,
        token_ref: None,
        jti: None,
        expires_at: None,
        via: "local".into(),
    }];
    let mut receipt = executor::new_receipt(
        &plan,
        rules_sha256,
        approval,
        delegation,
        verified,
        action,
        executor::now_text(),
        Timings::default(),
    );
    store.append(&mut receipt, final_state)?;
    let detail = if action == "applied" {
        "the write had landed; its receipt is sealed now".to_string()
    } else {
        format!(
            "{at_after} of {} cells had been written; they were rolled back",
            at_after + at_before
        )
    };
    Ok(outcome(
        if action == "applied" {
            "completed"
        } else {
            "rolled_back"
        },
        detail,
        Some(receipt.id),
    ))
}

/// Keeps the changes that were actually written (read back at their `after`).
fn only_written(verified: Verified) -> Verified {
    verified
        .into_iter()
        .map(|(id, changes)| {
            (
                id,
                changes
                    .into_iter()
                    .filter(|c| c.check != Check::Fail)
                    .collect(),
            )
        })
        .collect()
}
