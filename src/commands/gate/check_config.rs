//! `changeset gate check-config`: loads gate.toml with every check and prints what it found.

use std::path::Path;

use crate::cli::{Format, FormatArg};
use crate::error::Result;
use crate::gate::config::{Approver, GateConfig};
use crate::output;

pub(super) fn run(config: &Path, format: &FormatArg) -> Result<()> {
    let summary = summary(&GateConfig::load(config)?);
    if format.format == Some(Format::Json) {
        output::json(&summary)
    } else {
        output::stdout(&output::tables::gate_config(&summary))
    }
}

/// What the gate will run with: names, digests and public parts, never a credential.
fn summary(gate: &GateConfig) -> serde_json::Value {
    let mut summary = serde_json::json!({
        "ok": true,
        "config": gate.path.display().to_string(),
        "issuer": gate.issuer(),
        "audience": gate.audience,
        "ciba_client": gate.ciba_client.client_id,
        "token_vault_client": gate.token_vault_client.client_id,
        "rules": gate.rules_path.display().to_string(),
        "rules_sha256": gate.rules.sha256,
        "auto_approve_max_tier": gate.rules.auto_approve_max_tier,
        "tiers": tiers(gate),
        "allowed_sources": gate.allowed_sources,
        "signing_key": gate.signing_key.verifier().text(),
        "notify": gate.notify,
    });
    // The variable's name only, never its value (a Google token).
    if let Some(var) = &gate.reader_token_env {
        summary["reader_token_env"] = serde_json::json!(var);
    }
    summary
}

/// Each tier's approver policy.
fn tiers(gate: &GateConfig) -> Vec<serde_json::Value> {
    gate.tiers
        .iter()
        .map(|(tier, p)| {
            serde_json::json!({
                "tier": tier,
                "approvers": p.approvers.iter().map(|a| match a {
                    Approver::Requester => "requester".to_string(),
                    Approver::Subject(s) => s.clone(),
                }).collect::<Vec<_>>(),
                "count": p.count,
                "distinct_from_requester": p.distinct_from_requester,
                "expiry_seconds": p.expiry_seconds,
            })
        })
        .collect()
}
