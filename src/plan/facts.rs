//! The facts the policy reads, derived from an operation's changes and the catalog, never from
//! the request or a model. The executor derives them again at apply time, so a plan file whose
//! facts or tiers were edited cannot lower its own tier.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use super::{Agent, Operation};
use crate::catalog::{Catalog, Field, value};

/// Context shared by every operation of a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// Distinct products written by the whole plan.
    pub plan_affected_records: usize,
    pub plan_operation_count: usize,
    /// Hour of the day (UTC) at planning time.
    pub hour_utc: u8,
    /// Minutes since login, when logged in.
    pub session_duration_minutes: Option<f64>,
}

impl PlanContext {
    pub fn new(ops: &[Operation], hour_utc: u8, session_duration_minutes: Option<f64>) -> Self {
        let keys: BTreeSet<&str> = ops
            .iter()
            .filter(|o| o.is_write())
            .flat_map(|o| o.changes.iter().map(|c| c.key.as_str()))
            .collect();
        PlanContext {
            plan_affected_records: keys.len(),
            plan_operation_count: ops.len(),
            hour_utc,
            session_duration_minutes,
        }
    }
}

/// The facts of one operation.
pub fn derive(op: &Operation, catalog: &Catalog, ctx: &PlanContext) -> Map<String, Value> {
    let operation_type = match op.agent {
        Agent::Reader => "read",
        Agent::Notifier => "notify",
        Agent::Writer => "write",
    };
    let keys: BTreeSet<&str> = op.changes.iter().map(|c| c.key.as_str()).collect();
    let mut facts = Map::new();
    facts.insert("operation_type".into(), json!(operation_type));
    facts.insert("action".into(), json!(op.action));
    if op.is_write() {
        facts.insert("affected_records".into(), json!(keys.len()));
    }
    if let Some(p) = price_change_percent(op, catalog) {
        facts.insert("price_change_percent".into(), json!(p));
    }
    facts.insert(
        "plan_affected_records".into(),
        json!(ctx.plan_affected_records),
    );
    facts.insert(
        "plan_operation_count".into(),
        json!(ctx.plan_operation_count),
    );
    facts.insert("hour_utc".into(), json!(ctx.hour_utc));
    facts.insert(
        "pii_detected".into(),
        json!(op.changes.iter().any(|c| contains_pii(&c.after))),
    );
    if let Some(minutes) = ctx.session_duration_minutes {
        facts.insert("session_duration_minutes".into(), json!(minutes));
    }
    facts
}

/// The largest absolute price change of the operation, in percent: a promo is measured against
/// Base Price (its depth), a Base Price change against the old Base Price. Computed exactly in
/// decimal, so 25% off is exactly 25 and not above the 25% threshold.
fn price_change_percent(op: &Operation, catalog: &Catalog) -> Option<f64> {
    let mut largest: Option<Decimal> = None;
    for change in &op.changes {
        let field = catalog.field_of(&change.field);
        let new = value::parse_money(&value::to_text(field, &change.after));
        let reference = match field {
            Some(Field::PromoPrice) => catalog
                .row_of(&change.key)
                .and_then(|r| value::parse_money(catalog.cell(r, Field::BasePrice))),
            Some(Field::BasePrice) => value::parse_money(&value::to_text(field, &change.before)),
            _ => None,
        };
        let (Some(new), Some(reference)) = (new, reference) else {
            continue;
        };
        if reference <= Decimal::ZERO {
            continue;
        }
        let percent = ((reference - new) / reference * Decimal::ONE_HUNDRED).abs();
        largest = Some(largest.map_or(percent, |l| l.max(percent)));
    }
    largest.and_then(|d| d.to_f64())
}

/// E-mail addresses or phone numbers in a value.
pub fn contains_pii(value: &Value) -> bool {
    let Value::String(text) = value else {
        return false;
    };
    crate::pii::contains(text)
}
