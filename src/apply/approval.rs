//! The approval gate. Tier ≤ auto_approve_max_tier applies without asking; above it a human
//! approves at this terminal (`tty`) or on their own device (`ciba`, see `apply::ciba`).
//! Tier 3 is stronger: at the terminal the user types the changeset id; out of band it takes
//! two approvers, or one approver plus the typed id.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::ApprovalMethod;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::policy::RuleSet;
use crate::receipt::ApprovalRecord;
use crate::settings::Settings;

/// How to ask for approval.
#[derive(Debug, Clone)]
pub struct Options {
    pub method: ApprovalMethod,
    /// Bound on the wait for an out-of-band answer (`--wait`).
    pub wait: Option<Duration>,
    /// The plan file being applied: re-read after approval, and the write refused if it no
    /// longer is the approved plan.
    pub plan_file: Option<PathBuf>,
}

impl From<ApprovalMethod> for Options {
    fn from(method: ApprovalMethod) -> Options {
        Options {
            method,
            wait: None,
            plan_file: None,
        }
    }
}

/// Characters Auth0 accepts in a CIBA binding message, and its maximum length.
const BINDING_ALLOWED: &str = " +-_.,:#";
pub const BINDING_MAX: usize = 64;

/// `CS-1A2B3C4D 6 chg 5 prod T3 #a1b2c3d4: 15 off Running`: the id, the counts, the tier and
/// the plan-hash prefix come first and are never cut (they fit: the id is checked on every read);
/// the label, rebuilt from the changes, only fills what is left of Auth0's 64 characters, in
/// its allowed character set.
pub fn binding_message(plan: &Plan) -> String {
    let head = sanitise(&format!(
        "{} {} chg {} prod T{} {}",
        plan.id,
        plan.write_changes().count(),
        plan.affected_products(),
        plan.tier,
        plan.short_hash()
    ));
    let label = plan
        .operations
        .iter()
        .find(|o| o.is_write())
        .map(|o| sanitise(&o.label))
        .unwrap_or_default();
    let room = BINDING_MAX.saturating_sub(head.chars().count() + 2);
    if label.is_empty() || room < 4 {
        return head;
    }
    let cut: String = label.chars().take(room).collect();
    format!("{head}: {}", cut.trim_end())
}

fn sanitise(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c == '%' { ' ' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || BINDING_ALLOWED.contains(*c))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Which method asks for approval: the config's `approval.method`, else `ciba` when Auth0 and
/// the confidential application are configured, else `tty`. `--approval` may choose a stronger
/// method than that, never a weaker one: `tty` is refused where `ciba` is selected.
pub fn method(settings: &Settings, explicit: Option<ApprovalMethod>) -> Result<ApprovalMethod> {
    let selected = match settings.config.approval.method {
        None if crate::auth::Tenant::configured(&settings.config.auth0)
            && crate::auth::client::Role::Ciba.configured() =>
        {
            ApprovalMethod::Ciba
        }
        None => ApprovalMethod::Tty,
        Some(method) => method,
    };
    match explicit {
        Some(ApprovalMethod::Tty) if selected == ApprovalMethod::Ciba => Err(Error::usage(
            "--approval tty is refused: the configuration selects ciba, and a flag may choose a stronger approval, never a weaker one",
        )
        .hint("approve on your device (CIBA), or change approval.method in the config file")),
        Some(m) => Ok(m),
        None => Ok(selected),
    }
}

pub fn method_name(m: ApprovalMethod) -> &'static str {
    match m {
        ApprovalMethod::Tty => "tty",
        ApprovalMethod::Ciba => "ciba",
    }
}

/// An approval: the record for the receipt. What an out-of-band approval returns never becomes
/// a write credential: the writer's Token Vault exchange uses the logged-in user's own token.
pub struct Approved {
    pub record: ApprovalRecord,
}

/// What the person at this terminal is shown before an approval is asked for, and who is told
/// of each out-of-band request.
pub struct Presentation<'a> {
    /// The full plan as re-derived, its source and its hash prefix, rendered for stderr.
    pub summary: &'a str,
    /// Told each approver an out-of-band request went to.
    pub sent: &'a dyn Fn(&str),
}

