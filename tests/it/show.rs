//! `changeset show PLAN`: the plan as `plan` printed it, and whether apply would still take it.

use crate::support::{TestEnv, run};

/// Saves a plan for `put STR-001 on 20% off` and returns its path and the table `plan` printed.
fn saved_plan(env: &TestEnv) -> (std::path::PathBuf, String) {
    let path = env.path().join("plan.json");
    let (code, table, stderr) = run(env
        .cmd()
        .args(["plan", "put STR-001 on 20% off", "-o"])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    (path, table)
}

#[test]
fn a_fresh_plan_shows_the_same_table_and_says_fresh() {
    let env = TestEnv::new();
    let (plan, table) = saved_plan(&env);
    let (code, shown, stderr) = run(env.cmd().arg("show").arg(&plan));
    assert_eq!(code, 0, "{stderr}");
    assert!(shown.starts_with(&table), "show:\n{shown}\nplan:\n{table}");
    assert!(shown.contains("\nFresh: "), "{shown}");

    let (code, json, _) = run(env.cmd().arg("show").arg(&plan).args(["--format", "json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["freshness"]["status"], "fresh");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(v["plan"], saved, "JSON shows the plan file as saved");
}

#[test]
fn a_plan_whose_cells_changed_is_stale_with_exit_3_and_the_cell_named() {
    let env = TestEnv::new();
    let (plan, table) = saved_plan(&env);
    let edited = env.catalog_text().replacen("FALSE", "TRUE", 1);
    assert_ne!(edited, env.catalog_text());
    std::fs::write(env.catalog(), &edited).unwrap();
    let (code, shown, _) = run(env.cmd().arg("show").arg(&plan));
    assert_eq!(code, 3, "{shown}");
    assert!(shown.starts_with(&table), "{shown}");
    assert!(shown.contains("\nStale: the catalog changed"), "{shown}");
    assert!(shown.contains("STR-001 Promo Active"), "{shown}");
    // And apply agrees: the same plan is refused, nothing written.
    let (code, _, _) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .args(["--no-input", "--yes"]));
    assert_eq!(code, 3);
    assert_eq!(env.catalog_text(), edited);

    let (code, json, _) = run(env.cmd().arg("show").arg(&plan).args(["--format", "json"]));
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["freshness"]["status"], "stale");
    assert!(
        v["freshness"]["reason"]
            .as_str()
            .unwrap()
            .contains("STR-001")
    );
}

#[test]
fn a_plan_scored_under_other_rules_is_stale() {
    let env = TestEnv::new();
    let (plan, _) = saved_plan(&env);
    let rules = env.rules_with_auto_approve(2);
    let (code, shown, _) = run(env.cmd().arg("show").arg(&plan).arg("--rules").arg(&rules));
    assert_eq!(code, 3, "{shown}");
    assert!(shown.contains("scored under other rules"), "{shown}");
}

#[test]
fn offline_reads_neither_source_nor_rules() {
    let env = TestEnv::new();
    let (plan, table) = saved_plan(&env);
    std::fs::remove_file(env.catalog()).unwrap();
    let (code, _, stderr) = run(env.cmd().arg("show").arg(&plan));
    assert_eq!(
        code, 1,
        "without --offline the missing catalog is an error: {stderr}"
    );
    let (code, shown, stderr) = run(env.cmd().arg("show").arg(&plan).arg("--offline"));
    assert_eq!(code, 0, "{stderr}");
    assert!(shown.starts_with(&table), "{shown}");
    assert!(
        shown.contains("Freshness not checked (--offline)"),
        "{shown}"
    );
}
