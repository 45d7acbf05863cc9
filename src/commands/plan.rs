//! `changeset plan`: read, parse, resolve, diff, score; print and optionally save. Never writes
//! the source.

use crate::cli::PlanArgs;
use crate::error::Result;
use crate::policy::RuleSet;
use crate::settings::Settings;

use super::context;

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
    context::finish_plan(settings, args, &plan)
}
