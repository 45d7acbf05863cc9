//! Out-of-band approval with Auth0 CIBA.
//!
//! Tier 2: one approver (the first of `approval.approvers`, default the logged-in user) approves
//! the binding message on their device. Tier 3 is stronger, with half the expiry: two distinct
//! approvers in parallel (both must approve; the first denial stops it), or one approver plus a
//! confirmation phrase typed at this terminal. Ctrl-C cancels (exit 130, nothing written).

use std::time::{Duration, Instant};

use crate::auth::ciba::{Approval, Ciba, Pending};
use crate::auth::client::{Confidential, Role};
use crate::auth::{Auth0Config, Login, Tenant, session};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::policy::{ApprovalMethod, Tier3};
use crate::receipt::ApprovalRecord;

use super::approval::{ApprovalRequest, Approver, binding_message};

/// The out-of-band approver, with the run's `[approval]` options.
pub struct CibaApprover {
    pub auth0: Auth0Config,
    /// The login whose user approves when no approver is configured.
    pub login: Login,
    /// `approval.approvers`: Auth0 user ids, as configured.
    pub approvers: Vec<String>,
    pub tier3: Option<Tier3>,
    /// The `requested_expiry` of a tier 2 request, and of a stronger (tier 3) one.
    pub expiry: u64,
    pub stronger_expiry: u64,
    /// Send Rich Authorization Request details and require their echo.
    pub rich_details: bool,
    /// Bound on the wait for the answer (`--wait`).
    pub wait: Option<Duration>,
    pub quiet: bool,
    /// A prompt is possible (tier 3's typed phrase).
    pub can_prompt: bool,
}

impl Approver for CibaApprover {
    fn method(&self) -> &'static str {
        ApprovalMethod::Ciba.name()
    }

    fn approve(&self, request: &ApprovalRequest<'_>) -> Result<ApprovalRecord> {
        if !self.quiet {
            crate::report::tell(&(request.summary)());
        }
        let message = binding_message(request.plan);
        let outcome = self.run(request.plan, &message, request.sent)?;
        let mut record = request.record(
            self.method(),
            outcome
                .approvals
                .iter()
                .map(|a| a.approver.clone())
                .collect(),
            outcome.strength.map(|s| s.name()),
        );
        record.approved_at = crate::clock::now()?.to_string();
        record.binding_message = Some(message);
        record.transactions = outcome
            .approvals
            .iter()
            .map(|a| a.reference.clone())
            .collect();
        Ok(record)
    }
}

/// What the gate obtained: the approvals in approver order and how tier 3 was met.
pub struct Outcome {
    pub approvals: Vec<Approval>,
    pub strength: Option<Tier3>,
}

impl CibaApprover {
    /// Runs the CIBA approval for the plan with the given binding message. `sent` is told each
    /// approver a request went to (the audit store counts them: `recent_approval_requests`).
    fn run(&self, plan: &Plan, binding_message: &str, sent: &dyn Fn(&str)) -> Result<Outcome> {
        let tenant = Tenant::resolve(&self.auth0)
            .map_err(|e| e.hint("or approve at a terminal with --approval tty"))?;
        let client = Confidential::required(Role::Ciba)?;
        let strength = (plan.tier >= 3)
            .then(|| tier3_mode(self.tier3, self.approvers.len()))
            .transpose()?;
        // Tier 3 gets half the time: a stronger approval should also be a fresher one.
        let expiry = if strength.is_some() {
            self.stronger_expiry
        } else {
            self.expiry
        };
        if strength == Some(Tier3::ApproverAndPhrase) {
            confirm_phrase(self.can_prompt, plan)?;
        }
        let ciba = Ciba::new(tenant, client)?;
        let details = self
            .rich_details
            .then(|| super::rar::authorization_details(plan).to_string());
        let deadline = self.wait.map(|w| Instant::now() + w);
        let quiet = self.quiet;
        crate::net::block_on(async {
            let approvers = self.approvers_for(strength).await?;
            let run = async {
                let mut pending = Vec::new();
                for approver in &approvers {
                    pending.push(
                        ciba.start(approver, binding_message, expiry, details.as_deref())
                            .await?,
                    );
                    sent(approver);
                }
                announce(quiet, &pending, binding_message, expiry);
                wait_all(&ciba, pending, binding_message, deadline).await
            };
            tokio::select! {
                approvals = run => {
                    let approvals = approvals?;
                    if details.is_some() {
                        for a in &approvals {
                            super::rar::check_echo(plan, a)?;
                        }
                    }
                    Ok(Outcome { approvals, strength })
                }
                _ = tokio::signal::ctrl_c() => Err(Error::interrupted().context("waiting for approval")),
            }
        })
    }

