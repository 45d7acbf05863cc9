//! Who must approve an apply, and when the answers settle it: the tier's policy from gate.toml
//! applied to one requester. Pure functions, so every rule about approvers is tested here.
//!
//! The rules: approvals are counted per distinct subject (one person approving twice counts
//! once); when the policy says `distinct_from_requester`, the requester is never asked and their
//! approval never counts; tier 3 always needs two distinct subjects, whatever `count` says.

use super::api::{AnswerState, ApplyStatus, ApproverView};
use super::config::{Approver, GateConfig, TierPolicy};

/// Expiry of an auto-approved apply's record (nobody is asked; the write follows at once).
const AUTO_EXPIRY_SECONDS: u64 = 300;

/// The approvers to ask for one apply, and how many distinct ones must say yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Distinct subjects, in the policy's order (the requester resolved to their `sub`).
    pub approvers: Vec<String>,
    /// Distinct approvals needed; 0 for a tier the rules approve automatically.
    pub required: usize,
    pub expiry_seconds: u64,
    /// Whether the requester is barred from approving.
    pub distinct_from_requester: bool,
}

/// Why no selection can satisfy the policy (the apply is refused before anyone is asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsatisfiable(pub String);

/// The selection for a plan of `tier` asked by `requester`.
pub fn select(config: &GateConfig, tier: u8, requester: &str) -> Result<Selection, Unsatisfiable> {
    if tier <= config.rules.auto_approve_max_tier {
        return Ok(Selection {
            approvers: Vec::new(),
            required: 0,
            expiry_seconds: AUTO_EXPIRY_SECONDS,
            distinct_from_requester: false,
        });
    }
    let policy = config.tiers.get(&tier).ok_or_else(|| {
        Unsatisfiable(format!(
            "the gate has no approver policy for tier {tier} (check-config refuses such a config)"
        ))
    })?;
    select_by(policy, tier, requester)
}

fn select_by(policy: &TierPolicy, tier: u8, requester: &str) -> Result<Selection, Unsatisfiable> {
    let mut approvers: Vec<String> = Vec::new();
    for a in &policy.approvers {
        let sub = match a {
            Approver::Requester => requester,
            Approver::Subject(s) => s.as_str(),
        };
        if policy.distinct_from_requester && sub == requester {
            continue;
        }
        if !approvers.iter().any(|x| x == sub) {
            approvers.push(sub.to_string());
        }
    }
    let required = if tier >= 3 {
        policy.count.max(2)
    } else {
        policy.count.max(1)
    };
    if approvers.len() < required {
        let other = if policy.distinct_from_requester {
            " other than the requester"
        } else {
            ""
        };
        return Err(Unsatisfiable(format!(
            "tier {tier} needs {required} distinct approver(s){other}, and the gate's policy leaves {} for {requester}",
            approvers.len()
        )));
    }
    Ok(Selection {
        approvers,
        required,
        expiry_seconds: policy.expiry_seconds,
        distinct_from_requester: policy.distinct_from_requester,
    })
}

/// Whether an approval by `sub` may count: it must come from someone asked, and never from the
/// requester where the policy bars them (checked again here, not only when asking).
pub fn may_count(selection: &Selection, requester: &str, sub: &str) -> bool {
    selection.approvers.iter().any(|a| a == sub)
        && !(selection.distinct_from_requester && sub == requester)
}