/// Asks for (or grants) approval of the plan, bound to its hash.
pub fn obtain(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    options: &Options,
    now: &str,
    shown: &Presentation<'_>,
) -> Result<Approved> {
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
        return Ok(Approved {
            record: record("auto", Vec::new(), None),
        });
    }
    let approved = match options.method {
        ApprovalMethod::Ciba => {
            if !settings.quiet {
                crate::report::tell(shown.summary);
            }
            let message = binding_message(plan);
            let outcome = super::ciba::approve(settings, plan, &message, options.wait, shown.sent)?;
            let mut record = record(
                "ciba",
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
            Approved { record }
        }
        ApprovalMethod::Tty => {
            if plan.source.kind == "sheets"
                && crate::auth::Tenant::configured(&settings.config.auth0)
            {
                return Err(Error::needs_auth(format!(
                    "plan {} writes a Google Sheet at tier {}: with Auth0 configured that needs a CIBA approval, and a terminal answer cannot release it; nothing was written",
                    plan.id, plan.tier
                ))
                .hint("set CHANGESET_CONFIDENTIAL_CLIENT_ID (and its secret or key) so that the approver is asked on their device")
                .hint("then run `changeset apply` again (--approval ciba)"));
            }
            if !settings.can_prompt {
                return Err(not_interactive(settings, rules, plan));
            }
            crate::report::tell(shown.summary);
            let user = local_user();
            if plan.tier >= 3 {
                ask_for_id(plan)?;
                Approved {
                    record: record("tty", vec![user], Some("typed_id")),
                }
            } else {
                ask_yes_no(plan)?;
                Approved {
                    record: record("tty", vec![user], None),
                }
            }
        }
    };
    if let Some(path) = &options.plan_file {
        recheck_file(path, &approved.record)?;
    }
    Ok(approved)
}

/// The plan file must still be the approved plan: an edit while the approver was deciding
/// (or after) means what is on disk is not what was approved.
fn recheck_file(path: &std::path::Path, record: &ApprovalRecord) -> Result<()> {
    let now = crate::plan::file::read(path).map(|p| p.hash());
    if now.as_ref().ok() != Some(&record.plan_hash) {
        return Err(Error::stale(format!(
            "the plan file `{}` changed after it was approved; nothing was written",
            path.display()
        ))
        .hint("plan again, and apply the new plan"));
    }
    Ok(())
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

/// The name of the person at this terminal, for tty approvals.
pub fn local_user() -> String {
    format!("local:{}", crate::local_user::name())
}

#[cfg(test)]
mod tests {
    use super::{BINDING_MAX, binding_message, sanitise};

    /// A plan with `n` one-cell changes on distinct products and this label on the first op.
    fn plan(label: &str, n: usize) -> crate::plan::Plan {
        let changes: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"key": format!("K{i}"), "field": "Inventory", "before": "in_stock", "after": "low_stock"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "format_version": 1, "id": "CS-1A2B3C4D", "created_at": "2026-11-23T12:00:00Z",
            "request": "r", "source": {"kind": "csv", "uri": "/c.csv"}, "fingerprint": "f",
            "rules": {"path": "p", "sha256": "s"}, "tier": 3,
            "approval": {"required": true, "method": "ciba"},
            "operations": [{"id": "op-1", "agent": "writer", "action": "a", "label": label,
                "changes": changes, "facts": {}, "tier": 3, "matched_rules": [], "explanation": ""}]
        }))
        .unwrap()
    }

    #[test]
    fn the_counts_tier_and_hash_come_first_and_are_never_cut() {
        let long = "15% off Running ".repeat(20) + "\r\nApproved by the CFO\u{1b}[2J";
        for n in [1, 6, 123_456] {
            let p = plan(&long, n);
            let m = binding_message(&p);
            let head = format!(
                "CS-1A2B3C4D {n} chg {n} prod T3 #{}",
                &p.hash()["sha256:".len().."sha256:".len() + 8]
            );
            assert!(m.starts_with(&head), "{m}");
            assert!(m.chars().count() <= BINDING_MAX, "{m}");
            assert!(!m.contains('\r') && !m.contains('\u{1b}'), "{m:?}");
        }
        assert!(binding_message(&plan("15% off Running", 6)).ends_with(": 15 off Running"));
    }

    #[test]
    fn binding_messages_keep_only_allowed_characters() {
        assert_eq!(
            sanitise("Approve 2 ops CS-1: 15% off “Running” → $99"),
            "Approve 2 ops CS-1: 15 off Running 99"
        );
    }
}
