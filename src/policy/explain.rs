//! `rules explain`: every rule's result for one set of facts, matched or not, with the values
//! it read, and how the tier follows from them.

use serde::Serialize;
use serde_json::{Map, Value};

use super::facts::{FACTS, Slots};
use super::{ERROR_TIER, Outcome, RuleSet, lint};

/// A fact as the rules saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactValue {
    pub name: String,
    /// The bound value; `null` for an absent number (NaN).
    pub value: Value,
    /// True when the facts did not give it (or gave it with the wrong type).
    pub absent: bool,
}

/// One rule's trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTrace {
    pub id: String,
    pub tier: u8,
    pub when: String,
    /// `matched`, `not_matched` or `error`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub reads: Vec<FactValue>,
}

/// The whole explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub rules: String,
    pub rules_sha256: String,
    pub tier: u8,
    /// Why the tier is what it is, in one sentence.
    pub reason: String,
    pub facts: Vec<FactValue>,
    /// Keys of the facts object that are not declared facts (no rule can read them).
    pub ignored: Vec<String>,
    pub trace: Vec<RuleTrace>,
    /// True when a forbid rule matched (or failed): a plan with such a row is refused.
    pub forbidden: bool,
    /// Every forbid rule's result on the same facts (the end state of a row).
    pub forbids: Vec<RuleTrace>,
}

impl RuleSet {
    pub fn explain(&self, facts: &Map<String, Value>) -> Explanation {
        let slots = Slots::bind(facts);
        let fact = |slot: usize| FactValue {
            name: FACTS[slot].0.to_string(),
            value: slots.get(slot).to_json(),
            absent: !slots.is_present(slot),
        };
        let mut context = None;
        let mut traced = |rule: &super::Rule| {
            let (result, error) = match self.outcome(rule, &slots, &mut context) {
                Outcome::Matched => ("matched", None),
                Outcome::NotMatched => ("not_matched", None),
                Outcome::Failed(e) => ("error", Some(e)),
            };
            RuleTrace {
                id: rule.id.clone(),
                tier: rule.tier,
                when: rule.when.clone(),
                result,
                error,
                reads: lint::reads(&rule.node).into_iter().map(fact).collect(),
            }
        };
        let trace: Vec<RuleTrace> = self.rules.iter().map(&mut traced).collect();
        let forbids: Vec<RuleTrace> = self.forbids.iter().map(&mut traced).collect();
        let (tier, reason) = self.reason(&trace);
        Explanation {
            rules: self.origin.clone(),
            rules_sha256: self.sha256.clone(),
            tier,
            reason,
            facts: (0..FACTS.len()).map(fact).collect(),
            ignored: facts
                .keys()
                .filter(|k| super::facts::slot_of(k).is_none())
                .cloned()
                .collect(),
            trace,
            forbidden: forbids.iter().any(|t| t.result != "not_matched"),
            forbids,
        }
    }

    fn reason(&self, trace: &[RuleTrace]) -> (u8, String) {
        let failed: Vec<&str> = trace
            .iter()
            .filter(|t| t.result == "error")
            .map(|t| t.id.as_str())
            .collect();
        if !failed.is_empty() {
            return (
                ERROR_TIER,
                format!(
                    "rule(s) {} failed to evaluate, which forces tier {ERROR_TIER}",
                    failed.join(", ")
                ),
            );
        }
        let matched: Vec<&RuleTrace> = trace.iter().filter(|t| t.result == "matched").collect();
        match matched.iter().map(|t| t.tier).max() {
            None => (
                self.default_tier,
                format!("no rule matched: default_tier {}", self.default_tier),
            ),
            Some(tier) => {
                let deciding: Vec<&str> = matched
                    .iter()
                    .filter(|t| t.tier == tier)
                    .map(|t| t.id.as_str())
                    .collect();
                (
                    tier,
                    format!(
                        "the most restrictive matched rule decides: {} (tier {tier})",
                        deciding.join(", ")
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn explains_every_rule_with_the_values_it_read() {
        let rules = RuleSet::load(None).unwrap();
        let facts = json!({"operation_type": "write", "affected_records": 1, "price_change_percent": 30, "sku": "X"});
        let e = rules.explain(facts.as_object().unwrap());
        assert_eq!(e.tier, 3);
        assert_eq!(e.trace.len(), rules.rules.len());
        assert_eq!(e.ignored, vec!["sku".to_string()]);
        let big = e
            .trace
            .iter()
            .find(|t| t.id == "write-large-price-change")
            .unwrap();
        assert_eq!(big.result, "matched");
        assert_eq!(big.reads[1].value, json!(30));
        let stressed = e
            .trace
            .iter()
            .find(|t| t.id == "stressed-user-write-escalation")
            .unwrap();
        assert_eq!(stressed.result, "not_matched");
        assert!(stressed.reads[1].absent);
        assert_eq!(stressed.reads[1].value, Value::Null);
        assert!(e.reason.contains("write-large-price-change"));
    }
}
