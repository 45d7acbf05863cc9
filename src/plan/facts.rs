//! The facts the policy reads, derived from an operation's changes and the catalog, never from
//! the request or a model. The executor derives them again at apply time, so a plan file whose
//! facts or tiers were edited cannot lower its own tier.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use super::{Agent, Operation};
use crate::catalog::{Catalog, Field, value};

/// Facts about the moment and the people rather than the changes, measured by the program when
/// it scores (at plan and again at apply), never read from a plan file.
#[derive(Debug, Clone, Default)]
pub struct Circumstances {
    /// Hour of the day (UTC) by the clock at scoring time.
    pub hour_utc: u8,
    /// Minutes since the login's authentication time; None without a login.
    pub session_duration_minutes: Option<f64>,
    /// Approval requests sent to the approver in the last 60 minutes (audit store).
    pub recent_approval_requests: Option<u64>,
    /// Facts the caller measured (`--fact`, `CHANGESET_USER_STRESS_LEVEL`): only declared facts
    /// that the program does not derive (checked by [`caller_fact`]).
    pub caller: Map<String, Value>,
}

/// Facts a caller may supply: declared by the rules' fact table and derived by nothing here.
pub const CALLER_FACTS: &[&str] = &["user_stress_level"];

/// The stress level (`CHANGESET_USER_STRESS_LEVEL`, when set) and the `--fact NAME=VALUE`
/// arguments, checked.
pub fn caller_facts(
    stress_level: Option<String>,
    caller: &[String],
) -> crate::error::Result<serde_json::Map<String, Value>> {
    let mut facts = serde_json::Map::new();
    if let Some(level) = stress_level {
        let (name, value) = caller_fact(&format!("user_stress_level={level}"))
            .map_err(|e| e.context(crate::env::USER_STRESS_LEVEL))?;
        facts.insert(name, value);
    }
    for text in caller {
        let (name, value) = caller_fact(text)?;
        facts.insert(name, value);
    }
    Ok(facts)
}

/// Checks and parses one caller fact `NAME=VALUE`.
pub fn caller_fact(text: &str) -> crate::error::Result<(String, Value)> {
    use crate::error::Error;
    let (name, value) = text.split_once('=').ok_or_else(|| {
        Error::usage(format!("--fact `{text}` is not NAME=VALUE"))
            .hint("for example --fact user_stress_level=0.8")
    })?;
    let name = name.trim();
    let Some((_, kind)) = crate::policy::FACTS.iter().find(|(n, _)| *n == name) else {
        return Err(
            Error::usage(format!("--fact `{name}`: the rules declare no such fact")).hint(format!(
                "facts a caller may give: {}",
                CALLER_FACTS.join(", ")
            )),
        );
    };
    if !CALLER_FACTS.contains(&name) {
        return Err(Error::usage(format!(
            "--fact `{name}`: changeset derives this fact itself; a caller cannot set it"
        ))
        .hint(format!(
            "facts a caller may give: {}",
            CALLER_FACTS.join(", ")
        )));
    }
    let value = value.trim();
    let parsed = match kind {
        crate::policy::FactType::Number => value
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        crate::policy::FactType::Bool => value.parse::<bool>().ok().map(Value::Bool),
        crate::policy::FactType::Text => Some(Value::String(value.to_string())),
    };
    let parsed = parsed
        .ok_or_else(|| Error::usage(format!("--fact {name}=`{value}` is not a {}", kind.name())))?;
    Ok((name.to_string(), parsed))
}

/// Context shared by every operation of a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// Distinct products written by the whole plan.
    pub plan_affected_records: usize,
    pub plan_operation_count: usize,
    pub circumstances: Circumstances,
}

impl PlanContext {
    pub fn new(ops: &[Operation], circumstances: Circumstances) -> Self {
        let writes = ops.iter().filter(|o| o.is_write());
        PlanContext {
            plan_affected_records: super::distinct_keys(writes.flat_map(|o| o.changes.iter())),
            plan_operation_count: ops.len(),
            circumstances,
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
    let mut facts = Map::new();
    facts.insert("operation_type".into(), json!(operation_type));
    facts.insert("action".into(), json!(super::derive::action(op, catalog)));
    if op.is_write() {
        facts.insert(
            "affected_records".into(),
            json!(super::distinct_keys(op.changes.iter())),
        );
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
    let circumstances = &ctx.circumstances;
    facts.insert("hour_utc".into(), json!(circumstances.hour_utc));
    facts.insert(
        "pii_detected".into(),
        json!(op.changes.iter().any(|c| contains_pii(&c.after()))),
    );
    if let Some(minutes) = circumstances.session_duration_minutes {
        facts.insert("session_duration_minutes".into(), json!(minutes));
    }
    if let Some(n) = circumstances.recent_approval_requests {
        facts.insert("recent_approval_requests".into(), json!(n));
    }
    for (name, value) in &circumstances.caller {
        // caller_fact admitted only names nothing above derives; never overwrite one anyway.
        facts.entry(name.clone()).or_insert_with(|| value.clone());
    }
    facts
}

/// The largest absolute price change of the operation, in percent: a promo is measured against
/// Base Price (its depth), a Base Price change against the old Base Price. Computed exactly in
/// decimal, so 25% off is exactly 25 and not above the 25% threshold.
fn price_change_percent(op: &Operation, catalog: &Catalog) -> Option<f64> {
    let mut largest: Option<Decimal> = None;
    for change in &op.changes {
        let field = catalog.field_of(change.field);
        let new = value::parse_money(&value::to_text(field, &change.after()));
        let reference = match field {
            Some(Field::PromoPrice) => catalog
                .row_of(change.key)
                .and_then(|r| value::parse_money(catalog.cell(r, Field::BasePrice))),
            Some(Field::BasePrice) => value::parse_money(&value::to_text(field, &change.before())),
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
