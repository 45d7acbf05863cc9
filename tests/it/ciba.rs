//! Out-of-band approval with CIBA against the test IdP (issue: CIBA approval).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::idp::{self, Idp, ciba_cmd, login};
use crate::support::{TestEnv, run};

const TIER2: &str = "put STR-001 on 20% off";
const TIER3: &str = "take 30% off all running shoes";
const ALICE: &str = "auth0|alice";
const BOB: &str = "auth0|bob";

/// A logged-in user (the default approver) and a saved plan for `request`.
fn setup(idp: &Idp, request: &str) -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    assert_eq!(login(&env, idp, true).0, 0);
    let plan = env.path().join("plan.json");
    let (code, _, stderr) =
        run(ciba_cmd(&env, idp).args(["plan", request, "-o", plan.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    (env, plan)
}

/// A config file with an [approval] table.
fn config(env: &TestEnv, approval: &str) -> PathBuf {
    let path = env.path().join("changeset.toml");
    std::fs::write(&path, format!("[approval]\n{approval}\n")).unwrap();
    path
}

fn apply(
    env: &TestEnv,
    idp: &Idp,
    plan: &std::path::Path,
    extra: &[&str],
) -> (i32, String, String) {
    run(ciba_cmd(env, idp)
        .args([
            "apply",
            plan.to_str().unwrap(),
            "--no-input",
            "--format",
            "json",
        ])
        .args(extra))
}

fn plan_json(plan: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap()
}

fn no_receipts(env: &TestEnv, idp: &Idp) -> bool {
    let (_, stdout, _) = run(ciba_cmd(env, idp).args(["audit", "list", "--format", "json"]));
    serde_json::from_str::<Value>(&stdout)
        .map_or(true, |v| v.as_array().is_none_or(|a| a.is_empty()))
}

#[test]
fn tier_2_approved_on_the_device_is_applied_and_recorded() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let before = env.catalog_text();
    let (code, stdout, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            idp.settle_ciba(&request, true);
        });
        apply(&env, &idp, &plan, &[])
    });
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(
        env.catalog_text(),
        before,
        "the approved change was written"
    );
    assert!(
        stderr.contains("Approval requested from auth0|user-1"),
        "{stderr}"
    );

    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    let approval = &receipt["approval"];
    assert_eq!(approval["method"], "ciba");
    assert_eq!(approval["approvers"], serde_json::json!([idp::USER]));
    assert_eq!(approval["plan_hash"], receipt["plan_hash"]);

    // What the IdP received is what the receipt says, and it names the plan and its size.
    let requests = idp.ciba_requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    let message = sent["binding_message"].as_str().unwrap();
    assert_eq!(approval["binding_message"], message);
    let plan_id = plan_json(&plan)["id"].as_str().unwrap().to_string();
    assert!(message.contains(&plan_id), "{message}");
    let hash = receipt["plan_hash"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("{plan_id} 2 chg 1 prod T2 #{}: ", &hash[7..15])),
        "{message}"
    );
    assert!(message.len() <= 64);
    assert!(
        message
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " +-_.,:#".contains(c)),
        "{message}"
    );
    assert_eq!(sent["scope"], "openid");
    assert_eq!(sent["audience"], idp::AUDIENCE);
    assert_eq!(sent["client_id"], idp::CONFIDENTIAL_CLIENT);
    assert_eq!(sent["requested_expiry"], "300");
    // The receipt keeps a reference to the request, never the auth_req_id itself.
    let id = sent["auth_req_id"].as_str().unwrap();
    let reference = format!(
        "sha256:{}",
        &hex::encode(Sha256::digest(id.as_bytes()))[..16]
    );
    assert_eq!(approval["transactions"], serde_json::json!([reference]));
    assert!(!stdout.contains(id));

    // The approval is in the audit timeline and sealed by the receipt hash.
    let receipt_id = receipt["id"].as_str().unwrap();
    let (code, show, _) = run(ciba_cmd(&env, &idp).args(["audit", "show", receipt_id]));
    assert_eq!(code, 0);
    assert!(show.contains("ciba") && show.contains(idp::USER), "{show}");
    assert!(show.contains(message), "{show}");
    let mut tampered = receipt.clone();
    tampered["approval"]["approvers"] = serde_json::json!(["auth0|mallory"]);
    let file = env.path().join("tampered.json");
    std::fs::write(&file, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let (code, _, stderr) =
        run(ciba_cmd(&env, &idp).args(["audit", "verify", "--receipt", file.to_str().unwrap()]));
    assert_ne!(
        code, 0,
        "a changed approval must break the receipt hash: {stderr}"
    );
    let genuine = env.path().join("genuine.json");
    std::fs::write(&genuine, serde_json::to_vec(&receipt).unwrap()).unwrap();
    let (code, _, stderr) =
        run(ciba_cmd(&env, &idp).args(["audit", "verify", "--receipt", genuine.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_denied_approval_exits_5_and_writes_nothing() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let before = env.catalog_text();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            idp.settle_ciba(&request, false);
        });
        apply(&env, &idp, &plan, &[])
    });
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("denied"), "{stderr}");
    assert_eq!(env.catalog_text(), before);
    assert!(no_receipts(&env, &idp));
}

