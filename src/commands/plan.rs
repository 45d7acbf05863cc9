//! `changeset plan`: read, parse, resolve, diff, score; print and optionally save. Never writes
//! the source.

use crate::cli::PlanArgs;
use crate::error::Result;
use crate::output;
use crate::plan::file;
use crate::policy::RuleSet;
use crate::settings::Settings;

use super::context;

/// Exit status of `plan --detailed-exitcode` when the plan has changes.
const EXIT_HAS_CHANGES: u8 = 10;

pub fn run(settings: &Settings, args: &PlanArgs) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let mut source = context::open_source(settings, &settings.source()?)?;
    let (plan, _) = context::plan(
        settings,
        &rules,
        source.as_mut(),
        &args.request,
        args.parser,
        &args.facts,
    )?;
    if let Some(path) = &args.out {
        file::write(path, &plan)?;
        output::note(
            settings.quiet || settings.json(),
            &format!("Saved plan {} to {}", plan.id, path.display()),
        );
    }
    output::plan(settings.json(), &plan)?;
    if let Some(path) = args
        .out
        .as_ref()
        .filter(|_| !settings.json() && plan.has_changes())
    {
        output::note(
            settings.quiet,
            &format!("Apply it with: changeset apply {}", path.display()),
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        EXIT_HAS_CHANGES
    } else {
        0
    })
}
