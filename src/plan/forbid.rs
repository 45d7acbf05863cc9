//! Forbid rules on the end state: every row a plan writes is looked at as it will be after the
//! whole plan (its current cells with every change of the plan applied), with that row's
//! `base_price`, `promo_price`, `promo_active` and `inventory` plus the facts of each operation
//! that writes it. A match refuses the plan; no approval, `--yes`, tier setting or config can
//! override it. Checked at `plan` and again at `apply`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use super::{Change, Operation};
use crate::catalog::{Catalog, Field, search_from, value};
use crate::error::{Error, Result};
use crate::policy::RuleSet;
use crate::policy::facts::{Num, Slot, Slots, slot_of};

/// The cells of a row's end state that forbid rules read, with the facts they become.
const END_FIELDS: [(Field, &str); 4] = [
    (Field::BasePrice, "base_price"),
    (Field::PromoPrice, "promo_price"),
    (Field::PromoActive, "promo_active"),
    (Field::Inventory, "inventory"),
];

/// Refuses the operations when a forbid rule matches the end state of a row they write.
pub fn check(ops: &[Operation], catalog: &Catalog, rules: &RuleSet) -> Result<()> {
    if rules.forbids.is_empty() {
        return Ok(());
    }
    let written = last_writes(ops, catalog);
    let slots = END_FIELDS.map(|(_, fact)| slot_of(fact).expect("end-state facts are declared"));
    // rule id -> (description, rows in the order first met, the same rows as a set)
    let mut hits: BTreeMap<String, (String, Vec<&str>, HashSet<&str>)> = BTreeMap::new();
    let mut at = 0;
    for op in ops.iter().filter(|o| o.is_write()) {
        // The operation's facts are bound once; each row's end state is bound over them.
        let facts = Slots::bind(&op.facts);
        let mut keys: Vec<&str> = op.changes.iter().map(|c| c.key.as_str()).collect();
        keys.dedup();
        for key in keys {
            // Keys come in key order: each search starts where the last one ended.
            let found = search_from(written.len(), at, |i| written[i].0.cmp(key));
            at = found.unwrap_or(at);
            let end = End::of(key, found.map(|i| &written[i].1), catalog);
            for m in rules.forbidden_in(&end.bind(facts.clone(), &slots)) {
                let entry = hits
                    .entry(m.id)
                    .or_insert_with(|| (m.description, Vec::new(), HashSet::new()));
                if entry.2.insert(key) {
                    entry.1.push(key);
                }
            }
        }
    }
    if hits.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = hits
        .iter()
        .map(|(id, (description, rows, _))| {
            format!(
                "{id}: {} ({})",
                crate::escape::escape(description),
                crate::escape::escape(&rows.join(", "))
            )
        })
        .collect();
    Err(Error::input(format!(
        "the plan is forbidden by the rules, whatever the approval; nothing was written:\n  {}",
        lines.join("\n  ")
    ))
    .hint("change the request so that no row ends in a forbidden state (see `changeset rules explain`)"))
}

/// The values the plan last writes to each written row's end-state cells ([`END_FIELDS`]
/// order), sorted by row key. Borrowed from the changes (a bulk plan writes a hundred thousand
/// rows); sorting rather than hashing keeps the work sequential: each operation's changes are
/// usually in key order already, which the stable sort merges as runs.
fn last_writes<'a>(
    ops: &'a [Operation],
    catalog: &Catalog,
) -> Vec<(&'a str, [Option<&'a Value>; 4])> {
    let mut changes: Vec<&Change> = ops
        .iter()
        .filter(|o| o.is_write())
        .flat_map(|o| o.changes.iter())
        .collect();
    // Stable: a key's changes stay in plan order, so the last write wins below.
    changes.sort_by(|a, b| a.key.cmp(&b.key));
    let mut written: Vec<(&str, [Option<&Value>; 4])> = Vec::new();
    // The end-state index of the last header met (a bulk operation repeats one header).
    let mut last_header: Option<(&str, Option<usize>)> = None;
    for c in changes {
        if written.last().is_none_or(|(key, _)| *key != c.key) {
            written.push((&c.key, [None; 4]));
        }
        let index = match last_header {
            Some((header, index)) if header == c.field => index,
            _ => {
                let field = catalog.field_of(&c.field);
                let index = END_FIELDS.iter().position(|(f, _)| Some(*f) == field);
                last_header = Some((&c.field, index));
                index
            }
        };
        if let (Some(i), Some((_, cells))) = (index, written.last_mut()) {
            cells[i] = Some(&c.after);
        }
    }
    written
}

/// A written row after the whole plan: its current cells with the plan's last writes.
struct End<'a> {
    base_price: Option<f64>,
    promo_price: Option<f64>,
    promo_active: bool,
    inventory: Cow<'a, str>,
}

impl<'a> End<'a> {
    fn of(key: &str, written: Option<&[Option<&Value>; 4]>, catalog: &'a Catalog) -> Self {
        let row = catalog.row_of(key);
        let text = |i: usize| -> Cow<'a, str> {
            let field = END_FIELDS[i].0;
            match written.and_then(|w| w[i]) {
                Some(after) => Cow::Owned(value::to_text(Some(field), after)),
                None => Cow::Borrowed(row.map_or("", |r| catalog.cell(r, field))),
            }
        };
        let money = |i: usize| value::parse_money(text(i).trim()).and_then(|d| d.to_f64());
        End {
            base_price: money(0),
            promo_price: money(1),
            promo_active: text(2).trim().eq_ignore_ascii_case("TRUE"),
            inventory: text(3),
        }
    }

    /// The end-state facts bound over an operation's facts (`slots` in [`END_FIELDS`] order),
    /// as if the two were one object with the end state's facts last.
    fn bind<'s>(&'s self, mut facts: Slots<'s>, slots: &[usize; 4]) -> Slots<'s> {
        let number = |n: Option<f64>| {
            n.filter(|n| n.is_finite())
                .map(|n| Slot::Num(Num::Float(n)))
        };
        for (i, slot) in [number(self.base_price), number(self.promo_price)]
            .into_iter()
            .enumerate()
        {
            if let Some(slot) = slot {
                facts = facts.with(slots[i], slot);
            }
        }
        facts = facts.with(slots[2], Slot::Bool(self.promo_active));
        let inventory = self.inventory.trim();
        if !inventory.is_empty() {
            facts = facts.with(slots[3], Slot::Text(inventory));
        }
        facts
    }
}
