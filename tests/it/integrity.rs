//! Approval integrity (issue 11): what the approver sees is what gets written, facts are the
//! program's, and nothing read from a file or the journal is trusted. Each test is an attack
//! that must fail.

use serde_json::Value;

use crate::fake_google::{FakeGoogle, SCOPE_GMAIL, SCOPE_READ, SCOPE_WRITE};
use crate::support::{TestEnv, run};

const TOKEN: &str = "ya29.integrity";

fn save_plan(env: &TestEnv, request: &str, rules: &std::path::Path) -> std::path::PathBuf {
    let path = env.path().join("plan.json");
    let (code, _, stderr) = run(env
        .cmd()
        .args(["plan", request, "-o"])
        .arg(&path)
        .arg("--rules")
        .arg(rules));
    assert_eq!(code, 0, "{stderr}");
    path
}

fn edit(path: &std::path::Path, f: impl FnOnce(&mut Value)) {
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f(&mut plan);
    std::fs::write(path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
}

fn apply(env: &TestEnv, plan: &std::path::Path, rules: &std::path::Path) -> (i32, String, String) {
    run(env
        .cmd()
        .arg("apply")
        .arg(plan)
        .arg("--rules")
        .arg(rules)
        .args(["--no-input", "--yes", "--format", "json"]))
}

/// A rules file: the default rules plus `extra`, with another auto_approve_max_tier.
fn rules(env: &TestEnv, auto: u8, extra: &str) -> std::path::PathBuf {
    let text = changeset::policy::DEFAULT_RULES.replace(
        "auto_approve_max_tier = 1",
        &format!("auto_approve_max_tier = {auto}"),
    ) + extra;
    let path = env.path().join(format!("rules-{auto}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn forged_plan_ids_are_refused_and_nothing_is_written_or_mailed() {
    let env = TestEnv::new();
    let google = FakeGoogle::start("unused");
    google.allow_token(TOKEN, &[SCOPE_READ, SCOPE_WRITE, SCOPE_GMAIL]);
    let config = env.path().join("changeset.toml");
    std::fs::write(&config, "[notify]\nrecipients = [\"ops@example.com\"]\n").unwrap();
    let rules = rules(&env, 3, "");
    let mailing = |cmd: &mut assert_cmd::Command| {
        cmd.env("CHANGESET_CONFIG", &config)
            .env("CHANGESET_GMAIL_API_URL", google.url())
            .env("CHANGESET_GOOGLE_ACCESS_TOKEN", TOKEN);
    };
    let original = env.catalog_text();
    for forged in [
        "CS-1A2B3C4D\r\nBcc: attacker@example.com",
        "CS-1A2B3C4D 99 chg 0 prod T0 #00000000: harmless typo fix in one product name",
        "CS-1a2b3c4d",
        "CS-\u{1b}[2J1A2B",
    ] {
        let plan = save_plan(&env, "mark STR-002 out of stock", &rules);
        edit(&plan, |p| p["id"] = Value::from(forged));
        let mut cmd = env.cmd();
        mailing(&mut cmd);
        let (code, _, stderr) = run(cmd.arg("apply").arg(&plan).args([
            "--rules",
            rules.to_str().unwrap(),
            "--no-input",
        ]));
        assert_eq!(code, 1, "{forged:?}: {stderr}");
        assert!(stderr.contains("is not a valid plan id"), "{stderr}");
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains("\r\n"),
            "{stderr:?}"
        );
        assert_eq!(env.catalog_text(), original);
        assert!(google.mail().is_empty(), "no mail for a refused plan");
    }
    // The same plan unedited applies and mails: the refusals above were the ids' doing.
    let plan = save_plan(&env, "mark STR-002 out of stock", &rules);
    let mut cmd = env.cmd();
    mailing(&mut cmd);
    let (code, _, stderr) =
        run(cmd
            .arg("apply")
            .arg(&plan)
            .args(["--rules", rules.to_str().unwrap(), "--no-input"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(google.mail().len(), 1);
}

#[test]
fn edited_facts_actions_labels_and_tiers_change_nothing() {
    let env = TestEnv::new();
    // Tier 3 at noon (the tests' clock) and for any inventory change; auto-approve up to 2.
    let rules = rules(
        &env,
        2,
        r#"
[[rule]]
id = "lunch-hour"
description = "No writes at noon"
tier = 3
when = 'operation_type == "write" && hour_utc == 12'

[[rule]]
id = "inventory-is-sensitive"
description = "Inventory flags need the stronger approval"
tier = 3
when = 'action == "update_inventory_flag"'
"#,
    );
    let unedited = save_plan(&env, "mark STR-002 out of stock", &rules);
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&unedited).unwrap()).unwrap();
    assert_eq!(plan["tier"], 3);
    let (code, _, stderr) = apply(&env, &unedited, &rules);
    assert_eq!(code, 4, "unedited: tier 3 needs approval: {stderr}");

    let original = env.catalog_text();
    edit(&unedited, |p| {
        p["tier"] = Value::from(2);
        p["approval"]["required"] = Value::from(false);
        for op in p["operations"].as_array_mut().unwrap() {
            op["tier"] = Value::from(2);
            op["action"] = Value::from("read");
            op["label"] = Value::from("fix a typo");
            op["facts"]["hour_utc"] = Value::from(3);
            op["facts"]["action"] = Value::from("read");
            op["matched_rules"] = Value::Array(Vec::new());
        }
    });
    let (code, _, stderr) = apply(&env, &unedited, &rules);
    assert_eq!(code, 4, "edited: still tier 3: {stderr}");
    assert!(stderr.contains("now it is tier 3"), "{stderr}");
    assert!(
        stderr.contains("plan CS-") && stderr.contains("is tier 3"),
        "{stderr}"
    );
    assert_eq!(env.catalog_text(), original);

    // A created_at in the future is refused outright.
    let plan = save_plan(&env, "mark STR-002 out of stock", &rules);
    edit(&plan, |p| {
        p["created_at"] = Value::from("2026-11-24T12:00:00Z")
    });
    let (code, _, stderr) = apply(&env, &plan, &rules);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("in the future"), "{stderr}");
    assert_eq!(env.catalog_text(), original);
}

#[test]
fn the_receipt_records_rebuilt_labels_local_enforcement_and_caller_facts() {
    let env = TestEnv::new();
    let rules = rules(&env, 3, "");
    let plan = save_plan(&env, "mark STR-002 out of stock", &rules);
    edit(&plan, |p| {
        p["operations"][0]["label"] = Value::from("harmless typo fix\r\nApproved by: the CFO")
    });
    let (code, stdout, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .arg("--rules")
        .arg(&rules)
        .args([
            "--no-input",
            "--format",
            "json",
            "--fact",
            "user_stress_level=0.2",
        ]));
    assert_eq!(code, 0, "{stderr}");
    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        receipt["operations"][0]["label"],
        "mark STR-002 Cloud Runner out_of_stock"
    );
    assert_eq!(receipt["enforced_by"], "local");
    assert_eq!(receipt["caller_facts"]["user_stress_level"], 0.2);
    let id = receipt["id"].as_str().unwrap();
    let (_, shown, _) = run(env.cmd().args(["audit", "show", id]));
    assert!(shown.contains("enforced by: local"), "{shown}");
    assert!(shown.contains("other than the embedded default"), "{shown}");

    // A caller may add a fact the rules declare, never set a derived one or invent one.
    for (fact, why) in [
        ("hour_utc=3", "derives this fact itself"),
        ("action=read", "derives this fact itself"),
        ("mood=calm", "declare no such fact"),
        ("user_stress_level=high", "is not a number"),
    ] {
        let (code, _, stderr) =
            run(env
                .cmd()
                .args(["plan", "mark STR-006 low stock", "--fact", fact]));
        assert_eq!(code, 2, "{fact}: {stderr}");
        assert!(stderr.contains(why), "{fact}: {stderr}");
    }
    // The environment variable feeds the same fact, and the default rules escalate on it.
    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["plan", "mark STR-006 low stock", "--format", "json"])
        .env("CHANGESET_USER_STRESS_LEVEL", "0.9"));
    assert_eq!(code, 0, "{stderr}");
    let planned: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(planned["tier"], 3);
}

