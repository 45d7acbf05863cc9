//! `changeset audit list | show | verify | export`.

use std::io::Write;

use crate::cli::AuditCommand;
use crate::error::{IoContext, Result};
use crate::output;
use crate::output::timeline;
use crate::receipt::Receipt;
use crate::settings::Settings;

pub fn run(settings: &Settings, cmd: AuditCommand) -> Result<u8> {
    if let AuditCommand::Verify {
        receipt: Some(path),
    } = &cmd
    {
        let text = std::fs::read_to_string(path).io_context("reading the receipt", path)?;
        let receipt =
            Receipt::verify_text(&text).map_err(|e| e.context(format!("`{}`", path.display())))?;
        return report_ok(
            settings,
            &format!("receipt {} is intact ({})", receipt.id, receipt.hash),
            1,
            &receipt.hash,
        );
    }
    let mut store = crate::audit::open(&settings.audit_location())?;
    match cmd {
        AuditCommand::List => {
            let list = store.list()?;
            if settings.json() {
                output::json(&list)?
            } else {
                output::stdout(&output::tables::receipts(&list))?
            }
        }
        AuditCommand::Show { id } => {
            let body = store.find(&id)?;
            let receipt =
                Receipt::verify_text(&body).map_err(|e| e.context(format!("receipt `{id}`")))?;
            if settings.json() {
                output::json(&receipt)?;
            } else {
                let mut text = timeline::render(&receipt);
                if let Some((at, n)) = store.notification(&receipt.id)? {
                    text.push_str(&timeline::notify_outcome(&at, &n));
                }
                output::stdout(&text)?;
            }
        }
        AuditCommand::Verify { .. } => {
            let count = store.verify()?;
            let head = store
                .list()?
                .last()
                .map(|s| s.hash.clone())
                .unwrap_or_default();
            return report_ok(
                settings,
                &format!("{count} receipt(s) verified; the chain is intact"),
                count,
                &head,
            );
        }
        AuditCommand::Export { out } => {
            let mut text = String::new();
            for stored in store.receipts()? {
                text.push_str(&stored.body);
                text.push('\n');
            }
            match out {
                Some(path) => {
                    let mut f = std::fs::File::create(&path).io_context("creating", &path)?;
                    f.write_all(text.as_bytes()).io_context("writing", &path)?;
                }
                None if text.is_empty() => {}
                None => output::stdout(&text)?,
            }
        }
    }
    Ok(0)
}

fn report_ok(settings: &Settings, message: &str, count: usize, head: &str) -> Result<u8> {
    if settings.json() {
        output::json(&serde_json::json!({ "ok": true, "receipts": count, "head": head }))?;
    } else {
        output::stdout(message)?;
    }
    Ok(0)
}
