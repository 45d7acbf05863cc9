//! The PostgreSQL audit store (`CHANGESET_AUDIT_URL=postgres://…`): one chain for a team or
//! several gates, through tokio-postgres (its blocking `postgres` face, as
//! the rest of the store API is blocking) with rustls.
//!
//! Why it stays one linear chain: the chain head is one row that every append locks
//! (`SELECT … FOR UPDATE`) inside the append's transaction, so appends from any number of
//! processes and machines queue on it, and each receipt's position is the head's count at that
//! moment. A plan id is claimed by inserting its journal row; the primary key makes the claim
//! succeed once across all of them.
//!
//! `sslmode` is honoured: `disable` (plain TCP), `prefer` (the default, as in libpq: TLS when the
//! server offers it), `require`, `verify-ca`, `verify-full` (TLS or fail). When TLS is used the
//! server certificate is always verified (the platform's roots, or `sslrootcert=FILE`), which is
//! stricter than libpq's `require`.

use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config, GenericClient, NoTls};

use super::log::leaf_data;
use super::merkle::{self, Hash, Nodes};
use super::{
    AuditStore, ChainHead, Claim, GateApply, JournalEntry, StoredReceipt, already_applied, state,
};
use crate::error::{Error, Result};
use crate::receipt::{NotifyRecord, Receipt};

/// Versioned migrations, applied in order, each once, under an advisory lock so that processes
/// starting together do not race. Never edit one that has shipped: add the next.
const MIGRATIONS: &[&str] = &[
    // 1: the store as in SQLite, with the chain head row created up front (so there is always
    // a row to lock) and the Merkle log's nodes.
    "CREATE TABLE receipts (
        seq        BIGINT PRIMARY KEY,
        id         TEXT NOT NULL UNIQUE,
        plan_id    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        hash       TEXT NOT NULL,
        prev_hash  TEXT,
        body       TEXT NOT NULL
    );
    CREATE INDEX receipts_plan_id ON receipts (plan_id);
    CREATE TABLE journal (
        plan_id    TEXT PRIMARY KEY,
        plan_hash  TEXT NOT NULL,
        state      TEXT NOT NULL,
        plan       TEXT NOT NULL,
        approval   TEXT NOT NULL,
        receipt_id TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE notifications (
        receipt_id   TEXT PRIMARY KEY,
        receipt_hash TEXT NOT NULL,
        record       TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE chain_head (
        one   INTEGER PRIMARY KEY CHECK (one = 1),
        count BIGINT NOT NULL,
        id    TEXT NOT NULL,
        hash  TEXT NOT NULL
    );
    INSERT INTO chain_head (one, count, id, hash) VALUES (1, 0, '', '');
    CREATE TABLE merkle_nodes (
        level INTEGER NOT NULL,
        idx   BIGINT NOT NULL,
        hash  BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
    );",
    // 2: approval requests per approver, for the `recent_approval_requests` fact.
    "CREATE TABLE approval_requests (
        approver TEXT NOT NULL,
        sent_at  BIGINT NOT NULL
    );
    CREATE INDEX approval_requests_by_approver ON approval_requests (approver, sent_at);",
    // 3: the gate's pending applies, so that several gates share them.
    "CREATE TABLE gate_applies (
        id         TEXT PRIMARY KEY,
        plan_id    TEXT NOT NULL UNIQUE,
        status     TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX gate_applies_by_status ON gate_applies (status, created_at);",
    // 4: one apply per (requester, plan id), not per plan id: the id (derived from both) is the
    // key, so a subject who learns a plan id cannot take it from its author.
    "ALTER TABLE gate_applies DROP CONSTRAINT IF EXISTS gate_applies_plan_id_key;",
];

/// An arbitrary, fixed key for `pg_advisory_xact_lock` while migrating.
const MIGRATION_LOCK: i64 = 0x6368_616e_6765_7365; // "changese"

pub struct PostgresStore {
    client: Client,
    /// The URL without its password, for messages.
    shown: String,
}

