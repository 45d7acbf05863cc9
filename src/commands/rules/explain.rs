//! `rules explain`: how the rules decide given facts, or a plan operation's facts.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::output;
use crate::plan::file;
use crate::policy::RuleSet;
use crate::settings::Settings;

pub(super) fn run(
    settings: &Settings,
    facts: Option<String>,
    plan: Option<PathBuf>,
    op: Option<usize>,
) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let facts: Map<String, Value> = match (facts, plan) {
        (Some(text), _) => match serde_json::from_str(&text) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) => {
                return Err(Error::usage("--facts must be a JSON object").hint(
                    r#"for example --facts '{"operation_type": "write", "affected_records": 2}'"#,
                ));
            }
        },
        (None, Some(path)) => plan_facts(&rules, &path, op)?,
        (None, None) => {
            return Err(Error::usage("say which facts to explain").hint(
                r#"pass --facts '{"operation_type": "write", ...}' or --plan plan.json --op N"#,
            ));
        }
    };
    let explanation = rules.explain(&facts);
    if settings.json() {
        output::json(&explanation)?;
    } else {
        output::stdout(&output::rules::explanation(
            &explanation,
            output::stdout_colour(),
        ))?;
    }
    Ok(0)
}

/// The facts of the `op`th operation (from 1) of a plan file.
fn plan_facts(rules: &RuleSet, path: &Path, op: Option<usize>) -> Result<Map<String, Value>> {
    let plan = file::read(path)?;
    let n = op.unwrap_or(1);
    let operation = n
        .checked_sub(1)
        .and_then(|i| plan.operations.get(i))
        .ok_or_else(|| {
            Error::usage(format!(
                "plan {} has {} operation(s); there is no operation {n}",
                plan.id,
                plan.operations.len()
            ))
            .hint("operations are numbered from 1, in the order `changeset plan` shows them")
        })?;
    if plan.rules.sha256 != rules.sha256 {
        crate::report::note(&format!(
            "plan {} was scored under other rules ({}); explaining under {}",
            plan.id, plan.rules.path, rules.origin
        ));
    }
    Ok(operation.facts.clone())
}
