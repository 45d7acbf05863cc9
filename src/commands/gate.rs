//! `changeset gate check-config | keygen | serve`.

use std::sync::Arc;

use crate::audit::checkpoint::{self, SigningKey};
use crate::cli::{Format, GateCommand, GlobalArgs};
use crate::error::Error;
use crate::error::Result;
use crate::gate::config::{Approver, GateConfig};
use crate::gate::server::{self, Gate};
use crate::gate::tls;
use crate::output;

pub fn run(global: &GlobalArgs, cmd: GateCommand) -> Result<u8> {
    let config = global
        .config
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("gate.toml"));
    match cmd {
        GateCommand::Serve {
            listen,
            allow_plain_http,
            tls_cert,
            tls_key,
        } => {
            // Every start-up check (TLS files, rules pin, credentials, key) before binding.
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
                _ => {
                    server::check_listen(&listen, allow_plain_http)?;
                    None
                }
            };
            let gate = Arc::new(Gate::new(GateConfig::load(&config)?)?);
            crate::net::block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .map_err(|e| Error::runtime(format!("cannot listen on {listen}: {e}")))?;
                let shutdown = shutdown_signal()?;
                let bound = listener
                    .local_addr()
                    .map_err(|e| Error::runtime(format!("the listening address: {e}")))?;
                let scheme = if tls.is_some() { "https" } else { "http" };
                output::note(
                    false,
                    &format!("changeset gate listening on {scheme}://{bound}"),
                );
                match tls {
                    Some(config) => {
                        let listener = tls::TlsListener::new(listener, config)
                            .map_err(|e| Error::runtime(format!("the listening address: {e}")))?;
                        server::serve(gate, listener, shutdown).await
                    }
                    None => server::serve(gate, listener, shutdown).await,
                }
            })?;
            output::note(global.quiet, "changeset gate stopped");
        }
        GateCommand::Status { .. } | GateCommand::Cancel { .. } => {
            unreachable!("the requester's commands run in via_gate.rs")
        }
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
                "tiers": tiers,
                "allowed_sources": gate.allowed_sources,
                "signing_key": gate.signing_key.verifier().text(),
                "notify": gate.notify,
            });
            // The variable's name only, never its value (a Google token).
            if let Some(var) = &gate.reader_token_env {
                summary["reader_token_env"] = serde_json::json!(var);
            }
            if format.format == Some(Format::Json) {
                output::json(&summary)?;
            } else {
                output::stdout(&output::tables::gate_config(&summary))?;
            }
        }
    }
    Ok(0)
}

/// Resolves on Ctrl-C or SIGTERM (what systemd and `kill` send). The handlers are installed
/// here, before the gate says it is listening, so an early SIGTERM still stops it cleanly.
#[cfg(unix)]
fn shutdown_signal() -> crate::error::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let install =
        |kind| signal(kind).map_err(|e| Error::runtime(format!("cannot handle signals: {e}")));
    let mut term = install(SignalKind::terminate())?;
    let mut int = install(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> crate::error::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
