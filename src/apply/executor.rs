//! The executor: everything between an approved plan and a sealed receipt.
//!
//! Order: refuse a used plan id, stale check against the current rows, re-derive actions, labels,
//! facts and tiers (nothing of that is trusted from the file), approval, claim the plan id in the
//! journal, one batch write (the source re-checks every `before` atomically), read-back, rollback
//! on a failed verification, receipt.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use super::approval::{self, ApprovalRequest, Approver};
use crate::audit::{AuditStore, Claim, state};
use crate::catalog::{Catalog, CellRef, CellWrite, Field, WriteBatch, value};
use crate::error::{Error, Kind, Result};
use crate::parse::InventoryState;
use crate::plan::facts::Circumstances;
use crate::plan::{ChangeRef, Plan, score};
use crate::policy::RuleSet;
use crate::receipt::{
    ApprovalRecord, Check, Delegation, Outcome, Receipt, ReceiptOperation, Timings, VerifiedChange,
};
use crate::source::Source;

/// Everything the executor needs besides the plan.
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    pub store: &'a mut dyn AuditStore,
    pub source: &'a mut dyn Source,
    /// Asks for the approval a plan above the auto-approve tier needs.
    pub approver: &'a dyn Approver,
    /// The plan file being applied: re-read after approval, and the write refused if it no
    /// longer is the approved plan.
    pub plan_file: Option<PathBuf>,
    /// The agents and tokens used, for the receipt's delegation chain.
    pub delegation: Vec<Delegation>,
    /// Mails the summary after a successful apply; None when nobody is to be notified.
    pub notifier: Option<&'a mut crate::notify::Notifier>,
    /// The moment's facts (clock, login, approval requests, the caller's measurements).
    pub circumstances: Circumstances,
    /// The plan as the approver is shown it before being asked (rendered by the edge).
    pub summarise: fn(&Plan) -> String,
    /// A service that enforced the approval for a requester (the gate); None: this CLI did.
    pub enforcer: Option<Enforcer<'a>>,
}

/// Who enforced the approval when it was not this CLI: the receipt names the service and the
/// requester, and the service's key signs the receipt.
pub struct Enforcer<'a> {
    /// `enforced_by`, e.g. `gate`.
    pub name: &'a str,
    /// The requester's `sub`: whom the agents act for.
    pub requester: &'a str,
    pub key: &'a crate::audit::checkpoint::SigningKey,
}

/// Applies the plan and returns the stored receipt. A failed verification returns the error
/// (exit 6) after the rolled-back receipt is stored.
///
/// The steps, in order: check -> approve -> write -> verify-or-roll-back -> seal -> notify.
pub fn apply(ctx: &mut Context<'_>, file_plan: &Plan) -> Result<Receipt> {
    let receipt = apply_unsent(ctx, file_plan)?;
    notify(ctx, &receipt);
    Ok(receipt)
}

/// [`apply`] up to the seal: the notifier is authorized and the receipt records the
/// notification as pending, but the message is left to the caller (the gate sends it once the
/// apply's outcome is recorded, without holding up its store). Only an applied receipt has a
/// pending notification; every error return leaves none.
pub fn apply_unsent(ctx: &mut Context<'_>, file_plan: &Plan) -> Result<Receipt> {
    let started = Instant::now();
    let now = crate::clock::now()?;
    let (catalog, plan) = check(ctx, file_plan, now)?;
    let approval_started = Instant::now();
    let approval = approve(ctx, &plan)?;
    let approval_ms = elapsed_ms(approval_started);
    let on_behalf_of = authorize(ctx, &approval)?;
    let write_ms = write(ctx, &catalog, &plan, &approval, &now.to_string())?;
    let verify_started = Instant::now();
    let (verified, outcome) = verify_or_roll_back(ctx, &catalog, &plan)?;
    let timings = Timings {
        approval_ms,
        write_ms,
        verify_ms: elapsed_ms(verify_started),
        total_ms: elapsed_ms(started),
    };
    let sealed = Sealed {
        approval,
        verified,
        outcome: outcome.result,
        started_at: now.to_string(),
        timings,
        state: outcome.state,
    };
    let receipt = seal(ctx, &plan, sealed, &on_behalf_of)?;
    match outcome.failure {
        Some(e) => Err(e.hint(format!(
            "receipt {} records what happened: `changeset audit show {}`",
            receipt.id, receipt.id
        ))),
        None => Ok(receipt),
    }
}

