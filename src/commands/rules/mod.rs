//! `changeset rules check | test | explain | bench`: reading files and printing; the work is in
//! `policy`.

mod explain;
mod test;

use std::path::Path;

use serde::Serialize;

use crate::cli::{BenchEngine, RulesCommand};
use crate::error::{IoContext, Result};
use crate::output;
use crate::policy::{EMBEDDED_ORIGIN, Finding, RuleSet, bench};
use crate::settings::Settings;

/// Exit status when `check` finds problems or `test` has failures.
pub(super) const EXIT_FINDINGS: u8 = 1;

pub fn run(settings: &Settings, cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::Check { file, .. } => check(settings, file.as_deref()),
        RulesCommand::Test { dir, .. } => test::run(settings, dir.as_deref()),
        RulesCommand::Explain {
            facts, plan, op, ..
        } => explain::run(settings, facts, plan, op),
        RulesCommand::Bench { facts, engine, .. } => run_bench(settings, &facts, engine),
    }
}

/// The rules file's text and how to name it: FILE, else the active rules file, else the
/// embedded default.
fn rules_text(settings: &Settings, file: Option<&Path>) -> Result<(String, String)> {
    match file.or(settings.rules_path.as_deref()) {
        Some(path) => Ok((
            std::fs::read_to_string(path).io_context("reading the rules file", path)?,
            path.display().to_string(),
        )),
        None => Ok((
            crate::policy::DEFAULT_RULES.to_string(),
            EMBEDDED_ORIGIN.to_string(),
        )),
    }
}

#[derive(Serialize)]
struct CheckReport<'a> {
    file: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
    problems: &'a [Finding],
}

fn check(settings: &Settings, file: Option<&Path>) -> Result<u8> {
    let (text, origin) = rules_text(settings, file)?;
    let result = RuleSet::check(&text, &origin);
    let (rules, problems) = match &result {
        Ok(rules) => (Some(rules), &[][..]),
        Err(findings) => (None, findings.as_slice()),
    };
    if settings.json() {
        output::json(&CheckReport {
            file: &origin,
            ok: rules.is_some(),
            rules: rules.map(|r| r.rules.len()),
            sha256: rules.map(|r| r.sha256.as_str()),
            problems,
        })?;
    } else if let Some(rules) = rules {
        let n = rules.rules.len();
        let noun = if n == 1 { "rule" } else { "rules" };
        output::stdout(&format!("ok: {origin}: {n} {noun}, {}", rules.sha256))?;
    } else {
        output::stdout(&output::rules::problems(&origin, problems))?;
        output::note(
            settings.quiet,
            &format!("{} problem(s) in {origin}", problems.len()),
        );
    }
    Ok(if rules.is_some() { 0 } else { EXIT_FINDINGS })
}

fn run_bench(settings: &Settings, path: &Path, engine: BenchEngine) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let records = bench::read_facts(path)?;
    let engine = match engine {
        BenchEngine::Compiled => bench::Engine::Compiled,
        BenchEngine::Evalexpr => bench::Engine::Interpreted,
    };
    let result = bench::run(&rules, &records, engine);
    output::stdout(&serde_json::to_string(&result)?)?;
    Ok(0)
}