impl PostgresStore {
    /// Connects and applies any missing migrations.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let target = Target::parse(url)?;
        let client = target.connect()?;
        let mut store = PostgresStore {
            client,
            shown: target.shown.clone(),
        };
        store.migrate().map_err(|e| e.context(&store.shown))?;
        Ok(store)
    }

    /// Connects without changing anything (for `doctor`): the URL as shown and the number of
    /// receipts, or None when no changeset has used the database yet.
    pub fn probe(url: &str) -> Result<(String, Option<u64>)> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        let used: bool = client
            .query_one("SELECT to_regclass('chain_head') IS NOT NULL", &[])
            .pg()?
            .get(0);
        let count = if used {
            let n: i64 = client
                .query_one("SELECT count FROM chain_head WHERE one = 1", &[])
                .pg()?
                .get(0);
            Some(n as u64)
        } else {
            None
        };
        Ok((target.shown, count))
    }

    fn migrate(&mut self) -> Result<()> {
        let mut tx = self.client.transaction().pg()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .pg()?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS changeset_schema (
                version    INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .pg()?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM changeset_schema",
                &[],
            )
            .pg()?
            .get(0);
        let known = MIGRATIONS.len() as i32;
        if current > known {
            return Err(Error::runtime(format!(
                "the audit database has schema version {current}; this changeset knows up to {known}"
            ))
            .hint("upgrade changeset on this machine"));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql).pg()?;
            tx.execute(
                "INSERT INTO changeset_schema (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .pg()?;
        }
        tx.commit().pg()
    }
}

