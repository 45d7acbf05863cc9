//! `changeset audit list | show | verify | export | keygen | checkpoint | prove`.

use std::io::Write;
use std::path::Path;

use crate::audit::checkpoint::{self, Checkpoint, SigningKey};
use crate::audit::{AuditStore, Summary, log};
use crate::cli::AuditCommand;
use crate::error::{Error, IoContext, Result};
use crate::gate::client::Gate;
use crate::output;
use crate::output::timeline;
use crate::receipt::Receipt;
use crate::settings::Settings;

pub fn run(settings: &Settings, cmd: AuditCommand) -> Result<u8> {
    match &cmd {
        AuditCommand::Verify {
            receipt: Some(path),
            proof,
            checkpoint,
            key,
            require_rules,
            ..
        } => {
            return verify_receipt_file(
                settings,
                path,
                proof.as_deref(),
                checkpoint.as_deref(),
                key.as_deref(),
                require_rules,
            );
        }
        AuditCommand::Migrate { to, .. } => {
            let mut from = crate::audit::SqliteStore::open(&settings.data_dir)?;
            let mut target = crate::audit::PostgresStore::open(to)?;
            let (count, root) = crate::audit::copy::copy(&mut from, &mut target)?;
            let root = Checkpoint {
                origin: String::new(),
                size: count,
                root,
            }
            .root_base64();
            return report_ok(
                settings,
                &format!(
                    "copied {count} receipt(s) to {}; verified, same Merkle root ({root})",
                    target.describe()
                ),
                count as usize,
                &root,
            );
        }
        AuditCommand::List { gate: true, .. } => return list_gate(settings),
        AuditCommand::Show { gate: true, id, .. } => return show_gate(settings, id.clone()),
        AuditCommand::Keygen { name, out } => {
            let path = out.clone().unwrap_or_else(|| settings.audit_signing_key());
            let key = SigningKey::generate(name)?;
            let public = checkpoint::write_key_files(&path, &key)?;
            output::key_written(settings.quiet, &path, &public, &key.verifier().text())?;
            return Ok(0);
        }
        _ => {}
    }
    let mut store = crate::audit::open(&settings.audit_location())?;
    match cmd {
        AuditCommand::List { .. } => {
            let list = store.list()?;
            if settings.json() {
                output::json(&list)?
            } else {
                output::stdout(&output::tables::receipts(&list))?
            }
        }
        AuditCommand::Show { id, .. } => {
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
        AuditCommand::Verify {
            checkpoint: Some(old),
            key: Some(key),
            require_rules,
            ..
        } => {
            check_store_rules(store.as_mut(), &require_rules)?;
            let key = checkpoint::read_verifier_key(&key)?;
            let old = Checkpoint::verify(&read(&old, "the checkpoint")?, &key)
                .map_err(|e| e.context(format!("`{}`", old.display())))?;
            let (size, root) = log::check_extends(store.as_mut(), &old)?;
            let current = Checkpoint {
                origin: old.origin.clone(),
                size,
                root,
            };
            return report_ok(
                settings,
                &format!(
                    "{size} receipt(s) verified; the log extends the checkpoint of {} receipt(s) (root {})",
                    old.size,
                    old.root_base64()
                ),
                size as usize,
                &current.root_base64(),
            );
        }
        AuditCommand::Verify { require_rules, .. } => {
            let count = store.verify()?;
            check_store_rules(store.as_mut(), &require_rules)?;
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
        AuditCommand::Checkpoint { .. } => {
            let key = checkpoint::read_signing_key(&settings.audit_signing_key())?;
            let cp = log::checkpoint(store.as_mut(), &key.name)?;
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
            output::json(&log::prove(store.as_mut(), &id, size)?)?;
        }
        AuditCommand::Keygen { .. } | AuditCommand::Migrate { .. } => {
            unreachable!("handled before the store is opened")
        }
    }
    Ok(0)
}

/// The gate of gate mode, for `--gate`.
fn gate(settings: &Settings) -> Result<Gate> {
    let url = settings.gate()?.ok_or_else(|| {
        Error::usage("--gate needs a gate: none is configured").hint(format!(
            "set {} or `url` in the [gate] table of the config file",
            crate::env::GATE_URL
        ))
    })?;
    Ok(Gate::new(url, settings.login()))
}

/// `audit list --gate`: every receipt the gate sealed, page by page (`GET /v1/receipts`).
fn list_gate(settings: &Settings) -> Result<u8> {
    let gate = gate(settings)?;
    let receipts = crate::net::block_on(async {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = gate.receipts(after.as_deref()).await?;
            all.extend(page.receipts);
            match page.next_after {
                Some(next) if Some(&next) != after.as_ref() => after = Some(next),
                _ => return Ok::<_, Error>(all),
            }
        }
    })?;
    let list: Vec<Summary> = receipts.into_iter().map(Summary::from).collect();
    if settings.json() {
        output::json(&list)?;
    } else {
        output::stdout(&output::tables::receipts(&list))?;
    }
    Ok(0)
}

/// `audit show ID --gate`: one receipt from the gate, its seal checked here.
fn show_gate(settings: &Settings, id: String) -> Result<u8> {
    let gate = gate(settings)?;
    let receipt = crate::net::block_on(gate.receipt(&id))?;
    // Checked as any exported receipt is: the gate's copy must be intact too.
    let receipt = Receipt::verify_text(&serde_json::to_string(&receipt)?)
        .map_err(|e| e.context(format!("the gate's receipt `{id}`")))?;
    if settings.json() {
        output::json(&receipt)?;
    } else {
        output::stdout(&timeline::render(&receipt))?;
    }
    Ok(0)
}

/// `--require-rules` over every receipt in the store.
fn check_store_rules(store: &mut dyn crate::audit::AuditStore, required: &[String]) -> Result<()> {
    if required.is_empty() {
        return Ok(());
    }
    let receipts: Vec<Receipt> = store
        .receipts()?
        .iter()
        .map(|stored| Receipt::verify_text(&stored.body))
        .collect::<Result<_>>()?;
    check_rules(&receipts, required)
}

/// `--require-rules`: every receipt must have been scored under one of the given rules files;
/// the error names the receipts that were not.
fn check_rules(receipts: &[Receipt], required: &[String]) -> Result<()> {
    if required.is_empty() {
        return Ok(());
    }
    let mut wanted = Vec::new();
    for r in required {
        let hex = r.trim().trim_start_matches("sha256:").to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::usage(format!(
                "--require-rules `{}` is not a SHA-256 (64 hex digits)",
                crate::output::escape(r)
            ))
            .hint("`changeset rules check FILE` prints a rules file's sha256"));
        }
        wanted.push(format!("sha256:{hex}"));
    }
    let other: Vec<String> = receipts
        .iter()
        .filter(|r| !wanted.contains(&r.rules_sha256))
        .map(|r| format!("{} ({})", r.id, r.rules_sha256))
        .collect();
    if other.is_empty() {
        return Ok(());
    }
    Err(Error::input(format!(
        "{} receipt(s) were scored under rules other than the required ones: {}",
        other.len(),
        other.join(", ")
    ))
    .hint(
        "those changes were approved under other rules; review them with `changeset audit show ID`",
    ))
}

