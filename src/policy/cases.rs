//! `rules test`: test cases for a rules file, written as TOML next to it (`tests/*.toml`):
//!
//! ```toml
//! [[case]]
//! name = "a 25% discount is not above the threshold"
//! facts = { operation_type = "write", affected_records = 1, price_change_percent = 25 }
//! expect_tier = 2
//! expect_rules = ["write-single-record"]   # optional: exactly the rules that match
//! expect_errors = []                       # optional: rules expected to fail (default none)
//! ```
//!
//! A case for the forbid rules gives the end-state facts of a row (`base_price`, `promo_price`,
//! `promo_active`, `inventory`) and `expect_forbidden = true` (or false); `expect_tier` may then
//! be left out.
//!
//! A case passes when the tier, and the matched rules, failing rules and forbidden verdict where
//! given, are as expected. A rule that fails without the case expecting it fails the case. Rules that no
//! case matches are reported, as test coverage.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Decision, RuleSet};
use crate::error::{Error, IoContext, Result};

/// Test cases shipped with the embedded default rules (file name, text), so `rules test`
/// works from an installed binary too. A unit test keeps this list equal to `rules/tests/`.
pub const DEFAULT_CASES: &[(&str, &str)] = &[
    (
        "boundaries.toml",
        include_str!("../../rules/tests/boundaries.toml"),
    ),
    (
        "fatigue.toml",
        include_str!("../../rules/tests/fatigue.toml"),
    ),
    ("forbid.toml", include_str!("../../rules/tests/forbid.toml")),
    (
        "original-vectors.toml",
        include_str!("../../rules/tests/original-vectors.toml"),
    ),
    (
        "plan-level.toml",
        include_str!("../../rules/tests/plan-level.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(rename = "case", default)]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    facts: toml::Table,
    expect_tier: Option<u8>,
    expect_rules: Option<Vec<String>>,
    /// Whether a forbid rule must match (None: not checked).
    expect_forbidden: Option<bool>,
    #[serde(default)]
    expect_errors: Vec<String>,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_tier: Option<u8>,
    pub tier: u8,
    pub matched: Vec<String>,
    /// Forbid rules that matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forbidden: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// What differed, one sentence per difference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The results of every case of every file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub rules: String,
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<CaseResult>,
    /// Rules that no case matched.
    pub uncovered: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed == 0 && !self.cases.is_empty()
    }
}

/// Runs the cases of `files` (name, text) against `rules`. A file that does not parse is an
/// error naming the file.
pub fn run(rules: &RuleSet, files: &[(String, String)]) -> Result<Report, String> {
    let mut results = Vec::new();
    let mut covered = BTreeSet::new();
    for (file, text) in files {
        let parsed: CaseFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for case in parsed.cases {
            let result = run_case(rules, file, case)?;
            covered.extend(result.matched.iter().cloned());
            covered.extend(result.forbidden.iter().cloned());
            results.push(result);
        }
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    Ok(Report {
        rules: rules.origin.clone(),
        passed: results.len() - failed,
        failed,
        uncovered: rules
            .rules
            .iter()
            .chain(&rules.forbids)
            .filter(|r| !covered.contains(&r.id))
            .map(|r| r.id.clone())
            .collect(),
        cases: results,
    })
}

fn run_case(rules: &RuleSet, file: &str, case: Case) -> Result<CaseResult, String> {
    let facts: Map<String, Value> = match serde_json::to_value(&case.facts) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(format!(
                "{file}: case `{}`: facts must be a table",
                case.name
            ));
        }
    };
    let decision = rules.decide(&facts);
    let matched: Vec<String> = decision.matched.iter().map(|m| m.id.clone()).collect();
    let failed_rules: Vec<String> = decision
        .errors
        .iter()
        .map(|e| e.split(':').next().unwrap_or(e).to_string())
        .collect();
    let forbidden: Vec<String> = rules.forbidden(&facts).into_iter().map(|m| m.id).collect();
    if case.expect_tier.is_none() && case.expect_forbidden.is_none() {
        return Err(format!(
            "{file}: case `{}`: give expect_tier, expect_forbidden or both",
            case.name
        ));
    }
    let problems = problems(&case, &decision, &matched, &forbidden, &failed_rules);
    Ok(CaseResult {
        file: file.to_string(),
        name: case.name,
        passed: problems.is_empty(),
        expect_tier: case.expect_tier,
        tier: decision.tier,
        matched,
        forbidden,
        errors: decision.errors,
        problems,
    })
}

/// How the case's expectations differ from what the rules decided.
fn problems(
    case: &Case,
    decision: &Decision,
    matched: &[String],
    forbidden: &[String],
    failed_rules: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(expected) = case.expect_tier
        && decision.tier != expected
    {
        problems.push(format!("expected tier {expected}, got {}", decision.tier));
    }
    if let Some(expected) = case.expect_forbidden
        && expected == forbidden.is_empty()
    {
        problems.push(if expected {
            "expected a forbid rule to match, none did".to_string()
        } else {
            format!(
                "expected no forbid rule to match, got [{}]",
                forbidden.join(", ")
            )
        });
    }
    if let Some(expected) = &case.expect_rules
        && sorted(expected) != sorted(matched)
    {
        problems.push(format!(
            "expected rules [{}] to match, got [{}]",
            expected.join(", "),
            matched.join(", ")
        ));
    }
    if sorted(&case.expect_errors) != sorted(failed_rules) {
        problems.push(format!(
            "expected failing rules [{}], got [{}]",
            case.expect_errors.join(", "),
            decision.errors.join("; ")
        ));
    }
    problems
}

fn sorted(ids: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = ids.iter().map(String::as_str).collect();
    v.sort_unstable();
    v
}

/// Every `*.toml` file in `dir`, by name.
pub fn files(dir: &Path) -> Result<Vec<(String, String)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::input(format!(
            "cannot read the test case directory {}: {e}",
            dir.display()
        ))
        .hint("pass the directory: `changeset rules test DIR` (default: tests/ next to the rules file)")
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).io_context("reading the test cases", &p)?;
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Ok((name, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_files() -> Vec<(String, String)> {
        DEFAULT_CASES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn the_embedded_cases_are_the_files_in_rules_tests() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/tests");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = DEFAULT_CASES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(
            embedded, on_disk,
            "list every rules/tests file in DEFAULT_CASES"
        );
    }

    #[test]
    fn the_default_rules_pass_their_cases_and_every_rule_is_covered() {
        let rules = RuleSet::load(None).unwrap();
        let report = run(&rules, &default_files()).unwrap();
        let failures: Vec<_> = report.cases.iter().filter(|c| !c.passed).collect();
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(report.uncovered.is_empty(), "{:?}", report.uncovered);
        assert!(report.passed >= 11);
    }

    #[test]
    fn a_wrong_expectation_fails_the_case() {
        let rules = RuleSet::load(None).unwrap();
        let file = r#"
[[case]]
name = "read"
facts = { operation_type = "read" }
expect_tier = 1
expect_rules = ["notify-auto-approve"]
"#;
        let report = run(&rules, &[("x.toml".into(), file.into())]).unwrap();
        assert_eq!(report.failed, 1);
        assert_eq!(report.cases[0].problems.len(), 2);
        assert!(!report.ok());
    }
}
