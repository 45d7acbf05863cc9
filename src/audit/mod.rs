//! The audit store: sealed receipts in a hash chain, the apply journal, and consumed plan ids,
//! in SQLite (WAL) under the data directory.

pub mod timeline;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::{Error, IoContext, Result};
use crate::receipt::{NotifyRecord, Receipt};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS receipts (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    plan_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    hash       TEXT NOT NULL,
    prev_hash  TEXT,
    body       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    plan_id    TEXT PRIMARY KEY,
    plan_hash  TEXT NOT NULL,
    state      TEXT NOT NULL,
    plan       TEXT NOT NULL,
    approval   TEXT NOT NULL,
    receipt_id TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
    receipt_id   TEXT PRIMARY KEY,
    receipt_hash TEXT NOT NULL,
    record       TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_head (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    count      INTEGER NOT NULL,
    id         TEXT NOT NULL,
    hash       TEXT NOT NULL
);
";

/// Journal states of an apply, in order. `done` and `rolled_back` are final.
pub mod state {
    pub const STARTED: &str = "started";
    pub const WRITTEN: &str = "written";
    pub const DONE: &str = "done";
    pub const ROLLED_BACK: &str = "rolled_back";
}

/// A row of `audit list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub id: String,
    pub plan_id: String,
    pub created_at: String,
    pub outcome: String,
    pub tier: u8,
    pub changes: usize,
    pub request: String,
    pub hash: String,
}