    /// The approvers to ask: from the config (distinct), else the logged-in user.
    async fn approvers_for(&self, strength: Option<Tier3>) -> Result<Vec<String>> {
        let mut configured: Vec<String> = Vec::new();
        for a in &self.approvers {
            let a = a.trim();
            if a.is_empty() {
                continue;
            }
            if !configured.iter().any(|c| c == a) {
                configured.push(a.to_string());
            }
        }
        let wanted = if strength == Some(Tier3::TwoApprovers) {
            2
        } else {
            1
        };
        if configured.len() < wanted {
            if wanted == 2 {
                return Err(Error::input(
                    "tier 3 needs two distinct approvers, and approval.approvers names fewer",
                )
                .hint("list two different user ids in approval.approvers"));
            }
            let user = session::user(&self.login).await.map_err(|e| {
                e.hint("or name the approvers (Auth0 user ids) in approval.approvers")
            })?;
            configured.push(user.sub);
        }
        configured.truncate(wanted);
        Ok(configured)
    }
}

/// Waits for every pending request (a countdown on the step); both of two must approve, and
/// the first refusal stops the whole approval.
async fn wait_all(
    ciba: &Ciba,
    mut pending: Vec<Pending>,
    binding_message: &str,
    deadline: Option<Instant>,
) -> Result<Vec<Approval>> {
    let step = crate::report::step("");
    let progress = |p: &Pending, left: Duration| {
        step.update(&format!(
            "Waiting for {} to approve \"{binding_message}\" ({} s left)",
            p.approver,
            left.as_secs()
        ));
    };
    match pending.len() {
        1 => {
            let only = pending.pop().expect("one request");
            ciba.wait(only, deadline, &progress).await.map(|a| vec![a])
        }
        _ => {
            let second = pending.pop().expect("two requests");
            let first = pending.pop().expect("two requests");
            // try_join returns at the first refusal and drops the other poll.
            tokio::try_join!(
                ciba.wait(first, deadline, &progress),
                ciba.wait(second, deadline, &progress)
            )
            .map(|(a, b)| vec![a, b])
        }
    }
}

/// Tier 3's mode: the config's `approval.tier3`, else two approvers when two are configured.
fn tier3_mode(configured: Option<Tier3>, approvers: usize) -> Result<Tier3> {
    match configured {
        None if approvers >= 2 => Ok(Tier3::TwoApprovers),
        None | Some(Tier3::ApproverAndPhrase) => Ok(Tier3::ApproverAndPhrase),
        Some(Tier3::TwoApprovers) if approvers >= 2 => Ok(Tier3::TwoApprovers),
        Some(Tier3::TwoApprovers) => Err(Error::input(
            "config: approval.tier3 = \"two_approvers\" needs two user ids in approval.approvers",
        )
        .hint("add a second approver, or set approval.tier3 = \"approver_and_phrase\"")),
    }
}

/// Tier 3 without a second approver: the person at the terminal types the changeset id.
fn confirm_phrase(can_prompt: bool, plan: &Plan) -> Result<()> {
    if !can_prompt {
        return Err(Error::needs_auth(format!(
            "plan {} is tier 3: it needs an approver plus a confirmation typed at a terminal, and there is none here",
            plan.id
        ))
        .hint("configure two approvers (approval.approvers) so that tier 3 needs no terminal")
        .hint("or run `changeset apply` at a terminal"));
    }
    super::tty::type_changeset_id(
        plan,
        "Type the changeset id to confirm; then it goes to the approver.",
    )
}

/// One line per request on stderr, even without a terminal: CI logs show what was asked.
fn announce(quiet: bool, pending: &[Pending], binding_message: &str, expiry: u64) {
    if quiet {
        return;
    }
    let who: Vec<&str> = pending.iter().map(|p| p.approver.as_str()).collect();
    crate::report::tell(&format!(
        "Approval requested from {} on their device: \"{binding_message}\" (expires in {expiry} s).",
        who.join(" and ")
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier3_defaults_to_two_approvers_only_when_two_are_configured() {
        assert_eq!(tier3_mode(None, 2).unwrap(), Tier3::TwoApprovers);
        assert_eq!(tier3_mode(None, 1).unwrap(), Tier3::ApproverAndPhrase);
        assert_eq!(tier3_mode(None, 0).unwrap(), Tier3::ApproverAndPhrase);
        assert_eq!(
            tier3_mode(Some(Tier3::ApproverAndPhrase), 2).unwrap(),
            Tier3::ApproverAndPhrase
        );
        assert!(tier3_mode(Some(Tier3::TwoApprovers), 1).is_err());
    }
}
