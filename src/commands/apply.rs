//! `changeset apply PLAN.json` or `changeset apply "<request>"`.

use std::path::Path;

use crate::apply::{approval, executor};
use crate::catalog::{SourceRef, SourceSpec};
use crate::cli::ApplyArgs;
use crate::error::{Error, Result};
use crate::plan::{Plan, file};
use crate::policy::RuleSet;
use crate::receipt::Delegation;
use crate::settings::Settings;
use crate::source;
use crate::{commands, output};

pub fn run(settings: &Settings, args: &ApplyArgs) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let method = approval::method(settings, args.approval)?;
    let is_file = args.target.ends_with(".json") || Path::new(&args.target).is_file();
    let (plan, spec) = if is_file {
        let plan = file::read(Path::new(&args.target))?;
        let spec = source_of(settings, &plan.source)?;
        (plan, spec)
    } else {
        let spec = settings.source()?;
        let mut source = source::open(&spec, settings)?;
        let (plan, _) =
            commands::plan::make(settings, &rules, source.as_mut(), &args.target, args.parser)?;
        // Show what is about to happen before asking (on stderr: stdout is for the receipt).
        if !settings.quiet {
            eprint!("{}", output::tables::plan(&plan, output::stderr_colour()));
        }
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
    execute(settings, &rules, &plan, &spec, options)
}

/// Runs the executor on a plan and prints the receipt.
pub fn execute(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    spec: &SourceSpec,
    approval: approval::Options,
) -> Result<u8> {
    let mut source = source::open(spec, settings)?;
    let mut store = crate::audit::open(&settings.audit_location())?;
    let mut notifier = crate::notify::Notifier::for_run(settings)?;
    let mut ctx = executor::Context {
        settings,
        rules,
        store: store.as_mut(),
        source: source.as_mut(),
        approval,
        delegation: local_delegation(spec),
        notifier: notifier.as_mut(),
    };
    let receipt = executor::apply(&mut ctx, plan)?;
    if settings.json() {
        output::json(&receipt)?;
    } else {
        output::stdout(&output::tables::receipt(&receipt, output::stdout_colour()))?;
    }
    Ok(0)
}

/// The source a plan or receipt was made for; --source may repeat it but not contradict it.
pub fn source_of(settings: &Settings, recorded: &SourceRef) -> Result<SourceSpec> {
    let spec = match recorded.kind.as_str() {
        "csv" => SourceSpec::Csv(recorded.uri.clone().into()),
        "sheets" => SourceSpec::Sheets {
            spreadsheet_id: recorded.uri.clone(),
            tab: recorded.tab.clone(),
        },
        other => {
            return Err(Error::input(format!(
                "the plan's source kind `{other}` is unknown"
            )));
        }
    };
    if settings.source_given() {
        let given = settings.source()?;
        let same = match (&given, &spec) {
            (SourceSpec::Csv(a), SourceSpec::Csv(b)) => {
                std::fs::canonicalize(a).ok().as_deref() == Some(b.as_path())
            }
            // A spreadsheet named without a tab means its first tab, which the plan recorded.
            (
                SourceSpec::Sheets {
                    spreadsheet_id: a,
                    tab: None,
                },
                SourceSpec::Sheets {
                    spreadsheet_id: b, ..
                },
            ) => a == b,
            (a, b) => a == b,
        };
        if !same {
            return Err(Error::input(format!(
                "this was made for {} `{}`, not for the given --source",
                recorded.kind, recorded.uri
            ))
            .hint("drop --source to use the source it was made for"));
        }
    }
    Ok(spec)
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