#[test]
fn an_unanswered_request_expires_with_exit_5() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let before = env.catalog_text();
    let conf = config(&env, "expiry_seconds = 2");
    let (code, _, stderr) = apply(&env, &idp, &plan, &["--config", conf.to_str().unwrap()]);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert_eq!(idp.ciba_requests()[0]["requested_expiry"], "2");
    assert_eq!(env.catalog_text(), before);
}

#[test]
fn wait_bounds_the_wait_for_an_answer() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let started = std::time::Instant::now();
    let (code, _, stderr) = apply(&env, &idp, &plan, &["--wait", "2"]);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("--wait"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn slow_down_makes_the_approval_poll_five_seconds_slower() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    idp.post("/_test/slow_down", serde_json::json!({ "count": 1 }));
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            while !idp.token_log().iter().any(|e| e["error"] == "slow_down") {
                std::thread::sleep(Duration::from_millis(100));
            }
            idp.settle_ciba(&request, true);
        });
        apply(&env, &idp, &plan, &[])
    });
    assert_eq!(code, 0, "{stderr}");
    let polls: Vec<Value> = idp
        .token_log()
        .into_iter()
        .filter(|e| e["grant_type"] == "urn:openid:params:grant-type:ciba")
        .collect();
    let slow = polls
        .iter()
        .position(|e| e["error"] == "slow_down")
        .unwrap();
    let gap = polls[slow + 1]["t_ms"].as_u64().unwrap() - polls[slow]["t_ms"].as_u64().unwrap();
    assert!(gap >= 5_500, "polled again after {gap} ms: {polls:?}");
    assert_eq!(
        polls.iter().filter(|e| e["error"] == "slow_down").count(),
        1
    );
}

