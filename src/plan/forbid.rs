//! Forbid rules on the end state: every row a plan writes is looked at as it will be after the
//! whole plan (its current cells with every change of the plan applied), with that row's
//! `base_price`, `promo_price`, `promo_active` and `inventory` plus the facts of each operation
//! that writes it. A match refuses the plan; no approval, `--yes`, tier setting or config can
//! override it. Checked at `plan` and again at `apply`.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use super::Operation;
use crate::catalog::{Catalog, Field, value};
use crate::error::{Error, Result};
use crate::policy::RuleSet;

/// Refuses the operations when a forbid rule matches the end state of a row they write.
pub fn check(ops: &[Operation], catalog: &Catalog, rules: &RuleSet) -> Result<()> {
    if rules.forbids.is_empty() {
        return Ok(());
    }
    let ends = end_states(ops, catalog);
    // rule id -> (description, rows)
    let mut hits: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for op in ops.iter().filter(|o| o.is_write()) {
        let mut keys: Vec<&str> = op.changes.iter().map(|c| c.key.as_str()).collect();
        keys.dedup();
        for key in keys {
            let mut facts = op.facts.clone();
            facts.extend(ends.get(key).cloned().unwrap_or_default());
            for m in rules.forbidden(&facts) {
                let entry = hits
                    .entry(m.id)
                    .or_insert_with(|| (m.description, Vec::new()));
                if !entry.1.iter().any(|k| k == key) {
                    entry.1.push(key.to_string());
                }
            }
        }
    }
    if hits.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = hits
        .iter()
        .map(|(id, (description, rows))| {
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

/// Each written row's forbid facts after the whole plan.
fn end_states(ops: &[Operation], catalog: &Catalog) -> BTreeMap<String, Map<String, Value>> {
    let mut cells: BTreeMap<String, HashMap<Field, String>> = BTreeMap::new();
    for op in ops.iter().filter(|o| o.is_write()) {
        for c in &op.changes {
            let row = cells.entry(c.key.clone()).or_insert_with(|| {
                let mut now = HashMap::new();
                if let Some(r) = catalog.row_of(&c.key) {
                    for f in [
                        Field::BasePrice,
                        Field::PromoPrice,
                        Field::PromoActive,
                        Field::Inventory,
                    ] {
                        now.insert(f, catalog.cell(r, f).to_string());
                    }
                }
                now
            });
            if let Some(field) = catalog.field_of(&c.field) {
                row.insert(field, value::to_text(Some(field), &c.after));
            }
        }
    }
    cells
        .into_iter()
        .map(|(key, row)| {
            let text = |f: Field| row.get(&f).map(|s| s.trim()).unwrap_or_default();
            let money = |f: Field| value::parse_money(text(f)).and_then(|d| d.to_f64());
            let mut facts = Map::new();
            if let Some(p) = money(Field::BasePrice) {
                facts.insert("base_price".into(), json!(p));
            }
            if let Some(p) = money(Field::PromoPrice) {
                facts.insert("promo_price".into(), json!(p));
            }
            facts.insert(
                "promo_active".into(),
                json!(text(Field::PromoActive).eq_ignore_ascii_case("TRUE")),
            );
            if !text(Field::Inventory).is_empty() {
                facts.insert("inventory".into(), json!(text(Field::Inventory)));
            }
            (key, facts)
        })
        .collect()
}
