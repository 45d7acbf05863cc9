//! `--require-rules`: receipts must have been scored under one of the given rules files.

use super::AuditStore;
use crate::error::{Error, Result};
use crate::receipt::Receipt;

/// `--require-rules` over every receipt in the store.
pub fn in_store(store: &mut dyn AuditStore, required: &[String]) -> Result<()> {
    if required.is_empty() {
        return Ok(());
    }
    let receipts: Vec<Receipt> = store
        .receipts()?
        .iter()
        .map(|stored| Receipt::verify_text(&stored.body))
        .collect::<Result<_>>()?;
    check(&receipts, required)
}

/// `--require-rules`: every receipt must have been scored under one of the given rules files;
/// the error names the receipts that were not.
pub fn check(receipts: &[Receipt], required: &[String]) -> Result<()> {
    if required.is_empty() {
        return Ok(());
    }
    let mut wanted = Vec::new();
    for r in required {
        let hex = r.trim().trim_start_matches("sha256:").to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::usage(format!(
                "--require-rules `{}` is not a SHA-256 (64 hex digits)",
                crate::escape::escape(r)
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