#[test]
fn tier_3_needs_both_approvers() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER3);
    let before = env.catalog_text();
    let conf = config(&env, &format!("approvers = [\"{ALICE}\", \"{BOB}\"]"));
    let (code, stdout, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let alice = idp.wait_ciba_pending(ALICE);
            idp.settle_ciba(&alice, true);
            // One approval alone applies nothing.
            std::thread::sleep(Duration::from_secs(3));
            assert_eq!(
                env.catalog_text(),
                before,
                "written with one approval of two"
            );
            let bob = idp.wait_ciba_pending(BOB);
            idp.settle_ciba(&bob, true);
        });
        apply(&env, &idp, &plan, &["--config", conf.to_str().unwrap()])
    });
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(env.catalog_text(), before);
    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        receipt["approval"]["approvers"],
        serde_json::json!([ALICE, BOB])
    );
    assert_eq!(receipt["approval"]["strength"], "two_approvers");
    assert_eq!(
        receipt["approval"]["transactions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let requests = idp.ciba_requests();
    assert_eq!(requests.len(), 2);
    // Same message to both, and half the tier 2 expiry.
    assert_eq!(
        requests[0]["binding_message"],
        requests[1]["binding_message"]
    );
    assert!(requests.iter().all(|r| r["requested_expiry"] == "150"));
}

#[test]
fn tier_3_stops_at_the_first_denial() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER3);
    let before = env.catalog_text();
    let conf = config(&env, &format!("approvers = [\"{ALICE}\", \"{BOB}\"]"));
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let alice = idp.wait_ciba_pending(ALICE);
            idp.settle_ciba(&alice, true);
            let bob = idp.wait_ciba_pending(BOB);
            idp.settle_ciba(&bob, false);
        });
        apply(&env, &idp, &plan, &["--config", conf.to_str().unwrap()])
    });
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains(BOB) && stderr.contains("denied"),
        "{stderr}"
    );
    assert_eq!(env.catalog_text(), before);
    assert!(no_receipts(&env, &idp));
}

#[test]
fn tier_3_with_one_approver_needs_a_terminal_for_the_phrase() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER3);
    let (code, _, stderr) = apply(&env, &idp, &plan, &[]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("approval.approvers"), "{stderr}");
    assert!(idp.ciba_requests().is_empty(), "no push before the phrase");
}

#[test]
fn tier_0_and_1_and_auto_approved_tiers_send_no_approval_request() {
    let idp = Idp::start();
    let (env, _) = setup(&idp, TIER2);
    let (code, _, stderr) =
        run(ciba_cmd(&env, &idp).args(["apply", "notify the team about STR-001", "--no-input"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) =
        run(ciba_cmd(&env, &idp).args(["apply", "how many running shoes are there", "--no-input"]));
    assert_eq!(code, 0, "{stderr}");
    // A write the rules auto-approve goes through without a push either.
    let rules = env.rules_with_auto_approve(2);
    let before = env.catalog_text();
    let (code, _, stderr) = run(ciba_cmd(&env, &idp).args([
        "apply",
        TIER2,
        "--no-input",
        "--rules",
        rules.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(env.catalog_text(), before);
    assert!(idp.ciba_requests().is_empty());
}

#[test]
fn a_plan_edited_after_approval_is_refused_before_any_write() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let before = env.catalog_text();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            // While the approver looks at the push, someone rewrites the plan file.
            let text = std::fs::read_to_string(&plan).unwrap();
            let mut edited: Value = serde_json::from_str(&text).unwrap();
            edited["request"] = Value::String("something else".into());
            std::fs::write(&plan, serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
            idp.settle_ciba(&request, true);
        });
        apply(&env, &idp, &plan, &[])
    });
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("changed after it was approved"), "{stderr}");
    assert_eq!(env.catalog_text(), before);
    assert!(no_receipts(&env, &idp));
}

#[test]
fn an_unknown_approver_exits_1_with_a_hint() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let conf = config(&env, "approvers = [\"unknown\"]");
    let (code, _, stderr) = run(ciba_cmd(&env, &idp).args([
        "apply",
        plan.to_str().unwrap(),
        "--no-input",
        "--config",
        conf.to_str().unwrap(),
    ]));
    assert_eq!(code, 1, "{stderr}");
    insta::with_settings!({ filters => idp::filters() }, {
        insta::assert_snapshot!("ciba_unknown_approver", stderr);
    });
}

