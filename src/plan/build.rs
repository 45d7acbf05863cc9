//! Intents + catalog → operations with before/after diffs. `before` always comes from the rows;
//! a change whose `after` equals the current value is not listed. Clauses of one request are
//! independent: two clauses that set the same cell to different values, or one that computes
//! from a Base Price another changes, refuse the request instead of depending on an order.

use std::collections::{HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::{Agent, Change, Changes, Operation, resolve};
use crate::catalog::{Catalog, Field, value};
use crate::error::{Error, Result};
use crate::parse::{Intent, InventoryState, PriceChange};

/// Builds the operations for all intents, in request order. Any refused clause refuses all.
pub fn operations(catalog: &Catalog, intents: &[Intent]) -> Result<Vec<Operation>> {
    let mut b = Builder {
        catalog,
        ops: Vec::new(),
        written: HashMap::new(),
        // One clause cannot contradict itself: only track cells when there are more.
        track: intents.len() > 1,
        base_read: HashSet::new(),
        base_written: HashSet::new(),
    };
    let mut previous: Vec<usize> = Vec::new();
    for intent in intents {
        let read = matches!(intent, Intent::Read { .. });
        let rows = match intent.target() {
            Some(target) => {
                let rows = resolve::rows(catalog, target, &previous, read)?;
                if rows.is_empty() && !read {
                    return Err(Error::input(format!(
                        "no product matches {}; nothing was planned",
                        match target.filters.as_slice() {
                            [] => "the request".to_string(),
                            filters => resolve::describe_filters(filters),
                        }
                    ))
                    .hint("check the price or stock condition, or name the products directly"));
                }
                previous.clone_from(&rows);
                rows
            }
            None => Vec::new(),
        };
        b.intent(intent, &rows)?;
    }
    Ok(b.ops)
}

struct Builder<'a> {
    catalog: &'a Catalog,
    ops: Vec<Operation>,
    /// Every cell written so far: (key, header) → after.
    written: HashMap<(String, String), Value>,
    track: bool,
    /// Rows whose Base Price a clause computed from, and rows whose Base Price changes.
    base_read: HashSet<usize>,
    base_written: HashSet<usize>,
}

