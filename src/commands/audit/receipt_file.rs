//! `audit verify --receipt FILE`: one receipt offline, files only: its seal, the gate's
//! signature, or its inclusion in a signed checkpoint.

use std::path::{Path, PathBuf};

use super::{read, report_ok};
use crate::audit::checkpoint::{self, Checkpoint};
use crate::audit::log;
use crate::error::{Error, Result};
use crate::receipt::Receipt;
use crate::settings::Settings;

/// The files `audit verify --receipt FILE` may check the receipt against.
pub(super) struct Files {
    pub proof: Option<PathBuf>,
    pub checkpoint: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// `audit verify --receipt FILE [--proof P --checkpoint C --key K]`: offline, files only.
pub(super) fn verify(
    settings: &Settings,
    path: &Path,
    files: Files,
    require_rules: &[String],
) -> Result<u8> {
    let text = read(path, "the receipt")?;
    let in_file = |e: Error| e.context(format!("`{}`", path.display()));
    let receipt = Receipt::verify_text(&text).map_err(in_file)?;
    crate::audit::require_rules::check(std::slice::from_ref(&receipt), require_rules)?;
    match (files.checkpoint, files.key) {
        (Some(checkpoint), Some(key)) => in_log(
            settings,
            &receipt,
            files.proof.as_deref(),
            &checkpoint,
            &key,
        ),
        // A gate's receipt: its signature by the gate's key, offline.
        (None, Some(key)) => {
            let key = checkpoint::read_verifier_key(&key)?;
            let receipt = crate::audit::signed::verify(&text, &key).map_err(in_file)?;
            report_ok(
                settings,
                &format!(
                    "receipt {} is intact and signed by {} ({})",
                    receipt.id,
                    key.key_id(),
                    receipt.hash
                ),
                1,
                &receipt.hash,
            )
        }
        _ => {
            let signed = receipt
                .key_id
                .as_deref()
                .map(|k| format!("; signed by {k}: pass --key with its public key to check"))
                .unwrap_or_default();
            report_ok(
                settings,
                &format!(
                    "receipt {} is intact ({}){signed}",
                    receipt.id, receipt.hash
                ),
                1,
                &receipt.hash,
            )
        }
    }
}

/// The receipt is an entry of the log a signed checkpoint commits to (by its inclusion proof).
fn in_log(
    settings: &Settings,
    receipt: &Receipt,
    proof: Option<&Path>,
    checkpoint: &Path,
    key: &Path,
) -> Result<u8> {
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
    log::verify_inclusion(receipt, &proof, &cp)?;
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
