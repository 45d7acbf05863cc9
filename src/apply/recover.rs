//! `changeset recover`: settles applies that were interrupted between claiming the plan and
//! sealing the receipt (a crash, a kill, a lost connection), using the journal.
//!
//! For each unfinished apply the planned cells are read back: all still at `before` → nothing
//! was written, the claim is released; all at `after` → the write landed, the receipt is
//! sealed; a mix → the written cells are rolled back and a rolled-back receipt is sealed; any
//! other value → someone else changed them: reported as a conflict, left for a human.
//!
//! Nothing read from the journal is trusted: the stored plan must hash to the row's plan hash and
//! carry valid ids, every value it would restore passes the checks of any write, and a recovery
//! receipt records no approval (`none (recovery of CS-…)`), never the journal's.

use serde::Serialize;

use super::executor::{self, Verified};
use crate::audit::{AuditStore, JournalEntry, state};
use crate::catalog::{CellRef, value};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::receipt::{self, ApprovalRecord, Check, Delegation, Timings};
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
    open: impl Fn(&Plan) -> Result<Box<dyn Source>>,
) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for entry in store.unfinished()? {
        outcomes.push(settle(store, &entry, &open, None)?);
    }
    Ok(outcomes)
}

/// Settles the one unfinished apply of `plan_id`, if the journal holds one (a service settling
/// its own interrupted write, while other applies may be in flight); `enforcer` seals the
/// receipt as that service (the gate signs it).
pub fn settle_one(
    store: &mut dyn AuditStore,
    plan_id: &str,
    open: impl Fn(&Plan) -> Result<Box<dyn Source>>,
    enforcer: Option<&executor::Enforcer<'_>>,
) -> Result<Option<Outcome>> {
    let entry = store
        .unfinished()?
        .into_iter()
        .find(|e| e.plan_id == plan_id);
    entry
        .map(|e| settle(store, &e, &open, enforcer))
        .transpose()
}

fn settle(
    store: &mut dyn AuditStore,
    entry: &JournalEntry,
    open: &impl Fn(&Plan) -> Result<Box<dyn Source>>,
    enforcer: Option<&executor::Enforcer<'_>>,
) -> Result<Outcome> {
    let plan = read_entry(entry)?;
    let mut source = open(&plan)?;
    let catalog = source.read()?;
    let outcome = |action: &str, detail: String, receipt_id: Option<String>| Outcome {
        plan_id: plan.id.clone(),
        action: action.to_string(),
        detail,
        receipt_id,
    };

    let (at_before, at_after, other) = tally(&plan, &catalog, source.as_mut())?;
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
        (receipt::Outcome::Applied, state::DONE)
    } else {
        restore(source.as_mut(), &catalog, &plan)?;
        (receipt::Outcome::RolledBack, state::ROLLED_BACK)
    };
    let receipt = seal(
        store,
        source.as_mut(),
        &catalog,
        &plan,
        (action, final_state),
        enforcer,
    )?;
    let (name, detail) = if action == receipt::Outcome::Applied {
        let detail = "the write had landed; its receipt is sealed now".to_string();
        ("completed", detail)
    } else {
        let total = at_after + at_before;
        let detail = format!("{at_after} of {total} cells had been written; they were rolled back");
        ("rolled_back", detail)
    };
    Ok(outcome(name, detail, Some(receipt.id)))
}

/// Reads the planned cells back: how many hold their `before`, how many their `after`, and
/// which hold neither.
fn tally(
    plan: &Plan,
    catalog: &crate::catalog::Catalog,
    source: &mut dyn Source,
) -> Result<(usize, usize, Vec<String>)> {
    let cells: Vec<CellRef> = plan.write_changes().map(|c| c.cell()).collect();
    let current = source.read_cells(&cells)?;
    let (mut at_before, mut at_after, mut other) = (0, 0, Vec::new());
    for (change, now) in plan.write_changes().zip(&current) {
        let field = catalog.field_of(change.field);
        let before = value::to_text(field, &change.before());
        let after = value::to_text(field, &change.after());
        match now {
            Some(n) if value::same(field, &after, n) => at_after += 1,
            Some(n) if value::same(field, &before, n) => at_before += 1,
            // A created row that does not exist yet is still "before".
            None if before.is_empty() => at_before += 1,
            _ => other.push(format!("{} {}", change.key, change.field)),
        }
    }
    Ok((at_before, at_after, other))
}

