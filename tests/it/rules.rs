//! The rules file as users meet it: `rules check | test | explain | bench`, and what a rule
//! error does to `plan` (issue: policy engine).

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, filters, repo_root, run, transcript};

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(name, text);
    });
}

/// A rules file of one rule with this `when` (and any extra TOML lines), written in the env.
fn one_rule(env: &TestEnv, when: &str, extra: &str) -> PathBuf {
    let path = env.path().join("rules.toml");
    let text = format!(
        "format_version = 1\n{extra}\n[[rule]]\nid = \"under-test\"\ntier = 2\nwhen = '''{when}'''\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn check(env: &TestEnv, path: &Path) -> String {
    transcript(env.cmd().args(["rules", "check"]).arg(path))
}

#[test]
fn check_accepts_the_default_rules() {
    let env = TestEnv::new();
    let (code, stdout, _) = run(env.cmd().args(["rules", "check"]));
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("ok: <embedded default>: 9 rules, sha256:"),
        "{stdout}"
    );
    let file = repo_root().join("rules/default.toml");
    let (code, _, _) = run(env.cmd().args(["rules", "check"]).arg(&file));
    assert_eq!(code, 0);
}

// One test per defect class `rules check` rejects; the snapshots are the messages users see.

#[test]
fn check_rejects_unknown_fields() {
    let env = TestEnv::new();
    let path = env.path().join("rules.toml");
    std::fs::write(
        &path,
        "format_version = 1\ndefault_teir = 3\n\n[[rule]]\nid = \"r\"\ntier = 1\nwhen = 'true'\nowner = \"ops\"\n",
    )
    .unwrap();
    snapshot("check_unknown_fields", &check(&env, &path));
}

#[test]
fn check_rejects_unknown_identifiers() {
    let env = TestEnv::new();
    let path = one_rule(
        &env,
        r#"operation_type == "write" && price_change_pct > 25"#,
        "",
    );
    snapshot("check_unknown_identifier", &check(&env, &path));
}

#[test]
fn check_rejects_unknown_functions() {
    let env = TestEnv::new();
    let path = one_rule(
        &env,
        r#"str::regex_matches(action, "price") && random() > 0.5"#,
        "",
    );
    snapshot("check_unknown_function", &check(&env, &path));
}

#[test]
fn check_rejects_assignments() {
    let env = TestEnv::new();
    let path = one_rule(&env, "affected_records = 1", "");
    snapshot("check_assignment", &check(&env, &path));
    let path = one_rule(&env, "affected_records += 1", "");
    assert!(check(&env, &path).contains("assignment `affected_records += 1` is not allowed"));
}

#[test]
fn check_rejects_chained_statements() {
    let env = TestEnv::new();
    let path = one_rule(&env, r#"operation_type == "write"; true"#, "");
    snapshot("check_chain", &check(&env, &path));
}

#[test]
fn check_rejects_duplicate_ids() {
    let env = TestEnv::new();
    let path = env.path().join("rules.toml");
    let text = format!(
        "{}\n[[rule]]\nid = \"write-bulk-records\"\ntier = 3\nwhen = 'affected_records > 100'\n",
        changeset::policy::DEFAULT_RULES
    );
    std::fs::write(&path, text).unwrap();
    snapshot("check_duplicate_id", &check(&env, &path));
}

#[test]
fn check_rejects_tiers_outside_0_to_3() {
    let env = TestEnv::new();
    let path = env.path().join("rules.toml");
    std::fs::write(
        &path,
        "format_version = 1\nauto_approve_max_tier = 4\n\n[[rule]]\nid = \"r\"\ntier = 7\nwhen = 'true'\n\n[[rule]]\nid = \"s\"\ntier = -1\nwhen = 'true'\n",
    )
    .unwrap();
    snapshot("check_tier_range", &check(&env, &path));
}

#[test]
fn check_rejects_oversized_expressions_before_parsing_them() {
    let env = TestEnv::new();
    // 100,000 nested parentheses overflow evalexpr's parser stack and abort the process; the
    // caps turn them into ordinary findings.
    let deep = format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000));
    let path = one_rule(&env, &deep, "");
    snapshot("check_too_long", &check(&env, &path));
    let deep = format!("{}true{}", "(".repeat(40), ")".repeat(40));
    let path = one_rule(&env, &deep, "");
    snapshot("check_too_deep", &check(&env, &path));
    let path = one_rule(&env, &format!("{}true", "!".repeat(200)), "");
    snapshot("check_too_many_operators", &check(&env, &path));
}