/// Step 1: everything that must hold before anyone is asked. Returns the catalog as read now
/// and the plan as the program derives it (actions, labels, facts, tiers: never the file's).
fn check(ctx: &mut Context<'_>, file_plan: &Plan, now: jiff::Timestamp) -> Result<(Catalog, Plan)> {
    crate::plan::file::check_ids(file_plan)?;
    check_rules(ctx.rules, file_plan)?;
    check_created(file_plan, now)?;
    ctx.store.check_unclaimed(&file_plan.id)?;
    let catalog = ctx.source.read()?;
    check_fresh(&catalog, file_plan)?;
    check_values(&catalog, file_plan)?;
    let plan = score::rederive(
        file_plan,
        &catalog,
        ctx.circumstances.clone(),
        ctx.rules,
        ctx.approver.method(),
    );
    // No approval, --yes or tier setting can release a forbidden plan.
    crate::plan::forbid::check(&plan.operations, &catalog, ctx.rules)?;
    if plan.tier != file_plan.tier {
        crate::report::note(&format!(
            "Plan {} said tier {}; scored again now it is tier {}, and that is the tier that applies.",
            plan.id, file_plan.tier, plan.tier
        ));
    }
    Ok((catalog, plan))
}

/// Step 2: the approval the plan's tier needs. Each CIBA request is counted in the audit store
/// as it goes out (the MFA-fatigue fact).
fn approve(ctx: &mut Context<'_>, plan: &Plan) -> Result<ApprovalRecord> {
    let store = std::cell::RefCell::new(&mut *ctx.store);
    let sent = |approver: &str| {
        let at = crate::clock::now().map_or(0, |t| t.as_second());
        if let Err(e) = store.borrow_mut().record_approval_request(approver, at) {
            crate::report::warn(&format!(
                "could not record the approval request: {}",
                e.message
            ));
        }
    };
    let summarise = ctx.summarise;
    let summary = || summarise(plan);
    let request = ApprovalRequest {
        plan,
        rules: ctx.rules,
        now: &crate::clock::now()?.to_string(),
        summary: &summary,
        sent: &sent,
    };
    approval::obtain(ctx.approver, &request, ctx.plan_file.as_deref())
}

/// After approval, and only then, the source gets its write credentials; their grants join
/// the delegation chain. Returns whom the agents act for.
fn authorize(ctx: &mut Context<'_>, approval: &ApprovalRecord) -> Result<String> {
    let on_behalf_of = match &ctx.enforcer {
        Some(e) => e.requester.to_string(),
        None => approval
            .approvers
            .first()
            .cloned()
            .unwrap_or_else(approval::local_user),
    };
    for grant in ctx.source.authorize_write()? {
        ctx.delegation.push(grant.for_user(&on_behalf_of));
    }
    Ok(on_behalf_of)
}

/// Step 3: claim the plan id in the journal, then one batch write. Returns how long the
/// source's write took (its check under lock, the write, fsync and rename): the receipt's
/// `write_ms`, which leaves out preparing the batch and the journal's bookkeeping.
fn write(
    ctx: &mut Context<'_>,
    catalog: &Catalog,
    plan: &Plan,
    approval: &ApprovalRecord,
    started_at: &str,
) -> Result<u64> {
    let batch = batch(catalog, plan);
    ctx.store.claim_plan(&Claim {
        plan_id: &plan.id,
        plan_hash: &plan.hash(),
        plan: &serde_json::to_string(plan)?,
        approval: &serde_json::to_string(approval)?,
        now: started_at,
    })?;
    let write_started = Instant::now();
    let written = ctx.source.write_after_read(&batch, catalog);
    let write_ms = elapsed_ms(write_started);
    if let Err(e) = written {
        // A stale refusal wrote nothing and the plan can never apply, so its journal entry is
        // closed; any other failure may have left the outcome unknown: `recover` settles it.
        if e.kind == Kind::Stale {
            ctx.store
                .set_journal_state(&plan.id, state::ROLLED_BACK, &now_text())?;
        }
        return Err(e);
    }
    ctx.store
        .set_journal_state(&plan.id, state::WRITTEN, &now_text())?;
    Ok(write_ms)
}

