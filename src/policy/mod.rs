//! The rules file: loading and linting it, deciding the tier of one set of facts, explaining
//! that decision, running the rules' own test cases, and timing the evaluator.
//!
//! Rules are evalexpr expressions (pinned to 11.3.1, the last MIT release) over declared facts.
//! The tier is the maximum over matching rules; no match means `default_tier`. Absent facts are
//! NaN / "" / false so that comparisons with them are false; a rule that errors raises the
//! operation to tier 3 and is reported. Each rule is compiled at load time into a form that
//! reads facts by slot ([`compile`]); rules calling a built-in function run on evalexpr itself.
//! Nothing here does I/O: callers read files and hand over text.

pub mod bench;
pub mod cases;
pub mod compile;
pub mod explain;
pub mod facts;
pub mod lint;
pub mod load;
pub mod syntax;

use std::path::Path;

use evalexpr::{HashMapContext, Node};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, IoContext, Result};
use facts::Slots;
pub use facts::{FACTS, FactType};
use lint::Eval;
pub use load::Finding;
use syntax::render;

/// A rule that matched an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedRule {
    pub id: String,
    pub tier: u8,
    pub description: String,
}

/// How tier 3's approval is made stronger than tier 2's (`approval.tier3` in the config file,
/// parsed when it is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier3 {
    TwoApprovers,
    ApproverAndPhrase,
}

impl Tier3 {
    pub fn name(self) -> &'static str {
        match self {
            Tier3::TwoApprovers => "two_approvers",
            Tier3::ApproverAndPhrase => "approver_and_phrase",
        }
    }
}

/// How a human is asked to approve (`--approval`, and `approval.method` in the config file,
/// parsed when the file is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalMethod {
    /// Ask at this terminal
    Tty,
    /// Auth0 CIBA push to the approver's device
    Ciba,
}

impl ApprovalMethod {
    /// The name a plan and a receipt record.
    pub fn name(self) -> &'static str {
        match self {
            ApprovalMethod::Tty => "tty",
            ApprovalMethod::Ciba => "ciba",
        }
    }
}

/// The rules the binary embeds, used when no rules file is given.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");

/// Where the embedded default rules say they come from.
pub const EMBEDDED_ORIGIN: &str = "<embedded default>";

/// The tier a rule error forces.
pub const ERROR_TIER: u8 = MAX_TIER;

/// The most restrictive tier.
pub const MAX_TIER: u8 = 3;

/// One rule of a loaded file.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub tier: u8,
    pub when: String,
    node: Node,
    eval: Eval,
}

impl Rule {
    /// Whether the compiled evaluator runs this rule (false: evalexpr interprets it).
    pub fn is_compiled(&self) -> bool {
        matches!(self.eval, Eval::Compiled(_))
    }
}

/// A loaded rules file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub default_tier: u8,
    pub auto_approve_max_tier: u8,
    pub rules: Vec<Rule>,
    /// `[[forbid]]` rules: checked on the end state of every written row; a match refuses the
    /// plan whatever the approval.
    pub forbids: Vec<Rule>,
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

/// One rule's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Matched,
    NotMatched,
    /// The rule failed to evaluate (evalexpr's message); the operation becomes tier 3.
    Failed(String),
}

