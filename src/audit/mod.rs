//! The audit store: sealed receipts in a hash chain, the apply journal, consumed plan ids and
//! notification outcomes, behind one [`AuditStore`] trait with two backends: SQLite (WAL) in the
//! data directory, and PostgreSQL for a team sharing one chain.
//!
//! Backends implement only storage primitives; what a receipt list looks like, how a prefix is
//! resolved and how the chain is verified is written once, here, over those primitives.

pub mod checkpoint;
pub mod copy;
pub mod log;
pub mod merkle;
pub mod postgres;
pub mod require_rules;
pub mod signed;
pub mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::receipt::{NotifyRecord, Receipt};

/// Journal states of an apply, in order. `done` and `rolled_back` are final.
pub mod state {
    pub const STARTED: &str = "started";
    pub const WRITTEN: &str = "written";
    pub const DONE: &str = "done";
    pub const ROLLED_BACK: &str = "rolled_back";
}

/// Where the audit store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `audit.db` in this directory.
    Sqlite(PathBuf),
    /// A `postgres://` URL shared by a team.
    Postgres(String),
}

/// Opens (creating and migrating if needed) the store at `location`.
pub fn open(location: &Location) -> Result<Box<dyn AuditStore>> {
    match location {
        Location::Sqlite(dir) => Ok(Box::new(SqliteStore::open(dir)?)),
        Location::Postgres(url) => Ok(Box::new(PostgresStore::open(url)?)),
    }
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

impl From<Receipt> for Summary {
    fn from(r: Receipt) -> Summary {
        Summary {
            changes: r.operations.iter().map(|o| o.changes.len()).sum(),
            id: r.id,
            plan_id: r.plan_id,
            created_at: r.finished_at,
            outcome: r.outcome.name().to_string(),
            tier: r.tier,
            request: r.request,
            hash: r.hash,
        }
    }
}

/// An unfinished apply found in the journal.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub plan_id: String,
    /// The hash the apply claimed the plan under (recover checks the plan against it).
    pub plan_hash: String,
    /// The plan as claimed (JSON).
    pub plan: String,
    /// The approval it was applied under (JSON `ApprovalRecord`).
    pub approval: String,
}

/// A plan id being claimed for one apply, with what `recover` needs to settle it.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub plan_id: &'a str,
    pub plan_hash: &'a str,
    /// The plan (JSON).
    pub plan: &'a str,
    /// The approval (JSON `ApprovalRecord`).
    pub approval: &'a str,
    pub now: &'a str,
}

/// One stored receipt, in chain order: its id, stored hash and body as stored (text).
#[derive(Debug, Clone)]
pub struct StoredReceipt {
    pub id: String,
    pub hash: String,
    pub body: String,
}

/// The last receipt of the chain and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub count: u64,
    pub id: String,
    pub hash: String,
}

/// An apply the gate holds (its pending-apply store): the gate's own JSON record, indexed by
/// apply id and plan id (one apply per plan id) and by status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateApply {
    pub id: String,
    pub plan_id: String,
    pub status: String,
    pub body: String,
}

/// The window of the `recent_approval_requests` fact.
pub const RECENT_WINDOW_SECONDS: i64 = 60 * 60;

/// What every command, the executor, `recover` and the notifier need from an audit store.
/// Every method takes `&mut self`: a database connection is used by one caller at a time.
pub trait AuditStore: Send {
    /// Where the store is, for messages (a path, or a URL without its password).
    fn describe(&self) -> String;

