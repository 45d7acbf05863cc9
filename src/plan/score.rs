//! Scoring: facts for every operation, the rules' decision, the plan's tier and approval need.

use super::facts::{self, Circumstances, PlanContext};
use super::{ApprovalNeed, Operation, Plan, derive};
use crate::catalog::Catalog;
use crate::policy::RuleSet;

/// Derives facts and decides the tier of every operation. Returns the plan tier (0 when there
/// is nothing to do).
pub fn score(ops: &mut [Operation], catalog: &Catalog, ctx: &PlanContext, rules: &RuleSet) -> u8 {
    // Operations are scored independently: a bulk plan's are split between two threads (the
    // machine's other core), at the operation where half the changes are done.
    let total: usize = ops.iter().map(|o| o.changes.len()).sum();
    if ops.len() > 1 && total >= PARALLEL_CHANGES {
        let mut done = 0;
        let middle = ops
            .iter()
            .position(|o| {
                done += o.changes.len();
                done * 2 >= total
            })
            .map_or(ops.len() / 2, |i| (i + 1).min(ops.len() - 1));
        let (first, second) = ops.split_at_mut(middle);
        std::thread::scope(|s| {
            s.spawn(|| score_each(second, catalog, ctx, rules));
            score_each(first, catalog, ctx, rules);
        });
    } else {
        score_each(ops, catalog, ctx, rules);
    }
    ops.iter().map(|o| o.tier).max().unwrap_or(0)
}

/// Below this many changes a plan is scored on one thread (a thread costs more than it saves).
const PARALLEL_CHANGES: usize = 20_000;

fn score_each(ops: &mut [Operation], catalog: &Catalog, ctx: &PlanContext, rules: &RuleSet) {
    for op in ops.iter_mut() {
        op.facts = facts::derive(op, catalog, ctx);
        let decision = rules.decide(&op.facts);
        op.tier = decision.tier;
        op.explanation = if decision.matched.is_empty() {
            format!("no rule matched: default tier {}", rules.default_tier)
        } else {
            decision
                .matched
                .iter()
                .map(|m| format!("{} (tier {}): {}", m.id, m.tier, m.description))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !decision.errors.is_empty() {
            op.explanation.push_str(&format!(
                "; {} rule error(s) force tier {}",
                decision.errors.len(),
                crate::policy::ERROR_TIER
            ));
        }
        op.matched_rules = decision.matched;
        op.rule_errors = decision.errors;
    }
}

/// The plan as the program sees it now: actions and labels rebuilt from the changes, facts
/// derived again (with this moment's circumstances), every tier decided again under `rules`,
/// and the approval need that follows. Nothing the file says about these is kept.
pub fn rederive(
    plan: &Plan,
    catalog: &Catalog,
    circumstances: Circumstances,
    rules: &RuleSet,
    method: &str,
) -> Plan {
    let mut effective = plan.clone();
    for op in &mut effective.operations {
        op.action = derive::action(op, catalog);
        op.label = derive::label(op, catalog);
    }
    let ctx = PlanContext::new(&effective.operations, circumstances);
    effective.tier = score(&mut effective.operations, catalog, &ctx, rules);
    effective.approval = approval_need(effective.tier, rules, method, "typed_id");
    effective
}

/// What approval a plan of this tier needs under these rules.
pub fn approval_need(
    tier: u8,
    rules: &RuleSet,
    method: &str,
    tier3_strength: &str,
) -> ApprovalNeed {
    let required = tier > rules.auto_approve_max_tier;
    ApprovalNeed {
        required,
        method: if required {
            method.to_string()
        } else {
            "auto".to_string()
        },
        strength: (required && tier >= 3).then(|| tier3_strength.to_string()),
    }
}
