//! Approval at this terminal: the person running the command reads the plan and answers
//! (yes/no; at tier 3 they type the changeset id).

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::policy::RuleSet;
use crate::receipt::ApprovalRecord;

use super::approval::{ApprovalRequest, Approver, local_user};

/// The terminal approver, with what the run says about prompting.
pub struct Terminal {
    /// A prompt is possible: a terminal, no --no-input, not CI.
    pub can_prompt: bool,
    /// `--yes` was given (named in the refusal when no prompt is possible).
    pub yes: bool,
    /// Auth0 is configured: then a Google Sheet is only written after a CIBA approval.
    pub auth0_configured: bool,
}

impl Approver for Terminal {
    fn method(&self) -> &'static str {
        crate::policy::ApprovalMethod::Tty.name()
    }

    fn approve(&self, request: &ApprovalRequest<'_>) -> Result<ApprovalRecord> {
        let plan = request.plan;
        if plan.source.kind == "sheets" && self.auth0_configured {
            return Err(Error::needs_auth(format!(
                "plan {} writes a Google Sheet at tier {}: with Auth0 configured that needs a CIBA approval, and a terminal answer cannot release it; nothing was written",
                plan.id, plan.tier
            ))
            .hint("set CHANGESET_CONFIDENTIAL_CLIENT_ID (and its secret or key) so that the approver is asked on their device")
            .hint("then run `changeset apply` again (--approval ciba)"));
        }
        if !self.can_prompt {
            return Err(not_interactive(self.yes, request.rules, plan));
        }
        crate::report::tell(&(request.summary)());
        let user = local_user();
        if plan.tier >= 3 {
            ask_for_id(plan)?;
            Ok(request.record(self.method(), vec![user], Some("typed_id")))
        } else {
            ask_yes_no(plan)?;
            Ok(request.record(self.method(), vec![user], None))
        }
    }
}

fn not_interactive(yes: bool, rules: &RuleSet, plan: &Plan) -> Error {
    let mut err = Error::needs_auth(format!(
        "plan {} is tier {} and needs approval, but no prompt is possible here (not a terminal, --no-input or CI)",
        plan.id, plan.tier
    ));
    if yes {
        err = err.hint(format!(
            "--yes approves only up to tier {} (auto_approve_max_tier in the rules file)",
            rules.auto_approve_max_tier
        ));
    }
    err.hint("run `changeset apply` at a terminal, or use --approval ciba with Auth0 configured for an out-of-band approval")
        .hint("a rules file with a higher auto_approve_max_tier (--rules FILE) lets CI apply such plans unattended")
}

fn ask_yes_no(plan: &Plan) -> Result<()> {
    let question = format!(
        "Apply {} change(s) to {} product(s) (tier {}, plan {})?",
        plan.write_changes().count(),
        plan.affected_products(),
        plan.tier,
        plan.short_hash()
    );
    let answer = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact_opt()
        .map_err(prompt_error)?;
    match answer {
        Some(true) => Ok(()),
        _ => Err(Error::denied(
            "not approved at the terminal; nothing was written",
        )),
    }
}

fn ask_for_id(plan: &Plan) -> Result<()> {
    type_changeset_id(plan, "To approve, type the changeset id.")
}

/// Tier 3's typed confirmation: the person at the terminal types the changeset id, which they
/// can only do having read the plan. `then` says what typing it does.
pub(super) fn type_changeset_id(plan: &Plan, then: &str) -> Result<()> {
    crate::report::tell(&format!(
        "This is a tier {} change ({} change(s) on {} product(s), plan {}). {then}",
        plan.tier,
        plan.write_changes().count(),
        plan.affected_products(),
        plan.short_hash()
    ));
    let typed: String = dialoguer::Input::new()
        .with_prompt(format!("Changeset id ({})", plan.id))
        .allow_empty(true)
        .interact_text()
        .map_err(prompt_error)?;
    // An empty answer (or an empty id) never matches.
    let typed_id = typed.trim();
    if !typed_id.is_empty() && !plan.id.is_empty() && typed_id.eq_ignore_ascii_case(&plan.id) {
        Ok(())
    } else {
        Err(Error::denied(format!(
            "the typed id `{}` is not {}; nothing was written",
            crate::escape::escape(typed_id),
            plan.id
        )))
    }
}

pub(super) fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            Error::interrupted()
        }
        dialoguer::Error::IO(io) => Error::needs_auth(format!("cannot prompt: {io}"))
            .hint("use --approval ciba, or run at a terminal"),
    }
}
