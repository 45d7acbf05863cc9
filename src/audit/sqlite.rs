//! The SQLite audit store: `audit.db` (WAL, synchronous=FULL) in the data directory. An
//! IMMEDIATE transaction takes SQLite's write lock, so appends from several local processes
//! still make one chain.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::log::leaf_data;
use super::merkle::{self, Hash, InMemory, Nodes};
use super::{
    AuditStore, ChainHead, Claim, GateApply, JournalEntry, StoredReceipt, already_applied, state,
};
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
CREATE TABLE IF NOT EXISTS approval_requests (
    approver   TEXT NOT NULL,
    sent_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_requests_by_approver ON approval_requests (approver, sent_at);
CREATE TABLE IF NOT EXISTS gate_applies (
    id         TEXT PRIMARY KEY,
    plan_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS gate_applies_by_status ON gate_applies (status, created_at);
CREATE TABLE IF NOT EXISTS chain_head (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    count      INTEGER NOT NULL,
    id         TEXT NOT NULL,
    hash       TEXT NOT NULL
);
";

/// Schema versions after the first (`PRAGMA user_version`), each applied once, in order.
/// Version 2: the Merkle log's nodes, filled in for the receipts already stored.
const MERKLE_VERSION: i64 = 2;
/// Version 3: gate applies unique by id, no longer by plan id (the id derives from the plan id
/// and the requester, so nobody can take a plan id from its author); SQLite drops a constraint
/// only by copying the table.
const GATE_APPLY_ID_VERSION: i64 = 3;
const LATEST_VERSION: i64 = GATE_APPLY_ID_VERSION;

pub struct SqliteStore {
    conn: Connection,
    path: std::path::PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) `audit.db` in the data directory.
    pub fn open(data_dir: &Path) -> Result<SqliteStore> {
        crate::private_dir::create(data_dir).io_context("creating the data directory", data_dir)?;
        let path = data_dir.join("audit.db");
        // Created 0600 before SQLite opens it: its -wal and -shm files take the same mode.
        crate::private_files::open(&path).io_context("creating the audit store", &path)?;
        crate::private_files::restrict(&path)?;
        let conn = Connection::open(&path)
            .map_err(|e| Error::runtime(format!("opening `{}`: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        for side in ["audit.db-wal", "audit.db-shm"] {
            crate::private_files::restrict(&data_dir.join(side))?;
        }
        let mut store = SqliteStore { conn, path };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let version =
            |c: &Connection| c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0));
        if version(&self.conn)? >= LATEST_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let from = version(&tx)?;
        if from < MERKLE_VERSION {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS merkle_nodes (
                    level INTEGER NOT NULL,
                    idx   INTEGER NOT NULL,
                    hash  BLOB NOT NULL,
                    PRIMARY KEY (level, idx)
                ) WITHOUT ROWID;
                DELETE FROM merkle_nodes;",
            )?;
            let mut tree = InMemory::new();
            {
                let mut stmt = tx.prepare("SELECT hash FROM receipts ORDER BY seq")?;
                let hashes = stmt.query_map([], |r| r.get::<_, String>(0))?;
                for hash in hashes {
                    tree.push(&leaf_data(&hash?)?);
                }
            }
            for (level, idx, hash) in tree.all_nodes() {
                insert_node(&tx, level, idx, &hash)?;
            }
        }
        if from < GATE_APPLY_ID_VERSION {
            tx.execute_batch(
                "CREATE TABLE gate_applies_by_id (
                    id         TEXT PRIMARY KEY,
                    plan_id    TEXT NOT NULL,
                    status     TEXT NOT NULL,
                    body       TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                INSERT INTO gate_applies_by_id
                    SELECT id, plan_id, status, body, created_at, updated_at FROM gate_applies;
                DROP TABLE gate_applies;
                ALTER TABLE gate_applies_by_id RENAME TO gate_applies;
                CREATE INDEX gate_applies_by_status ON gate_applies (status, created_at);",
            )?;
        }
        if from < LATEST_VERSION {
            tx.pragma_update(None, "user_version", LATEST_VERSION)?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl AuditStore for SqliteStore {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn claim_plan(&mut self, claim: &Claim<'_>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing = claim_in(&tx, claim.plan_id)?;
        if let Some((state, receipt)) = existing {
            return Err(already_applied(claim.plan_id, &state, receipt.as_deref()));
        }
        tx.execute(
            "INSERT INTO journal (plan_id, plan_hash, state, plan, approval, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![claim.plan_id, claim.plan_hash, state::STARTED, claim.plan, claim.approval, claim.now],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn claim_of(&mut self, plan_id: &str) -> Result<Option<(String, Option<String>)>> {
        claim_in(&self.conn, plan_id)
    }

    fn set_journal_state(&mut self, plan_id: &str, state: &str, now: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE journal SET state = ?2, updated_at = ?3 WHERE plan_id = ?1",
            params![plan_id, state, now],
        )?;
        Ok(())
    }

    fn release_plan(&mut self, plan_id: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM journal WHERE plan_id = ?1 AND state IN ('started', 'written')",
            [plan_id],
        )?;
        Ok(())
    }

    fn record_approval_request(&mut self, approver: &str, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO approval_requests (approver, sent_at) VALUES (?1, ?2)",
            params![approver, at],
        )?;
        Ok(())
    }

    fn approval_requests_since(&mut self, approver: &str, since: i64) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM approval_requests WHERE approver = ?1 AND sent_at >= ?2",
            params![approver, since],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn unfinished(&mut self) -> Result<Vec<JournalEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT plan_id, plan_hash, plan, approval FROM journal WHERE state NOT IN ('done', 'rolled_back') ORDER BY updated_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(JournalEntry {
                plan_id: r.get(0)?,
                plan_hash: r.get(1)?,
                plan: r.get(2)?,
                approval: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn append_signed(
        &mut self,
        receipt: &mut Receipt,
        final_state: &str,
        sign: &dyn Fn(&mut Receipt),
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = head_in(&tx)?;
        receipt.prev_id = head.as_ref().map(|h| h.id.clone());
        receipt.prev_hash = head.as_ref().map(|h| h.hash.clone());
        receipt.seal();
        sign(receipt);
        let body = serde_json::to_string(receipt)?;
        tx.execute(
            "INSERT INTO receipts (id, plan_id, created_at, hash, prev_hash, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![receipt.id, receipt.plan_id, receipt.finished_at, receipt.hash, receipt.prev_hash, body],
        )?;
        let index = head.as_ref().map_or(0, |h| h.count);
        for (level, idx, hash) in
            merkle::nodes_for_append(index, &leaf_data(&receipt.hash)?, &mut SqlNodes(&tx))?
        {
            insert_node(&tx, level, idx, &hash)?;
        }
        let count = index as i64 + 1;
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

    fn gate_apply_insert(&mut self, apply: &GateApply, now: &str) -> Result<GateApply> {
        self.conn.execute(
            "INSERT INTO gate_applies (id, plan_id, status, body, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(id) DO NOTHING",
            params![apply.id, apply.plan_id, apply.status, apply.body, now],
        )?;
        let stored = self
            .conn
            .query_row(
                "SELECT id, plan_id, status, body FROM gate_applies WHERE id = ?1",
                [&apply.id],
                gate_apply_row,
            )
            .optional()?;
        stored.ok_or_else(|| Error::runtime("the gate apply vanished after it was stored"))
    }

    fn gate_apply_update(
        &mut self,
        id: &str,
        expected: &str,
        status: &str,
        body: &str,
        now: &str,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE gate_applies SET status = ?3, body = ?4, updated_at = ?5 WHERE id = ?1 AND status = ?2",
            params![id, expected, status, body, now],
        )?;
        Ok(n == 1)
    }

    fn gate_apply(&mut self, id: &str) -> Result<Option<GateApply>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, plan_id, status, body FROM gate_applies WHERE id = ?1",
                [id],
                gate_apply_row,
            )
            .optional()?)
    }

    fn gate_applies(&mut self, statuses: &[&str]) -> Result<Vec<GateApply>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, plan_id, status, body FROM gate_applies ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], gate_apply_row)?;
        let mut out = Vec::new();
        for row in rows {
            let row = row?;
            if statuses.contains(&row.status.as_str()) {
                out.push(row);
            }
        }
        Ok(out)
    }

    fn claim_notification(
        &mut self,
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

    fn record_notification(
        &mut self,
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

    fn notification(&mut self, receipt_id: &str) -> Result<Option<(String, NotifyRecord)>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT updated_at, record FROM notifications WHERE receipt_id = ?1",
                [receipt_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(at, record)| super::parse_notification(receipt_id, at, &record))
            .transpose()
    }

    fn receipts(&mut self) -> Result<Vec<StoredReceipt>> {
        self.select_receipts("SELECT id, hash, body FROM receipts ORDER BY seq", &[])
    }

    fn matching(&mut self, wanted: &str) -> Result<Vec<StoredReceipt>> {
        let prefix = format!("{wanted}%");
        self.select_receipts(
            "SELECT id, hash, body FROM receipts WHERE id LIKE ?1 OR plan_id LIKE ?1 ORDER BY seq",
            &[&prefix],
        )
    }

    fn chain_head(&mut self) -> Result<Option<ChainHead>> {
        head_in(&self.conn)
    }

    fn merkle_node(&mut self, level: u32, index: u64) -> Result<Hash> {
        SqlNodes(&self.conn).node(level, index)
    }
}