impl AuditStore for PostgresStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn claim_plan(&mut self, claim: &Claim<'_>) -> Result<()> {
        let inserted = self
            .client
            .execute(
                "INSERT INTO journal (plan_id, plan_hash, state, plan, approval, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan_id) DO NOTHING",
                &[
                    &claim.plan_id,
                    &claim.plan_hash,
                    &state::STARTED,
                    &claim.plan,
                    &claim.approval,
                    &claim.now,
                ],
            )
            .pg()?;
        if inserted == 1 {
            return Ok(());
        }
        let (state, receipt) = self
            .claim_of(claim.plan_id)?
            .unwrap_or_else(|| (state::STARTED.to_string(), None));
        Err(already_applied(claim.plan_id, &state, receipt.as_deref()))
    }

    fn claim_of(&mut self, plan_id: &str) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .client
            .query_opt(
                "SELECT state, receipt_id FROM journal WHERE plan_id = $1",
                &[&plan_id],
            )
            .pg()?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn set_journal_state(&mut self, plan_id: &str, state: &str, now: &str) -> Result<()> {
        self.client
            .execute(
                "UPDATE journal SET state = $2, updated_at = $3 WHERE plan_id = $1",
                &[&plan_id, &state, &now],
            )
            .pg()?;
        Ok(())
    }

    fn release_plan(&mut self, plan_id: &str) -> Result<()> {
        self.client
            .execute(
                "DELETE FROM journal WHERE plan_id = $1 AND state IN ('started', 'written')",
                &[&plan_id],
            )
            .pg()?;
        Ok(())
    }

    fn record_approval_request(&mut self, approver: &str, at: i64) -> Result<()> {
        self.client
            .execute(
                "INSERT INTO approval_requests (approver, sent_at) VALUES ($1, $2)",
                &[&approver, &at],
            )
            .pg()?;
        Ok(())
    }

    fn approval_requests_since(&mut self, approver: &str, since: i64) -> Result<u64> {
        let n: i64 = self
            .client
            .query_one(
                "SELECT COUNT(*) FROM approval_requests WHERE approver = $1 AND sent_at >= $2",
                &[&approver, &since],
            )
            .pg()?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn unfinished(&mut self) -> Result<Vec<JournalEntry>> {
        Ok(self
            .client
            .query(
                "SELECT plan_id, plan_hash, plan, approval FROM journal
                 WHERE state NOT IN ('done', 'rolled_back') ORDER BY updated_at",
                &[],
            )
            .pg()?
            .iter()
            .map(|r| JournalEntry {
                plan_id: r.get(0),
                plan_hash: r.get(1),
                plan: r.get(2),
                approval: r.get(3),
            })
            .collect())
    }

    fn append_signed(
        &mut self,
        receipt: &mut Receipt,
        final_state: &str,
        sign: &dyn Fn(&mut Receipt),
    ) -> Result<()> {
        let mut tx = self.client.transaction().pg()?;
        // The lock that makes concurrent appends one chain: held until commit.
        let head = tx
            .query_one(
                "SELECT count, id, hash FROM chain_head WHERE one = 1 FOR UPDATE",
                &[],
            )
            .pg()?;
        let count: i64 = head.get(0);
        let (prev_id, prev_hash): (String, String) = (head.get(1), head.get(2));
        receipt.prev_id = (count > 0).then_some(prev_id);
        receipt.prev_hash = (count > 0).then_some(prev_hash);
        receipt.seal();
        sign(receipt);
        let body = serde_json::to_string(receipt)?;
        tx.execute(
            "INSERT INTO receipts (seq, id, plan_id, created_at, hash, prev_hash, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &count,
                &receipt.id,
                &receipt.plan_id,
                &receipt.finished_at,
                &receipt.hash,
                &receipt.prev_hash,
                &body,
            ],
        )
        .pg()?;
        let nodes = merkle::nodes_for_append(
            count as u64,
            &leaf_data(&receipt.hash)?,
            &mut PgNodes(&mut tx),
        )?;
        for (level, idx, hash) in nodes {
            insert_node(&mut tx, level, idx, &hash)?;
        }
        tx.execute(
            "UPDATE chain_head SET count = $1, id = $2, hash = $3 WHERE one = 1",
            &[&(count + 1), &receipt.id, &receipt.hash],
        )
        .pg()?;
        tx.execute(
            "UPDATE journal SET state = $2, receipt_id = $3, updated_at = $4 WHERE plan_id = $1",
            &[
                &receipt.plan_id,
                &final_state,
                &receipt.id,
                &receipt.finished_at,
            ],
        )
        .pg()?;
        tx.commit().pg()
    }

    fn gate_apply_insert(&mut self, apply: &GateApply, now: &str) -> Result<GateApply> {
        self.client
            .execute(
                "INSERT INTO gate_applies (id, plan_id, status, body, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING",
                &[&apply.id, &apply.plan_id, &apply.status, &apply.body, &now],
            )
            .pg()?;
        let row = self
            .client
            .query_one(
                "SELECT id, plan_id, status, body FROM gate_applies WHERE id = $1",
                &[&apply.id],
            )
            .pg()?;
        Ok(gate_apply_row(&row))
    }

    fn gate_apply_update(
        &mut self,
        id: &str,
        expected: &str,
        status: &str,
        body: &str,
        now: &str,
    ) -> Result<bool> {
        let n = self
            .client
            .execute(
                "UPDATE gate_applies SET status = $3, body = $4, updated_at = $5 WHERE id = $1 AND status = $2",
                &[&id, &expected, &status, &body, &now],
            )
            .pg()?;
        Ok(n == 1)
    }

    fn gate_apply(&mut self, id: &str) -> Result<Option<GateApply>> {
        Ok(self
            .client
            .query_opt(
                "SELECT id, plan_id, status, body FROM gate_applies WHERE id = $1",
                &[&id],
            )
            .pg()?
            .as_ref()
            .map(gate_apply_row))
    }

    fn gate_applies(&mut self, statuses: &[&str]) -> Result<Vec<GateApply>> {
        let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
        Ok(self
            .client
            .query(
                "SELECT id, plan_id, status, body FROM gate_applies WHERE status = ANY($1) ORDER BY created_at, id",
                &[&statuses],
            )
            .pg()?
            .iter()
            .map(gate_apply_row)
            .collect())
    }

    fn claim_notification(
        &mut self,
        receipt: &Receipt,
        record: &NotifyRecord,
        now: &str,
    ) -> Result<bool> {
        let inserted = self
            .client
            .execute(
                "INSERT INTO notifications (receipt_id, receipt_hash, record, updated_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (receipt_id) DO NOTHING",
                &[
                    &receipt.id,
                    &receipt.hash,
                    &serde_json::to_string(record)?,
                    &now,
                ],
            )
            .pg()?;
        Ok(inserted == 1)
    }

    fn record_notification(
        &mut self,
        receipt_id: &str,
        record: &NotifyRecord,
        now: &str,
    ) -> Result<()> {
        self.client
            .execute(
                "UPDATE notifications SET record = $2, updated_at = $3 WHERE receipt_id = $1",
                &[&receipt_id, &serde_json::to_string(record)?, &now],
            )
            .pg()?;
        Ok(())
    }

    fn notification(&mut self, receipt_id: &str) -> Result<Option<(String, NotifyRecord)>> {
        self.client
            .query_opt(
                "SELECT updated_at, record FROM notifications WHERE receipt_id = $1",
                &[&receipt_id],
            )
            .pg()?
            .map(|r| super::parse_notification(receipt_id, r.get(0), r.get(1)))
            .transpose()
    }

    fn receipts(&mut self) -> Result<Vec<StoredReceipt>> {
        self.select_receipts("SELECT id, hash, body FROM receipts ORDER BY seq", None)
    }

    fn matching(&mut self, wanted: &str) -> Result<Vec<StoredReceipt>> {
        self.select_receipts(
            "SELECT id, hash, body FROM receipts WHERE id LIKE $1 OR plan_id LIKE $1 ORDER BY seq",
            Some(&format!("{wanted}%")),
        )
    }

    fn chain_head(&mut self) -> Result<Option<ChainHead>> {
        let row = self
            .client
            .query_one("SELECT count, id, hash FROM chain_head WHERE one = 1", &[])
            .pg()?;
        let count: i64 = row.get(0);
        Ok((count > 0).then(|| ChainHead {
            count: count as u64,
            id: row.get(1),
            hash: row.get(2),
        }))
    }

    fn merkle_node(&mut self, level: u32, index: u64) -> Result<Hash> {
        PgNodes(&mut self.client).node(level, index)
    }
}

