//! `changeset audit list | show | verify | export | keygen | checkpoint | prove | migrate`.

mod from_gate;
mod receipt_file;
mod store;
mod verify;

use std::path::Path;

use crate::audit::AuditStore;
use crate::audit::checkpoint::{self, Checkpoint, SigningKey};
use crate::cli::AuditCommand;
use crate::error::{IoContext, Result};
use crate::output;
use crate::settings::Settings;

pub fn run(settings: &Settings, cmd: AuditCommand) -> Result<u8> {
    match cmd {
        AuditCommand::Verify {
            receipt: Some(path),
            proof,
            checkpoint,
            key,
            require_rules,
            ..
        } => {
            let files = receipt_file::Files {
                proof,
                checkpoint,
                key,
            };
            receipt_file::verify(settings, &path, files, &require_rules)
        }
        AuditCommand::Migrate { to, .. } => migrate(settings, &to),
        AuditCommand::List { gate: true, .. } => from_gate::list(settings),
        AuditCommand::Show { gate: true, id, .. } => from_gate::show(settings, id),
        AuditCommand::Keygen { name, out } => {
            let path = out.unwrap_or_else(|| settings.audit_signing_key());
            let key = SigningKey::generate(&name)?;
            let public = checkpoint::write_key_files(&path, &key)?;
            output::key_written(settings.quiet, &path, &public, &key.verifier().text())?;
            Ok(0)
        }
        cmd => {
            let mut store = crate::audit::open(&settings.audit_location())?;
            store::run(settings, store.as_mut(), cmd)
        }
    }
}

/// `audit migrate --to URL`: copies the local log to PostgreSQL and proves the copy.
fn migrate(settings: &Settings, to: &str) -> Result<u8> {
    let mut from = crate::audit::SqliteStore::open(&settings.data_dir)?;
    let mut target = crate::audit::PostgresStore::open(to)?;
    let (count, root) = crate::audit::copy::copy(&mut from, &mut target)?;
    let root = Checkpoint {
        origin: String::new(),
        size: count,
        root,
    }
    .root_base64();
    report_ok(
        settings,
        &format!(
            "copied {count} receipt(s) to {}; verified, same Merkle root ({root})",
            target.describe()
        ),
        count as usize,
        &root,
    )
}

pub(super) fn report_ok(
    settings: &Settings,
    message: &str,
    count: usize,
    head: &str,
) -> Result<u8> {
    if settings.json() {
        output::json(&serde_json::json!({ "ok": true, "receipts": count, "head": head }))?;
    } else {
        output::stdout(message)?;
    }
    Ok(0)
}

pub(super) fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).io_context(&format!("reading {what}"), path)
}
