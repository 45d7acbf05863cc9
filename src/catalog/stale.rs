//! The one stale-write check every source runs just before it writes: each planned cell must
//! still hold the value the plan saw (`before`, in any spelling of the same value) and no new
//! row's key may exist yet. On any mismatch nothing is written and the error names every cell.

use super::{Field, WriteBatch, value};
use crate::error::{Error, Result};

/// What a source found, just before writing, in the cell of one planned update.
pub enum Found<'a> {
    /// The row or the column is not there any more.
    Gone,
    /// The row the plan located now holds another key (rows were moved or sorted).
    Moved { row: u32, key_now: String },
    /// The cell's current text (borrowed from a catalog held in memory when it can be).
    Holds(std::borrow::Cow<'a, str>),
}

/// Checks a batch against what the source found. `found` is aligned with `batch.updates`
/// followed by `batch.guards`;
/// `where_` names the source in the message ("catalog", "sheet").
pub fn check<'a, 'b>(
    batch: &'b WriteBatch,
    found: impl IntoIterator<Item = Found<'a>>,
    mut field_of: impl FnMut(&'b str) -> Option<Field>,
    key_header: &str,
    key_exists: impl Fn(&str) -> bool,
    where_: &str,
) -> Result<()> {
    let mut conflicts = Vec::new();
    for (w, now) in batch.updates.iter().chain(&batch.guards).zip(found) {
        match now {
            Found::Gone => {
                conflicts.push(format!("{} {}: the cell no longer exists", w.key, w.field))
            }
            Found::Moved { row, key_now } => conflicts.push(format!(
                "{} {}: row {row} now holds `{key_now}` (rows moved)",
                w.key, w.field
            )),
            Found::Holds(now) if !value::same(field_of(&w.field), &w.before, &now) => conflicts
                .push(format!(
                    "{} {}: planned from `{}`, now `{now}`",
                    w.key, w.field, w.before
                )),
            Found::Holds(_) => {}
        }
    }
    for row in &batch.appends {
        if let Some((_, key)) = row.iter().find(|(h, _)| h == key_header)
            && key_exists(key.trim())
        {
            conflicts.push(format!("{key}: a row with this key exists now"));
        }
    }
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(Error::stale(format!(
        "the {where_} changed since the plan was made; nothing was written:\n  {}",
        conflicts.join("\n  ")
    ))
    .hint(format!("plan again against the current {where_}")))
}
