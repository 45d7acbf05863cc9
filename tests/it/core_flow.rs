//! The plan → apply → receipt → audit path on a local CSV (issue: core).

use insta::{assert_snapshot, with_settings};

use crate::support::{TestEnv, filters, run, transcript};

fn plan_json(env: &TestEnv, request: &str) -> serde_json::Value {
    let (code, stdout, stderr) = run(env.cmd().args(["plan", request, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("plan JSON")
}

/// Saves a plan for the request to plan.json in the test dir and returns its path.
fn save_plan(env: &TestEnv, request: &str, rules: Option<&std::path::Path>) -> std::path::PathBuf {
    let path = env.path().join("plan.json");
    let mut cmd = env.cmd();
    cmd.args(["plan", request, "-o"]).arg(&path);
    if let Some(r) = rules {
        cmd.arg("--rules").arg(r);
    }
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    path
}

fn apply_auto(
    env: &TestEnv,
    plan: &std::path::Path,
    rules: &std::path::Path,
) -> (i32, String, String) {
    run(env
        .cmd()
        .arg("apply")
        .arg(plan)
        .arg("--rules")
        .arg(rules)
        .args(["--no-input", "--format", "json"]))
}

#[test]
fn plan_json_matches_the_contract_and_leaves_the_source_alone() {
    let env = TestEnv::new();
    let before = std::fs::read(env.catalog()).unwrap();
    let plan = plan_json(&env, "put STR-001 on 20% off");
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["tier"], 2);
    assert!(plan["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        plan["rules"]["sha256"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(plan["source"]["kind"], "csv");
    let changes = &plan["operations"][0]["changes"];
    assert_eq!(changes[0]["key"], "STR-001");
    assert_eq!(changes[0]["field"], "Promo Price");
    assert_eq!(changes[0]["before"], "");
    assert_eq!(changes[0]["after"], 103.99);
    assert_eq!(
        std::fs::read(env.catalog()).unwrap(),
        before,
        "plan must not modify the source"
    );
    with_settings!({ filters => filters() }, { assert_snapshot!(serde_json::to_string_pretty(&plan).unwrap()) });
}

#[test]
fn plan_table_shows_each_operation_with_before_after_tier_and_reason() {
    let env = TestEnv::new();
    with_settings!({ filters => filters() }, {
        assert_snapshot!(transcript(env.cmd().args(["plan", "take 15% off all running shoes"])));
    });
}

#[test]
fn plan_detailed_exitcode_says_whether_there_are_changes() {
    let env = TestEnv::new();
    let (code, _, _) =
        run(env
            .cmd()
            .args(["plan", "mark STR-002 out of stock", "--detailed-exitcode"]));
    assert_eq!(code, 10);
    let (code, _, _) =
        run(env
            .cmd()
            .args(["plan", "mark STR-004 out of stock", "--detailed-exitcode"]));
    assert_eq!(code, 0, "STR-004 is already out of stock: no changes");
}

#[test]
fn non_interactive_apply_of_a_tier_2_plan_exits_4_and_writes_nothing() {
    let env = TestEnv::new();
    let before = env.catalog_text();
    let plan = save_plan(&env, "mark STR-002 out of stock", None);
    with_settings!({ filters => filters() }, {
        assert_snapshot!(transcript(env.cmd().arg("apply").arg(&plan).arg("--no-input")));
    });
    assert_eq!(env.catalog_text(), before);
    // --yes never approves above auto_approve_max_tier.
    let (code, _, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .args(["--no-input", "--yes"]));
    assert_eq!(code, 4);
    assert!(
        stderr.contains("--yes approves only up to tier 1"),
        "{stderr}"
    );
    // CI=true alone means no prompt either.
    let (code, _, _) = run(env.cmd().arg("apply").arg(&plan).env("CI", "true"));
    assert_eq!(code, 4);
    assert_eq!(env.catalog_text(), before);
}

#[test]
fn apply_with_auto_approve_3_writes_verifies_and_seals_a_receipt() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let plan = save_plan(
        &env,
        "take 15% off all running shoes and mark STR-002 out of stock",
        Some(&rules),
    );
    let (code, stdout, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 0, "{stderr}");
    let receipt: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["outcome"], "applied");
    assert_eq!(receipt["approval"]["method"], "auto");
    let checks: Vec<&str> = receipt["operations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["changes"].as_array().unwrap())
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks.len(), 9);
    assert!(checks.iter().all(|c| *c == "pass"), "{checks:?}");
    let catalog = env.catalog_text();
    assert!(
        catalog.contains("STR-001,Classic Runner,Running,129.99,110.49,TRUE,in_stock"),
        "{catalog}"
    );
    assert!(
        catalog.contains("STR-002,Cloud Runner,Running,149.99,127.49,TRUE,out_of_stock"),
        "{catalog}"
    );
    // Untouched rows stay byte-identical.
    assert!(catalog.contains("STR-005,Daily Miles,Running,99.99,84.99,TRUE,in_stock,\n"));

    // The receipt's hash is what `audit verify` recomputes.
    let (code, stdout, _) = run(env.cmd().args(["audit", "verify", "--format", "json"]));
    assert_eq!(code, 0);
    let verified: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(verified["receipts"], 1);
    assert_eq!(verified["head"], receipt["hash"]);

    // An exported receipt verifies on its own, with no store.
    let file = env.path().join("receipt.json");
    std::fs::write(
        &file,
        stdout_of(
            &env,
            &[
                "audit",
                "show",
                receipt["id"].as_str().unwrap(),
                "--format",
                "json",
            ],
        ),
    )
    .unwrap();
    let (code, _, stderr) = run(env
        .cmd()
        .args(["audit", "verify", "--receipt"])
        .arg(&file)
        .env("CHANGESET_DATA_DIR", env.path().join("elsewhere")));
    assert_eq!(code, 0, "{stderr}");
}

fn stdout_of(env: &TestEnv, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(env.cmd().args(args));
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[test]
fn editing_the_csv_between_plan_and_apply_gives_exit_3_and_no_write() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let plan = save_plan(&env, "put STR-001 on 20% off", Some(&rules));
    // Someone else sets a promo on the same product.
    let edited = env.catalog_text().replace(
        "STR-001,Classic Runner,Running,129.99,,FALSE",
        "STR-001,Classic Runner,Running,129.99,99.00,TRUE",
    );
    std::fs::write(env.catalog(), &edited).unwrap();
    with_settings!({ filters => filters() }, {
        assert_snapshot!(transcript(env.cmd().arg("apply").arg(&plan).arg("--rules").arg(&rules).arg("--no-input")));
    });
    assert_eq!(env.catalog_text(), edited);

    // An edit elsewhere in the file is caught by the fingerprint too.
    let env = TestEnv::new();
    let plan = save_plan(&env, "put STR-001 on 20% off", Some(&rules));
    let edited = env
        .catalog_text()
        .replace("STR-024,Trail Blazer", "STR-024,Trail Blazer II");
    std::fs::write(env.catalog(), &edited).unwrap();
    let (code, _, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("other rows changed"), "{stderr}");
    assert_eq!(env.catalog_text(), edited);
}

#[test]
fn a_plan_is_applied_at_most_once() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let plan = save_plan(&env, "mark STR-002 out of stock", Some(&rules));
    assert_eq!(apply_auto(&env, &plan, &rules).0, 0);
    let after_first = env.catalog_text();
    let (code, _, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("already applied"), "{stderr}");
    assert_eq!(env.catalog_text(), after_first);
}

#[test]
fn a_plan_scored_under_other_rules_is_refused() {
    let env = TestEnv::new();
    let plan = save_plan(&env, "mark STR-002 out of stock", None);
    let rules = env.rules_with_auto_approve(3);
    let before = env.catalog_text();
    let (code, _, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("scored under other rules"), "{stderr}");
    assert_eq!(env.catalog_text(), before);
}

#[test]
fn an_edited_plan_file_cannot_lower_its_tier_or_write_bad_values() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(2);
    let plan = save_plan(&env, "take 15% off all running shoes", Some(&rules));
    let before = env.catalog_text();
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("\"tier\": 3", "\"tier\": 2");
    std::fs::write(&plan, text).unwrap();
    // The tier is scored again from the changes: the file's claim changes nothing, and tier 3
    // is above auto_approve_max_tier 2, so nothing is written without a prompt.
    let (code, _, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("now it is tier 3"), "{stderr}");

    let plan = save_plan(&env, "mark STR-002 out of stock", Some(&rules));
    let text = std::fs::read_to_string(&plan).unwrap().replace(
        "\"after\": \"out_of_stock\"",
        "\"after\": \"=HYPERLINK(1)\"",
    );
    std::fs::write(&plan, text).unwrap();
    let (code, _, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not an inventory flag"), "{stderr}");
    assert_eq!(env.catalog_text(), before);
}

/// Applies three single-product plans and returns the receipt ids in order.
fn three_receipts(env: &TestEnv) -> Vec<String> {
    let rules = env.rules_with_auto_approve(3);
    [
        "mark STR-002 out of stock",
        "mark STR-006 low stock",
        "put STR-001 on 20% off",
    ]
    .iter()
    .map(|request| {
        let plan = save_plan(env, request, Some(&rules));
        let (code, stdout, stderr) = apply_auto(env, &plan, &rules);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    })
    .collect()
}

fn db(env: &TestEnv) -> rusqlite::Connection {
    rusqlite::Connection::open(env.data_dir().join("audit.db")).unwrap()
}

#[test]
fn changing_one_byte_of_a_stored_receipt_fails_verify_and_names_it() {
    let env = TestEnv::new();
    let ids = three_receipts(&env);
    assert_eq!(run(env.cmd().args(["audit", "verify"])).0, 0);
    let conn = db(&env);
    let body: String = conn
        .query_row("SELECT body FROM receipts WHERE id = ?1", [&ids[1]], |r| {
            r.get(0)
        })
        .unwrap();
    let tampered = body.replacen("low_stock", "low_stocK", 1);
    assert_ne!(body, tampered);
    conn.execute(
        "UPDATE receipts SET body = ?1 WHERE id = ?2",
        [&tampered, &ids[1]],
    )
    .unwrap();
    let (code, _, stderr) = run(env.cmd().args(["audit", "verify"]));
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!("receipt {}", ids[1])), "{stderr}");
    with_settings!({ filters => filters() }, { assert_snapshot!(stderr) });
}