/// How an apply ended after its write.
struct Settled {
    result: Outcome,
    /// The journal state the receipt closes the entry with.
    state: &'static str,
    failure: Option<Error>,
}

/// Step 4: read back; on any failed cell, roll back and say exactly what is left.
fn verify_or_roll_back(
    ctx: &mut Context<'_>,
    catalog: &Catalog,
    plan: &Plan,
) -> Result<(Verified, Settled)> {
    let verified = read_back(ctx.source, catalog, plan)?;
    let failed: Vec<String> = verified
        .iter()
        .flat_map(|(_, v)| v)
        .filter(|c| c.check == Check::Fail)
        .map(|c| format!("{} {}", c.key, c.field))
        .collect();
    if failed.is_empty() {
        let settled = Settled {
            result: Outcome::Applied,
            state: state::DONE,
            failure: None,
        };
        return Ok((verified, settled));
    }
    let rollback = roll_back(ctx.source, catalog, &verified);
    let message = rollback_message(catalog, plan, &failed.join(", "), &rollback);
    let (result, state) = match rollback {
        Ok(()) => (Outcome::RolledBack, state::ROLLED_BACK),
        Err(_) => (Outcome::VerificationFailed, state::WRITTEN),
    };
    let failure = Error::verification(message)
        .hint("check the source for concurrent writers or formulas on these cells");
    let settled = Settled {
        result,
        state,
        failure: Some(failure),
    };
    Ok((verified, settled))
}

/// What a failed verification left: never "as before" while created rows remain.
fn rollback_message(catalog: &Catalog, plan: &Plan, names: &str, rollback: &Result<()>) -> String {
    // Rows the plan appended stay: an update cannot delete a row.
    let created: Vec<&str> = plan
        .write_changes()
        .filter(|c| catalog.row_of(c.key).is_none())
        .map(|c| c.key)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    match rollback {
        Ok(()) if created.is_empty() => format!(
            "the read-back did not match for {names}; the changes were rolled back and the catalog is as before"
        ),
        Ok(()) => format!(
            "the read-back did not match for {names}; the updated cells were rolled back, but the created row(s) {} remain (a rollback restores cells and cannot delete rows)",
            created.join(", ")
        ),
        Err(e) => format!(
            "the read-back did not match for {names}, and the rollback failed too: {}",
            e.message
        ),
    }
}

/// What the receipt records besides the plan.
struct Sealed {
    approval: ApprovalRecord,
    verified: Verified,
    outcome: Outcome,
    started_at: String,
    timings: Timings,
    state: &'static str,
}

/// Step 5: the receipt, chained and sealed in the audit store. Only a successful apply
/// notifies: the notifier's token is in the chain before the seal.
fn seal(ctx: &mut Context<'_>, plan: &Plan, s: Sealed, on_behalf_of: &str) -> Result<Receipt> {
    let notify = match ctx.notifier.as_deref_mut() {
        Some(n) if s.outcome == Outcome::Applied => {
            let (grant, record) = n.prepare();
            ctx.delegation
                .extend(grant.map(|g| g.for_user(on_behalf_of)));
            Some(record)
        }
        _ => None,
    };
    let mut receipt = new_receipt(
        plan,
        &ctx.rules.sha256,
        s.approval,
        ctx.delegation.clone(),
        s.verified,
        s.outcome,
        s.started_at,
        s.timings,
    );
    receipt.notify = notify;
    receipt.caller_facts = ctx.circumstances.caller.clone();
    append(
        &mut *ctx.store,
        &mut receipt,
        s.state,
        ctx.enforcer.as_ref(),
    )?;
    Ok(receipt)
}

/// Chains, seals and stores a receipt; one enforced by a service names it and the requester and
/// is signed by the service's key.
pub(crate) fn append(
    store: &mut dyn AuditStore,
    receipt: &mut Receipt,
    final_state: &str,
    enforcer: Option<&Enforcer<'_>>,
) -> Result<()> {
    match enforcer {
        None => store.append(receipt, final_state),
        Some(e) => {
            receipt.enforced_by = Some(e.name.to_string());
            receipt.requester = Some(e.requester.to_string());
            receipt.key_id = Some(e.key.key_id());
            store.append_signed(receipt, final_state, &|r| {
                crate::audit::signed::sign(r, e.key)
            })
        }
    }
}