#[test]
fn check_rejects_type_errors() {
    let env = TestEnv::new();
    let path = one_rule(&env, r#"operation_type > 1"#, "");
    snapshot("check_type_error", &check(&env, &path));
    let path = one_rule(&env, "affected_records * 2", "");
    snapshot("check_not_boolean", &check(&env, &path));
    // Interpreted rules (they call a function) are checked by running them on typed samples.
    let path = one_rule(&env, "str::trim(affected_records) == \"1\"", "");
    snapshot("check_sample_failure", &check(&env, &path));
}

#[test]
fn check_reports_in_json_with_lines_and_rule_ids() {
    let env = TestEnv::new();
    let path = one_rule(&env, "plan_size > 1", "");
    let (code, stdout, _) = run(env
        .cmd()
        .args(["rules", "check", "--format", "json"])
        .arg(&path));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["problems"][0]["line"], 6);
    assert_eq!(report["problems"][0]["rule"], "under-test");
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown fact `plan_size`")
    );
}

#[test]
fn a_broken_rules_file_stops_plan_before_it_reads_anything() {
    let env = TestEnv::new();
    let path = one_rule(&env, "x = 1", "");
    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["plan", "put STR-001 on 20% off"])
        .arg("--rules")
        .arg(&path));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("has 1 problem(s)"), "{stderr}");
    assert!(
        stderr.contains("rule `under-test`: assignment `x = 1`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: run `changeset rules check"),
        "{stderr}"
    );
}

#[test]
fn test_passes_on_the_shipped_rules_embedded_and_from_the_source_tree() {
    let env = TestEnv::new();
    let embedded = transcript(env.cmd().args(["rules", "test"]));
    snapshot("test_default_rules", &embedded);
    // --rules rules/default.toml reads rules/tests/ next to it: the same cases, the same result.
    let (code, stdout, _) = run(env
        .cmd()
        .args(["rules", "test"])
        .arg("--rules")
        .arg(repo_root().join("rules/default.toml")));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("40 passed, 0 failed"), "{stdout}");
}

#[test]
fn test_fails_when_a_case_is_changed() {
    let env = TestEnv::new();
    let dir = env.path().join("cases");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(repo_root().join("rules/tests")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let boundaries = dir.join("boundaries.toml");
    let text = std::fs::read_to_string(&boundaries).unwrap();
    // "25% is not above the threshold" claims tier 3 now.
    let changed = text.replacen(
        "price_change_percent = 25.0 }\nexpect_tier = 2",
        "price_change_percent = 25.0 }\nexpect_tier = 3",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&boundaries, changed).unwrap();
    let (code, stdout, _) = run(env.cmd().args(["rules", "test"]).arg(&dir));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "FAIL  boundaries.toml  25% is not above the threshold\n        expected tier 3, got 2"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("39 passed, 1 failed"), "{stdout}");

    let (code, stdout, _) = run(env
        .cmd()
        .args(["rules", "test", "--format", "json"])
        .arg(&dir));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["failed"], 1);
}

#[test]
fn test_reports_rules_no_case_matches() {
    let env = TestEnv::new();
    let dir = env.path().join("cases");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("reads.toml"),
        "[[case]]\nname = \"read\"\nfacts = { operation_type = \"read\" }\nexpect_tier = 0\n",
    )
    .unwrap();
    let (code, stdout, _) = run(env.cmd().args(["rules", "test"]).arg(&dir));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("not matched by any case: notify-auto-approve, write-single-record"),
        "{stdout}"
    );
}

