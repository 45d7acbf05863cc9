//! `rules bench`: times the evaluator on parsed fact records and reports exactly what the
//! peer benchmark (`json-rules-engine`, `../shared/bench/policy-peer/peer.js`) reports, so the
//! two can be compared line by line: equal digests first, then speed.
//!
//! As in peer.js, only the evaluation loop is timed: the records are already parsed JSON
//! objects, and each evaluation binds the object's facts and runs every rule.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::RuleSet;
use crate::error::{Error, IoContext, Result};

/// Which evaluator to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The compiled evaluator (what `plan` and `apply` use).
    Compiled,
    /// evalexpr's own tree walk with a fresh context per record: the baseline.
    Interpreted,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Compiled => "changeset-compiled",
            Engine::Interpreted => "changeset-evalexpr",
        }
    }
}

/// The keys of peer.js's output line, in its order.
pub const PEER_KEYS: [&str; 6] = [
    "engine",
    "evals",
    "seconds",
    "evals_per_sec",
    "tier_counts",
    "digest",
];

/// peer.js's output, key for key and in its order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchResult {
    pub engine: &'static str,
    pub evals: usize,
    pub seconds: f64,
    pub evals_per_sec: u64,
    pub tier_counts: TierCounts,
    /// SHA-256 (hex) of the decided tiers, one ASCII digit per record, in order.
    pub digest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TierCounts {
    #[serde(rename = "0")]
    pub t0: usize,
    #[serde(rename = "1")]
    pub t1: usize,
    #[serde(rename = "2")]
    pub t2: usize,
    #[serde(rename = "3")]
    pub t3: usize,
}

/// Decides every record once, timing only that loop.
pub fn run(rules: &RuleSet, records: &[Map<String, Value>], engine: Engine) -> BenchResult {
    let mut tiers = Vec::with_capacity(records.len());
    let start = Instant::now();
    match engine {
        Engine::Compiled => tiers.extend(records.iter().map(|r| rules.tier_of(r))),
        Engine::Interpreted => tiers.extend(records.iter().map(|r| rules.tier_interpreted(r))),
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut counts = TierCounts::default();
    for tier in &tiers {
        match tier {
            0 => counts.t0 += 1,
            1 => counts.t1 += 1,
            2 => counts.t2 += 1,
            _ => counts.t3 += 1,
        }
    }
    let digits: Vec<u8> = tiers.iter().map(|t| b'0' + t).collect();
    BenchResult {
        engine: engine.name(),
        evals: records.len(),
        seconds,
        evals_per_sec: if seconds > 0.0 {
            (records.len() as f64 / seconds).round() as u64
        } else {
            0
        },
        tier_counts: counts,
        digest: hex::encode(Sha256::digest(&digits)),
    }
}

/// The records of a JSON Lines facts file: one object of facts a line.
pub fn read_facts(path: &Path) -> Result<Vec<Map<String, Value>>> {
    let text = std::fs::read_to_string(path).io_context("reading the facts file", path)?;
    let mut records = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str(line) {
            Ok(Value::Object(map)) => records.push(map),
            _ => {
                return Err(Error::input(format!(
                    "{}:{}: not a JSON object of facts",
                    path.display(),
                    i + 1
                ))
                .hint("the facts file is JSON Lines: one object per line (see gen-facts.js)"));
            }
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_output_has_peer_js_keys_in_its_order_and_its_digest_rule() {
        let rules = RuleSet::load(None).unwrap();
        let records: Vec<Map<String, Value>> = [
            json!({"operation_type": "read"}),
            json!({"operation_type": "write", "affected_records": 2}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        for engine in [Engine::Compiled, Engine::Interpreted] {
            let r = run(&rules, &records, engine);
            let line = serde_json::to_string(&r).unwrap();
            let keys = PEER_KEYS;
            let positions: Vec<usize> = keys
                .iter()
                .map(|k| line.find(&format!("\"{k}\"")).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
            assert_eq!(
                r.tier_counts,
                TierCounts {
                    t0: 1,
                    t1: 0,
                    t2: 0,
                    t3: 1
                }
            );
            assert_eq!(r.digest, hex::encode(Sha256::digest(b"03")));
        }
    }
}