impl RuleSet {
    /// Loads the rules file at `path`, or the embedded default.
    pub fn load(path: Option<&Path>) -> Result<RuleSet> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).io_context("reading the rules file", p)?;
                Self::parse(&text, &p.display().to_string())
            }
            None => Self::parse(DEFAULT_RULES, EMBEDDED_ORIGIN),
        }
    }

    /// Parses and lints a rules file; any finding is an error that lists all of them.
    pub fn parse(text: &str, origin: &str) -> Result<RuleSet> {
        Self::check(text, origin).map_err(|findings| {
            let list: Vec<String> = findings.iter().map(|f| format!("  {f}")).collect();
            Error::input(format!(
                "the rules file {origin} has {} problem(s):\n{}",
                findings.len(),
                list.join("\n")
            ))
            .hint(format!(
                "run `changeset rules check {origin}` after fixing it"
            ))
        })
    }

    /// Parses and lints a rules file, returning every finding on failure.
    pub fn check(text: &str, origin: &str) -> std::result::Result<RuleSet, Vec<Finding>> {
        let parsed = load::parse(text)?;
        Ok(RuleSet {
            default_tier: parsed.default_tier,
            auto_approve_max_tier: parsed.auto_approve_max_tier,
            rules: parsed.rules,
            forbids: parsed.forbids,
            origin: origin.to_string(),
            sha256: crate::digest::sha256_prefixed(text.as_bytes()),
        })
    }

    /// Decides the tier of one set of facts, with the matched rules and any rule errors.
    pub fn decide(&self, facts: &Map<String, Value>) -> Decision {
        let slots = Slots::bind(facts);
        let mut context = None;
        let mut matched = Vec::new();
        let mut errors = Vec::new();
        for rule in &self.rules {
            match self.outcome(rule, &slots, &mut context) {
                Outcome::Matched => matched.push(MatchedRule {
                    id: rule.id.clone(),
                    tier: rule.tier,
                    description: rule.description.clone(),
                }),
                Outcome::NotMatched => {}
                Outcome::Failed(e) => errors.push(format!("{}: {e}", rule.id)),
            }
        }
        let tier = if errors.is_empty() {
            self.combine(matched.iter().map(|m| m.tier))
        } else {
            ERROR_TIER
        };
        Decision {
            tier,
            matched,
            errors,
        }
    }

    /// The forbid rules that match one set of facts. A forbid rule that fails to evaluate
    /// forbids too (with its error): a check that cannot run must not let the plan through.
    pub fn forbidden(&self, facts: &Map<String, Value>) -> Vec<MatchedRule> {
        self.forbidden_in(&Slots::bind(facts))
    }

    /// [`RuleSet::forbidden`] on facts already bound (a plan binds an operation's facts once
    /// and each written row's end state over them).
    pub fn forbidden_in(&self, slots: &Slots) -> Vec<MatchedRule> {
        let mut context = None;
        self.forbids
            .iter()
            .filter_map(|rule| {
                let description = match self.outcome(rule, slots, &mut context) {
                    Outcome::Matched => rule.description.clone(),
                    Outcome::NotMatched => return None,
                    Outcome::Failed(e) => format!("{} (the rule failed: {e})", rule.description),
                };
                Some(MatchedRule {
                    id: rule.id.clone(),
                    tier: rule.tier,
                    description,
                })
            })
            .collect()
    }

    /// Only the tier: the allocation-free path for bulk scoring and the benchmark.
    pub fn tier_of(&self, facts: &Map<String, Value>) -> u8 {
        let slots = Slots::bind(facts);
        let mut context = None;
        let mut tier: Option<u8> = None;
        for rule in &self.rules {
            let matched = match &rule.eval {
                Eval::Compiled(expr) => match expr.eval_bool(&slots) {
                    Ok(m) => m,
                    Err(_) => return ERROR_TIER,
                },
                Eval::Interpreted => {
                    let ctx = context.get_or_insert_with(|| slots.to_context());
                    match rule.node.eval_boolean_with_context(ctx) {
                        Ok(m) => m,
                        Err(_) => return ERROR_TIER,
                    }
                }
            };
            if matched {
                if rule.tier >= MAX_TIER {
                    // Nothing can raise it further, and an error would only force the same tier.
                    return MAX_TIER;
                }
                tier = Some(tier.map_or(rule.tier, |t| t.max(rule.tier)));
            }
        }
        tier.unwrap_or(self.default_tier)
    }

    /// The tier as evalexpr alone decides it (a context per call, every rule interpreted): the
    /// reference the compiled evaluator is compared with.
    pub fn tier_interpreted(&self, facts: &Map<String, Value>) -> u8 {
        let context = Slots::bind(facts).to_context();
        let mut tiers = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            match rule.node.eval_boolean_with_context(&context) {
                Ok(true) => tiers.push(rule.tier),
                Ok(false) => {}
                Err(_) => return ERROR_TIER,
            }
        }
        self.combine(tiers.into_iter())
    }

    /// Most restrictive wins; nothing matched means the default tier.
    fn combine(&self, tiers: impl Iterator<Item = u8>) -> u8 {
        tiers.max().unwrap_or(self.default_tier)
    }

    /// One rule's result on bound facts. `context` is built on first need (interpreted rules,
    /// and evalexpr's message for a compiled rule that failed).
    fn outcome(
        &self,
        rule: &Rule,
        slots: &Slots<'_>,
        context: &mut Option<HashMapContext>,
    ) -> Outcome {
        if let Eval::Compiled(expr) = &rule.eval
            && let Ok(matched) = expr.eval_bool(slots)
        {
            return if matched {
                Outcome::Matched
            } else {
                Outcome::NotMatched
            };
        }
        let ctx = context.get_or_insert_with(|| slots.to_context());
        match rule.node.eval_boolean_with_context(ctx) {
            Ok(true) => Outcome::Matched,
            Ok(false) => Outcome::NotMatched,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }
}