#[test]
fn a_lost_connection_while_polling_is_retried() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            idp.post("/_test/drop", serde_json::json!({ "count": 2 }));
            std::thread::sleep(Duration::from_secs(3));
            idp.settle_ciba(&request, true);
        });
        apply(&env, &idp, &plan, &[])
    });
    assert_eq!(code, 0, "{stderr}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_exits_130_and_writes_nothing() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER2);
    let before = env.catalog_text();
    let mut cmd = idp::std_ciba_cmd(&env, &idp);
    let child = cmd
        .args(["apply", plan.to_str().unwrap(), "--no-input"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    idp.wait_ciba_pending(idp::USER);
    // The shell's own `kill`, as a user's Ctrl-C would send SIGINT.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(env.catalog_text(), before);
    assert!(no_receipts(&env, &idp));
}

/// Tier 3 with one approver at a terminal: the changeset id typed first, then the push. Runs
/// the CLI under `script`, which gives it a pseudo-terminal as a person's shell would.
#[cfg(target_os = "linux")]
#[test]
fn tier_3_with_one_approver_takes_the_typed_id_and_the_push() {
    let idp = Idp::start();
    let (env, plan) = setup(&idp, TIER3);
    let plan_id = plan_json(&plan)["id"].as_str().unwrap().to_string();
    let before = env.catalog_text();
    let exe = assert_cmd::cargo::cargo_bin!("changeset");
    let line = format!("{} apply {} --format json", exe.display(), plan.display());
    let mut script = std::process::Command::new("script");
    idp::with_ciba_env(&mut script, &env, &idp);
    let mut child = script
        .env("TERM", "dumb")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let mut stdin = child.stdin.take().unwrap();
    {
        use std::io::Write;
        writeln!(stdin, "{plan_id}").unwrap();
    }
    // No push before the typed id; then one, with half the expiry. stdin stays open until the
    // end: closing it would end the terminal session.
    let request = idp.wait_ciba_pending(idp::USER);
    assert_eq!(request["requested_expiry"], "150");
    idp.settle_ciba(&request, true);
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Type the changeset id"), "{text}");
    assert!(
        text.contains("\"strength\": \"approver_and_phrase\""),
        "{text}"
    );
    assert_ne!(env.catalog_text(), before);
}

#[test]
fn rich_details_show_the_plan_and_an_answer_for_another_plan_is_refused() {
    for (echo, want) in [("echo", 0), ("tamper", 5), ("drop", 5)] {
        let idp = Idp::start_with(&[("RAR_ECHO", echo)]);
        let (env, plan) = setup(&idp, TIER3);
        let before = env.catalog_text();
        let conf = config(
            &env,
            &format!("approvers = [\"{ALICE}\", \"{BOB}\"]\nrich_details = true"),
        );
        let (code, stdout, stderr) = std::thread::scope(|s| {
            s.spawn(|| {
                for who in [ALICE, BOB] {
                    let request = idp.wait_ciba_pending(who);
                    idp.settle_ciba(&request, true);
                }
            });
            apply(&env, &idp, &plan, &["--config", conf.to_str().unwrap()])
        });
        assert_eq!(code, want, "{echo}: {stderr}");
        // What the approvers' screens got: one object of Auth0's shape naming this plan.
        let sent = &idp.ciba_requests()[0];
        let details: Value =
            serde_json::from_str(sent["authorization_details"].as_str().unwrap()).unwrap();
        let details = details.as_array().unwrap();
        assert_eq!(details.len(), 1);
        assert_eq!(
            details[0]["type"],
            "urn:auth0:schemas:authorization-details:v1:changeset"
        );
        let props = details[0]["properties"].as_array().unwrap();
        assert!(props.len() <= 10);
        assert!(
            props
                .iter()
                .all(|p| p["value"].as_str().unwrap().chars().count() <= 255)
        );
        let plan_hash = changeset::plan::file::read(&plan).unwrap().hash();
        assert!(
            props
                .iter()
                .any(|p| p["name"] == "plan_hash" && p["value"] == plan_hash.as_str())
        );
        assert!(
            props.iter().any(|p| p["value"]
                .as_str()
                .unwrap()
                .starts_with("STR-001 Promo Price: ")),
            "{props:?}"
        );
        if want == 0 {
            let receipt: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(receipt["plan_hash"], plan_hash.as_str());
        } else {
            assert!(stderr.contains("does not echo"), "{stderr}");
            assert_eq!(env.catalog_text(), before, "{echo}: nothing written");
        }
    }
}
