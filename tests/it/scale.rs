//! Large catalogs (issue 18): the plan of a generated 100,000-row catalog stays byte-identical
//! to the golden made before the fast reader, and an apply keeps every untouched byte.

use sha2::{Digest, Sha256};

use crate::support::{TestEnv, repo_root, run};

const GOLDEN_SHA256: &str = include_str!("golden/plan-100k.sha256");
const GOLDEN_HEAD: &str = include_str!("golden/plan-100k.head.json");

/// `scripts/gen-catalog.py ROWS` into the env's catalog (deterministic for a given ROWS).
pub fn generate(env: &TestEnv, rows: usize) {
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("scripts/gen-catalog.py"))
        .arg(rows.to_string())
        .output()
        .expect("python3 is needed to generate the catalog (scripts/gen-catalog.py)");
    assert!(out.status.success(), "gen-catalog.py failed: {out:?}");
    std::fs::write(env.catalog(), out.stdout).expect("write catalog");
}

/// The plan JSON with what differs between runs blanked: the plan id and the catalog's
/// absolute path. Everything else (fingerprint, every change, facts, tiers) is kept.
fn filtered(plan_json: &str) -> String {
    let mut out = String::with_capacity(plan_json.len());
    for line in plan_json.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let comma = if trimmed.ends_with(',') { "," } else { "" };
        if trimmed.starts_with("\"id\": \"CS-") {
            out.push_str(&format!("{indent}\"id\": \"[PLAN_ID]\"{comma}"));
        } else if trimmed.starts_with("\"uri\": ") {
            out.push_str(&format!("{indent}\"uri\": \"[CATALOG]\"{comma}"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[test]
fn plan_of_100k_rows_is_identical_to_the_golden() {
    let env = TestEnv::new();
    generate(&env, 100_000);
    let (code, stdout, stderr) =
        run(env
            .cmd()
            .args(["plan", "take 10% off all running shoes", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let text = filtered(&stdout);
    let head: String = text
        .lines()
        .take(GOLDEN_HEAD.lines().count())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(head, GOLDEN_HEAD, "the first lines of the plan differ");
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    assert_eq!(
        format!("{digest} {} lines\n", text.lines().count()),
        GOLDEN_SHA256,
        "the plan differs from the golden (same first lines)"
    );
}

/// The catalog is indexed on two cores, cut near its middle: a malformed record after the cut
/// is reported as the `csv` crate reports it, and a quoted multi-line cell across the cut is
/// read whole (a walk from inside it would see one-cell records).
#[test]
fn a_catalog_read_in_two_halves_reads_like_one() {
    let env = TestEnv::new();
    generate(&env, 100_000);
    let text = env.catalog_text();
    let plan = |env: &TestEnv| run(env.cmd().args(["plan", "take 10% off all running shoes"]));

    let line = |n: usize| text.split_inclusive('\n').nth(n - 1).unwrap();
    let broken = text.replacen(line(90_001), &line(90_001).replacen(',', "", 1), 1);
    std::fs::write(env.catalog(), broken).unwrap();
    let (code, _, stderr) = plan(&env);
    assert_eq!(code, 1);
    assert!(
        stderr
            .contains("is not valid CSV at line 90001: a row has 7 fields where the header has 8"),
        "{stderr}"
    );

    let middle = text[..text.len() / 2].rfind('\n').unwrap() + 1;
    let sku_end = middle + text[middle..].find(',').unwrap() + 1;
    let name_end = sku_end + text[sku_end..].find(',').unwrap();
    let cell = format!("\"{}\"", "x\n".repeat(200));
    let spanning = format!("{}{cell}{}", &text[..sku_end], &text[name_end..]);
    std::fs::write(env.catalog(), spanning).unwrap();
    let (code, _, stderr) = plan(&env);
    assert_eq!(code, 0, "{stderr}");
}

/// A bulk operation's rows are checked against the forbid rules on two threads (from 20,000
/// changes on): every forbidden row is named, in plan order, as one thread would.
#[test]
fn forbidden_rows_of_a_bulk_plan_are_all_named_in_plan_order() {
    let env = TestEnv::new();
    generate(&env, 150_000);
    let catalog = env.catalog_text();
    // Lowering Running's base prices by 30% leaves each active promo at or above its new base.
    let cents = |text: &str| -> Option<i64> {
        let (units, hundredths) = text.split_once('.')?;
        Some(units.parse::<i64>().ok()? * 100 + hundredths.parse::<i64>().ok()?)
    };
    let expected: Vec<&str> = catalog
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let new_base = (cents(cells[3])? * 70 + 50) / 100;
            let forbidden =
                cells[2] == "Running" && cells[5] == "TRUE" && cents(cells[4])? >= new_base;
            forbidden.then_some(cells[0])
        })
        .collect();
    assert!(
        expected.len() > 1000,
        "the generated catalog has active promos"
    );
    let (code, _, stderr) = run(env
        .cmd()
        .args(["plan", "lower the base price of all running shoes by 30%"]));
    assert_eq!(code, 1, "{stderr}");
    let listed = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("promo-not-below-base: "))
        .and_then(|l| l.split_once(" ("))
        .map(|(_, rows)| rows.trim_end_matches(')'))
        .unwrap_or_else(|| panic!("no promo-not-below-base line: {stderr}"));
    assert_eq!(listed.split(", ").collect::<Vec<_>>(), expected);
    assert_eq!(env.catalog_text(), catalog, "a refused plan writes nothing");
}

/// In text, a bulk operation shows its first 100 changes and says how many more there are;
/// the JSON plan has them all.
#[test]
fn a_bulk_plan_in_text_shows_100_changes_an_operation_and_counts_the_rest() {
    let env = TestEnv::new();
    generate(&env, 1_000);
    let request = "take 10% off all running shoes";
    let (code, json, stderr) = run(env.cmd().args(["plan", request, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&json).unwrap();
    let counts: Vec<usize> = plan["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["changes"].as_array().unwrap().len())
        .collect();
    assert!(counts.iter().all(|&n| n > 100), "{counts:?}");
    let (code, text, stderr) = run(env.cmd().args(["plan", request]));
    assert_eq!(code, 0, "{stderr}");
    let rows = text.lines().filter(|l| l.contains("BIG-")).count();
    assert_eq!(rows, 100 * counts.len(), "{text}");
    for n in counts {
        let more = format!(
            "… {} more changes (--format json or -o FILE lists them all)",
            n - 100
        );
        assert!(text.contains(&more), "{more}\n{text}");
    }
}

/// The receipt of a bulk apply, in text: 100 passed changes and a count of the rest.
#[test]
fn a_bulk_receipt_in_text_shows_100_passed_changes_and_counts_the_rest() {
    let env = TestEnv::new();
    generate(&env, 1_000);
    let rules = env.path().join("rules.toml");
    let auto = changeset::policy::DEFAULT_RULES
        .replace("auto_approve_max_tier = 1", "auto_approve_max_tier = 3");
    std::fs::write(&rules, auto).unwrap();
    let (code, text, stderr) = run(env
        .cmd()
        .args([
            "apply",
            "take 10% off all running shoes",
            "--no-input",
            "--rules",
        ])
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        text.lines().filter(|l| l.contains("BIG-")).count(),
        100,
        "{text}"
    );
    let more = text
        .lines()
        .find_map(|l| l.strip_prefix("… "))
        .and_then(|l| l.split_once(" more changes passed (`changeset audit show "))
        .unwrap_or_else(|| panic!("no count of the changes not shown: {text}"));
    let id = more.1.split('`').next().unwrap();
    let (code, json, stderr) = run(env.cmd().args(["audit", "show", id, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let receipt: serde_json::Value = serde_json::from_str(&json).unwrap();
    let total: usize = receipt["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["changes"].as_array().unwrap().len())
        .sum();
    assert_eq!(more.0.parse::<usize>().unwrap(), total - 100);
}
