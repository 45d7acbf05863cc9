//! `audit migrate`: copies one store's chain into another, empty one (a machine's SQLite log
//! into a team's PostgreSQL log), keeping every hash, then proves the copy is the same log.
//!
//! Each receipt goes through the target's own `append`, which re-chains it to the target's head
//! and re-seals it: copied in order, that reproduces the same `prev_hash` and so the same hash,
//! which is checked receipt by receipt, then by `verify` and the Merkle root of both logs.

use super::{AuditStore, Claim, log, merkle::Hash, state};
use crate::error::{Error, Result};
use crate::receipt::Receipt;

/// Copies every receipt, plan-id claim and notification outcome; returns the receipt count
/// and the Merkle root both logs now share.
pub fn copy(from: &mut dyn AuditStore, to: &mut dyn AuditStore) -> Result<(u64, Hash)> {
    from.verify()
        .map_err(|e| e.context("the local audit log does not verify; nothing was copied"))?;
    if let Some(entry) = from.unfinished()?.first() {
        return Err(Error::stale(format!(
            "apply of plan {} is unfinished; nothing was copied",
            entry.plan_id
        ))
        .hint("run `changeset recover` first"));
    }
    if let Some(head) = to.chain_head()? {
        return Err(Error::input(format!(
            "{} already holds {} receipt(s); nothing was copied",
            to.describe(),
            head.count
        ))
        .hint("migrate into an empty audit database"));
    }
    for stored in from.receipts()? {
        let mut receipt = Receipt::verify_text(&stored.body)?;
        let final_state = from
            .claim_of(&receipt.plan_id)?
            .map_or_else(|| state::DONE.to_string(), |(state, _)| state);
        if to.claim_of(&receipt.plan_id)?.is_none() {
            to.claim_plan(&Claim {
                plan_id: &receipt.plan_id,
                plan_hash: &receipt.plan_hash,
                plan: "{}",
                approval: &serde_json::to_string(&receipt.approval)?,
                now: &receipt.finished_at,
            })?;
        }
        to.append(&mut receipt, &final_state)?;
        if receipt.hash != stored.hash {
            return Err(Error::runtime(format!(
                "receipt {} changed its hash in the copy ({} -> {})",
                stored.id, stored.hash, receipt.hash
            ))
            .hint(
                "the target was written to during the copy; migrate into an empty database again",
            ));
        }
        if let Some((at, record)) = from.notification(&receipt.id)? {
            to.claim_notification(&receipt, &record, &at)?;
        }
    }
    let count = to.verify()? as u64;
    let source = log::checkpoint(from, "")?;
    let target = log::checkpoint(to, "")?;
    if source.size != count || source.root != target.root || target.size != count {
        return Err(Error::runtime(format!(
            "the copy's Merkle root differs from the local log's ({} receipts locally, {count} copied)",
            source.size
        )));
    }
    Ok((count, target.root))
}