#[test]
fn the_eleven_original_vectors_pass_one_by_one() {
    // The vectors file is also run as a whole above; here each case must be present and pass.
    let env = TestEnv::new();
    let dir = env.path().join("cases");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(
        repo_root().join("rules/tests/original-vectors.toml"),
        dir.join("original-vectors.toml"),
    )
    .unwrap();
    let (code, stdout, _) = run(env
        .cmd()
        .args(["rules", "test", "--format", "json"])
        .arg(&dir));
    assert_eq!(code, 0, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tiers: Vec<(u64, u64)> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["expect_tier"].as_u64().unwrap(),
                c["tier"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        [0, 1, 2, 3, 3, 2, 3, 3, 3, 3, 3].map(|t| (t, t)).to_vec()
    );
}

#[test]
fn explain_shows_every_rule_and_the_values_it_read() {
    let env = TestEnv::new();
    let out = transcript(env.cmd().args([
        "rules",
        "explain",
        "--facts",
        r#"{"operation_type": "write", "affected_records": 1, "price_change_percent": 25, "user_stress_level": 0.8}"#,
    ]));
    snapshot("explain_facts", &out);
    let (code, stdout, _) = run(env.cmd().args([
        "rules",
        "explain",
        "--format",
        "json",
        "--facts",
        r#"{"operation_type": "delete"}"#,
    ]));
    assert_eq!(code, 0);
    let e: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(e["tier"], 3);
    assert_eq!(e["reason"], "no rule matched: default_tier 3");
    assert_eq!(e["trace"].as_array().unwrap().len(), 9);
    assert_eq!(e["forbids"].as_array().unwrap().len(), 2);
    assert!(
        e["trace"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["result"] == "not_matched")
    );
}

/// A rule that passes every lint sample but divides by zero at 12:00 UTC (the tests' clock).
const NOON_DIVIDES: &str = "10 / (hour_utc - 12) > 1";

fn rules_failing_at_noon(env: &TestEnv) -> PathBuf {
    let path = env.path().join("rules.toml");
    let text = format!(
        "{}\n[[rule]]\nid = \"noon-divides\"\ndescription = \"fails at 12:00\"\ntier = 0\nwhen = '{NOON_DIVIDES}'\n",
        changeset::policy::DEFAULT_RULES
    );
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = run(env.cmd().args(["rules", "check"]).arg(&path));
    assert_eq!(code, 0, "the lint cannot see this one coming: {stderr}");
    path
}

#[test]
fn a_rule_that_errors_at_run_time_makes_the_operation_tier_3_in_plan_and_explain() {
    let env = TestEnv::new();
    let rules = rules_failing_at_noon(&env);
    let plan_file = env.path().join("plan.json");
    let (code, stdout, _) = run(env
        .cmd()
        .args(["plan", "put STR-001 on 20% off", "--rules"])
        .arg(&rules)
        .arg("-o")
        .arg(&plan_file));
    assert_eq!(code, 0);
    assert!(stdout.contains("(tier 3)"), "{stdout}");
    assert!(
        stdout.contains("rule error: noon-divides: Error dividing 10 / 0"),
        "{stdout}"
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(plan["tier"], 3);
    assert_eq!(
        plan["operations"][0]["rule_errors"][0],
        "noon-divides: Error dividing 10 / 0"
    );

    let out = transcript(
        env.cmd()
            .args(["rules", "explain", "--op", "1", "--rules"])
            .arg(&rules)
            .arg("--plan")
            .arg(&plan_file),
    );
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(
        out.contains("Tier 3: rule(s) noon-divides failed to evaluate, which forces tier 3"),
        "{out}"
    );
    assert!(out.contains("ERROR        noon-divides (tier 0)\n  when: 10 / (hour_utc - 12) > 1\n  read: hour_utc = 12\n  error: Error dividing 10 / 0 (forces tier 3)"), "{out}");
}

#[test]
fn explain_refuses_an_operation_the_plan_does_not_have() {
    let env = TestEnv::new();
    let plan_file = env.path().join("plan.json");
    let (code, _, _) = run(env
        .cmd()
        .args(["plan", "put STR-001 on 20% off", "-o"])
        .arg(&plan_file));
    assert_eq!(code, 0);
    let (code, _, stderr) = run(env
        .cmd()
        .args(["rules", "explain", "--op", "9", "--plan"])
        .arg(&plan_file));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("there is no operation 9"), "{stderr}");
}

/// The facts `gen-facts.js N SEED` writes (../shared/bench/policy-peer/), reproduced here so
/// the acceptance digest is checked without Node: xorshift64*, the same draws in the same
/// order, and numbers printed as JavaScript prints them (integral values without a fraction).
fn gen_facts(n: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / 2f64.powi(53)
    };
    let js = |x: f64| {
        if x.fract() == 0.0 {
            format!("{}", x as i64)
        } else {
            serde_json::to_string(&x).unwrap()
        }
    };
    let kinds = ["read", "notify", "write", "write", "write"];
    let mut out = String::new();
    for i in 0..n {
        let kind = kinds[(next() * kinds.len() as f64).floor() as usize];
        out.push_str(&format!("{{\"id\":{i},\"operation_type\":\"{kind}\""));
        if kind == "write" {
            let records = 1.0 + (next().powf(3.0) * 50.0).floor();
            out.push_str(&format!(",\"affected_records\":{}", js(records)));
            if next() < 0.6 {
                let percent = ((next() * 80.0 - 20.0) * 100.0).round() / 100.0;
                out.push_str(&format!(",\"price_change_percent\":{}", js(percent)));
            }
        }
        if next() < 0.3 {
            let stress = (next() * 100.0).round() / 100.0;
            out.push_str(&format!(",\"user_stress_level\":{}", js(stress)));
        }
        if next() < 0.5 {
            let minutes = (next() * 120.0).floor();
            out.push_str(&format!(",\"session_duration_minutes\":{}", js(minutes)));
        }
        out.push_str("}\n");
    }
    out
}

