//! The `audit` subcommands that read the configured audit store.

use std::io::Write;
use std::path::Path;

use crate::audit::checkpoint;
use crate::audit::{AuditStore, log};
use crate::cli::AuditCommand;
use crate::error::{IoContext, Result};
use crate::output;
use crate::output::timeline;
use crate::receipt::Receipt;
use crate::settings::Settings;

/// The subcommands that read the configured audit store.
pub(super) fn run(
    settings: &Settings,
    store: &mut dyn AuditStore,
    cmd: AuditCommand,
) -> Result<u8> {
    match cmd {
        AuditCommand::List { .. } => {
            let list = store.list()?;
            if settings.json() {
                output::json(&list)?
            } else {
                output::stdout(&output::tables::receipts(&list))?
            }
        }
        AuditCommand::Show { id, .. } => show(settings, store, &id)?,
        AuditCommand::Verify {
            checkpoint: Some(old),
            key: Some(key),
            require_rules,
            ..
        } => return super::verify::extends(settings, store, &old, &key, &require_rules),
        AuditCommand::Verify { require_rules, .. } => {
            return super::verify::chain(settings, store, &require_rules);
        }
        AuditCommand::Export { out } => export(store, out.as_deref())?,
        AuditCommand::Checkpoint { .. } => {
            let key = checkpoint::read_signing_key(&settings.audit_signing_key())?;
            let cp = log::checkpoint(store, &key.name)?;
            let note = cp.sign(&key);
            if settings.json() {
                output::json(&serde_json::json!({
                    "origin": cp.origin,
                    "size": cp.size,
                    "root": cp.root_base64(),
                    "note": note,
                }))?;
            } else {
                output::stdout(note.trim_end())?;
            }
        }
        AuditCommand::Prove { id, size } => {
            output::json(&log::prove(store, &id, size)?)?;
        }
        AuditCommand::Keygen { .. } | AuditCommand::Migrate { .. } => {
            unreachable!("handled before the store is opened")
        }
    }
    Ok(0)
}

/// `audit show ID`: the receipt's seal checked, then its timeline (or JSON).
fn show(settings: &Settings, store: &mut dyn AuditStore, id: &str) -> Result<()> {
    let body = store.find(id)?;
    let receipt = Receipt::verify_text(&body).map_err(|e| e.context(format!("receipt `{id}`")))?;
    if settings.json() {
        return output::json(&receipt);
    }
    let mut text = timeline::render(&receipt);
    if let Some((at, n)) = store.notification(&receipt.id)? {
        text.push_str(&timeline::notify_outcome(&at, &n));
    }
    output::stdout(&text)
}

/// `audit export`: every receipt as JSON Lines, to a file or stdout.
fn export(store: &mut dyn AuditStore, out: Option<&Path>) -> Result<()> {
    let mut text = String::new();
    for stored in store.receipts()? {
        text.push_str(&stored.body);
        text.push('\n');
    }
    match out {
        Some(path) => {
            let mut f = std::fs::File::create(path).io_context("creating", path)?;
            f.write_all(text.as_bytes()).io_context("writing", path)?;
        }
        None if text.is_empty() => {}
        None => output::stdout(&text)?,
    }
    Ok(())
}
