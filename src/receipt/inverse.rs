//! The inverse of an applied changeset, for `changeset rollback`: every cell written goes back
//! to its `before`, planned against the current rows like any other plan.

use super::{Check, Outcome, Receipt, VerifiedChange};
use crate::catalog::{Catalog, value};
use crate::error::{Error, Result};
use crate::plan::{Agent, Change, Changes, Operation};

/// The operations that undo the receipt's writes. Refuses receipts that did not apply, and
/// created rows (which an update cannot undo).
pub fn operations(receipt: &Receipt, catalog: &Catalog) -> Result<Vec<Operation>> {
    check_undoable(receipt)?;
    let mut ops = Vec::new();
    for op in &receipt.operations {
        let changes = op
            .changes
            .iter()
            .filter(|c| c.check != Check::Fail)
            .map(|c| undo(receipt, catalog, c))
            .collect::<Result<Changes>>()?;
        if !changes.is_empty() {
            let label = format!("undo {}: {}", op.id, op.label);
            ops.push(Operation::unscored(
                ops.len() + 1,
                Agent::Writer,
                &op.action,
                label,
                changes,
            ));
        }
    }
    if ops.is_empty() {
        return Err(Error::input(format!(
            "receipt {} has no written cells to roll back",
            receipt.id
        )));
    }
    Ok(ops)
}

/// Only an applied changeset that created no rows can be undone by writing cells back.
fn check_undoable(receipt: &Receipt) -> Result<()> {
    if receipt.outcome != Outcome::Applied {
        return Err(Error::input(format!(
            "receipt {} has outcome `{}`: only applied changesets can be rolled back",
            receipt.id,
            receipt.outcome.name()
        )));
    }
    let created: Vec<&str> = receipt
        .operations
        .iter()
        .filter(|o| o.action == "create_product")
        .flat_map(|o| o.changes.first())
        .map(|c| c.key.as_str())
        .collect();
    if !created.is_empty() {
        return Err(Error::input(format!(
            "receipt {} created {}; a rollback restores cell values and cannot delete rows",
            receipt.id,
            created.join(", ")
        ))
        .hint("delete the created rows by hand, or mark them discontinued with a new plan"));
    }
    Ok(())
}

/// The change that writes one cell back to its `before`, if nobody wrote it since.
fn undo(receipt: &Receipt, catalog: &Catalog, c: &VerifiedChange) -> Result<Change> {
    let field = catalog.field_of(&c.field);
    let now = catalog.lookup(&c.key, &c.field).ok_or_else(|| {
        Error::stale(format!(
            "{} {} no longer exists in the catalog",
            c.key, c.field
        ))
    })?;
    let written = value::to_text(field, &c.after);
    if !value::same(field, &written, now) {
        return Err(Error::stale(format!(
            "{} {} changed since receipt {} wrote it (`{written}` then, `{now}` now); rolling back would overwrite that",
            c.key, c.field, receipt.id
        ))
        .hint("plan the change you want with `changeset plan` instead"));
    }
    Ok(Change {
        key: c.key.clone(),
        field: c.field.clone(),
        before: value::typed(field, now),
        after: c.before.clone(),
    })
}