/// Rolls the written cells of a half-written apply back to their `before`, refusing a value
/// the journal could only hold if it was edited.
fn restore(source: &mut dyn Source, catalog: &crate::catalog::Catalog, plan: &Plan) -> Result<()> {
    let verified = executor::read_back(source, catalog, plan)?;
    let written = only_written(verified);
    for c in written.iter().flat_map(|(_, v)| v) {
        if let Some(field) = catalog.field_of(&c.field) {
            executor::valid_after(field, &c.before).map_err(|why| {
                Error::input(format!(
                    "journal entry {}: restoring {} {} to {} is refused: {why}; nothing was written",
                    plan.id,
                    c.key,
                    c.field,
                    crate::escape::escape(&c.before.to_string())
                ))
                .hint("the journal was edited; settle this apply by hand")
            })?;
        }
    }
    executor::roll_back(source, catalog, &written)
}

/// The recovery's receipt, sealed in the store with the journal's final state.
fn seal(
    store: &mut dyn AuditStore,
    source: &mut dyn Source,
    catalog: &crate::catalog::Catalog,
    plan: &Plan,
    (action, final_state): (receipt::Outcome, &str),
    enforcer: Option<&executor::Enforcer<'_>>,
) -> Result<receipt::Receipt> {
    // A recovery is not an approval: the journal's approval record is not evidence of one.
    let approval = ApprovalRecord {
        method: format!("none (recovery of {})", plan.id),
        tier: plan.tier,
        approvers: Vec::new(),
        approved_at: executor::now_text(),
        plan_hash: plan.hash(),
        binding_message: None,
        transactions: Vec::new(),
        strength: None,
    };
    let verified = executor::read_back(source, catalog, plan)?;
    let delegation = vec![Delegation {
        agent: "recover".into(),
        on_behalf_of: enforcer.map_or_else(super::approval::local_user, |e| e.requester.into()),
        scope: "journal".into(),
        granted_scope: None,
        token_ref: None,
        jti: None,
        expires_at: None,
        via: "local".into(),
    }];
    let mut receipt = executor::new_receipt(
        plan,
        &plan.rules.sha256,
        approval,
        delegation,
        verified,
        action,
        executor::now_text(),
        Timings::default(),
    );
    executor::append(store, &mut receipt, final_state, enforcer)?;
    Ok(receipt)
}

/// The plan a journal entry holds, checked against the entry.
fn read_entry(entry: &JournalEntry) -> Result<Plan> {
    let plan: Plan = serde_json::from_str(&entry.plan).map_err(|e| {
        Error::runtime(format!(
            "journal entry {} is unreadable: {e}",
            entry.plan_id
        ))
    })?;
    check_entry(entry, &plan)?;
    Ok(plan)
}

/// The journal row must be what an apply claimed: the stored plan hashes to the row's plan hash
/// and carries the row's (valid) id.
fn check_entry(entry: &JournalEntry, plan: &Plan) -> Result<()> {
    crate::ids::check_plan(&entry.plan_id)?;
    crate::plan::file::check_ids(plan)?;
    if plan.id != entry.plan_id || plan.hash() != entry.plan_hash {
        return Err(Error::input(format!(
            "journal entry {}: the stored plan does not match the entry's plan id and hash; nothing was written",
            entry.plan_id
        ))
        .hint("the journal was edited outside changeset; settle this apply by hand"));
    }
    Ok(())
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
