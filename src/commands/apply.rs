//! `changeset apply PLAN.json` or `changeset apply "<request>"`.

use std::path::Path;

use crate::apply::{approval, executor};
use crate::catalog::SourceSpec;
use crate::cli::ApplyArgs;
use crate::error::Result;
use crate::plan::{Plan, file};
use crate::policy::RuleSet;
use crate::receipt::Delegation;
use crate::settings::Settings;
use crate::{commands, output};

use super::context;

pub fn run(settings: &Settings, args: &ApplyArgs) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let method = approval::method(settings, args.approval)?;
    let is_file = args.target.ends_with(".json") || Path::new(&args.target).is_file();
    let (plan, spec) = if is_file {
        let plan = file::read(Path::new(&args.target))?;
        let spec = settings.source_of(&plan.source)?;
        (plan, spec)
    } else {
        let spec = settings.source()?;
        let mut source = context::open_source(settings, &spec)?;
        let (plan, _) = commands::plan::make(
            settings,
            &rules,
            source.as_mut(),
            &args.target,
            args.parser,
            &args.facts,
        )?;
        (plan, spec)
    };
    if !plan.has_changes() {
        output::note(
            settings.quiet || settings.json(),
            "Nothing to apply: the plan has no changes.",
        );
        return Ok(0);
    }
    let options = approval::Options {
        method,
        wait: args.wait.map(std::time::Duration::from_secs),
        plan_file: is_file.then(|| Path::new(&args.target).to_path_buf()),
    };
    execute(settings, &rules, &plan, &spec, options, &args.facts)
}

/// Runs the executor on a plan and prints the receipt.
pub fn execute(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    spec: &SourceSpec,
    approval: approval::Options,
    caller_facts: &[String],
) -> Result<u8> {
    let mut source = context::open_source(settings, spec)?;
    let mut store = crate::audit::open(&settings.audit_location())?;
    let circumstances =
        commands::plan::circumstances(settings, Some(store.as_mut()), caller_facts)?;
    let mut notifier = context::notifier(settings)?;
    let mut ctx = executor::Context {
        settings,
        rules,
        store: store.as_mut(),
        source: source.as_mut(),
        approval,
        delegation: local_delegation(spec),
        notifier: notifier.as_mut(),
        circumstances,
        summarise: |plan| output::tables::approval_summary(plan, output::stderr_colour()),
    };
    let receipt = executor::apply(&mut ctx, plan)?;
    if settings.json() {
        output::json(&receipt)?;
    } else {
        output::stdout(&output::tables::receipt(&receipt, output::stdout_colour()))?;
    }
    Ok(0)
}

/// The start of the delegation chain: the planner, which never holds write credentials, and
/// for a local file the user's own file access. A remote source adds its agents' grants (with
/// token references) itself, through `Source::authorize_write`.
fn local_delegation(spec: &SourceSpec) -> Vec<Delegation> {
    let entry = |agent: &str, scope: &str| Delegation {
        agent: agent.into(),
        on_behalf_of: approval::local_user(),
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