impl PostgresStore {
    fn select_receipts(&mut self, sql: &str, arg: Option<&String>) -> Result<Vec<StoredReceipt>> {
        let rows = match arg {
            Some(a) => self.client.query(sql, &[a]),
            None => self.client.query(sql, &[]),
        }
        .pg()?;
        Ok(rows
            .iter()
            .map(|r| StoredReceipt {
                id: r.get(0),
                hash: r.get(1),
                body: r.get(2),
            })
            .collect())
    }
}

/// The Merkle nodes seen by a client or an open transaction.
struct PgNodes<'c, C: GenericClient>(&'c mut C);

impl<C: GenericClient> Nodes for PgNodes<'_, C> {
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        let row = self
            .0
            .query_opt(
                "SELECT hash FROM merkle_nodes WHERE level = $1 AND idx = $2",
                &[&(level as i32), &(index as i64)],
            )
            .pg()?;
        row.and_then(|r| Hash::try_from(r.get::<_, Vec<u8>>(0)).ok())
            .ok_or_else(|| merkle::missing(level, index))
    }
}

fn insert_node(tx: &mut impl GenericClient, level: u32, index: u64, hash: &Hash) -> Result<()> {
    tx.execute(
        "INSERT INTO merkle_nodes (level, idx, hash) VALUES ($1, $2, $3)",
        &[&(level as i32), &(index as i64), &hash.as_slice()],
    )
    .pg()?;
    Ok(())
}

/// A parsed `postgres://` URL with the TLS parameters taken out (tokio-postgres knows only some
/// `sslmode` values and no `sslrootcert`).
struct Target {
    config: Config,
    tls: Tls,
    root_cert: Option<String>,
    shown: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    Prefer,
    Require,
}

