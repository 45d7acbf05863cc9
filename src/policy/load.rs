//! Reading a rules file: the TOML structure (unknown fields, types, tiers, duplicate ids) and
//! each rule's expression. Every problem becomes a [`Finding`] with the line and rule it is
//! about, and all of them are reported at once.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use toml::{Spanned, Table, Value};

use super::Rule;
use super::lint;

/// One problem in a rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// The id of the rule it is about (or `rule #N` when the rule has no usable id).
    pub rule: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The top-level settings, rules and forbid rules of a file that passed every check.
pub struct Parsed {
    pub default_tier: u8,
    pub auto_approve_max_tier: u8,
    pub rules: Vec<Rule>,
    pub forbids: Vec<Rule>,
}

const TOP_FIELDS: &[&str] = &[
    "format_version",
    "default_tier",
    "auto_approve_max_tier",
    "rule",
    "forbid",
];
const RULE_FIELDS: &[&str] = &["id", "description", "tier", "when"];
/// A forbid rule has no tier: a match refuses the plan, whatever approval it could get.
const FORBID_FIELDS: &[&str] = &["id", "description", "when"];

/// Which list of tables an entry comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rule,
    Forbid,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Forbid => "forbid",
        }
    }
}

/// Checks a rules file and builds its rules; `Err` holds every finding.
pub fn parse(text: &str) -> Result<Parsed, Vec<Finding>> {
    let table: Table = toml::from_str(text).map_err(|e| {
        vec![Finding {
            line: e.span().map(|s| line_of(text, s.start)),
            rule: None,
            message: format!("not valid TOML: {}", e.message().trim()),
        }]
    })?;
    let lines = Lines::of(text);
    let mut findings = Vec::new();
    let (default_tier, auto_approve_max_tier) = header(&table, &lines, &mut findings);
    let mut first_line_of_id: HashMap<String, Option<usize>> = HashMap::new();
    let mut built: [Vec<Rule>; 2] = [Vec::new(), Vec::new()];
    for (slot, kind) in [Kind::Rule, Kind::Forbid].into_iter().enumerate() {
        let key = kind.key();
        for (i, entry) in entries(&table, key, &lines, &mut findings)
            .into_iter()
            .enumerate()
        {
            let (rule, problems) = rule(entry, kind, i, &lines);
            findings.extend(problems);
            built[slot].extend(rule);
            let Some(Value::String(id)) = entry.get("id") else {
                continue;
            };
            let here = lines.entry(kind, i, "id");
            if let Some(first) = first_line_of_id.get(id.as_str()) {
                let at = first
                    .map(|l| format!(" (first defined on line {l})"))
                    .unwrap_or_default();
                findings.push(Finding {
                    line: here,
                    rule: Some(id.clone()),
                    message: format!("duplicate rule id `{id}`{at}: ids must be unique"),
                });
            } else {
                first_line_of_id.insert(id.clone(), here);
            }
        }
    }
    let [rules, forbids] = built;
    if findings.is_empty() {
        Ok(Parsed {
            default_tier,
            auto_approve_max_tier,
            rules,
            forbids,
        })
    } else {
        Err(findings)
    }
}

/// The top-level keys: unknown ones, `format_version`, and the two tiers (their defaults when
/// missing or wrong, with a finding).
fn header(table: &Table, lines: &Lines, findings: &mut Vec<Finding>) -> (u8, u8) {
    let mut top = |key: &str, message: String| {
        findings.push(Finding {
            line: lines.top(key),
            rule: None,
            message,
        })
    };
    for key in table.keys() {
        if !TOP_FIELDS.contains(&key.as_str()) {
            top(key, unknown_field(key, TOP_FIELDS));
        }
    }
    match table.get("format_version") {
        Some(Value::Integer(1)) => {}
        Some(other) => top(
            "format_version",
            format!(
                "format_version = {other} is not supported (this build reads format_version = 1)"
            ),
        ),
        None => top(
            "format_version",
            "format_version is missing (add `format_version = 1`)".to_string(),
        ),
    }
    let default_tier = top_tier(table, "default_tier", 3).unwrap_or_else(|e| {
        top("default_tier", e);
        3
    });
    let auto_approve_max_tier = top_tier(table, "auto_approve_max_tier", 1).unwrap_or_else(|e| {
        top("auto_approve_max_tier", e);
        1
    });
    (default_tier, auto_approve_max_tier)
}

/// The tables of `[[key]]`; a finding when `key` is not a list of tables.
fn entries<'t>(
    table: &'t Table,
    key: &str,
    lines: &Lines,
    findings: &mut Vec<Finding>,
) -> Vec<&'t Table> {
    let not_tables = || Finding {
        line: lines.top(key),
        rule: None,
        message: format!("`{key}` must be a list of tables: write each one as `[[{key}]]`"),
    };
    match table.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let tables: Vec<&Table> = items.iter().filter_map(Value::as_table).collect();
            if tables.len() != items.len() {
                findings.push(not_tables());
            }
            tables
        }
        Some(_) => {
            findings.push(not_tables());
            Vec::new()
        }
    }
}

