//! The gate's side of an apply, blocking (run off the async threads): derive the plan under the
//! gate's rules from the source as it is now, and, once approved, write it.
//!
//! From a client's plan only what it writes and where is kept: ids, request, source, fingerprint
//! and each operation's changes. The rules reference becomes the gate's (a plan scored under other
//! rules is scored again, not refused), and every before, fact, label and tier is derived again;
//! a `before` that is not the source's value is stale. The write re-derives once more and refuses
//! anything that no longer is exactly the approved plan.

use std::time::Instant;

use secrecy::SecretString;

use super::config::GateConfig;
use super::record::Record;
use super::sources;
use crate::apply::executor;
use crate::audit::{AuditStore, Claim, state};
use crate::catalog::Catalog;
use crate::error::{Error, Kind, Result};
use crate::plan::facts::Circumstances;
use crate::plan::{Plan, RulesRef, score};
use crate::receipt::{ApprovalRecord, Delegation, Outcome, Receipt, Timings};
use crate::source::Source;

/// `enforced_by` of the receipts the gate seals.
pub const ENFORCED_BY_GATE: &str = "gate";
/// The window of `recent_approval_requests`, as the CLI counts it.
const RECENT_WINDOW_SECONDS: i64 = 60 * 60;
/// The approval method the gate's plans record.
const METHOD: &str = "ciba";

/// The moment's facts as the gate measures them: the clock, and the approval requests recently
/// sent to the approvers it would ask. Nothing from the caller: `--fact`s are the requester's
/// word, and the gate does not take it.
pub fn circumstances(store: &mut dyn AuditStore, approvers: &[String]) -> Result<Circumstances> {
    let now = crate::clock::now()?;
    let since = now.as_second() - RECENT_WINDOW_SECONDS;
    let mut most: Option<u64> = None;
    for a in approvers {
        let n = store.approval_requests_since(a, since)?;
        most = Some(most.map_or(n, |m| m.max(n)));
    }
    Ok(Circumstances {
        hour_utc: u8::try_from(now.to_zoned(jiff::tz::TimeZone::UTC).hour()).unwrap_or(0),
        session_duration_minutes: None,
        recent_approval_requests: most,
        caller: Default::default(),
    })
}

/// Everyone the gate's policy could ask for `requester`'s plans (whose recent approval requests
/// are a fact of the moment).
pub fn approvers_of(config: &GateConfig, requester: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for tier in config.tiers.keys() {
        for a in super::policy::select(config, *tier, requester)
            .map(|s| s.approvers)
            .unwrap_or_default()
        {
            if !all.contains(&a) {
                all.push(a);
            }
        }
    }
    all
}

/// The plan as the gate derives it from `submitted` and the rows `source` holds now.
pub fn derive(
    config: &GateConfig,
    source: &mut dyn Source,
    submitted: &Plan,
    circumstances: Circumstances,
) -> Result<(Plan, Catalog)> {
    crate::plan::file::check_ids(submitted)?;
    executor::check_created(submitted, crate::clock::now()?)?;
    let catalog = source.read()?;
    executor::check_fresh(&catalog, submitted)?;
    executor::check_values(&catalog, submitted)?;
    let mut ours = submitted.clone();
    ours.rules = RulesRef {
        path: config.rules.origin.clone(),
        sha256: config.rules.sha256.clone(),
    };
    ours.answer = None;
    let plan = score::rederive(&ours, &catalog, circumstances, &config.rules, METHOD);
    // No approval can release a forbidden plan.
    crate::plan::forbid::check(&plan.operations, &catalog, &config.rules)?;
    Ok((plan, catalog))
}