#[test]
fn bench_reaches_the_peer_digest_on_100k_generated_facts() {
    let env = TestEnv::new();
    let facts = env.path().join("facts.jsonl");
    let text = gen_facts(100_000, 42);
    assert!(text.starts_with("{\"id\":0,\"operation_type\":\"notify\"}\n{\"id\":1,\"operation_type\":\"write\",\"affected_records\":23,\"user_stress_level\":0.44,\"session_duration_minutes\":80}\n"));
    std::fs::write(&facts, text).unwrap();
    let (code, stdout, stderr) = run(env.cmd().args(["rules", "bench", "--facts"]).arg(&facts));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = changeset::policy::bench::PEER_KEYS;
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(r["engine"], "changeset-compiled");
    assert_eq!(r["evals"], 100_000);
    assert_eq!(
        r["tier_counts"],
        serde_json::json!({"0": 20268, "1": 20018, "2": 8317, "3": 51397})
    );
    assert_eq!(
        r["digest"],
        "83d511e398f0e64f723dc3a8e521cbde25c7fcab1557fcbb851394cdd503c05b"
    );
}

#[test]
fn bench_gives_the_same_decisions_with_evalexpr_itself() {
    let env = TestEnv::new();
    let facts = env.path().join("facts.jsonl");
    std::fs::write(&facts, gen_facts(5_000, 7)).unwrap();
    let digest = |engine: &str| {
        let (code, stdout, stderr) = run(env
            .cmd()
            .args(["rules", "bench", "--engine", engine, "--facts"])
            .arg(&facts));
        assert_eq!(code, 0, "{stderr}");
        let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        r["digest"].as_str().unwrap().to_string()
    };
    assert_eq!(digest("compiled"), digest("evalexpr"));
}

#[test]
fn bench_names_the_line_that_is_not_facts() {
    let env = TestEnv::new();
    let facts = env.path().join("facts.jsonl");
    std::fs::write(&facts, "{\"operation_type\":\"read\"}\n[1, 2]\n").unwrap();
    let (code, _, stderr) = run(env.cmd().args(["rules", "bench", "--facts"]).arg(&facts));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("facts.jsonl:2: not a JSON object of facts"),
        "{stderr}"
    );
}
