//! `changeset apply PLAN.json` or `changeset apply "<request>"`.

use std::path::Path;

use crate::cli::ApplyArgs;
use crate::error::Result;
use crate::output;
use crate::plan::file;
use crate::policy::RuleSet;
use crate::settings::Settings;

use super::context;

pub fn run(settings: &Settings, args: &ApplyArgs) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let method = context::approval_method(settings, args.approval)?;
    let is_file = args.target.ends_with(".json") || Path::new(&args.target).is_file();
    let (plan, spec) = if is_file {
        let plan = file::read(Path::new(&args.target))?;
        let spec = settings.source_of(&plan.source)?;
        (plan, spec)
    } else {
        let spec = settings.source()?;
        let mut source = context::open_source(settings, &spec)?;
        let (plan, _) = context::plan(
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
    let wait = args.wait.map(std::time::Duration::from_secs);
    let approver = context::approver(settings, method, wait);
    let plan_file = is_file.then(|| Path::new(&args.target).to_path_buf());
    context::execute(
        settings,
        &rules,
        &plan,
        &spec,
        approver.as_ref(),
        plan_file,
        &args.facts,
    )
}