/// The Merkle nodes of a connection (or of an open transaction, which derefs to one).
struct SqlNodes<'c>(&'c Connection);

impl Nodes for SqlNodes<'_> {
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        let blob: Option<Vec<u8>> = self
            .0
            .query_row(
                "SELECT hash FROM merkle_nodes WHERE level = ?1 AND idx = ?2",
                params![level, index as i64],
                |r| r.get(0),
            )
            .optional()?;
        blob.and_then(|b| Hash::try_from(b).ok())
            .ok_or_else(|| merkle::missing(level, index))
    }
}

fn insert_node(conn: &Connection, level: u32, index: u64, hash: &Hash) -> Result<()> {
    conn.execute(
        "INSERT INTO merkle_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
        params![level, index as i64, hash.as_slice()],
    )?;
    Ok(())
}

impl SqliteStore {
    fn select_receipts(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StoredReceipt>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(args, |r| {
            Ok(StoredReceipt {
                id: r.get(0)?,
                hash: r.get(1)?,
                body: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

fn claim_in(conn: &Connection, plan_id: &str) -> Result<Option<(String, Option<String>)>> {
    Ok(conn
        .query_row(
            "SELECT state, receipt_id FROM journal WHERE plan_id = ?1",
            [plan_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

fn head_in(conn: &Connection) -> Result<Option<ChainHead>> {
    Ok(conn
        .query_row(
            "SELECT count, id, hash FROM chain_head WHERE one = 1",
            [],
            |r| {
                Ok(ChainHead {
                    count: r.get::<_, i64>(0)? as u64,
                    id: r.get(1)?,
                    hash: r.get(2)?,
                })
            },
        )
        .optional()?)
}

fn gate_apply_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GateApply> {
    Ok(GateApply {
        id: r.get(0)?,
        plan_id: r.get(1)?,
        status: r.get(2)?,
        body: r.get(3)?,
    })
}
