//! `changeset gate check-config | keygen`.

use crate::audit::checkpoint::{self, SigningKey};
use crate::cli::{Format, GateCommand, GlobalArgs};
use crate::error::Result;
use crate::gate::config::{Approver, GateConfig};
use crate::output;

pub fn run(global: &GlobalArgs, cmd: GateCommand) -> Result<u8> {
    let config = global
        .config
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("gate.toml"));
    match cmd {
        GateCommand::Keygen { name, out } => {
            let key = SigningKey::generate(&name)?;
            let public = checkpoint::write_key_files(&out, &key)?;
            output::key_written(global.quiet, &out, &public, &key.verifier().text())?;
        }
        GateCommand::CheckConfig { format } => {
            let gate = GateConfig::load(&config)?;
            let tiers: Vec<serde_json::Value> = gate
                .tiers
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
                .collect();
            let summary = serde_json::json!({
                "ok": true,
                "config": gate.path.display().to_string(),
                "issuer": gate.issuer(),
                "audience": gate.audience,
                "ciba_client": gate.ciba_client.client_id,
                "token_vault_client": gate.token_vault_client.client_id,
                "rules": gate.rules_path.display().to_string(),
                "rules_sha256": gate.rules.sha256,
                "auto_approve_max_tier": gate.rules.auto_approve_max_tier,
                "tiers": tiers,
                "allowed_sources": gate.allowed_sources,
                "signing_key": gate.signing_key.verifier().text(),
                "notify": gate.notify,
            });
            if format.format == Some(Format::Json) {
                output::json(&summary)?;
            } else {
                output::stdout(&output::tables::gate_config(&summary))?;
            }
        }
    }
    Ok(0)
}
