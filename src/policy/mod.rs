//! The rules file: loading, and deciding the tier of one set of facts.
//!
//! Rules are evalexpr expressions (pinned to 11.3.1, the last MIT release). The tier is the
//! maximum over matching rules; no match means `default_tier`. Absent facts are NaN / "" so that
//! comparisons with them are false; a rule that errors raises the operation to tier 3.

use std::path::Path;

use evalexpr::{ContextWithMutableVariables, HashMapContext, Node, Value as EValue};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Error, IoContext, Result};
use crate::plan::MatchedRule;

/// The rules the binary embeds, used when no rules file is given.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");

/// The tier a rule error forces.
pub const ERROR_TIER: u8 = 3;

/// The facts rules may read, with their types. Any other identifier is an error.
pub const FACTS: &[(&str, FactType)] = &[
    ("operation_type", FactType::Text),
    ("action", FactType::Text),
    ("affected_records", FactType::Number),
    ("price_change_percent", FactType::Number),
    ("user_stress_level", FactType::Number),
    ("session_duration_minutes", FactType::Number),
    ("hour_utc", FactType::Number),
    ("pii_detected", FactType::Bool),
    ("plan_affected_records", FactType::Number),
    ("plan_operation_count", FactType::Number),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    Number,
    Text,
    Bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    format_version: u32,
    #[serde(default = "three")]
    default_tier: u8,
    #[serde(default = "one")]
    auto_approve_max_tier: u8,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleEntry>,
}

fn three() -> u8 {
    3
}

fn one() -> u8 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    #[serde(default)]
    description: String,
    tier: u8,
    when: String,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub tier: u8,
    pub when: String,
    node: Node,
}

/// A loaded rules file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub default_tier: u8,
    pub auto_approve_max_tier: u8,
    pub rules: Vec<Rule>,
    /// Where the rules came from (`<embedded default>` or a path).
    pub origin: String,
    /// SHA-256 of the file's bytes, `sha256:`-prefixed.
    pub sha256: String,
}

/// The outcome for one set of facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub tier: u8,
    pub matched: Vec<MatchedRule>,
    /// "rule-id: message" for each rule that failed to evaluate.
    pub errors: Vec<String>,
}

impl RuleSet {
    /// Loads the rules file at `path`, or the embedded default.
    pub fn load(path: Option<&Path>) -> Result<RuleSet> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).io_context("reading the rules file", p)?;
                Self::parse(&text, &p.display().to_string())
            }
            None => Self::parse(DEFAULT_RULES, "<embedded default>"),
        }
    }

    pub fn parse(text: &str, origin: &str) -> Result<RuleSet> {
        let file: RulesFile = toml::from_str(text)
            .map_err(|e| Error::input(format!("rules file {origin}: {}", e.message().trim())))?;
        if file.format_version != 1 {
            return Err(Error::input(format!(
                "rules file {origin}: format_version {} is not supported (expected 1)",
                file.format_version
            )));
        }
        for (name, tier) in [
            ("default_tier", file.default_tier),
            ("auto_approve_max_tier", file.auto_approve_max_tier),
        ] {
            if tier > 3 {
                return Err(Error::input(format!(
                    "rules file {origin}: {name} = {tier} is outside 0-3"
                )));
            }
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        for entry in file.rules {
            if entry.tier > 3 {
                return Err(Error::input(format!(
                    "rules file {origin}: rule `{}` has tier {} outside 0-3",
                    entry.id, entry.tier
                )));
            }
            let node = evalexpr::build_operator_tree(&entry.when).map_err(|e| {
                Error::input(format!(
                    "rules file {origin}: rule `{}`: cannot parse `{}`: {e}",
                    entry.id, entry.when
                ))
            })?;
            rules.push(Rule {
                id: entry.id,
                description: entry.description,
                tier: entry.tier,
                when: entry.when,
                node,
            });
        }
        Ok(RuleSet {
            default_tier: file.default_tier,
            auto_approve_max_tier: file.auto_approve_max_tier,
            rules,
            origin: origin.to_string(),
            sha256: crate::receipt::sha256_prefixed(text.as_bytes()),
        })
    }

    /// Decides the tier of one set of facts.
    pub fn decide(&self, facts: &Map<String, Value>) -> Decision {
        let context = context(facts);
        let mut matched = Vec::new();
        let mut errors = Vec::new();
        for rule in &self.rules {
            match rule.node.eval_boolean_with_context(&context) {
                Ok(true) => matched.push(MatchedRule {
                    id: rule.id.clone(),
                    tier: rule.tier,
                    description: rule.description.clone(),
                }),
                Ok(false) => {}
                Err(e) => errors.push(format!("{}: {e}", rule.id)),
            }
        }
        let mut tier = matched
            .iter()
            .map(|m| m.tier)
            .max()
            .unwrap_or(self.default_tier);
        if !errors.is_empty() {
            tier = ERROR_TIER;
        }
        Decision {
            tier,
            matched,
            errors,
        }
    }
}

/// Binds every declared fact: present ones from the JSON, absent ones as NaN / "" / false.
fn context(facts: &Map<String, Value>) -> HashMapContext {
    let mut ctx = HashMapContext::new();
    for (name, kind) in FACTS {
        let value = match (kind, facts.get(*name)) {
            (FactType::Number, Some(Value::Number(n))) => match n.as_i64() {
                Some(i) => EValue::Int(i),
                None => EValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            (FactType::Number, _) => EValue::Float(f64::NAN),
            (FactType::Text, Some(Value::String(s))) => EValue::String(s.clone()),
            (FactType::Text, _) => EValue::String(String::new()),
            (FactType::Bool, Some(Value::Bool(b))) => EValue::Boolean(*b),
            (FactType::Bool, _) => EValue::Boolean(false),
        };
        ctx.set_value((*name).to_string(), value)
            .expect("a fresh context accepts every value");
    }
    ctx
}
