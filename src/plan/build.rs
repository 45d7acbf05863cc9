//! Intents + catalog → operations with before/after diffs. `before` always comes from the rows;
//! a change whose `after` equals the current value is not listed.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::{Agent, Change, Operation};
use crate::error::{Error, Result};
use crate::parse::{Intent, InventoryState, PriceChange};
use crate::source::{Catalog, Field, value};

/// Builds the operations for all intents, in request order. Any refused clause refuses all.
pub fn operations(catalog: &Catalog, intents: &[Intent]) -> Result<Vec<Operation>> {
    let mut ops = Vec::new();
    let mut previous: Vec<usize> = Vec::new();
    for intent in intents {
        let rows = match intent.target() {
            Some(target) => {
                let rows = super::resolve::rows(catalog, target, &previous)?;
                if rows.is_empty() && !matches!(intent, Intent::Read { .. }) {
                    return Err(Error::input(
                        "no product matches the request's filters; nothing was planned",
                    )
                    .hint("check the price or stock condition, or name the products directly"));
                }
                previous = rows.clone();
                rows
            }
            None => Vec::new(),
        };
        for (action, label, changes, agent) in intent_ops(catalog, intent, &rows)? {
            if agent == Agent::Writer && changes.is_empty() {
                continue;
            }
            ops.push(Operation {
                id: format!("op-{}", ops.len() + 1),
                agent,
                action: action.to_string(),
                label,
                changes,
                facts: Default::default(),
                tier: 3,
                matched_rules: Vec::new(),
                rule_errors: Vec::new(),
                explanation: String::new(),
            });
        }
    }
    Ok(ops)
}

type OpParts = (&'static str, String, Vec<Change>, Agent);

fn intent_ops(catalog: &Catalog, intent: &Intent, rows: &[usize]) -> Result<Vec<OpParts>> {
    let what = describe_rows(catalog, rows);
    Ok(match intent {
        Intent::Discount { percent, .. } => {
            check_percent(*percent)?;
            let factor = Decimal::ONE - *percent / Decimal::ONE_HUNDRED;
            promo(catalog, rows, &format!("{percent}% off {what}"), |base| {
                round2(base * factor)
            })?
        }
        Intent::AmountOff { amount, .. } => {
            promo(catalog, rows, &format!("${amount} off {what}"), |base| {
                base - *amount
            })?
        }
        Intent::PromoPrice { price, .. } => promo(
            catalog,
            rows,
            &format!("promo at ${price} for {what}"),
            |_| *price,
        )?,
        Intent::EndPromo { .. } => {
            let label = format!("end the promo on {what}");
            let status = changes(catalog, rows, Field::PromoActive, |_| Ok(json!("FALSE")));
            let prices = changes(catalog, rows, Field::PromoPrice, |_| Ok(json!("")));
            vec![
                ("set_promo_status", label.clone(), status?, Agent::Writer),
                (price_action(rows), label, prices?, Agent::Writer),
            ]
        }
        Intent::SetInventory { state, .. } => {
            let changes = changes(catalog, rows, Field::Inventory, |_| Ok(json!(state.flag())))?;
            vec![(
                "update_inventory_flag",
                format!("mark {what} {}", state.flag()),
                changes,
                Agent::Writer,
            )]
        }
        Intent::BasePrice { change, .. } => {
            let changes = changes(catalog, rows, Field::BasePrice, |row| {
                let base = base_price(catalog, row)?;
                let new = match change {
                    PriceChange::To { price } => *price,
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
                };
                positive(new, catalog.key(row))?;
                Ok(value::money_json(new))
            })?;
            vec![(
                "update_base_price",
                format!("change the base price of {what}"),
                changes,
                Agent::Writer,
            )]
        }
        Intent::Create {
            sku,
            name,
            category,
            price,
            inventory,
        } => {
            vec![(
                "create_product",
                format!("add {sku} {name}"),
                create(catalog, sku, name, category, *price, *inventory)?,
                Agent::Writer,
            )]
        }
        Intent::Read { .. } => vec![("read", format!("read {what}"), Vec::new(), Agent::Reader)],
        Intent::Notify { message } => vec![(
            "notify",
            format!("notify: {message}"),
            Vec::new(),
            Agent::Notifier,
        )],
    })
}

/// A promo: Promo Price from the given function of Base Price, and Promo Active TRUE.
fn promo(
    catalog: &Catalog,
    rows: &[usize],
    label: &str,
    price: impl Fn(Decimal) -> Decimal,
) -> Result<Vec<OpParts>> {
    let prices = changes(catalog, rows, Field::PromoPrice, |row| {
        let new = price(base_price(catalog, row)?);
        if new < Decimal::ZERO {
            return Err(Error::input(format!(
                "the promo price of {} would be negative (${new})",
                catalog.key(row)
            )));
        }
        Ok(value::money_json(new))
    })?;
    let status = changes(catalog, rows, Field::PromoActive, |_| Ok(json!("TRUE")))?;
    Ok(vec![
        (price_action(rows), label.to_string(), prices, Agent::Writer),
        ("set_promo_status", label.to_string(), status, Agent::Writer),
    ])
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
) -> Result<Vec<Change>> {
    let header = catalog.header(field).ok_or_else(|| {
        Error::input(format!(
            "the catalog has no {} column",
            field.default_header()
        ))
    })?;
    let mut out = Vec::new();
    for &row in rows {
        let current = catalog.cell(row, field);
        let new = after(row)?;
        if value::same(Some(field), current, &value::to_text(Some(field), &new)) {
            continue;
        }
        out.push(Change {
            key: catalog.key(row).to_string(),
            field: header.to_string(),
            before: value::typed(Some(field), current),
            after: new,
        });
    }
    Ok(out)
}

fn create(
    catalog: &Catalog,
    sku: &str,
    name: &str,
    category: &str,
    price: Decimal,
    inventory: Option<InventoryState>,
) -> Result<Vec<Change>> {
    if catalog.row_of(sku).is_some() {
        return Err(Error::input(format!(
            "{sku} already exists; a new product needs a new SKU"
        ))
        .hint("to change the existing product, name what to change (price, promo, inventory)"));
    }
    positive(price, sku)?;
    let category = super::resolve::category_name(catalog, category)?;
    let values: [(Field, Value); 8] = [
        (Field::Sku, json!(sku)),
        (Field::Name, json!(name)),
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

fn check_percent(percent: Decimal) -> Result<()> {
    if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
        return Err(Error::input(format!(
            "a discount of {percent}% is not possible; it must be above 0% and below 100%"
        )));
    }
    Ok(())
}

fn positive(price: Decimal, key: &str) -> Result<()> {
    if price <= Decimal::ZERO {
        return Err(Error::input(format!(
            "the price of {key} would be ${price}; prices must stay above zero"
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