fn report_ok(settings: &Settings, message: &str, count: usize, head: &str) -> Result<u8> {
    if settings.json() {
        output::json(&serde_json::json!({ "ok": true, "receipts": count, "head": head }))?;
    } else {
        output::stdout(message)?;
    }
    Ok(0)
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).io_context(&format!("reading {what}"), path)
}

/// `audit verify --receipt FILE [--proof P --checkpoint C --key K]`: offline, files only.
fn verify_receipt_file(
    settings: &Settings,
    path: &Path,
    proof: Option<&Path>,
    checkpoint: Option<&Path>,
    key: Option<&Path>,
    require_rules: &[String],
) -> Result<u8> {
    let text = read(path, "the receipt")?;
    let in_file = |e: Error| e.context(format!("`{}`", path.display()));
    let receipt = Receipt::verify_text(&text).map_err(in_file)?;
    check_rules(std::slice::from_ref(&receipt), require_rules)?;
    let (checkpoint, key) = match (checkpoint, key) {
        (Some(checkpoint), Some(key)) => (checkpoint, key),
        // A gate's receipt: its signature by the gate's key, offline.
        (None, Some(key)) => {
            let key = checkpoint::read_verifier_key(key)?;
            let receipt = crate::audit::signed::verify(&text, &key).map_err(in_file)?;
            return report_ok(
                settings,
                &format!(
                    "receipt {} is intact and signed by {} ({})",
                    receipt.id,
                    key.key_id(),
                    receipt.hash
                ),
                1,
                &receipt.hash,
            );
        }
        _ => {
            let signed = receipt
                .key_id
                .as_deref()
                .map(|k| format!("; signed by {k}: pass --key with its public key to check"))
                .unwrap_or_default();
            return report_ok(
                settings,
                &format!(
                    "receipt {} is intact ({}){signed}",
                    receipt.id, receipt.hash
                ),
                1,
                &receipt.hash,
            );
        }
    };
    let proof_path = proof.ok_or_else(|| {
        Error::usage("--receipt with --checkpoint needs --proof (from `changeset audit prove`)")
    })?;
    let key = checkpoint::read_verifier_key(key)?;
    let cp = Checkpoint::verify(&read(checkpoint, "the checkpoint")?, &key)
        .map_err(|e| e.context(format!("`{}`", checkpoint.display())))?;
    let proof: log::InclusionProof = serde_json::from_str(&read(proof_path, "the proof")?)
        .map_err(|e| {
            Error::input(format!(
                "`{}` is not an inclusion proof: {e}",
                proof_path.display()
            ))
        })?;
    log::verify_inclusion(&receipt, &proof, &cp)?;
    report_ok(
        settings,
        &format!(
            "receipt {} is intact and is entry {} of the log of {} receipt(s) that {} signed",
            receipt.id, proof.leaf_index, cp.size, key.name
        ),
        1,
        &receipt.hash,
    )
}