    /// Claims a plan id for one apply, once across every process sharing the store. Refuses
    /// (exit 3) a plan already applied or being applied.
    fn claim_plan(&mut self, claim: &Claim<'_>) -> Result<()>;

    /// The journal state and receipt id of a claimed plan id, if it was claimed.
    fn claim_of(&mut self, plan_id: &str) -> Result<Option<(String, Option<String>)>>;

    fn set_journal_state(&mut self, plan_id: &str, state: &str, now: &str) -> Result<()>;

    /// Forgets a claim whose apply provably left nothing written (it never wrote, or it wrote
    /// and was fully rolled back), so the plan may be applied again, with a new approval.
    fn release_plan(&mut self, plan_id: &str) -> Result<()>;

    /// Records that an approval request (a CIBA push) went to `approver` at `at` (Unix
    /// seconds): the count over the last hour is the `recent_approval_requests` fact.
    fn record_approval_request(&mut self, approver: &str, at: i64) -> Result<()>;

    /// Approval requests sent to `approver` at or after `since` (Unix seconds).
    fn approval_requests_since(&mut self, approver: &str, since: i64) -> Result<u64>;

    /// The `recent_approval_requests` fact: the most requests any of `approvers` was sent in
    /// the [`RECENT_WINDOW_SECONDS`] before `now` (Unix seconds); None without approvers.
    fn recent_approval_requests(&mut self, approvers: &[String], now: i64) -> Result<Option<u64>> {
        let since = now - RECENT_WINDOW_SECONDS;
        let mut most: Option<u64> = None;
        for a in approvers {
            let n = self.approval_requests_since(a, since)?;
            most = Some(most.map_or(n, |m| m.max(n)));
        }
        Ok(most)
    }

    /// Unfinished applies (neither done nor rolled back), oldest first.
    fn unfinished(&mut self) -> Result<Vec<JournalEntry>>;

    /// Chains to the current head, seals and stores a receipt, and closes its journal entry, in
    /// one transaction that holds the chain head, so concurrent appends make one linear chain.
    fn append(&mut self, receipt: &mut Receipt, final_state: &str) -> Result<()> {
        self.append_signed(receipt, final_state, &|_| {})
    }

    /// [`AuditStore::append`], with `sign` called on the sealed receipt before it is stored (the
    /// gate adds its signature over the hash, which the hash leaves out).
    fn append_signed(
        &mut self,
        receipt: &mut Receipt,
        final_state: &str,
        sign: &dyn Fn(&mut Receipt),
    ) -> Result<()>;

    /// Stores a new gate apply unless its id has one already; returns the stored one (the new
    /// one, or the existing one). The id, not the plan id, is unique: two requesters of one plan
    /// get two applies, so nobody can take a plan id from its author.
    fn gate_apply_insert(&mut self, apply: &GateApply, now: &str) -> Result<GateApply>;

    /// Replaces a gate apply's status and body if its status is still `expected` (so two
    /// gates, or a cancel and an approval, never both move it); true when it was replaced.
    fn gate_apply_update(
        &mut self,
        id: &str,
        expected: &str,
        status: &str,
        body: &str,
        now: &str,
    ) -> Result<bool>;

    fn gate_apply(&mut self, id: &str) -> Result<Option<GateApply>>;

    /// Gate applies in one of `statuses`, oldest first.
    fn gate_applies(&mut self, statuses: &[&str]) -> Result<Vec<GateApply>>;

    /// Claims the one notification of a sealed receipt before it is sent, so that it is sent at
    /// most once: false when it was claimed before (sent, failed, or cut off mid-send).
    fn claim_notification(
        &mut self,
        receipt: &Receipt,
        record: &NotifyRecord,
        now: &str,
    ) -> Result<bool>;

    /// Records how the notification of a receipt ended. It follows the sealed receipt (whose
    /// hash the message carries), so it is kept beside the chain, bound to the receipt's hash.
    fn record_notification(
        &mut self,
        receipt_id: &str,
        record: &NotifyRecord,
        now: &str,
    ) -> Result<()>;

    /// The recorded notification outcome of a receipt and when it was recorded.
    fn notification(&mut self, receipt_id: &str) -> Result<Option<(String, NotifyRecord)>>;

    /// Every receipt in chain order.
    fn receipts(&mut self) -> Result<Vec<StoredReceipt>>;

    /// Receipts whose id or plan id is `wanted` or starts with it (`wanted` has no wildcards).
    fn matching(&mut self, wanted: &str) -> Result<Vec<StoredReceipt>>;

    fn chain_head(&mut self) -> Result<Option<ChainHead>>;

    /// The Merkle log's stored node (level, index) (see [`merkle`]); an error if missing.
    fn merkle_node(&mut self, level: u32, index: u64) -> Result<merkle::Hash>;

    /// Refuses a plan id that was already claimed, without claiming it.
    fn check_unclaimed(&mut self, plan_id: &str) -> Result<()> {
        match self.claim_of(plan_id)? {
            Some((state, receipt)) => Err(already_applied(plan_id, &state, receipt.as_deref())),
            None => Ok(()),
        }
    }

    fn list(&mut self) -> Result<Vec<Summary>> {
        self.receipts()?
            .into_iter()
            .map(|stored| {
                let r: Receipt = serde_json::from_str(&stored.body).map_err(|e| {
                    Error::runtime(format!("receipt {} is unreadable: {e}", stored.id))
                })?;
                Ok(Summary::from(r))
            })
            .collect()
    }

    /// Finds one receipt body by receipt id, plan id, or a unique prefix of either.
    fn find(&mut self, wanted: &str) -> Result<String> {
        let mut rows = self.matching(&wanted.replace(['%', '_'], ""))?;
        // An exact id beats prefixes of longer ids.
        if let Some(i) = rows.iter().position(|r| r.id == wanted) {
            return Ok(rows.swap_remove(i).body);
        }
        match rows.len() {
            1 => Ok(rows.remove(0).body),
            0 => Err(Error::input(format!("no receipt matches `{wanted}`"))
                .hint("list the receipts with `changeset audit list`")),
            n => Err(Error::input(format!(
                "`{wanted}` matches {n} receipts ({})",
                rows.iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .hint("give more characters of the id")),
        }
    }

    /// Recomputes every hash and checks the chain and its head; names the first bad receipt.
    /// This proves the store is consistent, not that it was never rewritten: whoever can write
    /// the store can re-seal every later receipt. Signed checkpoints prove that.
    fn verify(&mut self) -> Result<usize> {
        let rows = self.receipts()?;
        let head = self.chain_head()?;
        verify_chain(&rows, head.as_ref())?;
        Ok(rows.len())
    }
}

/// Proofs and roots read a store's nodes directly.
impl<S: AuditStore + ?Sized> merkle::Nodes for S {
    fn node(&mut self, level: u32, index: u64) -> Result<merkle::Hash> {
        self.merkle_node(level, index)
    }
}

/// Checks each receipt's seal, its link to the one before, and the head against the last one.
pub fn verify_chain(rows: &[StoredReceipt], head: Option<&ChainHead>) -> Result<()> {
    let mut prev: Option<(&str, &str)> = None;
    for (stored, receipt) in rows.iter().zip(sealed(rows)) {
        let id = stored.id.as_str();
        let receipt = receipt.map_err(|e| tampered(id, &e.message))?;
        if receipt.hash != stored.hash || receipt.id != id {
            return Err(tampered(
                id,
                "its stored hash or id does not match its content",
            ));
        }
        if receipt.prev_hash.as_deref() != prev.map(|p| p.1) {
            let missing = receipt.prev_id.clone().unwrap_or_else(|| "?".into());
            let detail = match prev {
                Some((prev_id, _)) if receipt.prev_id.as_deref() != Some(prev_id) => format!(
                    "it follows receipt {missing}, which is missing from the store (deleted?)"
                ),
                _ => "its prev_hash does not match the receipt before it".to_string(),
            };
            return Err(tampered(id, &detail));
        }
        prev = Some((id, &stored.hash));
    }
    match (head, prev) {
        (None, None) => Ok(()),
        (Some(head), Some((last_id, last_hash))) => {
            if head.hash != last_hash || head.count != rows.len() as u64 {
                return Err(tampered(
                    &head.id,
                    &format!(
                        "the chain head says {} receipts ending with {}, but the store holds {} ending with {last_id} (deleted?)",
                        head.count,
                        head.id,
                        rows.len()
                    ),
                ));
            }
            Ok(())
        }
        (Some(head), None) => Err(tampered(
            &head.id,
            "it is missing from the store (deleted?)",
        )),
        (None, Some((last_id, _))) => Err(tampered(last_id, "the chain head record is missing")),
    }
}

/// Below this many receipts the seals are checked on one thread.
const PARALLEL_RECEIPTS: usize = 256;

/// What the chain check needs of each receipt whose seal holds.
struct Sealed {
    id: String,
    hash: String,
    prev_id: Option<String>,
    prev_hash: Option<String>,
}

/// Each receipt's seal checked ([`Receipt::verify_text`]), in store order. The seals are
/// independent, so a large store's are split between two threads (the machine's other core).
fn sealed(rows: &[StoredReceipt]) -> Vec<Result<Sealed>> {
    let check = |stored: &StoredReceipt| {
        Receipt::verify_text(&stored.body).map(|r| Sealed {
            id: r.id,
            hash: r.hash,
            prev_id: r.prev_id,
            prev_hash: r.prev_hash,
        })
    };
    if rows.len() < PARALLEL_RECEIPTS {
        return rows.iter().map(check).collect();
    }
    let (first, second) = rows.split_at(rows.len() / 2);
    std::thread::scope(|s| {
        let second = s.spawn(|| second.iter().map(check).collect::<Vec<_>>());
        let mut all: Vec<_> = first.iter().map(check).collect();
        all.extend(
            second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        all
    })
}

pub(crate) fn already_applied(plan_id: &str, state: &str, receipt: Option<&str>) -> Error {
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

fn parse_notification(
    receipt_id: &str,
    at: String,
    record: &str,
) -> Result<(String, NotifyRecord)> {
    serde_json::from_str(record)
        .map(|r| (at, r))
        .map_err(|e| Error::runtime(format!("notification of {receipt_id} is unreadable: {e}")))
}