/// Step 6: the message, carrying the sealed hash, goes out after the seal (see `crate::notify`).
fn notify(ctx: &mut Context<'_>, receipt: &Receipt) {
    if let Some(n) = ctx.notifier.as_deref_mut()
        && notification_pending(receipt)
    {
        n.deliver(&mut *ctx.store, receipt);
    }
}

/// True when the sealed receipt says its summary is still to be sent.
pub fn notification_pending(receipt: &Receipt) -> bool {
    receipt
        .notify
        .as_ref()
        .is_some_and(|r| r.status == "pending")
}

/// An unsealed receipt for a plan's apply (the audit store chains and seals it).
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_receipt(
    plan: &Plan,
    rules_sha256: &str,
    approval: ApprovalRecord,
    delegation: Vec<Delegation>,
    verified: Verified,
    outcome: Outcome,
    started_at: String,
    timings: Timings,
) -> Receipt {
    let operations = plan
        .operations
        .iter()
        .zip(verified)
        .map(|(op, (_, changes))| ReceiptOperation::from_operation(op, changes))
        .collect();
    Receipt {
        format_version: crate::receipt::FORMAT_VERSION,
        id: crate::ids::receipt_id(),
        plan_id: plan.id.clone(),
        plan_hash: plan.hash(),
        request: plan.request.clone(),
        source: plan.source.clone(),
        rules_sha256: rules_sha256.to_string(),
        planned_at: plan.created_at.clone(),
        started_at,
        finished_at: now_text(),
        outcome,
        tier: plan.tier,
        operations,
        approval,
        delegation,
        notify: None,
        rollback_of: plan.rollback_of.clone(),
        enforced_by: Some(crate::receipt::ENFORCED_LOCALLY.to_string()),
        requester: None,
        caller_facts: Default::default(),
        timings,
        canon: "RFC8785".into(),
        alg: "sha256".into(),
        prev_id: None,
        prev_hash: None,
        key_id: None,
        hash: String::new(),
        signature: None,
    }
}

