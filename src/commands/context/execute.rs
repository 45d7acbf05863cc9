//! Approving and applying a plan with the run's parts, and printing its receipt.

use std::path::PathBuf;

use crate::apply::approval::{Approver, local_user};
use crate::apply::executor;
use crate::catalog::SourceSpec;
use crate::error::Result;
use crate::output;
use crate::plan::Plan;
use crate::policy::RuleSet;
use crate::receipt::Delegation;
use crate::settings::Settings;

use super::{circumstances, notifier, open_source};

/// Approves and applies a plan to the source `spec` names, and prints the receipt.
/// `plan_file` is the plan file being applied, if any.
pub fn execute(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    spec: &SourceSpec,
    approver: &dyn Approver,
    plan_file: Option<PathBuf>,
    caller_facts: &[String],
) -> Result<u8> {
    let mut source = open_source(settings, spec)?;
    let mut store = crate::audit::open(&settings.audit_location())?;
    let circumstances = circumstances(settings, Some(store.as_mut()), caller_facts)?;
    let mut notifier = notifier(settings)?;
    let mut ctx = executor::Context {
        rules,
        store: store.as_mut(),
        source: source.as_mut(),
        approver,
        plan_file,
        delegation: local_delegation(spec),
        notifier: notifier.as_mut(),
        circumstances,
        summarise: |plan| output::tables::approval_summary(plan, output::stderr_colour()),
        enforcer: None,
    };
    let receipt = executor::apply(&mut ctx, plan)?;
    output::receipt(settings.json(), &receipt)?;
    Ok(0)
}

/// The start of the delegation chain: the planner, which never holds write credentials, and
/// for a local file the user's own file access. A remote source adds its agents' grants (with
/// token references) itself, through `Source::authorize_write`.
fn local_delegation(spec: &SourceSpec) -> Vec<Delegation> {
    let entry = |agent: &str, scope: &str| Delegation {
        agent: agent.into(),
        on_behalf_of: local_user(),
        scope: scope.into(),
        granted_scope: None,
        token_ref: None,
        jti: None,
        expires_at: None,
        via: "local".into(),
    };
    let mut chain = vec![entry("planner", "plan (no source credentials)")];
    if let SourceSpec::Csv(_) = spec {
        chain.push(entry("reader", "file:read"));
        chain.push(entry("writer", "file:write"));
    }
    chain
}
