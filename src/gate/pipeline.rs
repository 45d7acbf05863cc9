//! The gate's side of an apply, blocking (run off the async threads): derive the plan under the
//! gate's rules from the source as it is now, and, once approved, write it.
//!
//! From a client's plan only what it writes and where is kept: ids, request, source, fingerprint
//! and each operation's changes. The rules reference becomes the gate's (a plan scored under other
//! rules is scored again, not refused), and every before, fact, label and tier is derived again;
//! a `before` that is not the source's value is stale. The write re-derives once more and refuses
//! anything that no longer is exactly the approved plan.

use secrecy::SecretString;

use super::config::GateConfig;
use super::record::Record;
use super::sources;
use crate::apply::approval::{ApprovalRequest, Approver};
use crate::apply::executor::{self, Enforcer};
use crate::audit::AuditStore;
use crate::catalog::Catalog;
use crate::error::{Error, Kind, Result};
use crate::google::token::GoogleToken;
use crate::notify::Notifier;
use crate::plan::facts::Circumstances;
use crate::plan::{Plan, RulesRef, score};
use crate::receipt::{ApprovalRecord, Delegation, Receipt};
use crate::source::Source;

/// `enforced_by` of the receipts the gate seals.
pub const ENFORCED_BY_GATE: &str = "gate";
/// The approval method the gate's plans record.
const METHOD: &str = "ciba";

/// The moment's facts as the gate measures them: the clock, and the approval requests recently
/// sent to the approvers it would ask. Nothing from the caller: `--fact`s are the requester's
/// word, and the gate does not take it.
pub fn circumstances(store: &mut dyn AuditStore, approvers: &[String]) -> Result<Circumstances> {
    let now = crate::clock::now()?;
    let most = store.recent_approval_requests(approvers, now.as_second())?;
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

/// Writes an approved apply through the executor, as the CLI writes: re-derive (it must still
/// be the approved plan, at no higher tier: [`Approved`] checks), journal claim, the writer's
/// Token Vault exchange of the requester's token (in `authorize_write`), one batch write,
/// read-back, rollback on a failed read-back, and the receipt sealed, signed by the gate's key and
/// appended. Returns the receipt and, for a rolled-back write, its error. The summary is not
/// sent here: when the receipt says it is pending, `mail` gets the notifier's token to send it
/// with once the apply's outcome is recorded.
pub fn write(
    config: &GateConfig,
    store: &mut dyn AuditStore,
    record: &Record,
    requester_token: SecretString,
    mail: &mut Option<GoogleToken>,
) -> Result<(Receipt, Option<Error>)> {
    let spec = sources::allowed_ref(config, &record.plan.source).map_err(|n| Error::input(n.0))?;
    let requester = record.view.requester.clone();
    let with_token = || Some((requester.clone(), requester_token.clone()));
    let mut source = sources::open(config, &spec, with_token())?;
    let mut notifier = Notifier::new(&config.notify, sources::tokens(config, with_token()))?;
    let approvers: Vec<String> = record
        .view
        .approvers
        .iter()
        .map(|a| a.sub.clone())
        .collect();
    let circumstances = circumstances(store, &approvers)?;
    let approved = Approved(record);
    let mut ctx = executor::Context {
        rules: &config.rules,
        store: &mut *store,
        source: source.as_mut(),
        approver: &approved,
        plan_file: None,
        delegation: vec![planner_delegation(&requester)],
        notifier: notifier.as_mut(),
        circumstances,
        summarise: |_| String::new(),
        enforcer: Some(Enforcer {
            name: ENFORCED_BY_GATE,
            requester: &requester,
            key: &config.signing_key,
        }),
    };
    let applied = executor::apply_unsent(&mut ctx, &record.plan);
    *mail = notifier.and_then(Notifier::into_token);
    match applied {
        Ok(receipt) => Ok((receipt, None)),
        // A failed read-back: the receipt of the rolled-back write is stored; fetch it.
        Err(e) if e.kind == Kind::Verification => {
            let receipt_id = store
                .claim_of(&record.plan.id)?
                .and_then(|(_, r)| r)
                .ok_or_else(|| e.clone())?;
            let receipt = serde_json::from_str(&store.find(&receipt_id)?)?;
            Ok((receipt, Some(e)))
        }
        Err(e) => Err(e),
    }
}

/// The receipt's record that the plan was made on the requester's behalf without source
/// credentials, and enforced by the gate.
fn planner_delegation(requester: &str) -> Delegation {
    Delegation {
        agent: "planner".into(),
        on_behalf_of: requester.to_string(),
        scope: "plan (no source credentials)".into(),
        granted_scope: None,
        token_ref: None,
        jti: None,
        expires_at: None,
        via: ENFORCED_BY_GATE.into(),
    }
}

/// Settles an apply whose write was interrupted or whose outcome is unknown (a lost answer, a
/// gate killed mid-write) from the journal, as `changeset recover` does: the cells read back say
/// whether it landed (its receipt is sealed), did not (the claim is released: None), or landed
/// in part (rolled back, with a receipt). Cells someone else changed are left for a human.
pub fn settle(
    config: &GateConfig,
    store: &mut dyn AuditStore,
    record: &Record,
    requester_token: SecretString,
) -> Result<Option<Receipt>> {
    let spec = sources::allowed_ref(config, &record.plan.source).map_err(|n| Error::input(n.0))?;
    let requester = Some((record.view.requester.clone(), requester_token));
    let enforcer = Enforcer {
        name: ENFORCED_BY_GATE,
        requester: &record.view.requester,
        key: &config.signing_key,
    };
    let open = |_: &Plan| sources::open(config, &spec, requester.clone());
    let outcome = crate::apply::recover::settle_one(store, &record.plan.id, open, Some(&enforcer))?;
    match store.claim_of(&record.plan.id)? {
        None => Ok(None),
        Some((_, Some(receipt_id))) => Ok(Some(serde_json::from_str(&store.find(&receipt_id)?)?)),
        Some((_, None)) => Err(Error::runtime(format!(
            "the interrupted write of plan {} could not be settled: {}",
            record.plan.id,
            outcome.map_or_else(|| "no journal entry".to_string(), |o| o.detail)
        ))
        .hint("an operator settles it with `changeset recover` on the gate's audit store")),
    }
}

/// The approvals the gate collected, handed to the executor: valid only for the plan whose hash
/// they are bound to, at a tier no higher than the one they were given for.
struct Approved<'a>(&'a Record);

impl Approver for Approved<'_> {
    fn method(&self) -> &'static str {
        METHOD
    }

    fn approve(&self, request: &ApprovalRequest<'_>) -> Result<ApprovalRecord> {
        let r = self.0;
        if request.plan.hash() != r.view.plan_hash {
            return Err(Error::stale(format!(
                "plan {} is no longer the plan that was approved; nothing was written",
                request.plan.id
            )));
        }
        if request.plan.tier > r.view.tier {
            return Err(Error::stale(format!(
                "plan {} is tier {} now, above the tier {} it was approved at; nothing was written",
                request.plan.id, request.plan.tier, r.view.tier
            ))
            .hint("apply it again: it will be asked at its tier now"));
        }
        Ok(approval_record(r))
    }
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
