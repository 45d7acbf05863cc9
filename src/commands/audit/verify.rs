//! `audit verify`: the store's chain, or a checkpoint it must extend.

use std::path::Path;

use super::{read, report_ok};
use crate::audit::checkpoint::{self, Checkpoint};
use crate::audit::{AuditStore, log};
use crate::error::Result;
use crate::settings::Settings;

/// `audit verify`: every receipt's seal and the chain between them.
pub(super) fn chain(
    settings: &Settings,
    store: &mut dyn AuditStore,
    require_rules: &[String],
) -> Result<u8> {
    let count = store.verify()?;
    crate::audit::require_rules::in_store(store, require_rules)?;
    // The verified chain's last hash is its head's (verify checked them equal).
    let head = store.chain_head()?.map(|h| h.hash).unwrap_or_default();
    report_ok(
        settings,
        &format!("{count} receipt(s) verified; the chain is intact"),
        count,
        &head,
    )
}

/// `audit verify --checkpoint C --key K`: the log still extends an older signed checkpoint.
pub(super) fn extends(
    settings: &Settings,
    store: &mut dyn AuditStore,
    old: &Path,
    key: &Path,
    require_rules: &[String],
) -> Result<u8> {
    crate::audit::require_rules::in_store(store, require_rules)?;
    let key = checkpoint::read_verifier_key(key)?;
    let old_path = old;
    let old = Checkpoint::verify(&read(old_path, "the checkpoint")?, &key)
        .map_err(|e| e.context(format!("`{}`", old_path.display())))?;
    let (size, root) = log::check_extends(store, &old)?;
    let current = Checkpoint {
        origin: old.origin.clone(),
        size,
        root,
    };
    report_ok(
        settings,
        &format!(
            "{size} receipt(s) verified; the log extends the checkpoint of {} receipt(s) (root {})",
            old.size,
            old.root_base64()
        ),
        size as usize,
        &current.root_base64(),
    )
}
