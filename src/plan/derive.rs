//! What an operation is, said again from its changes alone: its action (a fact rules may read)
//! and its label (what the approver reads). At apply both are rebuilt from the changes and the
//! current rows, so a plan file cannot name a bulk price cut "fix a typo".

use std::collections::{BTreeSet, HashSet};

use rust_decimal::Decimal;

use super::{Agent, Operation};
use crate::catalog::{Catalog, Field, value};

/// The action of an operation, from the agent and the columns it writes.
pub fn action(op: &Operation, catalog: &Catalog) -> String {
    match op.agent {
        Agent::Reader => return "read".into(),
        Agent::Notifier => return "notify".into(),
        Agent::Writer => {}
    }
    if !op.changes.is_empty() && op.changes.iter().all(|c| catalog.row_of(c.key).is_none()) {
        return "create_product".into();
    }
    // A bulk operation repeats one header: look each run of it up once.
    let mut fields: HashSet<Option<Field>> = HashSet::new();
    let mut last_header: Option<&str> = None;
    for c in &op.changes {
        if last_header != Some(c.field) {
            fields.insert(catalog.field_of(c.field));
            last_header = Some(c.field);
        }
    }
    let only = |f: Field| fields.len() == 1 && fields.contains(&Some(f));
    if only(Field::PromoActive) {
        "set_promo_status"
    } else if only(Field::PromoPrice) && more_than_one_key(op) {
        "bulk_price_change"
    } else if only(Field::PromoPrice) {
        "update_price"
    } else if only(Field::BasePrice) {
        "update_base_price"
    } else if only(Field::Inventory) {
        "update_inventory_flag"
    } else {
        "update_cells"
    }
    .into()
}

/// A short label for people: what is done, then to what ("15% off Running",
/// "mark STR-002 Cloud Runner out_of_stock"). Catalog text in it is escaped by whoever prints it.
pub fn label(op: &Operation, catalog: &Catalog) -> String {
    let action = action(op, catalog);
    let keys = keys(op);
    let what = match keys.as_slice() {
        [] => "nothing".to_string(),
        [one] => match catalog.row_of(one) {
            Some(row) => format!("{one} {}", catalog.cell(row, Field::Name).trim()),
            None => (*one).to_string(),
        },
        many => {
            let categories: BTreeSet<&str> = many
                .iter()
                .filter_map(|k| catalog.row_of(k))
                .map(|r| catalog.cell(r, Field::Category).trim())
                .collect();
            match categories.iter().next() {
                Some(c) if categories.len() == 1 && !c.is_empty() => (*c).to_string(),
                _ => format!("{} products", many.len()),
            }
        }
    };
    let same_after = || {
        let afters: BTreeSet<String> = op
            .changes
            .iter()
            .map(|c| value::to_text(catalog.field_of(c.field), &c.after()))
            .collect();
        (afters.len() == 1).then(|| afters.into_iter().next().unwrap_or_default())
    };
    match action.as_str() {
        "read" | "notify" => action,
        "create_product" => format!("add {}", keys.join(", ")),
        "set_promo_status" if same_after().as_deref() == Some("TRUE") => {
            format!("start the promo on {what}")
        }
        "set_promo_status" => format!("end the promo on {what}"),
        "update_price" | "bulk_price_change" => match promo_depth(op, catalog) {
            Some(p) => format!("{p}% off {what}"),
            None if same_after().as_deref() == Some("") => {
                format!("clear the promo price of {what}")
            }
            None => format!("promo price of {what}"),
        },
        "update_base_price" => format!("change the base price of {what}"),
        "update_inventory_flag" => match same_after() {
            Some(flag) => format!("mark {what} {flag}"),
            None => format!("change the inventory of {what}"),
        },
        _ => format!("change {what}"),
    }
}

/// Whether the operation writes more than one row (without collecting its keys).
fn more_than_one_key(op: &Operation) -> bool {
    let mut changes = op.changes.iter();
    changes
        .next()
        .is_some_and(|first| changes.any(|c| c.key != first.key))
}

/// The distinct keys an operation writes, in order of first appearance.
fn keys(op: &Operation) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    op.changes
        .iter()
        .map(|c| c.key)
        .filter(|k| seen.insert(*k))
        .collect()
}

/// The discount every promo price of the operation gives off its row's Base Price, in whole
/// percent, when it is the same for all of them.
fn promo_depth(op: &Operation, catalog: &Catalog) -> Option<Decimal> {
    let mut depth = None;
    for c in &op.changes {
        let row = catalog.row_of(c.key)?;
        let base = value::parse_money(catalog.cell(row, Field::BasePrice))?;
        let promo = value::parse_money(&value::to_text(Some(Field::PromoPrice), &c.after()))?;
        if base <= Decimal::ZERO {
            return None;
        }
        let p = ((base - promo) / base * Decimal::ONE_HUNDRED).round();
        match depth {
            None => depth = Some(p),
            Some(d) if d == p => {}
            Some(_) => return None,
        }
    }
    depth
}