impl Rule {
    /// The expression as parsed, printed back (for messages).
    pub fn rendered(&self) -> String {
        render(&self.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn default_rules_are_all_compiled() {
        let rules = RuleSet::load(None).unwrap();
        assert_eq!(rules.rules.len(), 9);
        assert_eq!(rules.forbids.len(), 2);
        assert!(rules.rules.iter().all(Rule::is_compiled));
    }

    #[test]
    fn a_failing_rule_forces_tier_3_with_evalexprs_message() {
        let text = DEFAULT_RULES.to_string()
            + "\n[[rule]]\nid = \"divides\"\ntier = 0\nwhen = 'affected_records > 0 && 10 / (affected_records - 2) > 1'\n";
        // 10 / (affected_records - 2) is fine on every sample, so the lint lets it through.
        let rules = RuleSet::parse(&text, "t").unwrap();
        let f = facts(json!({"operation_type": "read", "affected_records": 2}));
        let d = rules.decide(&f);
        assert_eq!(d.tier, 3);
        assert_eq!(d.errors.len(), 1);
        assert!(d.errors[0].starts_with("divides: "), "{:?}", d.errors);
        assert_eq!(rules.tier_of(&f), 3);
        assert_eq!(rules.tier_interpreted(&f), 3);
    }

    #[test]
    fn compiled_and_interpreted_tiers_agree_on_the_original_vectors() {
        let rules = RuleSet::load(None).unwrap();
        for (f, tier) in [
            (json!({"operation_type": "read"}), 0),
            (json!({"operation_type": "notify"}), 1),
            (json!({"operation_type": "write", "affected_records": 1}), 2),
            (json!({"operation_type": "write", "affected_records": 2}), 3),
            (
                json!({"operation_type": "write", "affected_records": 1, "price_change_percent": 25}),
                2,
            ),
            (
                json!({"operation_type": "write", "affected_records": 1, "price_change_percent": 25.01}),
                3,
            ),
            (
                json!({"operation_type": "write", "affected_records": 1, "user_stress_level": 0.7}),
                2,
            ),
            (
                json!({"operation_type": "write", "affected_records": 1, "session_duration_minutes": 60}),
                2,
            ),
            (json!({"operation_type": "write"}), 3),
            (json!({"operation_type": "delete"}), 3),
        ] {
            let f = facts(f);
            assert_eq!(rules.tier_of(&f), tier, "{f:?}");
            assert_eq!(rules.tier_interpreted(&f), tier, "{f:?}");
            assert_eq!(rules.decide(&f).tier, tier, "{f:?}");
        }
    }
}
