//! The approval gate. Tier ≤ auto_approve_max_tier applies without asking; above it a human
//! approves at this terminal (`tty`) or on their own device (`ciba`). Tier 3 is stronger:
//! at the terminal the user types the changeset id.

use crate::cli::ApprovalMethod;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::policy::RuleSet;
use crate::receipt::ApprovalRecord;
use crate::settings::Settings;

/// Characters Auth0 accepts in a CIBA binding message, and its maximum length.
const BINDING_ALLOWED: &str = " +-_.,:#";
pub const BINDING_MAX: usize = 64;

/// "Approve 3 ops CS-1A2B3C4D: 15% off 5 products", sanitised to Auth0's allowed set and 64
/// characters, always keeping the changeset id and the size.
pub fn binding_message(plan: &Plan) -> String {
    let writes = plan.operations.iter().filter(|o| o.is_write()).count();
    let head = format!("Approve {writes} ops {}: ", plan.id);
    let label = plan
        .operations
        .iter()
        .find(|o| o.is_write())
        .map(|o| o.label.as_str())
        .unwrap_or("no changes");
    let text = sanitise(&format!("{head}{label}"));
    let cut: String = text.chars().take(BINDING_MAX).collect();
    cut.trim_end().to_string()
}

fn sanitise(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c == '%' { ' ' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || BINDING_ALLOWED.contains(*c))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Which method asks for approval: --approval, the config's `approval.method`, else `tty`.
pub fn method(settings: &Settings, explicit: Option<ApprovalMethod>) -> Result<ApprovalMethod> {
    if let Some(m) = explicit {
        return Ok(m);
    }
    match settings.config.approval.method.as_deref() {
        None | Some("tty") => Ok(ApprovalMethod::Tty),
        Some("ciba") => Ok(ApprovalMethod::Ciba),
        Some(other) => Err(Error::input(format!(
            "config: approval.method `{other}` is not one of tty, ciba"
        ))),
    }
}

pub fn method_name(m: ApprovalMethod) -> &'static str {
    match m {
        ApprovalMethod::Tty => "tty",
        ApprovalMethod::Ciba => "ciba",
    }
}

/// An approval: the record for the receipt and, for out-of-band methods, the access token the
/// approval itself produced (the subject of the writer's credential exchange).
pub struct Approved {
    pub record: ApprovalRecord,
    pub token: Option<secrecy::SecretString>,
}

/// Asks for (or grants) approval of the plan, bound to its hash.
pub fn obtain(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    method: ApprovalMethod,
    now: &str,
) -> Result<Approved> {
    Ok(Approved {
        record: ask(settings, rules, plan, method, now)?,
        token: None,
    })
}

fn ask(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    method: ApprovalMethod,
    now: &str,
) -> Result<ApprovalRecord> {
    let plan_hash = plan.hash();
    let record = |method: &str, approvers: Vec<String>, strength: Option<&str>| ApprovalRecord {
        method: method.to_string(),
        tier: plan.tier,
        approvers,
        approved_at: now.to_string(),
        plan_hash: plan_hash.clone(),
        binding_message: None,
        transactions: Vec::new(),
        strength: strength.map(str::to_string),
    };
    if plan.tier <= rules.auto_approve_max_tier {
        return Ok(record("auto", Vec::new(), None));
    }
    match method {
        ApprovalMethod::Ciba => Err(Error::input(
            "CIBA approval needs Auth0: set CHANGESET_AUTH0_DOMAIN and the confidential client",
        )
        .hint("or approve at a terminal with --approval tty")),
        ApprovalMethod::Tty => {
            if !settings.can_prompt {
                return Err(not_interactive(settings, rules, plan));
            }
            let user = local_user();
            if plan.tier >= 3 {
                ask_for_id(plan)?;
                Ok(record("tty", vec![user], Some("typed_id")))
            } else {
                ask_yes_no(plan)?;
                Ok(record("tty", vec![user], None))
            }
        }
    }
}

fn not_interactive(settings: &Settings, rules: &RuleSet, plan: &Plan) -> Error {
    let mut err = Error::needs_auth(format!(
        "plan {} is tier {} and needs approval, but no prompt is possible here (not a terminal, --no-input or CI)",
        plan.id, plan.tier
    ));
    if settings.yes {
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
        "Apply {} change(s) to {} product(s) (tier {})?",
        plan.write_changes().count(),
        plan.affected_products(),
        plan.tier
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
    eprintln!(
        "This is a tier {} change ({} change(s) on {} product(s)). To approve, type the changeset id.",
        plan.tier,
        plan.write_changes().count(),
        plan.affected_products()
    );
    let typed: String = dialoguer::Input::new()
        .with_prompt(format!("Changeset id ({})", plan.id))
        .allow_empty(true)
        .interact_text()
        .map_err(prompt_error)?;
    if typed.trim().eq_ignore_ascii_case(&plan.id) {
        Ok(())
    } else {
        Err(Error::denied(format!(
            "the typed id `{}` is not {}; nothing was written",
            typed.trim(),
            plan.id
        )))
    }
}

fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            Error::interrupted()
        }
        dialoguer::Error::IO(io) => Error::needs_auth(format!("cannot prompt: {io}"))
            .hint("use --approval ciba, or run at a terminal"),
    }
}

/// The name of the person at this terminal, for tty approvals.
pub fn local_user() -> String {
    let name = crate::env::var("USER")
        .or_else(|| crate::env::var("USERNAME"))
        .unwrap_or_else(|| "unknown".to_string());
    format!("local:{name}")
}

#[cfg(test)]
mod tests {
    use super::sanitise;

    #[test]
    fn binding_messages_keep_only_allowed_characters() {
        assert_eq!(
            sanitise("Approve 2 ops CS-1: 15% off “Running” → $99"),
            "Approve 2 ops CS-1: 15 off Running 99"
        );
    }
}
