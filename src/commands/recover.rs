//! `changeset recover`: finish or undo applies that were interrupted.

use crate::apply::recover;
use crate::error::{Error, Result};
use crate::output;
use crate::settings::Settings;

use super::context;

pub fn run(settings: &Settings) -> Result<u8> {
    let mut store = crate::audit::open(&settings.audit_location())?;
    let outcomes = recover::run(store.as_mut(), |plan| {
        context::open_source(settings, &settings.source_of(&plan.source)?)
    })?;
    if settings.json() {
        output::json(&outcomes)?;
    } else if outcomes.is_empty() {
        output::stdout("Nothing to recover: every apply finished.")?;
    } else {
        let lines: Vec<String> = outcomes
            .iter()
            .map(|o| {
                let receipt = o
                    .receipt_id
                    .as_deref()
                    .map(|r| format!(" (receipt {r})"))
                    .unwrap_or_default();
                format!("{}: {}: {}{receipt}", o.plan_id, o.action, o.detail)
            })
            .collect();
        output::stdout(&lines.join("\n"))?;
    }
    let conflicts: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.action == "conflict")
        .map(|o| o.plan_id.as_str())
        .collect();
    if conflicts.is_empty() {
        Ok(0)
    } else {
        Err(Error::stale(format!("{} could not be settled automatically", conflicts.join(", ")))
            .hint("compare the cells with the plan and fix them by hand; then run `changeset recover` again"))
    }
}