#[test]
fn require_rules_fails_naming_receipts_scored_under_other_rules() {
    let env = TestEnv::new();
    let other = rules(&env, 3, "");
    let plan = save_plan(&env, "mark STR-002 out of stock", &other);
    let (code, stdout, stderr) = apply(&env, &plan, &other);
    assert_eq!(code, 0, "{stderr}");
    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    let id = receipt["id"].as_str().unwrap();
    let default = changeset::output::timeline::default_rules_sha256();
    let (code, _, stderr) = run(env
        .cmd()
        .args(["audit", "verify", "--require-rules", &default]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(id), "{stderr}");
    let mine = receipt["rules_sha256"].as_str().unwrap();
    let both = format!("{},{}", default, mine.trim_start_matches("sha256:"));
    let (code, _, stderr) = run(env
        .cmd()
        .args(["audit", "verify", "--require-rules", &both]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, _) = run(env
        .cmd()
        .args(["audit", "verify", "--require-rules", "abc"]));
    assert_eq!(code, 2);
}

#[test]
fn approval_tty_is_refused_where_ciba_is_selected() {
    let env = TestEnv::new();
    let plan = save_plan(&env, "mark STR-002 out of stock", &rules(&env, 1, ""));
    let original = env.catalog_text();
    // Selected by the environment (Auth0 and the confidential application configured).
    let (code, _, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .args(["--approval", "tty", "--no-input"])
        .env("CHANGESET_AUTH0_DOMAIN", "http://127.0.0.1:9")
        .env("CHANGESET_CLIENT_ID", "public-client")
        .env("CHANGESET_CONFIDENTIAL_CLIENT_ID", "confidential-client"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--approval tty is refused"), "{stderr}");
    // Selected by the config file.
    let config = env.path().join("changeset.toml");
    std::fs::write(&config, "[approval]\nmethod = \"ciba\"\n").unwrap();
    let (code, _, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .args(["--approval", "tty", "--no-input"])
        .env("CHANGESET_CONFIG", &config));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(env.catalog_text(), original);
}

#[test]
fn a_sheets_write_with_auth0_configured_cannot_be_released_at_the_terminal() {
    let env = TestEnv::new();
    let google = FakeGoogle::start("sheet-1");
    let text = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
    google.add_tab("Products", crate::fake_google::typed_rows_from_csv(&text));
    google.allow_token(TOKEN, &[SCOPE_READ, SCOPE_WRITE]);
    let sheets = |cmd: &mut assert_cmd::Command| {
        cmd.env("CHANGESET_SOURCE", "sheets:sheet-1/Products")
            .env("CHANGESET_SHEETS_API_URL", google.url())
            .env("CHANGESET_GOOGLE_ACCESS_TOKEN", TOKEN)
            .env("CHANGESET_AUTH0_DOMAIN", "http://127.0.0.1:9")
            .env("CHANGESET_CLIENT_ID", "public-client");
    };
    let mut cmd = env.cmd();
    sheets(&mut cmd);
    let (code, _, stderr) = run(cmd.args(["plan", "mark STR-002 out of stock", "-o", "plan.json"]));
    assert_eq!(code, 0, "{stderr}");
    let writes = google.count(crate::fake_google::Op::BatchUpdate);
    let mut cmd = env.cmd();
    sheets(&mut cmd);
    let (code, _, stderr) = run(cmd.args(["apply", "plan.json", "--approval", "tty"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("needs a CIBA approval"), "{stderr}");
    assert!(
        stderr.contains("CHANGESET_CONFIDENTIAL_CLIENT_ID"),
        "{stderr}"
    );
    assert_eq!(google.count(crate::fake_google::Op::BatchUpdate), writes);
}

#[test]
fn a_plan_for_another_source_is_refused_unless_named() {
    let env = TestEnv::new();
    let rules = rules(&env, 3, "");
    let plan = save_plan(&env, "mark STR-002 out of stock", &rules);
    let other = env.path().join("other.csv");
    std::fs::copy(env.catalog(), &other).unwrap();
    let original = env.catalog_text();
    // Configured for other.csv: the plan for catalog.csv is refused.
    let (code, _, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .arg("--rules")
        .arg(&rules)
        .arg("--no-input")
        .env("CHANGESET_SOURCE", &other));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not for the configured source"), "{stderr}");
    assert_eq!(env.catalog_text(), original);
    // A recorded source is checked like --source.
    edit(&plan, |p| {
        p["source"]["kind"] = Value::from("sheets");
        p["source"]["uri"] = Value::from("../../etc/passwd");
    });
    let (code, _, stderr) = apply(&env, &plan, &rules);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is not a valid source"), "{stderr}");
}

/// Claims `plan` in the journal under `hash`, as an apply that crashed after its claim.
fn claim(env: &TestEnv, plan: &Value, hash: &str) {
    use changeset::audit::AuditStore;
    let mut store = changeset::audit::SqliteStore::open(&env.data_dir()).unwrap();
    store
        .claim_plan(&changeset::audit::Claim {
            plan_id: plan["id"].as_str().unwrap(),
            plan_hash: hash,
            plan: &plan.to_string(),
            approval: "{}",
            now: "2026-11-23T12:00:00Z",
        })
        .unwrap();
}

#[test]
fn recover_trusts_nothing_it_reads_from_the_journal() {
    let env = TestEnv::new();
    let rules = rules(&env, 3, "");
    let path = save_plan(&env, "put STR-001 on 20% off", &rules);
    let real = changeset::plan::file::read(&path).unwrap();
    let mut forged: Value = serde_json::to_value(&real).unwrap();
    // The journal's plan says STR-001's promo price was "=HYPERLINK(...)" before.
    forged["operations"][0]["changes"][0]["before"] = Value::from("=HYPERLINK(\"http://x\")");
    claim(&env, &forged, &real.hash());
    // Half written, so recover would roll the written cell back to the forged `before`.
    let half = env.catalog_text().replace(
        "STR-001,Classic Runner,Running,129.99,,FALSE",
        "STR-001,Classic Runner,Running,129.99,103.99,FALSE",
    );
    std::fs::write(env.catalog(), &half).unwrap();
    let (code, _, stderr) = run(env.cmd().args(["recover"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
    assert_eq!(env.catalog_text(), half);

    // Hash recomputed by the forger: the restore value itself is refused.
    let env = TestEnv::new();
    let path = save_plan(&env, "put STR-001 on 20% off", &rules);
    let mut real = changeset::plan::file::read(&path).unwrap();
    let mut forged: Vec<_> = real.operations[1]
        .changes
        .iter()
        .map(|c| c.to_change())
        .collect();
    forged[0].before = Value::from("=HYPERLINK(\"http://x\")");
    real.operations[1].changes = forged.into();
    claim(&env, &serde_json::to_value(&real).unwrap(), &real.hash());
    let half = env.catalog_text().replace(
        "STR-001,Classic Runner,Running,129.99,,FALSE",
        "STR-001,Classic Runner,Running,129.99,,TRUE",
    );
    std::fs::write(env.catalog(), &half).unwrap();
    let (code, _, stderr) = run(env.cmd().args(["recover"]));
    assert_ne!(code, 0, "{stderr}");
    assert_eq!(env.catalog_text(), half);
}

/// A saved plan marking STR-002 out of stock, claimed in the journal as an apply that was cut
/// off: (env, rules file, plan file, plan).
fn interrupted() -> (
    TestEnv,
    std::path::PathBuf,
    std::path::PathBuf,
    changeset::plan::Plan,
) {
    let env = TestEnv::new();
    let rules = rules(&env, 3, "");
    let path = save_plan(&env, "mark STR-002 out of stock", &rules);
    let plan = changeset::plan::file::read(&path).unwrap();
    claim(&env, &serde_json::to_value(&plan).unwrap(), &plan.hash());
    (env, rules, path, plan)
}

#[test]
fn a_recovery_is_recorded_as_no_approval_under_the_plans_rules() {
    let (env, _, _, plan) = interrupted();
    let written = env.catalog_text().replace(
        "STR-002,Cloud Runner,Running,149.99,,FALSE,in_stock",
        "STR-002,Cloud Runner,Running,149.99,,FALSE,out_of_stock",
    );
    std::fs::write(env.catalog(), &written).unwrap();
    // Recover runs under the embedded rules; the receipt keeps the plan's.
    let (code, stdout, stderr) = run(env.cmd().args(["recover", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let outcomes: Value = serde_json::from_str(&stdout).unwrap();
    let id = outcomes[0]["receipt_id"].as_str().unwrap();
    let (_, shown, _) = run(env.cmd().args(["audit", "show", id, "--format", "json"]));
    let receipt: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(
        receipt["approval"]["method"],
        format!("none (recovery of {})", plan.id)
    );
    assert_eq!(receipt["rules_sha256"], plan.rules.sha256);
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let data = env.path().join("fresh-data");
    let rules = rules(&env, 3, "");
    let plan = save_plan(&env, "mark STR-002 out of stock", &rules);
    let (code, _, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .arg("--rules")
        .arg(&rules)
        .arg("--no-input")
        .env("CHANGESET_DATA_DIR", &data));
    assert_eq!(code, 0, "{stderr}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert!(data.join("audit.db").exists());
    // No temporary file is left beside the catalog.
    let leftovers: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_forbidden_end_state_is_refused_whatever_the_approval() {
    let env = TestEnv::new();
    let rules = rules(&env, 3, "");
    let original = env.catalog_text();
    // STR-003 and STR-005 have active promos above the new base prices.
    let (code, _, stderr) = run(env
        .cmd()
        .args(["plan", "lower the base price of all running shoes by 30%"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("promo-not-below-base"), "{stderr}");
    assert!(stderr.contains("STR-003, STR-005"), "{stderr}");
    let (code, _, stderr) = run(env
        .cmd()
        .args([
            "apply",
            "lower the base price of all running shoes by 30%",
            "--yes",
        ])
        .arg("--rules")
        .arg(&rules)
        .arg("--no-input"));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(env.catalog_text(), original);

    // A plan file edited into a forbidden state is refused at apply, with
    // auto_approve_max_tier = 3 and --yes.
    let plan = save_plan(&env, "put STR-001 on 20% off", &rules);
    edit(&plan, |p| {
        p["operations"][0]["changes"][0]["after"] = Value::from("139.99");
    });
    let (code, _, stderr) = apply(&env, &plan, &rules);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("forbidden by the rules"), "{stderr}");
    assert_eq!(env.catalog_text(), original);

    // A config cannot lift it either: the default rules hold the forbid rules, and a rules
    // file without them is recorded as other rules in every receipt (`audit show`,
    // `audit verify --require-rules`).
    let (code, stdout, _) = run(env.cmd().args([
        "rules",
        "explain",
        "--facts",
        r#"{"operation_type":"write","base_price":0,"promo_active":false}"#,
    ]));
    assert_eq!(code, 0);
    assert!(stdout.contains("FORBIDDEN"), "{stdout}");
}

#[test]
fn the_model_endpoint_is_https_except_on_loopback_and_its_answer_is_capped() {
    let env = TestEnv::new();
    // Plain http to another host: refused before anything is sent.
    let (code, _, stderr) = run(env
        .cmd()
        .args(["plan", "put STR-001 on 20% off", "--parser", "llm"])
        .env("CHANGESET_LLM_URL", "http://llm.example.com/v1")
        .env("CHANGESET_LLM_MODEL", "m"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not an https URL"), "{stderr}");
    // A loopback endpoint that answers with a huge body: refused, nothing planned.
    let llm = crate::fake_llm::FakeLlm::start(|_| {
        (200, serde_json::json!({ "padding": "x".repeat(3 << 20) }))
    });
    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["plan", "put STR-001 on 20% off", "--parser", "llm"])
        .env("CHANGESET_LLM_URL", llm.url())
        .env("CHANGESET_LLM_MODEL", "m"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("more than"), "{stderr}");
    assert!(stdout.is_empty());
}

#[test]
fn the_write_time_check_covers_the_cells_the_facts_were_derived_from() {
    use crate::fake_google::{Action, Op};
    let env = TestEnv::new();
    let google = FakeGoogle::start("sheet-1");
    let text = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
    google.add_tab("Products", crate::fake_google::typed_rows_from_csv(&text));
    google.allow_token(TOKEN, &[SCOPE_READ, SCOPE_WRITE]);
    let rules = rules(&env, 3, "");
    let sheets = |cmd: &mut assert_cmd::Command| {
        cmd.env("CHANGESET_SOURCE", "sheets:sheet-1/Products")
            .env("CHANGESET_SHEETS_API_URL", google.url())
            .env("CHANGESET_GOOGLE_ACCESS_TOKEN", TOKEN)
            .env("CHANGESET_RULES", &rules);
    };
    let mut cmd = env.cmd();
    sheets(&mut cmd);
    let (code, _, stderr) = run(cmd.args(["plan", "put STR-001 on 20% off", "-o", "plan.json"]));
    assert_eq!(code, 0, "{stderr}");
    // After the apply's read, before its pre-write check: someone halves STR-001's Base Price,
    // so the planned promo (103.99) would now be above it and 20% off would be a lie.
    google.inject(
        Op::BatchGet,
        1,
        Action::EditBefore {
            key: "STR-001".into(),
            header: "Base Price".into(),
            value: serde_json::json!(60),
        },
    );
    let mut cmd = env.cmd();
    sheets(&mut cmd);
    let (code, _, stderr) = run(cmd.args(["apply", "plan.json", "--no-input"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("STR-001 Base Price"), "{stderr}");
    assert_eq!(google.count(Op::BatchUpdate), 0, "nothing was written");
}

#[test]
fn the_terminal_shows_the_plan_source_and_hash_before_asking_and_an_empty_id_never_matches() {
    let env = TestEnv::new();
    let plan = env.path().join("plan.json");
    let (code, _, stderr) = run(env
        .cmd()
        .args(["plan", "take 15% off all running shoes", "-o"])
        .arg(&plan));
    assert_eq!(code, 0, "{stderr}");
    let short = &changeset::plan::file::read(&plan).unwrap().hash()[7..15];
    let original = env.catalog_text();
    let out = env
        .interactive(&["apply", plan.to_str().unwrap()], &[("Changeset id", "")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{text}");
    for shown in [
        format!("Plan hash: #{short}"),
        format!("Source: csv {}", env.catalog().display()),
        "STR-001".to_string(),
        "Promo Price".to_string(),
        format!("plan #{short}"),
    ] {
        assert!(text.contains(&shown), "missing {shown:?} in {text}");
    }
    assert_eq!(env.catalog_text(), original);
}

#[test]
fn a_journal_entry_written_then_fully_rolled_back_is_released() {
    use changeset::audit::AuditStore;
    let (env, rules, path, plan) = interrupted();
    let mut store = changeset::audit::SqliteStore::open(&env.data_dir()).unwrap();
    store
        .set_journal_state(&plan.id, "written", "2026-11-23T12:00:01Z")
        .unwrap();
    drop(store);
    // The catalog is as before (the write was undone): recover releases the claim...
    let (code, stdout, stderr) = run(env.cmd().args(["recover"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("released"), "{stdout}");
    let (_, stdout, _) = run(env.cmd().args(["recover"]));
    assert!(stdout.contains("Nothing to recover"), "{stdout}");
    // ... and the plan can be applied (with a new approval).
    assert_eq!(apply(&env, &path, &rules).0, 0);
}
