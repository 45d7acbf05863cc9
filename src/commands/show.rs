//! `changeset show PLAN`: a saved plan as `plan` printed it, and whether `apply` would still
//! take it (the same rules and catalog checks, without writing or asking anything).

use serde::Serialize;

use crate::apply::executor;
use crate::cli::ShowArgs;
use crate::error::Result;
use crate::output;
use crate::plan::{Plan, file};
use crate::policy::RuleSet;
use crate::settings::Settings;

use super::context;

/// Exit status when the plan is stale (the same code `apply` would refuse it with).
const EXIT_STALE: u8 = 3;

#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Freshness {
    /// The catalog and rules are as they were at plan time.
    Fresh,
    /// `apply` would refuse the plan, for this reason.
    Stale { reason: String },
    /// `--offline`: nothing was read.
    Unchecked,
}

#[derive(Serialize)]
struct Shown<'a> {
    plan: &'a Plan,
    freshness: Freshness,
}

pub fn run(settings: &Settings, args: &ShowArgs) -> Result<u8> {
    let plan = file::read(&args.plan)?;
    let freshness = if args.offline {
        Freshness::Unchecked
    } else {
        freshness(settings, &plan)?
    };
    let code = match freshness {
        Freshness::Stale { .. } => EXIT_STALE,
        Freshness::Fresh | Freshness::Unchecked => 0,
    };
    if settings.json() {
        output::json(&Shown {
            plan: &plan,
            freshness,
        })?;
    } else {
        let mut text = output::tables::plan(&plan, output::stdout_colour());
        text.push_str(&match &freshness {
            Freshness::Fresh => format!(
                "\nFresh: the catalog and the rules are as they were when the plan was made; apply it with: changeset apply {}\n",
                args.plan.display()
            ),
            Freshness::Stale { reason } => {
                format!("\nStale: {reason}. apply would refuse it; plan again.\n")
            }
            Freshness::Unchecked => {
                "\nFreshness not checked (--offline).\n".to_string()
            }
        });
        output::stdout(&text)?;
    }
    Ok(code)
}

/// Runs apply's own rules and catalog checks; a stale answer is a result, any other failure
/// (source unreadable, bad rules file) an error.
fn freshness(settings: &Settings, plan: &Plan) -> Result<Freshness> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let spec = settings.source_of(&plan.source)?;
    let catalog = context::open_source(settings, &spec)?.read()?;
    if let Err(e) = executor::check_rules(&rules, plan) {
        return Ok(Freshness::Stale { reason: e.message });
    }
    Ok(match executor::catalog_change(&catalog, plan) {
        Some(change) => Freshness::Stale {
            reason: format!("the catalog changed since the plan was made ({change})"),
        },
        None => Freshness::Fresh,
    })
}
