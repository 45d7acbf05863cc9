//! The gate stopped in the middle of a write. Killed (SIGKILL, no chance to clean up) after the
//! write but before the receipt, then started again on the same store: the restart settles the
//! apply from the journal without writing a second time. Stopped (SIGTERM) during the write: it
//! finishes the write and records it before it exits. (Killed while an approval is pending:
//! tests/it/gate/applies.rs, `a_pending_apply_survives_a_killed_gate_and_completes_after_the_restart`.)

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_google::{self, FakeGoogle, Op, SCOPE_READ};
use crate::gate::service::{self, GateProcess};
use crate::gate_load::{Endpoint, access_token, auto_approving, gate_config};
use crate::idp::{CLIENT_SECRET, Idp, USER};
use crate::support::{TestEnv, run};

const SHEET: &str = "sheet-1";
const TAB: &str = "Products";
const READER_TOKEN: &str = "ya29.gate-reader";

/// A gate on a fake Sheets source whose rules auto-approve the plan, and that plan (made by the
/// CLI, as an agent would).
struct Sheet {
    _idp: Idp,
    env: TestEnv,
    google: FakeGoogle,
    config: PathBuf,
    token: String,
    plan: Value,
}

impl Sheet {
    fn new() -> Sheet {
        let idp = Idp::start();
        let env = TestEnv::new();
        let google = FakeGoogle::start(SHEET);
        let example = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
        google.add_tab(TAB, fake_google::typed_rows_from_csv(&example));
        google.allow_token(READER_TOKEN, &[SCOPE_READ]);
        crate::sheets::trust_idp(&google, &idp);
        let config = {
            let auto = auto_approving(&env, 2);
            gate_config(&env, &idp, |t| {
                auto(t).replace(
                    "allow = [\"catalog.csv\", ",
                    &format!("reader_token_env = \"GATE_READER_TOKEN\"\nallow = [\"{SHEET}\", "),
                )
            })
        };
        let token = access_token(&idp, USER);
        let out = env.path().join("plan.json");
        let source = format!("sheets:{SHEET}/{TAB}");
        let (code, _, stderr) = run(env
            .cmd()
            .env("CHANGESET_SHEETS_API_URL", google.url())
            .env("CHANGESET_GOOGLE_ACCESS_TOKEN", READER_TOKEN)
            .args(["plan", "put STR-001 on 20% off", "--source", &source, "-o"])
            .arg(&out));
        assert_eq!(code, 0, "{stderr}");
        let plan = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        Sheet {
            _idp: idp,
            env,
            google,
            config,
            token,
            plan,
        }
    }

    fn start(&self) -> (GateProcess, Endpoint) {
        let gate = service::spawn(
            self.env
                .std_cmd()
                .env("GATE_TV_SECRET", CLIENT_SECRET)
                .env("GATE_READER_TOKEN", READER_TOKEN)
                .env("CHANGESET_SHEETS_API_URL", self.google.url())
                .args(["gate", "serve", "--listen", "127.0.0.1:0", "--config"])
                .arg(&self.config),
        );
        let at = Endpoint {
            url: gate.url.clone(),
            token: self.token.clone(),
            ca: None,
        };
        (gate, at)
    }

    /// POSTs the plan with every read-back after the write hanging `secs`, and returns the
    /// apply's id once the gate has written and is reading back.
    fn apply_until_read_back(&self, at: &Endpoint, secs: f64) -> String {
        self.google.hang_reads_after_write(Some(secs));
        let posted = at.call("POST", "/v1/applies", Some(json!({ "plan": self.plan })));
        assert_eq!(posted.status, 202, "{}", posted.body);
        let id = posted.body["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self
            .google
            .requests()
            .iter()
            .skip_while(|r| r.op != Op::BatchUpdate)
            .any(|r| r.op == Op::BatchGet)
        {
            assert!(
                Instant::now() < deadline,
                "no read-back after a write: {}\n{:?}",
                at.call("GET", &format!("/v1/applies/{id}"), None).body,
                self.google
                    .requests()
                    .iter()
                    .map(|r| (r.op, r.status))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        id
    }
}

#[test]
fn a_gate_killed_after_the_write_settles_it_from_the_journal_without_writing_again() {
    let t = Sheet::new();
    let (gate, at) = t.start();
    // The write goes through; the read-back after it hangs, and the gate is killed there.
    let id = t.apply_until_read_back(&at, 60.0);
    drop(gate); // SIGKILL, between the write and the receipt
    assert_eq!(t.google.count(Op::BatchUpdate), 1);
    let written = t.google.cell(TAB, "STR-001", "Promo Price");
    assert_ne!(written, Value::Null, "the write happened before the kill");

    t.google.hang_reads_after_write(None);
    let (gate, at) = t.start();
    let done = at.settle(&id);
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(t.google.count(Op::BatchUpdate), 1, "written a second time");
    assert_eq!(t.google.cell(TAB, "STR-001", "Promo Price"), written);
    let receipts = at.receipts();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["plan_id"], t.plan["id"]);

    // Once more: a second restart finds nothing left to do.
    drop(gate);
    let (_gate, at) = t.start();
    assert_eq!(at.settle(&id)["status"], "applied");
    assert_eq!(
        (at.receipts().len(), t.google.count(Op::BatchUpdate)),
        (1, 1)
    );
}

#[cfg(unix)]
#[test]
fn a_gate_stopped_during_a_write_finishes_and_records_it_before_it_exits() {
    let t = Sheet::new();
    let (mut gate, at) = t.start();
    // The write goes through; the read-back hangs for a while (then its answer is lost and it
    // is read again), and the gate is asked to stop meanwhile.
    let id = t.apply_until_read_back(&at, 3.0);
    t.google.hang_reads_after_write(None);
    assert_eq!(gate.terminate(), Some(0));
    assert_eq!(t.google.count(Op::BatchUpdate), 1);

    // Recorded by the stopping gate itself: the store says applied, with the receipt.
    let mut store = changeset::audit::open(&changeset::audit::Location::Sqlite(
        t.env.path().to_path_buf(),
    ))
    .unwrap();
    let stored = changeset::gate::record::load(store.as_mut(), &id)
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.view.status.name(),
        "applied",
        "{:?}",
        stored.view.error
    );
    let receipt = stored.view.receipt.expect("the receipt is recorded");
    assert_eq!(receipt.plan_id, t.plan["id"].as_str().unwrap());
    drop(store);

    // A new start has nothing left to write.
    let (_gate, at) = t.start();
    assert_eq!(at.settle(&id)["status"], "applied");
    assert_eq!(
        (at.receipts().len(), t.google.count(Op::BatchUpdate)),
        (1, 1)
    );
}
