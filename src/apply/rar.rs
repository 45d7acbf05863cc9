//! Rich Authorization Requests with CIBA: what the approver's screen shows besides the binding
//! message, in Auth0's shape (one object of type `urn:auth0:schemas:authorization-details:v1:
//! changeset`: an instruction and at most 10 properties of at most 255 characters), and the
//! check that the token response echoes the same plan hash. An approval whose answer names
//! another plan, or none, is refused.

use serde_json::{Value, json};

use crate::auth::ciba::Approval;
use crate::error::{Error, Result};
use crate::plan::Plan;

/// The authorization details type registered on the API.
pub const TYPE: &str = "urn:auth0:schemas:authorization-details:v1:changeset";
/// Auth0's limits for what Guardian shows.
const MAX_PROPERTIES: usize = 10;
const MAX_VALUE: usize = 255;
/// Properties before the changes: plan hash, plan id, source, tier, counts.
const FIXED: usize = 5;

/// The `authorization_details` array (one object) for the plan.
pub fn authorization_details(plan: &Plan) -> Value {
    let changes = plan.write_changes().count();
    let products = plan.affected_products();
    let source = match &plan.source.tab {
        Some(tab) => format!("{} {} / {tab}", plan.source.kind, plan.source.uri),
        None => format!("{} {}", plan.source.kind, plan.source.uri),
    };
    let mut properties = vec![
        ("plan_hash", "Plan hash", plan.hash()),
        ("plan_id", "Changeset", plan.id.clone()),
        ("source", "Source", source),
        ("tier", "Risk tier", plan.tier.to_string()),
        (
            "counts",
            "Size",
            format!("{changes} change(s) on {products} product(s)"),
        ),
    ];
    let listed: Vec<String> = plan
        .write_changes()
        .take(MAX_PROPERTIES - FIXED)
        .map(|c| {
            format!(
                "{} {}: {} \u{2192} {}",
                c.key,
                c.field,
                crate::catalog::value::show(&c.before()),
                crate::catalog::value::show(&c.after())
            )
        })
        .collect();
    properties.extend(listed.into_iter().map(|text| ("change", "Change", text)));
    let properties: Vec<Value> = properties
        .into_iter()
        .enumerate()
        .map(|(i, (name, description, value))| property(i, name, description, &value))
        .collect();
    json!([{
        "type": TYPE,
        "instruction": bounded(&format!(
            "Approve changeset {} (tier {}): {changes} change(s) on {products} product(s), plan {}",
            plan.id,
            plan.tier,
            plan.short_hash()
        )),
        "properties": properties,
    }])
}

/// The `i`th property shown to the approver (changes are numbered from 1).
fn property(i: usize, name: &str, description: &str, value: &str) -> Value {
    let name = if name == "change" {
        format!("change_{}", i + 1 - FIXED)
    } else {
        name.to_string()
    };
    json!({
        "display": true,
        "name": name,
        "display_order": i + 1,
        "description": description,
        "value": bounded(&crate::escape::escape(value)),
    })
}

/// The token response must echo details that carry this plan's hash.
pub fn check_echo(plan: &Plan, approval: &Approval) -> Result<()> {
    let hash = plan.hash();
    let echoed = approval
        .authorization_details
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|details| {
            details.iter().any(|d| {
                d["type"] == TYPE
                    && d["properties"].as_array().is_some_and(|props| {
                        props
                            .iter()
                            .any(|p| p["name"] == "plan_hash" && p["value"] == hash.as_str())
                    })
            })
        });
    if echoed {
        return Ok(());
    }
    Err(Error::denied(format!(
        "the approval by {} does not echo plan {}'s hash in its authorization details; it is refused and nothing was written",
        approval.approver, plan.id
    ))
    .hint("the approver may have seen another plan; plan again and ask again")
    .hint("check that the API allows the authorization details type and echoes it (approval.rich_details)"))
}

/// At most 255 characters (Auth0's limit for a name or value).
fn bounded(text: &str) -> String {
    if text.chars().count() <= MAX_VALUE {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_VALUE - 1).collect();
    cut.push('\u{2026}');
    cut
}