impl Builder<'_> {
    fn intent(&mut self, intent: &Intent, rows: &[usize]) -> Result<()> {
        let catalog = self.catalog;
        let what = describe_rows(catalog, rows);
        match intent {
            Intent::Discount { percent, .. } => {
                self.reads_base(rows)?;
                let factor = Decimal::ONE - *percent / Decimal::ONE_HUNDRED;
                self.promo(rows, &format!("{percent}% off {what}"), |base| {
                    round2(base * factor)
                })?;
            }
            Intent::AmountOff { amount, .. } => {
                self.reads_base(rows)?;
                self.promo(rows, &format!("${amount} off {what}"), |base| {
                    base - *amount
                })?;
            }
            Intent::PromoPrice { price, .. } => {
                self.promo(rows, &format!("promo at ${price} for {what}"), |_| *price)?;
            }
            Intent::ActivatePromo { .. } => self.activate_promo(rows, &what)?,
            Intent::EndPromo { .. } => {
                let label = format!("end the promo on {what}");
                let status = changes(catalog, rows, Field::PromoActive, |_| Ok(json!("FALSE")))?;
                let prices = changes(catalog, rows, Field::PromoPrice, |_| Ok(json!("")))?;
                self.push("set_promo_status", label.clone(), status, Agent::Writer)?;
                self.push(price_action(rows), label, prices, Agent::Writer)?;
            }
            Intent::SetInventory { state, .. } => {
                let changes =
                    changes(catalog, rows, Field::Inventory, |_| Ok(json!(state.flag())))?;
                let label = format!("mark {what} {}", state.flag());
                self.push("update_inventory_flag", label, changes, Agent::Writer)?;
            }
            Intent::BasePrice { change, .. } => self.base_change(rows, change, &what)?,
            Intent::Create {
                sku,
                name,
                category,
                price,
                inventory,
            } => {
                let changes = create(catalog, sku, name, category, *price, *inventory)?;
                let label = format!("add {sku} {name}");
                self.push("create_product", label, changes, Agent::Writer)?;
            }
            Intent::Read { .. } => {
                let label = format!("read {what}");
                self.push("read", label, Changes::new(), Agent::Reader)?;
            }
            Intent::Notify { message } => {
                let label = format!("notify: {message}");
                self.push("notify", label, Changes::new(), Agent::Notifier)?;
            }
        }
        Ok(())
    }

    /// Promo Active TRUE at the stored promo price, which every row must have.
    fn activate_promo(&mut self, rows: &[usize], what: &str) -> Result<()> {
        let catalog = self.catalog;
        let label = format!("start the promo on {what} at its stored promo price");
        for &row in rows {
            let stored = self.current_text(row, Field::PromoPrice);
            if value::parse_money(&stored).is_none() {
                return Err(Error::input(format!(
                    "{} has no promo price stored, and the request gives neither a price nor a percentage; nothing was planned",
                    catalog.key(row)
                ))
                .hint(format!(
                    "say the promo price or the discount: \"put {} on promo at $N\" or \"20% off {}\"",
                    catalog.key(row),
                    catalog.key(row)
                )));
            }
        }
        let status = changes(catalog, rows, Field::PromoActive, |_| Ok(json!("TRUE")))?;
        self.push("set_promo_status", label, status, Agent::Writer)?;
        Ok(())
    }

    /// A new Base Price. A relative change may not follow a write of the same Base Price, nor
    /// precede one that an earlier clause computed from.
    fn base_change(&mut self, rows: &[usize], change: &PriceChange, what: &str) -> Result<()> {
        let catalog = self.catalog;
        let relative = !matches!(change, PriceChange::To { .. });
        if relative && let Some(&r) = rows.iter().find(|r| self.base_written.contains(r)) {
            return Err(depends(catalog, r));
        }
        let changes = changes(catalog, rows, Field::BasePrice, |row| {
            let base = base_price(catalog, row)?;
            let new = new_base(base, change);
            positive(new, catalog.key(row))?;
            if let PriceChange::To { up: Some(up), .. } = change
                && (new > base) != *up
                && new != base
            {
                return Err(Error::input(format!(
                    "the request says to {} the base price of {} to ${new}, but it is ${base}; nothing was planned",
                    if *up { "raise" } else { "lower" },
                    catalog.key(row)
                ))
                .hint("say \"set the base price ... to $N\" if that is what you mean"));
            }
            Ok(value::money_json(new))
        })?;
        for c in &changes {
            if let Some(r) = catalog.row_of(c.key) {
                if self.base_read.contains(&r) {
                    return Err(depends(catalog, r));
                }
                self.base_written.insert(r);
            }
        }
        if relative {
            self.base_read.extend(rows);
        }
        let label = format!("change the base price of {what}");
        self.push("update_base_price", label, changes, Agent::Writer)?;
        Ok(())
    }

    /// A promo: Promo Price from the given function of Base Price (below it, above zero), and
    /// Promo Active TRUE.
    fn promo(
        &mut self,
        rows: &[usize],
        label: &str,
        price: impl Fn(Decimal) -> Decimal,
    ) -> Result<()> {
        let catalog = self.catalog;
        let prices = changes(catalog, rows, Field::PromoPrice, |row| {
            let base = base_price(catalog, row)?;
            let new = price(base);
            if new <= Decimal::ZERO {
                return Err(Error::input(format!(
                    "the promo price of {} would be ${new}; prices must stay above zero, nothing was planned",
                    catalog.key(row)
                )));
            }
            if new >= base {
                return Err(Error::input(format!(
                    "a promo price of ${new} for {} is not below its base price ${base}; nothing was planned",
                    catalog.key(row)
                ))
                .hint("to change the regular price, say \"set the base price of ... to $N\""));
            }
            Ok(value::money_json(new))
        })?;
        let status = changes(catalog, rows, Field::PromoActive, |_| Ok(json!("TRUE")))?;
        self.push(price_action(rows), label.to_string(), prices, Agent::Writer)?;
        self.push("set_promo_status", label.to_string(), status, Agent::Writer)
    }

    /// Records that a clause computes from these rows' Base Price.
    fn reads_base(&mut self, rows: &[usize]) -> Result<()> {
        if let Some(&r) = rows.iter().find(|r| self.base_written.contains(r)) {
            return Err(depends(self.catalog, r));
        }
        self.base_read.extend(rows);
        Ok(())
    }

    /// A cell as it will be after the clauses so far (for "activate it" after a promo price).
    fn current_text(&self, row: usize, field: Field) -> String {
        let catalog = self.catalog;
        let pending = catalog.header(field).and_then(|h| {
            self.written
                .get(&(catalog.key(row).to_string(), h.to_string()))
        });
        match pending {
            Some(v) => value::to_text(Some(field), v),
            None => catalog.cell(row, field).to_string(),
        }
    }

    /// Drops changes an earlier clause already makes and refuses changes that contradict one.
    fn dedupe(&mut self, changes: Changes) -> Result<Changes> {
        if !self.track {
            return Ok(changes);
        }
        let mut kept = Changes::with_capacity(changes.len());
        for change in &changes {
            let cell = (change.key.to_string(), change.field.to_string());
            let after = change.after();
            if let Some(earlier) = self.written.get(&cell) {
                let field = self.catalog.field_of(change.field);
                if value::same(
                    field,
                    &value::to_text(field, earlier),
                    &value::to_text(field, &after),
                ) {
                    continue;
                }
                return Err(Error::input(format!(
                    "two parts of the request set {} of {} to different values ({} and {}); nothing was planned",
                    change.field, change.key, earlier, after
                ))
                .hint("make one request per change"));
            }
            self.written.insert(cell, after.clone());
            kept.push(change.key, change.field, change.before(), after);
        }
        Ok(kept)
    }

    /// Adds an operation without the changes earlier clauses already make; a write with
    /// nothing left to change is not listed.
    fn push(&mut self, action: &str, label: String, changes: Changes, agent: Agent) -> Result<()> {
        let changes = self.dedupe(changes)?;
        if agent == Agent::Writer && changes.is_empty() {
            return Ok(());
        }
        self.ops.push(Operation::unscored(
            self.ops.len() + 1,
            agent,
            action,
            label,
            changes,
        ));
        Ok(())
    }
}

