//! Rephrasing suggestions (issue 16): every request of every corpus that is refused is planned
//! again with each "did you mean: `...`?" it printed, and each suggestion must plan. Requests of
//! the held-out blind set are named only by id, so a failure here does not reveal them.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, repo_root, run};

/// (cases, catalog, whether the requests may be printed).
fn corpora() -> Vec<(PathBuf, PathBuf, bool)> {
    let vendored = repo_root().join("tests/corpus");
    let shared = repo_root().join("../shared/corpus");
    let dev = if shared.join("dev.jsonl").is_file() {
        shared
    } else {
        vendored.clone()
    };
    vec![
        (dev.join("dev.jsonl"), dev.join("catalog.csv"), true),
        (
            vendored.join("extra.jsonl"),
            vendored.join("extra-catalog.csv"),
            true,
        ),
        (
            vendored.join("blind-tune.jsonl"),
            vendored.join("blind-catalog.csv"),
            true,
        ),
        (
            vendored.join("blind.jsonl"),
            vendored.join("blind-catalog.csv"),
            false,
        ),
    ]
}

fn plan(env: &TestEnv, catalog: &Path, request: &str) -> (i32, String) {
    let (code, _, stderr) = run(env
        .cmd()
        .args(["plan", request, "--format", "text", "--source"])
        .arg(catalog));
    (code, stderr)
}

/// The suggestions a refusal printed.
fn suggestions(stderr: &str) -> Vec<String> {
    stderr
        .match_indices("did you mean: `")
        .filter_map(|(i, m)| {
            let rest = &stderr[i + m.len()..];
            rest.find("`?").map(|end| rest[..end].to_string())
        })
        .collect()
}

#[test]
fn every_printed_suggestion_plans() {
    let env = TestEnv::new();
    let mut refused = 0;
    let mut suggested = 0;
    let mut failures = Vec::new();
    for (cases, catalog, printable) in corpora() {
        let text = std::fs::read_to_string(&cases)
            .unwrap_or_else(|e| panic!("reading {}: {e}", cases.display()));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line).expect("a JSON case");
            let id = case["id"].as_str().unwrap_or("?");
            let request = case["request"].as_str().expect("a request");
            let (code, stderr) = plan(&env, &catalog, request);
            if code == 0 {
                continue;
            }
            refused += 1;
            for s in suggestions(&stderr) {
                suggested += 1;
                let (code, err) = plan(&env, &catalog, &s);
                if code != 0 {
                    failures.push(if printable {
                        format!("{id}: {request:?} suggested {s:?}, which is refused: {err}")
                    } else {
                        format!("{id} (blind): its suggestion is refused")
                    });
                }
            }
        }
    }
    assert!(refused > 0, "no corpus request was refused");
    assert!(suggested > 0, "no refusal printed a suggestion");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_misunderstood_verb_gets_a_rephrasing_and_a_negation_does_not() {
    let env = TestEnv::new();
    let catalog = env.catalog();
    let (code, stderr) = plan(&env, &catalog, "extend the Cloud Runner sale at $99");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        suggestions(&stderr),
        ["put Cloud Runner on promo at $99"],
        "{stderr}"
    );
    let (code, stderr) = plan(
        &env,
        &catalog,
        "frobnicate the promo on STR-003 so it is over",
    );
    assert_eq!(code, 1);
    assert_eq!(
        suggestions(&stderr),
        ["end the promo on STR-003"],
        "{stderr}"
    );
    let (code, stderr) = plan(&env, &catalog, "do not end the promo on STR-003");
    assert_eq!(code, 1);
    assert!(suggestions(&stderr).is_empty(), "{stderr}");
}
