//! The gate killed (SIGKILL, no chance to clean up) after the write but before the receipt, then
//! started again on the same store: the restart settles the apply from the journal without
//! writing a second time. (Killed while an approval is pending: tests/it/gate/applies.rs,
//! `a_pending_apply_survives_a_killed_gate_and_completes_after_the_restart`.)

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_google::{self, FakeGoogle, Op, SCOPE_READ};
use crate::gate::service;
use crate::gate_load::{Endpoint, access_token, auto_approving, gate_config};
use crate::idp::{CLIENT_SECRET, Idp, USER};
use crate::support::{TestEnv, run};

const SHEET: &str = "sheet-1";
const TAB: &str = "Products";
const READER_TOKEN: &str = "ya29.gate-reader";

#[test]
fn a_gate_killed_after_the_write_settles_it_from_the_journal_without_writing_again() {
    let idp = Idp::start();
    let env = TestEnv::new();
    let google = FakeGoogle::start(SHEET);
    let example = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
    google.add_tab(TAB, fake_google::typed_rows_from_csv(&example));
    google.allow_token(READER_TOKEN, &[SCOPE_READ]);
    crate::sheets::trust_idp(&google, &idp);
    let auto = auto_approving(&env, 2);
    let config = gate_config(&env, &idp, |t| {
        auto(t).replace(
            "allow = [\"catalog.csv\", ",
            &format!("reader_token_env = \"GATE_READER_TOKEN\"\nallow = [\"{SHEET}\", "),
        )
    });
    let token = access_token(&idp, USER);
    let start = || {
        let gate = service::spawn(
            env.std_cmd()
                .env("GATE_TV_SECRET", CLIENT_SECRET)
                .env("GATE_READER_TOKEN", READER_TOKEN)
                .env("CHANGESET_SHEETS_API_URL", google.url())
                .args(["gate", "serve", "--listen", "127.0.0.1:0", "--config"])
                .arg(&config),
        );
        let at = Endpoint {
            url: gate.url.clone(),
            token: token.clone(),
            ca: None,
        };
        (gate, at)
    };

    // A plan made by the CLI (as an agent would), then applied at the gate (auto-approved).
    let out = env.path().join("plan.json");
    let source = format!("sheets:{SHEET}/{TAB}");
    let (code, _, stderr) = run(env
        .cmd()
        .env("CHANGESET_SHEETS_API_URL", google.url())
        .env("CHANGESET_GOOGLE_ACCESS_TOKEN", READER_TOKEN)
        .args(["plan", "put STR-001 on 20% off", "--source", &source, "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let (gate, at) = start();
    // The write goes through; the read-back after it hangs, and the gate is killed there.
    google.hang_reads_after_write(Some(60.0));
    let posted = at.call("POST", "/v1/applies", Some(json!({ "plan": plan })));
    assert_eq!(posted.status, 202, "{}", posted.body);
    let id = posted.body["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !google
        .requests()
        .iter()
        .skip_while(|r| r.op != Op::BatchUpdate)
        .any(|r| r.op == Op::BatchGet)
    {
        assert!(
            Instant::now() < deadline,
            "no read-back after a write: {}\n{:?}",
            at.call("GET", &format!("/v1/applies/{id}"), None).body,
            google
                .requests()
                .iter()
                .map(|r| (r.op, r.status))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(gate); // SIGKILL, between the write and the receipt
    assert_eq!(google.count(Op::BatchUpdate), 1);
    let written = google.cell(TAB, "STR-001", "Promo Price");
    assert_ne!(written, Value::Null, "the write happened before the kill");

    google.hang_reads_after_write(None);
    let (gate, at) = start();
    let done = at.settle(&id);
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(google.count(Op::BatchUpdate), 1, "written a second time");
    assert_eq!(google.cell(TAB, "STR-001", "Promo Price"), written);
    let receipts = at.receipts();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["plan_id"], plan["id"]);

    // Once more: a second restart finds nothing left to do.
    drop(gate);
    let (_gate, at) = start();
    assert_eq!(at.settle(&id)["status"], "applied");
    assert_eq!((at.receipts().len(), google.count(Op::BatchUpdate)), (1, 1));
}