pub(crate) fn now_text() -> String {
    crate::clock::now()
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A plan scored under other rules is refused: its tiers might not hold under the current ones.
pub fn check_rules(rules: &RuleSet, plan: &Plan) -> Result<()> {
    if plan.rules.sha256 != rules.sha256 {
        return Err(Error::stale(format!(
            "plan {} was scored under other rules ({}), not the current ones ({})",
            plan.id, plan.rules.sha256, rules.sha256
        ))
        .hint("plan again with the current rules, or pass the plan's rules file with --rules"));
    }
    Ok(())
}

/// The catalog must be exactly as it was at plan time (fingerprint); the error names the cells
/// of the plan that changed, if any.
pub(crate) fn check_fresh(catalog: &Catalog, plan: &Plan) -> Result<()> {
    match catalog_change(catalog, plan) {
        None => Ok(()),
        Some(detail) => Err(Error::stale(format!(
            "the catalog changed since plan {} was made ({detail}); nothing was written",
            plan.id
        ))
        .hint("plan again against the current catalog")),
    }
}

/// How the catalog differs from the one the plan was made against (`show` reports it too), or
/// None when it is exactly as it was.
pub fn catalog_change(catalog: &Catalog, plan: &Plan) -> Option<String> {
    if catalog.fingerprint() == plan.fingerprint {
        return None;
    }
    let changed: Vec<String> = plan
        .write_changes()
        .filter(|c| catalog.row_of(c.key).is_some())
        .filter(|c| {
            let field = catalog.field_of(c.field);
            let planned = value::to_text(field, &c.before());
            catalog
                .lookup(c.key, c.field)
                .is_none_or(|now| !value::same(field, &planned, now))
        })
        .map(|c| format!("{} {}", c.key, c.field))
        .collect();
    Some(if changed.is_empty() {
        "other rows changed".to_string()
    } else {
        format!("planned cells changed: {}", changed.join(", "))
    })
}

/// Every `before` must be the catalog's value and every `after` a valid value for its column,
/// so an edited plan file can neither invent history nor write garbage or formulas.
pub(crate) fn check_values(catalog: &Catalog, plan: &Plan) -> Result<()> {
    for op in plan.operations.iter().filter(|o| o.is_write()) {
        let creating = crate::plan::derive::action(op, catalog) == "create_product";
        for c in &op.changes {
            let field = catalog.field_of(c.field).ok_or_else(|| {
                Error::input(format!(
                    "the plan changes column `{}`, which the catalog does not have",
                    c.field
                ))
            })?;
            if creating != catalog.row_of(c.key).is_none() {
                let why = if creating {
                    "already exists"
                } else {
                    "does not exist"
                };
                return Err(
                    Error::stale(format!("{} {why} in the catalog", c.key)).hint("plan again")
                );
            }
            if !creating {
                let now = catalog.lookup(c.key, c.field).unwrap_or_default();
                if !value::same(Some(field), &value::to_text(Some(field), &c.before()), now) {
                    return Err(Error::stale(format!(
                        "{} {}: the plan says it was `{}`, the catalog holds `{now}`",
                        c.key,
                        c.field,
                        value::show(&c.before())
                    )));
                }
            }
            valid_after(field, &c.after()).map_err(|why| {
                Error::input(format!(
                    "the plan would write {} to {} {}: {why}",
                    value::show(&c.after()),
                    c.key,
                    c.field
                ))
                .hint("plan files are made by `changeset plan`; do not edit them")
            })?;
        }
    }
    Ok(())
}

pub(crate) fn valid_after(field: Field, after: &Value) -> std::result::Result<(), &'static str> {
    let text = value::to_text(Some(field), after);
    match field {
        Field::BasePrice | Field::PromoPrice => match value::parse_money(&text) {
            Some(p)
                if p >= rust_decimal::Decimal::ZERO
                    && (field == Field::PromoPrice || !p.is_zero()) =>
            {
                Ok(())
            }
            None if text.is_empty() && field == Field::PromoPrice => Ok(()),
            _ => Err("not a valid price"),
        },
        Field::PromoActive if text == "TRUE" || text == "FALSE" => Ok(()),
        Field::PromoActive => Err("Promo Active must be TRUE or FALSE"),
        Field::Inventory if InventoryState::from_flag(&text).is_some() => Ok(()),
        Field::Inventory => Err("not an inventory flag"),
        _ if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) => {
            Err("text may not start with a formula character")
        }
        _ => Ok(()),
    }
}

/// A plan dated in the future is refused: its time is the program's, and a forged one could
/// only serve to dodge a rule. A minute of clock skew between machines is allowed.
pub(crate) fn check_created(plan: &Plan, now: jiff::Timestamp) -> Result<()> {
    let created: jiff::Timestamp = plan.created_at.parse().map_err(|_| {
        Error::input(format!("plan {} has no valid created_at time", plan.id))
            .hint("plan files are made by `changeset plan`; do not edit them")
    })?;
    if created > now + jiff::SignedDuration::from_secs(60) {
        return Err(Error::input(format!(
            "plan {} says it was made at {}, which is in the future",
            plan.id, plan.created_at
        ))
        .hint("the plan file was edited; plan again"));
    }
    Ok(())
}

/// Updates for existing rows, one appended row per created product, and guards: the cells of
/// each updated row that its facts and the forbid rules read (Base Price, Promo Price, Promo
/// Active, Inventory) but the plan does not write, so that they are checked at write time too.
pub(crate) fn batch(catalog: &Catalog, plan: &Plan) -> WriteBatch {
    let mut batch = WriteBatch::default();
    let mut new_rows: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for op in plan.operations.iter().filter(|o| o.is_write()) {
        // Once per operation: deriving the action reads all its changes.
        let creating = crate::plan::derive::action(op, catalog) == "create_product";
        for c in &op.changes {
            let field = catalog.field_of(c.field);
            let after = value::to_text(field, &c.after());
            if creating {
                new_rows
                    .entry(c.key)
                    .or_default()
                    .push((c.field.to_string(), after));
            } else {
                batch.updates.push(CellWrite {
                    key: c.key.to_string(),
                    field: c.field.to_string(),
                    before: value::to_text(field, &c.before()),
                    after,
                });
            }
        }
    }
    batch.appends = new_rows.into_values().collect();
    batch.guards = guards(catalog, &batch.updates);
    batch
}

