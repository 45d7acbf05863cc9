//! The audit store as a transparency log: checkpoints, inclusion proofs, and the check that the
//! current log extends an old signed checkpoint.
//!
//! The hash chain alone proves nothing to someone who does not trust the holder of the store:
//! they can edit a receipt and re-seal every later one. A checkpoint kept by an outsider pins
//! the root of the first N receipts; [`check_extends`] shows the current log still has exactly
//! those N receipts first, or names where it stops matching.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle::{self, Hash, InMemory};
use super::{AuditStore, StoredReceipt, verify_chain};
use crate::error::{Error, Result};
use crate::receipt::Receipt;

/// Leaf data of a receipt: the raw 32 bytes of its `sha256:<hex>` hash.
pub fn leaf_data(hash: &str) -> Result<Hash> {
    hash.strip_prefix("sha256:")
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| Hash::try_from(b).ok())
        .ok_or_else(|| Error::input(format!("`{hash}` is not a sha256: receipt hash")))
}

/// The checkpoint of the current log.
pub fn checkpoint(store: &mut dyn AuditStore, origin: &str) -> Result<Checkpoint> {
    let size = store.chain_head()?.map_or(0, |h| h.count);
    Ok(Checkpoint {
        origin: origin.to_string(),
        size,
        root: merkle::root(store, size)?,
    })
}

/// An inclusion proof of one receipt, as `audit prove` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub receipt_id: String,
    pub receipt_hash: String,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// The audit path, leaf to root, base64 like the checkpoint's root.
    pub hashes: Vec<String>,
}

/// Proves that the receipt `wanted` (id, plan id or prefix) is in the tree of `size` receipts
/// (default: the current tree).
pub fn prove(
    store: &mut dyn AuditStore,
    wanted: &str,
    size: Option<u64>,
) -> Result<InclusionProof> {
    let body = store.find(wanted)?;
    let receipt = Receipt::verify_text(&body)?;
    let current = store.chain_head()?.map_or(0, |h| h.count);
    let size = size.unwrap_or(current);
    if size > current {
        return Err(Error::input(format!(
            "the log holds {current} receipts, not {size}"
        )));
    }
    let index = store
        .receipts()?
        .iter()
        .position(|r| r.id == receipt.id)
        .expect("found above") as u64;
    if index >= size {
        return Err(Error::input(format!(
            "receipt {} is entry {index}, after the first {size}",
            receipt.id
        ))
        .hint("prove it against a later checkpoint"));
    }
    let hashes = merkle::inclusion_proof(store, index, size)?;
    Ok(InclusionProof {
        receipt_id: receipt.id,
        receipt_hash: receipt.hash,
        leaf_index: index,
        tree_size: size,
        hashes: hashes.iter().map(|h| B64.encode(h)).collect(),
    })
}

/// Checks, with nothing but the files, that a receipt is intact and in the log the checkpoint
/// signs. The checkpoint's signature is checked by the caller.
pub fn verify_inclusion(
    receipt: &Receipt,
    proof: &InclusionProof,
    checkpoint: &Checkpoint,
) -> Result<()> {
    if proof.receipt_hash != receipt.hash || proof.receipt_id != receipt.id {
        return Err(Error::input(format!(
            "the proof is for receipt {} ({}), not {} ({})",
            proof.receipt_id, proof.receipt_hash, receipt.id, receipt.hash
        )));
    }
    if proof.tree_size != checkpoint.size {
        return Err(Error::input(format!(
            "the proof is for a log of {} receipts, the checkpoint for {}",
            proof.tree_size, checkpoint.size
        ))
        .hint(format!(
            "make the proof for the checkpoint's size: `changeset audit prove {} --size {}`",
            receipt.id, checkpoint.size
        )));
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| {
            B64.decode(h)
                .ok()
                .and_then(|b| Hash::try_from(b).ok())
                .ok_or_else(|| Error::input("the proof holds a hash that is not base64 SHA-256"))
        })
        .collect::<Result<Vec<_>>>()?;
    let leaf = merkle::leaf_hash(&leaf_data(&receipt.hash)?);
    if !merkle::verify_inclusion(
        proof.leaf_index,
        proof.tree_size,
        &leaf,
        &hashes,
        &checkpoint.root,
    ) {
        return Err(Error::input(format!(
            "receipt {} is not entry {} of the log the checkpoint signs",
            receipt.id, proof.leaf_index
        ))
        .hint("the receipt, the proof or the log was altered"));
    }
    Ok(())
}

/// Checks that the current log extends `old`: the chain is intact, each receipt is the leaf the
/// log recorded when it was appended, and a consistency proof leads from `old` to the current
/// root. Returns the current checkpoint's size and root.
pub fn check_extends(store: &mut dyn AuditStore, old: &Checkpoint) -> Result<(u64, Hash)> {
    let rows = store.receipts()?;
    let head = store.chain_head()?;
    verify_chain(&rows, head.as_ref())?;
    let size = rows.len() as u64;
    if size < old.size {
        return Err(rewritten(
            size,
            &format!(
                "the checkpoint covers {} receipts, the log holds only {size}: entries {size}..{} were removed (truncated)",
                old.size,
                old.size - 1
            ),
        ));
    }
    let tree = recorded_leaves_match(store, &rows)?;
    let mut tree = tree;
    let root = merkle::root(&mut tree, size)?;
    if merkle::root(store, size)? != root {
        return Err(
            Error::input("the audit log's stored Merkle tree does not match its receipts")
                .hint("the audit store was modified outside changeset"),
        );
    }
    let consistent = if old.size == 0 {
        old.root == merkle::empty_root()
    } else {
        let proof = merkle::consistency_proof(&mut tree, old.size, size)?;
        merkle::verify_consistency(old.size, size, &old.root, &root, &proof)
    };
    if !consistent {
        return Err(Error::input(format!(
            "audit verify failed: the log's first {} receipts no longer hash to the checkpoint's root; history before index {} was rewritten (the log's own record of its leaves was rewritten too, so the exact entry cannot be named)",
            old.size, old.size
        ))
        .hint("restore the audit store from a backup or an export that matches the checkpoint"));
    }
    Ok((size, root))
}

/// Recomputes the tree from the receipts and compares each leaf with the one the store recorded
/// when that receipt was appended; the first difference is where history was changed.
fn recorded_leaves_match(store: &mut dyn AuditStore, rows: &[StoredReceipt]) -> Result<InMemory> {
    let mut tree = InMemory::new();
    for (i, row) in rows.iter().enumerate() {
        tree.push(&leaf_data(&row.hash)?);
        let recorded = store.merkle_node(0, i as u64)?;
        if tree.leaf(i as u64) != Some(recorded) {
            return Err(rewritten(
                i as u64,
                &format!(
                    "receipt {} is not the receipt the log recorded at this position when it was appended (edited and re-sealed, or reordered)",
                    row.id
                ),
            ));
        }
    }
    Ok(tree)
}

fn rewritten(index: u64, detail: &str) -> Error {
    Error::input(format!(
        "audit verify failed: history was rewritten at index {index}: {detail}"
    ))
    .hint("restore the audit store from a backup or an export that matches the checkpoint")
}