/// Checks and builds the `i`th rule (or forbid rule). Returns it when it is usable and the
/// problems found.
fn rule(entry: &Table, kind: Kind, i: usize, lines: &Lines) -> (Option<Rule>, Vec<Finding>) {
    let fields = match kind {
        Kind::Rule => RULE_FIELDS,
        Kind::Forbid => FORBID_FIELDS,
    };
    let id = match entry.get("id") {
        Some(Value::String(s)) if valid_id(s) => Some(s.clone()),
        _ => None,
    };
    let label = id.clone().unwrap_or_else(|| format!("#{}", i + 1));
    let mut problems = Vec::new();
    let mut problem = |key: &str, message: String| {
        problems.push(Finding {
            line: lines.entry(kind, i, key),
            rule: Some(label.clone()),
            message,
        })
    };
    for key in entry.keys() {
        if kind == Kind::Forbid && key == "tier" {
            problem(
                key,
                "a forbid rule has no tier: a match refuses the plan whatever the approval"
                    .to_string(),
            );
        } else if !fields.contains(&key.as_str()) {
            problem(key, unknown_field(key, fields));
        }
    }
    match entry.get("id") {
        None => problem("id", "`id` is missing".to_string()),
        Some(Value::String(s)) if valid_id(s) => {}
        Some(other) => problem(
            "id",
            format!("id {other} must be a non-empty string of letters, digits, `-`, `_` or `.`"),
        ),
    }
    let description = description_of(entry, &mut problem);
    let tier = tier_of(entry, kind, &mut problem);
    let when = when_of(entry, &mut problem);
    let rule = match (id, tier, when) {
        (Some(id), Some(tier), Some((when, node, eval))) if problems.is_empty() => Some(Rule {
            id,
            description,
            tier,
            when,
            node,
            eval,
        }),
        _ => None,
    };
    (rule, problems)
}

fn description_of(entry: &Table, problem: &mut dyn FnMut(&str, String)) -> String {
    match entry.get("description") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            problem(
                "description",
                format!("description {other} must be a string"),
            );
            String::new()
        }
    }
}

/// A rule's tier (0-3); a forbid rule's is the most restrictive, never used to score.
fn tier_of(entry: &Table, kind: Kind, problem: &mut dyn FnMut(&str, String)) -> Option<u8> {
    match entry.get("tier") {
        // Forbid rules carry the most restrictive tier; it is never used to score.
        _ if kind == Kind::Forbid => Some(super::MAX_TIER),
        Some(Value::Integer(t)) if (0..=3).contains(t) => u8::try_from(*t).ok(),
        Some(other) => {
            problem("tier", format!("tier = {other} is outside 0-3"));
            None
        }
        None => {
            problem("tier", "`tier` is missing (0-3)".to_string());
            None
        }
    }
}

/// A rule's `when`: its text, checked and compiled.
fn when_of(
    entry: &Table,
    problem: &mut dyn FnMut(&str, String),
) -> Option<(String, evalexpr::Node, lint::Eval)> {
    match entry.get("when") {
        Some(Value::String(s)) => match lint::check(s) {
            Ok((node, eval)) => Some((s.clone(), node, eval)),
            Err(messages) => {
                for m in messages {
                    problem("when", m);
                }
                None
            }
        },
        Some(other) => {
            problem(
                "when",
                format!("when = {other} must be a string expression"),
            );
            None
        }
        None => {
            problem(
                "when",
                "`when` is missing (an expression over the facts)".to_string(),
            );
            None
        }
    }
}

fn top_tier(table: &Table, key: &str, default: u8) -> Result<u8, String> {
    match table.get(key) {
        None => Ok(default),
        Some(Value::Integer(t)) if (0..=3).contains(t) => Ok(u8::try_from(*t).unwrap_or(default)),
        Some(other) => Err(format!("{key} = {other} is outside 0-3")),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn unknown_field(key: &str, expected: &[&str]) -> String {
    format!(
        "unknown field `{key}` (expected one of: {})",
        expected.join(", ")
    )
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The line of every top-level key and of every key of every `[[rule]]`, read in a second,
/// lenient pass (line numbers are a courtesy: a file whose shape defeats this pass still gets
/// its findings, without lines).
struct Lines {
    top: BTreeMap<String, usize>,
    rules: Vec<BTreeMap<String, usize>>,
    forbids: Vec<BTreeMap<String, usize>>,
}

#[derive(Deserialize)]
struct SpannedRules {
    #[serde(default)]
    rule: Vec<BTreeMap<String, Spanned<Value>>>,
    #[serde(default)]
    forbid: Vec<BTreeMap<String, Spanned<Value>>>,
}

impl Lines {
    fn of(text: &str) -> Self {
        let lines = |keys: BTreeMap<String, Spanned<Value>>| -> BTreeMap<String, usize> {
            keys.into_iter()
                .map(|(k, v)| (k, line_of(text, v.span().start)))
                .collect()
        };
        let (rules, forbids) = toml::from_str::<SpannedRules>(text)
            .map(|file| {
                (
                    file.rule.into_iter().map(lines).collect(),
                    file.forbid.into_iter().map(lines).collect(),
                )
            })
            .unwrap_or_default();
        Lines {
            top: toml::from_str(text).map(lines).unwrap_or_default(),
            rules,
            forbids,
        }
    }

    fn top(&self, key: &str) -> Option<usize> {
        self.top.get(key).copied()
    }

    /// The line of `key` in rule (or forbid rule) `i`, else the entry's first line.
    fn entry(&self, kind: Kind, i: usize, key: &str) -> Option<usize> {
        let keys = match kind {
            Kind::Rule => self.rules.get(i)?,
            Kind::Forbid => self.forbids.get(i)?,
        };
        keys.get(key).or_else(|| keys.values().min()).copied()
    }
}