#[test]
fn deleting_a_receipt_fails_verify_and_names_it() {
    let env = TestEnv::new();
    let ids = three_receipts(&env);
    db(&env)
        .execute("DELETE FROM receipts WHERE id = ?1", [&ids[1]])
        .unwrap();
    let (code, _, stderr) = run(env.cmd().args(["audit", "verify"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&ids[1]),
        "the missing receipt is named: {stderr}"
    );

    let env = TestEnv::new();
    let ids = three_receipts(&env);
    db(&env)
        .execute("DELETE FROM receipts WHERE id = ?1", [&ids[2]])
        .unwrap();
    let (code, _, stderr) = run(env.cmd().args(["audit", "verify"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&ids[2]),
        "the deleted last receipt is named: {stderr}"
    );
}

#[test]
fn audit_show_renders_a_timeline_and_list_and_export_work() {
    let env = TestEnv::new();
    let ids = three_receipts(&env);
    with_settings!({ filters => filters() }, {
        assert_snapshot!(transcript(env.cmd().args(["audit", "show", &ids[2]])));
        assert_snapshot!(transcript(env.cmd().args(["audit", "list"])));
    });
    let export = stdout_of(&env, &["audit", "export"]);
    assert_eq!(export.lines().count(), 3);
    for line in export.lines() {
        changeset::receipt::Receipt::verify_text(line).expect("each exported receipt verifies");
    }
}

#[test]
fn bad_catalogs_get_clear_errors() {
    let env = TestEnv::new();
    std::fs::write(env.catalog(), "SKU,Name,Category\nSTR-001,Runner,Running\n").unwrap();
    with_settings!({ filters => filters() }, {
        assert_snapshot!("wrong_columns", transcript(env.cmd().args(["plan", "mark STR-001 out of stock"])));
    });
    let header = "SKU,Name,Category,Base Price,Promo Price,Promo Active,Inventory,Image URL\n";
    std::fs::write(
        env.catalog(),
        format!("{header}STR-001,Runner,Running,1.00,,FALSE\n"),
    )
    .unwrap();
    with_settings!({ filters => filters() }, {
        assert_snapshot!("ragged_row", transcript(env.cmd().args(["plan", "mark STR-001 out of stock"])));
    });
    std::fs::write(
        env.catalog(),
        format!(
            "{header}STR-001,A,Running,1,,FALSE,in_stock,\nSTR-001,B,Running,1,,FALSE,in_stock,\n"
        ),
    )
    .unwrap();
    let (code, _, stderr) = run(env.cmd().args(["plan", "mark STR-001 out of stock"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("appears twice"), "{stderr}");
    let (code, _, stderr) = run(env.cmd().args([
        "plan",
        "mark STR-001 out of stock",
        "--source",
        "missing.csv",
    ]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("missing.csv") && stderr.contains("hint:"),
        "{stderr}"
    );
}

#[test]
fn json_errors_on_request() {
    let env = TestEnv::new();
    let (code, _, stderr) =
        run(env
            .cmd()
            .args(["plan", "mark STR-999 out of stock", "--format", "json"]));
    assert_eq!(code, 1);
    let err: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(err["error"]["kind"], "input");
    assert_eq!(err["error"]["exit_code"], 1);
}

#[test]
fn rollback_plans_the_inverse_and_applies_it_like_any_plan() {
    let env = TestEnv::new();
    let original = env.catalog_text();
    let rules = env.rules_with_auto_approve(3);
    let plan = save_plan(
        &env,
        "put STR-001 on 20% off and mark STR-002 out of stock",
        Some(&rules),
    );
    let (code, stdout, stderr) = apply_auto(&env, &plan, &rules);
    assert_eq!(code, 0, "{stderr}");
    let id = serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Without approval possible, the rollback (tier 3: two products) is refused like any plan.
    let (code, _, _) = run(env.cmd().args(["rollback", &id, "--no-input"]));
    assert_eq!(code, 4);

    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["rollback", &id, "--no-input", "--format", "json"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    let receipt: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["rollback_of"], id.as_str());
    assert_eq!(
        env.catalog_text(),
        original,
        "the catalog is back to where it began"
    );
    assert_eq!(run(env.cmd().args(["audit", "verify"])).0, 0);

    // Rolling back again would overwrite the rollback's own writes: refused as stale.
    let (code, _, stderr) = run(env
        .cmd()
        .args(["rollback", &id, "--no-input"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 3, "{stderr}");
}

/// Claims a plan in the local journal as an apply that crashed after the claim would have.
fn simulate_interrupted_apply(env: &TestEnv, plan_path: &std::path::Path) -> String {
    let mut store = changeset::audit::SqliteStore::open(&env.data_dir()).unwrap();
    crate::support::claim_as_interrupted(&mut store, plan_path)
}

#[test]
fn recover_settles_interrupted_applies() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let original = env.catalog_text();

    // Crashed before writing: the claim is released and the plan can be applied after all.
    let plan = save_plan(&env, "put STR-001 on 20% off", Some(&rules));
    simulate_interrupted_apply(&env, &plan);
    assert_eq!(
        apply_auto(&env, &plan, &rules).0,
        3,
        "an in-flight plan is not applied twice"
    );
    let (code, stdout, _) = run(env.cmd().args(["recover"]).arg("--rules").arg(&rules));
    assert_eq!(code, 0);
    assert!(stdout.contains("released"), "{stdout}");
    assert_eq!(env.catalog_text(), original);
    // Re-plan (the fingerprint is unchanged, so the same plan still applies).
    assert_eq!(apply_auto(&env, &plan, &rules).0, 0);

    // Crashed after the write landed: recover seals the receipt.
    let env = TestEnv::new();
    let plan = save_plan(&env, "mark STR-002 out of stock", Some(&rules));
    let id = simulate_interrupted_apply(&env, &plan);
    let written = env.catalog_text().replace(
        "STR-002,Cloud Runner,Running,149.99,,FALSE,in_stock",
        "STR-002,Cloud Runner,Running,149.99,,FALSE,out_of_stock",
    );
    std::fs::write(env.catalog(), &written).unwrap();
    let (code, stdout, _) = run(env
        .cmd()
        .args(["recover", "--format", "json"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0);
    let outcomes: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcomes[0]["plan_id"], id.as_str());
    assert_eq!(outcomes[0]["action"], "completed");
    assert_eq!(env.catalog_text(), written);
    assert_eq!(run(env.cmd().args(["audit", "verify"])).0, 0);
    let (_, stdout, _) = run(env.cmd().args(["recover"]));
    assert!(stdout.contains("Nothing to recover"), "{stdout}");

    // Half written (one of two cells): the written cell is rolled back.
    let env = TestEnv::new();
    let plan = save_plan(&env, "put STR-001 on 20% off", Some(&rules));
    simulate_interrupted_apply(&env, &plan);
    let half = env.catalog_text().replace(
        "STR-001,Classic Runner,Running,129.99,,FALSE",
        "STR-001,Classic Runner,Running,129.99,103.99,FALSE",
    );
    std::fs::write(env.catalog(), &half).unwrap();
    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["recover", "--format", "json"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"rolled_back\""), "{stdout}");
    assert_eq!(env.catalog_text(), original);

    // Someone else changed the cells: a conflict for a human, exit 3.
    let env = TestEnv::new();
    let plan = save_plan(&env, "put STR-001 on 20% off", Some(&rules));
    simulate_interrupted_apply(&env, &plan);
    let other = env.catalog_text().replace(
        "STR-001,Classic Runner,Running,129.99,,FALSE",
        "STR-001,Classic Runner,Running,129.99,50.00,FALSE",
    );
    std::fs::write(env.catalog(), &other).unwrap();
    let (code, _, stderr) = run(env.cmd().args(["recover"]).arg("--rules").arg(&rules));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(env.catalog_text(), other);
}

#[test]
fn at_a_terminal_tier_2_asks_yes_no_and_tier_3_asks_for_the_changeset_id() {
    let env = TestEnv::new();
    let out = env
        .interactive(
            &["apply", "mark STR-002 out of stock"],
            &[("Apply 1 change(s)", "y")],
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Receipt R-") && text.contains("pass"),
        "{text}"
    );
    assert!(
        env.catalog_text()
            .contains("STR-002,Cloud Runner,Running,149.99,,FALSE,out_of_stock")
    );

    // Declined: exit 5, nothing written.
    let before = env.catalog_text();
    let out = env
        .interactive(
            &["apply", "mark STR-006 low stock"],
            &[("Apply 1 change(s)", "n")],
        )
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(env.catalog_text(), before);

    // Tier 3: a wrong id is a denial; the right id applies.
    let plan = save_plan(&env, "take 15% off all running shoes", None);
    let id = changeset::plan::file::read(&plan).unwrap().id;
    let plan_arg = plan.to_str().unwrap();
    let out = env
        .interactive(&["apply", plan_arg], &[("Changeset id", "yes")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(env.catalog_text(), before);
    let out = env
        .interactive(&["apply", plan_arg], &[("Changeset id", &id)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        env.catalog_text()
            .contains("STR-001,Classic Runner,Running,129.99,110.49,TRUE")
    );
    let (_, stdout, _) = run(env.cmd().args(["audit", "show", &id, "--format", "json"]));
    let receipt: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["approval"]["method"], "tty");
    assert_eq!(receipt["approval"]["strength"], "typed_id");
}
