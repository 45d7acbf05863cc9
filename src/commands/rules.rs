//! `changeset rules check | test | explain | bench`: reading files and printing; the work is in
//! `policy`.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::cli::{BenchEngine, RulesCommand};
use crate::error::{Error, IoContext, Result};
use crate::output;
use crate::plan::file;
use crate::policy::{EMBEDDED_ORIGIN, Finding, RuleSet, bench, cases};
use crate::settings::Settings;

/// Exit status when `check` finds problems or `test` has failures.
const EXIT_FINDINGS: u8 = 1;

pub fn run(settings: &Settings, cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::Check { file, .. } => check(settings, file.as_deref()),
        RulesCommand::Test { dir, .. } => test(settings, dir.as_deref()),
        RulesCommand::Explain {
            facts, plan, op, ..
        } => explain(settings, facts, plan, op),
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

fn test(settings: &Settings, dir: Option<&Path>) -> Result<u8> {
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

fn explain(
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
        (None, Some(path)) => {
            let plan = file::read(&path)?;
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
                    .hint(
                        "operations are numbered from 1, in the order `changeset plan` shows them",
                    )
                })?;
            if plan.rules.sha256 != rules.sha256 {
                crate::report::note(&format!(
                    "plan {} was scored under other rules ({}); explaining under {}",
                    plan.id, plan.rules.path, rules.origin
                ));
            }
            operation.facts.clone()
        }
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