/// An unfinished apply found in the journal.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub plan_id: String,
    /// The plan as claimed (JSON).
    pub plan: String,
    /// The approval it was applied under (JSON `ApprovalRecord`).
    pub approval: String,
}

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) `audit.db` in the data directory.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).io_context("creating the data directory", data_dir)?;
        let path = data_dir.join("audit.db");
        let conn = Connection::open(&path)
            .map_err(|e| Error::runtime(format!("opening `{}`: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    /// Claims a plan id for one apply. Refuses (exit 3) a plan already applied or being applied.
    pub fn claim_plan(
        &mut self,
        plan_id: &str,
        plan_hash: &str,
        plan_json: &str,
        approval_json: &str,
        now: &str,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT state, receipt_id FROM journal WHERE plan_id = ?1",
                [plan_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((state, receipt)) = existing {
            return Err(already_applied(plan_id, &state, receipt.as_deref()));
        }
        tx.execute(
            "INSERT INTO journal (plan_id, plan_hash, state, plan, approval, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![plan_id, plan_hash, state::STARTED, plan_json, approval_json, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Refuses a plan id that was already claimed, without claiming it.
    pub fn check_unclaimed(&self, plan_id: &str) -> Result<()> {
        let existing: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT state, receipt_id FROM journal WHERE plan_id = ?1",
                [plan_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match existing {
            Some((state, receipt)) => Err(already_applied(plan_id, &state, receipt.as_deref())),
            None => Ok(()),
        }
    }

    pub fn set_journal_state(&self, plan_id: &str, state: &str, now: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE journal SET state = ?2, updated_at = ?3 WHERE plan_id = ?1",
            params![plan_id, state, now],
        )?;
        Ok(())
    }

    /// Forgets a claim whose apply provably wrote nothing, so the plan may be applied again.
    pub fn release_plan(&self, plan_id: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM journal WHERE plan_id = ?1 AND state = 'started'",
            [plan_id],
        )?;
        Ok(())
    }

    /// Unfinished applies (neither done nor rolled back).
    pub fn unfinished(&self) -> Result<Vec<JournalEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT plan_id, plan, approval FROM journal WHERE state NOT IN ('done', 'rolled_back') ORDER BY updated_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(JournalEntry {
                plan_id: r.get(0)?,
                plan: r.get(1)?,
                approval: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Chains, seals and stores a receipt, and closes its journal entry, in one transaction.
    pub fn append(&mut self, receipt: &mut Receipt, final_state: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT count, id, hash FROM chain_head WHERE one = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        receipt.prev_id = head.as_ref().map(|h| h.1.clone());
        receipt.prev_hash = head.as_ref().map(|h| h.2.clone());
        receipt.seal();
        let body = serde_json::to_string(receipt)?;
        tx.execute(
            "INSERT INTO receipts (id, plan_id, created_at, hash, prev_hash, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![receipt.id, receipt.plan_id, receipt.finished_at, receipt.hash, receipt.prev_hash, body],
        )?;
        let count = head.map_or(0, |h| h.0) + 1;
        tx.execute(
            "INSERT INTO chain_head (one, count, id, hash) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(one) DO UPDATE SET count = excluded.count, id = excluded.id, hash = excluded.hash",
            params![count, receipt.id, receipt.hash],
        )?;
        tx.execute(
            "UPDATE journal SET state = ?2, receipt_id = ?3, updated_at = ?4 WHERE plan_id = ?1",
            params![
                receipt.plan_id,
                final_state,
                receipt.id,
                receipt.finished_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Claims the one notification of a sealed receipt before it is sent, so that it is sent at
    /// most once: false when it was claimed before (sent, failed, or cut off mid-send).
    pub fn claim_notification(
        &self,
        receipt: &Receipt,
        record: &NotifyRecord,
        now: &str,
    ) -> Result<bool> {
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO notifications (receipt_id, receipt_hash, record, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![receipt.id, receipt.hash, serde_json::to_string(record)?, now],
        )?;
        Ok(inserted == 1)
    }

    /// Records how the notification of a receipt ended. It follows the sealed receipt (whose
    /// hash the message carries), so it is kept beside the chain, bound to the receipt's hash.
    pub fn record_notification(
        &self,
        receipt_id: &str,
        record: &NotifyRecord,
        now: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET record = ?2, updated_at = ?3 WHERE receipt_id = ?1",
            params![receipt_id, serde_json::to_string(record)?, now],
        )?;
        Ok(())
    }

    /// The recorded notification outcome of a receipt and when it was recorded.
    pub fn notification(&self, receipt_id: &str) -> Result<Option<(String, NotifyRecord)>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT updated_at, record FROM notifications WHERE receipt_id = ?1",
                [receipt_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(at, record)| {
            serde_json::from_str(&record).map(|r| (at, r)).map_err(|e| {
                Error::runtime(format!("notification of {receipt_id} is unreadable: {e}"))
            })
        })
        .transpose()
    }

    /// All receipt bodies in chain order, as stored (text), with their ids.
    pub fn bodies(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, body FROM receipts ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn list(&self) -> Result<Vec<Summary>> {
        let mut out = Vec::new();
        for (id, body) in self.bodies()? {
            let r: Receipt = serde_json::from_str(&body)
                .map_err(|e| Error::runtime(format!("receipt {id} is unreadable: {e}")))?;
            out.push(Summary {
                changes: r.operations.iter().map(|o| o.changes.len()).sum(),
                id: r.id,
                plan_id: r.plan_id,
                created_at: r.finished_at,
                outcome: r.outcome,
                tier: r.tier,
                request: r.request,
                hash: r.hash,
            });
        }
        Ok(out)
    }

    /// Finds one receipt by receipt id, plan id, or a unique prefix of either.
    pub fn find(&self, wanted: &str) -> Result<String> {
        let mut stmt = self.conn.prepare("SELECT id, body FROM receipts WHERE id = ?1 OR plan_id = ?1 OR id LIKE ?2 OR plan_id LIKE ?2")?;
        let escaped = wanted.replace(['%', '_'], "");
        let rows: Vec<(String, String)> = stmt
            .query_map(params![wanted, format!("{escaped}%")], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        match rows.len() {
            1 => Ok(rows.into_iter().next().expect("one row").1),
            0 => Err(Error::input(format!("no receipt matches `{wanted}`"))
                .hint("list the receipts with `changeset audit list`")),
            n => Err(Error::input(format!(
                "`{wanted}` matches {n} receipts ({})",
                rows.iter()
                    .map(|r| r.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .hint("give more characters of the id")),
        }
    }

    /// Recomputes every hash and checks the chain; names the first bad receipt.
    pub fn verify(&self) -> Result<usize> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, id, hash, prev_hash, body FROM receipts ORDER BY seq")?;
        type Row = (i64, String, String, Option<String>, String);
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut prev: Option<(String, String)> = None;
        for (_, id, hash, _, body) in &rows {
            let receipt = Receipt::verify_text(body).map_err(|e| tampered(id, &e.message))?;
            if &receipt.hash != hash || &receipt.id != id {
                return Err(tampered(
                    id,
                    "its stored hash or id does not match its content",
                ));
            }
            let expected_prev = prev.as_ref().map(|p| p.1.clone());
            if receipt.prev_hash != expected_prev {
                let missing = receipt.prev_id.clone().unwrap_or_else(|| "?".into());
                let detail = match &prev {
                    Some((prev_id, _)) if receipt.prev_id.as_deref() != Some(prev_id.as_str()) => {
                        format!(
                            "it follows receipt {missing}, which is missing from the store (deleted?)"
                        )
                    }
                    _ => "its prev_hash does not match the receipt before it".to_string(),
                };
                return Err(tampered(id, &detail));
            }
            prev = Some((id.clone(), receipt.hash.clone()));
        }
        let head: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT count, id, hash FROM chain_head WHERE one = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match (head, prev) {
            (None, None) => {}
            (Some((count, head_id, head_hash)), Some((last_id, last_hash))) => {
                if head_hash != last_hash || count != rows.len() as i64 {
                    return Err(tampered(
                        &head_id,
                        &format!(
                            "the chain head says {count} receipts ending with {head_id}, but the store holds {} ending with {last_id} (deleted?)",
                            rows.len()
                        ),
                    ));
                }
            }
            (Some((_, head_id, _)), None) => {
                return Err(tampered(
                    &head_id,
                    "it is missing from the store (deleted?)",
                ));
            }
            (None, Some((last_id, _))) => {
                return Err(tampered(&last_id, "the chain head record is missing"));
            }
        }
        Ok(rows.len())
    }
}

fn already_applied(plan_id: &str, state: &str, receipt: Option<&str>) -> Error {
    let detail = match (state, receipt) {
        (_, Some(r)) => format!("it was already applied (receipt {r})"),
        (state::STARTED | state::WRITTEN, None) => {
            "an apply of it is in progress or was interrupted".to_string()
        }
        _ => format!("it was already used (state {state})"),
    };
    let err = Error::stale(format!("plan {plan_id} cannot be applied again: {detail}"));
    if receipt.is_some() {
        err.hint("a plan is applied at most once; plan again to make a new change")
    } else {
        err.hint("run `changeset recover` to finish or undo an interrupted apply")
    }
}

fn tampered(id: &str, detail: &str) -> Error {
    Error::input(format!("audit verify failed at receipt {id}: {detail}")).hint(
        "the audit store was modified outside changeset; restore it from a backup or an export",
    )
}