/// Where the answers leave an apply that is waiting for approval: still pending, approved (enough
/// distinct approvals), or refused (too few approvers left who could still say yes: denied if
/// anyone refused, else expired).
pub fn settle(required: usize, answers: &[ApproverView]) -> ApplyStatus {
    let mut approved: Vec<&str> = answers
        .iter()
        .filter(|a| a.state == AnswerState::Approved)
        .map(|a| a.sub.as_str())
        .collect();
    approved.sort_unstable();
    approved.dedup();
    if approved.len() >= required {
        return ApplyStatus::Approved;
    }
    let mut open: Vec<&str> = answers
        .iter()
        .filter(|a| a.state == AnswerState::Pending)
        .map(|a| a.sub.as_str())
        .filter(|s| !approved.contains(s))
        .collect();
    open.sort_unstable();
    open.dedup();
    if approved.len() + open.len() >= required {
        return ApplyStatus::PendingApproval;
    }
    if answers.iter().any(|a| a.state == AnswerState::Denied) {
        ApplyStatus::Denied
    } else {
        ApplyStatus::Expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(approvers: &[&str], count: usize, distinct: bool) -> TierPolicy {
        TierPolicy {
            approvers: approvers
                .iter()
                .map(|a| match *a {
                    "requester" => Approver::Requester,
                    s => Approver::Subject(s.to_string()),
                })
                .collect(),
            count,
            distinct_from_requester: distinct,
            expiry_seconds: 120,
        }
    }

    fn view(sub: &str, state: AnswerState) -> ApproverView {
        ApproverView {
            sub: sub.into(),
            state,
        }
    }

    #[test]
    fn the_requester_resolves_to_their_sub_and_is_asked_once() {
        let s = select_by(&policy(&["requester", "auth0|a"], 1, false), 2, "auth0|a").unwrap();
        assert_eq!(s.approvers, ["auth0|a"]);
        assert_eq!(s.required, 1);
    }

    #[test]
    fn a_requester_barred_from_approving_is_never_asked_and_never_counts() {
        let p = policy(&["auth0|alice", "auth0|bob", "auth0|carol"], 2, true);
        let s = select_by(&p, 3, "auth0|alice").unwrap();
        assert_eq!(s.approvers, ["auth0|bob", "auth0|carol"]);
        assert!(!may_count(&s, "auth0|alice", "auth0|alice"));
        assert!(may_count(&s, "auth0|alice", "auth0|bob"));
        assert!(!may_count(&s, "auth0|alice", "auth0|mallory"));
        // With only one other approver left, tier 3 cannot be met: refused before asking.
        let p = policy(&["auth0|alice", "auth0|bob"], 2, true);
        let err = select_by(&p, 3, "auth0|alice").unwrap_err();
        assert!(
            err.0
                .contains("needs 2 distinct approver(s) other than the requester")
        );
    }

    #[test]
    fn tier_3_needs_two_distinct_subjects_whatever_count_says() {
        let s = select_by(&policy(&["auth0|a", "auth0|b"], 1, false), 3, "auth0|r").unwrap();
        assert_eq!(s.required, 2);
        assert!(select_by(&policy(&["auth0|a"], 1, false), 3, "auth0|r").is_err());
    }

    #[test]
    fn one_approver_approving_twice_counts_once() {
        let twice = [
            view("auth0|a", AnswerState::Approved),
            view("auth0|a", AnswerState::Approved),
            view("auth0|b", AnswerState::Pending),
        ];
        assert_eq!(settle(2, &twice), ApplyStatus::PendingApproval);
        let both = [
            view("auth0|a", AnswerState::Approved),
            view("auth0|b", AnswerState::Approved),
        ];
        assert_eq!(settle(2, &both), ApplyStatus::Approved);
    }

    #[test]
    fn too_few_open_approvers_ends_it() {
        let denied = [
            view("auth0|a", AnswerState::Approved),
            view("auth0|b", AnswerState::Denied),
        ];
        assert_eq!(settle(2, &denied), ApplyStatus::Denied);
        let expired = [
            view("auth0|a", AnswerState::Expired),
            view("auth0|b", AnswerState::Pending),
        ];
        assert_eq!(settle(2, &expired), ApplyStatus::Expired);
        // Any one of three may be the second.
        let one_left = [
            view("auth0|a", AnswerState::Approved),
            view("auth0|b", AnswerState::Denied),
            view("auth0|c", AnswerState::Pending),
        ];
        assert_eq!(settle(2, &one_left), ApplyStatus::PendingApproval);
        assert_eq!(settle(0, &[]), ApplyStatus::Approved);
    }
}
