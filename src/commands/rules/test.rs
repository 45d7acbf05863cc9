//! `rules test`: the rules against their test cases.

use std::path::Path;

use super::EXIT_FINDINGS;
use crate::error::{Error, Result};
use crate::output;
use crate::policy::{RuleSet, cases};
use crate::settings::Settings;

pub(super) fn run(settings: &Settings, dir: Option<&Path>) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let files = match (dir, &settings.rules_path) {
        (Some(dir), _) => cases::files(dir)?,
        (None, Some(path)) => {
            let dir = path.parent().unwrap_or(Path::new(".")).join("tests");
            cases::files(&dir)?
        }
        (None, None) => cases::DEFAULT_CASES
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect(),
    };
    let report = cases::run(&rules, &files).map_err(|e| {
        Error::input(format!("a test case file is malformed: {e}")).hint(
            "each case needs `name`, `facts` and `expect_tier`; see rules/tests/ for examples",
        )
    })?;
    if settings.json() {
        output::json(&report)?;
    } else {
        output::stdout(&output::rules::test_report(
            &report,
            output::stdout_colour(),
        ))?;
    }
    if report.cases.is_empty() {
        return Err(Error::input("no test cases found")
            .hint("write [[case]] tables with name, facts and expect_tier in DIR/*.toml"));
    }
    Ok(if report.ok() { 0 } else { EXIT_FINDINGS })
}