fn depends(catalog: &Catalog, row: usize) -> Error {
    Error::input(format!(
        "one part of the request changes the base price of {} and another computes from it; nothing was planned",
        catalog.key(row)
    ))
    .hint("make two requests: first the base price change, then the promo")
}

fn new_base(base: Decimal, change: &PriceChange) -> Decimal {
    match change {
        PriceChange::To { price, .. } => *price,
        PriceChange::Percent { percent, up } => {
            let sign = if *up { Decimal::ONE } else { -Decimal::ONE };
            round2(base * (Decimal::ONE + sign * *percent / Decimal::ONE_HUNDRED))
        }
        PriceChange::Amount { amount, up } => {
            if *up {
                base + *amount
            } else {
                base - *amount
            }
        }
    }
}

fn price_action(rows: &[usize]) -> &'static str {
    if rows.len() > 1 {
        "bulk_price_change"
    } else {
        "update_price"
    }
}

/// The changes of one column over the rows, skipping rows where the value would not change.
fn changes(
    catalog: &Catalog,
    rows: &[usize],
    field: Field,
    after: impl Fn(usize) -> Result<Value>,
) -> Result<Changes> {
    let header = catalog.header(field).ok_or_else(|| {
        Error::input(format!(
            "the catalog has no {} column",
            field.default_header()
        ))
    })?;
    // Sized once and trimmed after: growth by doubling would hold up to twice the changes of a
    // bulk plan (a change is over 100 bytes).
    let mut out = Changes::with_capacity(rows.len());
    for &row in rows {
        let current = catalog.cell(row, field);
        let new = after(row)?;
        if value::same(Some(field), current, &value::to_text(Some(field), &new)) {
            continue;
        }
        out.push(
            catalog.key(row),
            header,
            value::typed(Some(field), current),
            new,
        );
    }
    out.shrink_to_fit();
    Ok(out)
}

fn create(
    catalog: &Catalog,
    sku: &str,
    name: &str,
    category: &str,
    price: Decimal,
    inventory: Option<InventoryState>,
) -> Result<Changes> {
    if let Some(row) = resolve::key_row(catalog, sku) {
        return Err(Error::input(format!(
            "{sku} already exists ({}); a new product needs a new SKU, nothing was planned",
            catalog.cell(row, Field::Name).trim()
        ))
        .hint("to change the existing product, say what to change (price, promo, inventory)"));
    }
    positive(price, sku)?;
    let category = resolve::category_name(catalog, category)?;
    let values: [(Field, Value); 8] = [
        (Field::Sku, json!(sku)),
        (Field::Name, json!(name.trim())),
        (Field::Category, json!(category)),
        (Field::BasePrice, value::money_json(price)),
        (Field::PromoPrice, json!("")),
        (Field::PromoActive, json!("FALSE")),
        (
            Field::Inventory,
            json!(inventory.unwrap_or(InventoryState::InStock).flag()),
        ),
        (Field::ImageUrl, json!("")),
    ];
    Ok(values
        .into_iter()
        .filter_map(|(field, after)| {
            catalog.header(field).map(|h| Change {
                key: sku.to_string(),
                field: h.to_string(),
                before: json!(""),
                after,
            })
        })
        .collect())
}

fn base_price(catalog: &Catalog, row: usize) -> Result<Decimal> {
    value::parse_money(catalog.cell(row, Field::BasePrice))
        .filter(|b| *b > Decimal::ZERO)
        .ok_or_else(|| {
            Error::input(format!(
                "{} has no usable Base Price (`{}`), so its new price cannot be computed",
                catalog.key(row),
                catalog.cell(row, Field::BasePrice)
            ))
        })
}

fn positive(price: Decimal, key: &str) -> Result<()> {
    if price <= Decimal::ZERO {
        return Err(Error::input(format!(
            "the price of {key} would be ${price}; prices must stay above zero, nothing was planned"
        )));
    }
    Ok(())
}

/// Half-up rounding to cents on the exact decimal value.
pub fn round2(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn describe_rows(catalog: &Catalog, rows: &[usize]) -> String {
    match rows {
        [] => "the catalog".to_string(),
        [one] => format!("{} {}", catalog.key(*one), catalog.cell(*one, Field::Name)),
        many => format!("{} products", many.len()),
    }
}