/// The guard cells of the updated rows, by key in order, then by field. The updated cells are
/// sorted rather than put in a tree: a bulk plan's come in key order already.
fn guards(catalog: &Catalog, updates: &[CellWrite]) -> Vec<CellWrite> {
    let mut written: Vec<(&str, &str)> = updates
        .iter()
        .map(|w| (w.key.as_str(), w.field.as_str()))
        .collect();
    written.sort_unstable();
    let mut guards = Vec::new();
    for row_cells in written.chunk_by(|a, b| a.0 == b.0) {
        let key = row_cells[0].0;
        let Some(row) = catalog.row_of(key) else {
            continue;
        };
        for field in [
            Field::BasePrice,
            Field::PromoPrice,
            Field::PromoActive,
            Field::Inventory,
        ] {
            let Some(header) = catalog.header(field) else {
                continue;
            };
            if row_cells.iter().any(|&(_, f)| f == header) {
                continue;
            }
            let now = catalog.cell(row, field);
            guards.push(CellWrite {
                key: key.to_string(),
                field: header.to_string(),
                before: now.to_string(),
                after: now.to_string(),
            });
        }
    }
    guards
}

pub(crate) type Verified = Vec<(String, Vec<VerifiedChange>)>;

/// Reads back every changed cell in one read and marks it pass, warning or fail.
pub(crate) fn read_back(
    source: &mut dyn Source,
    catalog: &Catalog,
    plan: &Plan,
) -> Result<Verified> {
    let cells: Vec<CellRef> = plan.write_changes().map(|c| c.cell()).collect();
    let mut actual = source.read_cells(&cells)?.into_iter();
    Ok(plan
        .operations
        .iter()
        .map(|op| {
            let changes = if op.is_write() {
                op.changes
                    .iter()
                    .map(|c| verify(catalog, c, actual.next().flatten()))
                    .collect()
            } else {
                Vec::new()
            };
            (op.id.clone(), changes)
        })
        .collect())
}

fn verify(catalog: &Catalog, c: ChangeRef, actual: Option<String>) -> VerifiedChange {
    let field = catalog.field_of(c.field);
    let after = c.after();
    let expected = value::to_text(field, &after);
    let check = match &actual {
        None => Check::Fail,
        Some(a) => match value::compare(field, &expected, a) {
            value::Match::Exact => Check::Pass,
            value::Match::Equivalent => Check::Warning,
            value::Match::Different => Check::Fail,
        },
    };
    VerifiedChange {
        key: c.key.to_string(),
        field: c.field.to_string(),
        before: c.before(),
        after,
        actual: actual.map_or(Value::Null, |a| value::typed(field, &a)),
        check,
    }
}

/// Writes every updated cell back to its `before` (guarded by what the read-back saw), then
/// reads back again to prove it.
pub(crate) fn roll_back(
    source: &mut dyn Source,
    catalog: &Catalog,
    verified: &Verified,
) -> Result<()> {
    let mut batch = WriteBatch::default();
    let mut cells = Vec::new();
    for c in verified.iter().flat_map(|(_, v)| v) {
        if catalog.row_of(&c.key).is_none() {
            continue; // a created row: nothing to restore in place
        }
        let field = catalog.field_of(&c.field);
        batch.updates.push(CellWrite {
            key: c.key.clone(),
            field: c.field.clone(),
            before: value::to_text(field, &c.actual),
            after: value::to_text(field, &c.before),
        });
        cells.push(CellRef {
            key: c.key.clone(),
            field: c.field.clone(),
        });
    }
    source.write(&batch)?;
    let now = source.read_cells(&cells)?;
    for (w, actual) in batch.updates.iter().zip(now) {
        let field = catalog.field_of(&w.field);
        if !actual.is_some_and(|a| value::same(field, &w.after, &a)) {
            return Err(Error::verification(format!(
                "{} {} did not return to `{}`",
                w.key, w.field, w.after
            )));
        }
    }
    Ok(())
}