/// Writes an approved apply: re-derive (it must still be the approved plan, at no higher tier),
/// claim the plan id in the journal, exchange the requester's token for the writer's (inside
/// `authorize_write`), one batch write, read-back, rollback on a failed read-back, and the
/// receipt sealed, signed and appended. Returns the receipt and, for a rolled-back write, the
/// error that goes with it.
pub fn write(
    config: &GateConfig,
    store: &mut dyn AuditStore,
    record: &Record,
    requester_token: SecretString,
) -> Result<(Receipt, Option<Error>)> {
    let started = Instant::now();
    let started_at = crate::clock::now()?.to_string();
    let spec = sources::allowed_ref(config, &record.plan.source).map_err(|n| Error::input(n.0))?;
    let requester = record.view.requester.clone();
    let mut source = sources::open(
        config,
        &spec,
        Some((requester.clone(), requester_token.clone())),
    )?;
    let mut notifier = crate::notify::Notifier::new(
        &config.notify,
        sources::tokens(config, Some((requester.clone(), requester_token))),
    )?;
    let approvers: Vec<String> = record
        .view
        .approvers
        .iter()
        .map(|a| a.sub.clone())
        .collect();
    let circumstances = circumstances(store, &approvers)?;
    store.check_unclaimed(&record.plan.id)?;
    let (plan, catalog) = derive(config, source.as_mut(), &record.plan, circumstances)?;
    if plan.hash() != record.view.plan_hash {
        return Err(Error::stale(format!(
            "plan {} is no longer the plan that was approved; nothing was written",
            plan.id
        )));
    }
    if plan.tier > record.view.tier {
        return Err(Error::stale(format!(
            "plan {} is tier {} now, above the tier {} it was approved at; nothing was written",
            plan.id, plan.tier, record.view.tier
        ))
        .hint("apply it again: it will be asked at its tier now"));
    }
    let approval = approval_record(record);
    store.claim_plan(&Claim {
        plan_id: &plan.id,
        plan_hash: &plan.hash(),
        plan: &serde_json::to_string(&plan)?,
        approval: &serde_json::to_string(&approval)?,
        now: &started_at,
    })?;
    let mut delegation = vec![Delegation {
        agent: "planner".into(),
        on_behalf_of: requester.clone(),
        scope: "plan (no source credentials)".into(),
        granted_scope: None,
        token_ref: None,
        jti: None,
        expires_at: None,
        via: ENFORCED_BY_GATE.into(),
    }];
    let written = source.authorize_write().and_then(|grants| {
        delegation.extend(grants.into_iter().map(|g| g.for_user(&requester)));
        source.write(&executor::batch(&catalog, &plan))
    });
    if let Err(e) = written {
        // Nothing was written (a refused exchange, or a stale refusal by the source): the
        // claim is released so that the journal holds no unfinished apply.
        if e.kind == Kind::Stale || e.kind == Kind::NeedsAuth {
            store.release_plan(&plan.id)?;
        }
        return Err(e);
    }
    store.set_journal_state(&plan.id, state::WRITTEN, &executor::now_text())?;
    let write_ms = elapsed_ms(started);
    let verify_started = Instant::now();
    let verified = executor::read_back(source.as_mut(), &catalog, &plan)?;
    let failed: Vec<String> = verified
        .iter()
        .flat_map(|(_, v)| v)
        .filter(|c| c.check == crate::receipt::Check::Fail)
        .map(|c| format!("{} {}", c.key, c.field))
        .collect();
    let (outcome, final_state, failure) = if failed.is_empty() {
        (Outcome::Applied, state::DONE, None)
    } else {
        match executor::roll_back(source.as_mut(), &catalog, &verified) {
            Ok(()) => (
                Outcome::RolledBack,
                state::ROLLED_BACK,
                Some(Error::verification(format!(
                    "the read-back did not match for {}; the changes were rolled back",
                    failed.join(", ")
                ))),
            ),
            Err(e) => (
                Outcome::VerificationFailed,
                state::WRITTEN,
                Some(Error::verification(format!(
                    "the read-back did not match for {}, and the rollback failed too: {}",
                    failed.join(", "),
                    e.message
                ))),
            ),
        }
    };
    let timings = Timings {
        approval_ms: record.approved_at.map_or(0, |at| {
            u64::try_from((at - record.created_at).max(0) * 1000).unwrap_or(0)
        }),
        write_ms,
        verify_ms: elapsed_ms(verify_started),
        total_ms: elapsed_ms(started),
    };
    let mut receipt = executor::new_receipt(
        &plan,
        &config.rules.sha256,
        approval,
        delegation,
        verified,
        outcome,
        started_at,
        timings,
    );
    // Only a verified write notifies; the notifier's grant joins the chain before the seal.
    if let Some(n) = notifier.as_mut().filter(|_| outcome == Outcome::Applied) {
        let (grant, notify) = n.prepare();
        receipt
            .delegation
            .extend(grant.map(|g| g.for_user(&requester)));
        receipt.notify = Some(notify);
    }
    receipt.enforced_by = Some(ENFORCED_BY_GATE.into());
    receipt.requester = Some(requester);
    receipt.key_id = Some(config.signing_key.key_id());
    store.append_signed(&mut receipt, final_state, &|r| {
        crate::audit::signed::sign(r, &config.signing_key)
    })?;
    if let Some(n) = notifier.as_mut()
        && receipt
            .notify
            .as_ref()
            .is_some_and(|r| r.status == "pending")
    {
        n.deliver(store, &receipt);
    }
    Ok((receipt, failure))
}

/// The receipt's approval record: who approved (distinct subjects), bound to the plan hash.
fn approval_record(record: &Record) -> ApprovalRecord {
    let auto = record.view.required == 0;
    let mut approvers: Vec<String> = Vec::new();
    for a in &record.approvals {
        if !approvers.contains(&a.sub) {
            approvers.push(a.sub.clone());
        }
    }
    ApprovalRecord {
        method: if auto { "auto" } else { METHOD }.into(),
        tier: record.view.tier,
        approvers,
        approved_at: record
            .approvals
            .last()
            .map_or_else(executor::now_text, |a| a.at.clone()),
        plan_hash: record.view.plan_hash.clone(),
        binding_message: record.view.binding_message.clone(),
        transactions: record
            .approvals
            .iter()
            .map(|a| a.reference.clone())
            .collect(),
        strength: (!auto && record.view.tier >= 3).then(|| "two_approvers".to_string()),
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