/// The URL as it may be shown: user, hosts, port and database, never the password.
fn shown(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}{}:{port}/{}",
        config
            .get_user()
            .map(|u| format!("{u}@"))
            .unwrap_or_default(),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        let bad = |why: String| {
            Error::input(format!("the audit URL is not a PostgreSQL URL: {why}")).hint(
                "use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require] in CHANGESET_AUDIT_URL or [audit] url",
            )
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(bad("it does not start with postgres://".into()));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut tls = Tls::Prefer;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned();
            match key {
                "sslmode" => {
                    tls = match value.as_str() {
                        "disable" => Tls::Disable,
                        "allow" | "prefer" => Tls::Prefer,
                        "require" | "verify-ca" | "verify-full" => Tls::Require,
                        other => return Err(bad(format!("unknown sslmode `{other}`"))),
                    }
                }
                "sslrootcert" => root_cert = Some(value),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config: Config = rest.parse().map_err(|e| bad(format!("{e}")))?;
        config.connect_timeout(Duration::from_secs(10));
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            Tls::Require => SslMode::Require,
        });
        let shown = shown(&config);
        Ok(Target {
            config,
            tls,
            root_cert,
            shown,
        })
    }

    fn connect(&self) -> Result<Client> {
        let result = match self.tls {
            Tls::Disable => self.config.connect(NoTls),
            _ => self
                .config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(
                    self.rustls()?,
                )),
        };
        result.map_err(|e| {
            let mut err = Error::runtime(format!(
                "cannot connect to the audit database {}: {}",
                self.shown,
                cause(&e)
            ));
            let why = cause(&e);
            if why.contains("certificate") {
                err = err.hint("the server's TLS certificate is not trusted here: name its CA with sslrootcert=/path/ca.pem in the URL");
            } else if self.tls == Tls::Require && why.contains("TLS") {
                err = err.hint("the server does not offer TLS; fix the server or set sslmode=disable (trusted networks only)");
            } else {
                err = err.hint("check CHANGESET_AUDIT_URL or [audit] url: host, port, database, user and password, and that PostgreSQL accepts connections from here");
            }
            err
        })
    }

    fn rustls(&self) -> Result<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::runtime(format!("TLS set-up failed: {e}")))?;
        let config = match &self.root_cert {
            Some(path) => {
                let mut roots = rustls::RootCertStore::empty();
                let pem = std::fs::read(path)
                    .map_err(|e| Error::input(format!("cannot read sslrootcert `{path}`: {e}")))?;
                for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| {
                        Error::input(format!("sslrootcert `{path}` is not PEM: {e}"))
                    })?;
                    roots.add(cert).map_err(|e| {
                        Error::input(format!("sslrootcert `{path}` holds a bad certificate: {e}"))
                    })?;
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            None => {
                use rustls_platform_verifier::BuilderVerifierExt;
                builder
                    .with_platform_verifier()
                    .map_err(|e| Error::runtime(format!("TLS set-up failed: {e}")))?
                    .with_no_client_auth()
            }
        };
        Ok(config)
    }
}

/// The innermost cause of a database error, which is what says what went wrong.
fn cause(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

/// Database errors as the crate's errors, naming the cause.
trait Pg<T> {
    fn pg(self) -> Result<T>;
}

impl<T> Pg<T> for std::result::Result<T, postgres::Error> {
    fn pg(self) -> Result<T> {
        self.map_err(|e| {
            let lost = e.is_closed() || e.as_db_error().is_none();
            let err = Error::runtime(format!("audit database: {}", cause(&e)));
            if lost {
                err.hint("the connection to the audit database failed; an interrupted apply is settled by `changeset recover`")
            } else {
                err
            }
        })
    }
}

fn gate_apply_row(r: &postgres::Row) -> GateApply {
    GateApply {
        id: r.get(0),
        plan_id: r.get(1),
        status: r.get(2),
        body: r.get(3),
    }
}
