//! The gate's apply flow on loopback: the test IdP (JWT access tokens for the gate's API, CIBA
//! with RAR for the gate's CIBA client) and a CSV source on the gate's allow-list. Every attack
//! named by the issue gets a test in which it fails.

use std::time::Duration;

use serde_json::{Value, json};

use super::service::{self, GateProcess};
use crate::fake_google::{FakeGoogle, Op, SCOPE_READ, typed_rows_from_csv};
use crate::idp::{AUDIENCE, CIBA_CLIENT, Idp, USER, VAULT_CLIENT};
use crate::support::{TestEnv, run};

const TIER2: &str = "put STR-001 on 20% off";
const OTHER_TIER2: &str = "put STR-002 on 10% off";
const TIER3: &str = "take 30% off all running shoes";
const ALICE: &str = "auth0|alice";
const BOB: &str = "auth0|bob";
const CAROL: &str = "auth0|carol";
/// The spreadsheet on the gate's allow-list in `gate_setup`.
const SHEET: &str = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const READER_TOKEN: &str = "ya29.gate-reader";

struct Setup {
    idp: Idp,
    env: TestEnv,
    /// Google for the gate: Sheets (when a test adds a tab) and Gmail (the notifier).
    google: FakeGoogle,
    gate: Option<GateProcess>,
    config: std::path::PathBuf,
    envs: Vec<(String, String)>,
}

fn setup() -> Setup {
    setup_with(|t| t, &[])
}

/// A gate on the test IdP's CIBA and Custom API clients; `edit` rewrites its gate.toml, `envs`
/// are set for the gate process.
fn setup_with(edit: impl Fn(String) -> String, envs: &[(&str, &str)]) -> Setup {
    setup_on(Idp::start(), edit, envs)
}

/// [`setup_with`] on an IdP started with other knobs.
fn setup_on(idp: Idp, edit: impl Fn(String) -> String, envs: &[(&str, &str)]) -> Setup {
    let env = TestEnv::new();
    let config = service::config_for(&env, &idp);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("gate-ciba", CIBA_CLIENT)
        .replace("gate-api-client", VAULT_CLIENT);
    std::fs::write(&config, edit(text)).unwrap();
    let google = FakeGoogle::start(SHEET);
    crate::sheets::trust_idp(&google, &idp);
    let mut envs: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for var in ["CHANGESET_SHEETS_API_URL", "CHANGESET_GMAIL_API_URL"] {
        envs.push((var.to_string(), google.url()));
    }
    let mut s = Setup {
        idp,
        env,
        google,
        gate: None,
        config,
        envs,
    };
    s.restart();
    s
}

impl Setup {
    /// Kills the gate (SIGKILL: nothing is flushed on the way out) and starts it again.
    fn restart(&mut self) {
        drop(self.gate.take());
        let mut cmd = self.env.std_cmd();
        cmd.env("GATE_TV_SECRET", "test-secret")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .args(["gate", "serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&self.config);
        self.gate = Some(service::spawn(&mut cmd));
    }

    /// The gate's stored record of an apply (what survives a restart), read from its database.
    fn stored(&self, id: &str) -> Value {
        let db = rusqlite::Connection::open(self.env.path().join("audit.db")).unwrap();
        let body: String = db
            .query_row("SELECT body FROM gate_applies WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        serde_json::from_str(&body).unwrap()
    }

    /// Waits until the gate has stored the CIBA requests it sent for the apply (a gate killed
    /// before that sends them again after its restart).
    fn wait_requests_stored(&self, id: &str) {
        for _ in 0..200 {
            if self.stored(id)["requests"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the gate never stored its CIBA requests for {id}");
    }

    /// Applies the plan, kills and restarts the gate once it stored its CIBA request, then
    /// approves that request; returns the apply's id.
    fn apply_restart_approve(&mut self, token: &str, plan: &Value) -> String {
        let (_, view) = self.post_apply(token, plan);
        let id = view["id"].as_str().unwrap().to_string();
        let request = self.pending_request(view["binding_message"].as_str().unwrap());
        self.wait_requests_stored(&id);
        self.restart();
        self.idp.settle_ciba(&request, true);
        id
    }

    fn url(&self) -> &str {
        &self.gate.as_ref().expect("a running gate").url
    }

    fn token(&self, sub: &str, scope: &str) -> String {
        let (_, v) = self.idp.post(
            "/_test/access_token",
            json!({"sub": sub, "aud": AUDIENCE, "scope": scope}),
        );
        v["access_token"].as_str().unwrap().to_string()
    }

    /// A plan made by the CLI (locally, as an agent would), as JSON.
    fn plan(&self, request: &str, source: &str) -> Value {
        self.plan_with(request, source, &[])
    }

    fn plan_with(&self, request: &str, source: &str, envs: &[(&str, &str)]) -> Value {
        let out = self.env.path().join("plan.json");
        let (code, _, stderr) = run(self.env.cmd().envs(envs.iter().copied()).args([
            "plan",
            request,
            "--source",
            source,
            "-o",
            out.to_str().unwrap(),
        ]));
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url());
        changeset::net::block_on(async {
            let client = reqwest::Client::new();
            let mut req = match method {
                "POST" => client.post(&url),
                "DELETE" => client.delete(&url),
                _ => client.get(&url),
            }
            .bearer_auth(token)
            .timeout(Duration::from_secs(90));
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = req.send().await.expect("call the gate");
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        })
    }

    fn post_apply(&self, token: &str, plan: &Value) -> (u16, Value) {
        self.call("POST", "/v1/applies", token, Some(json!({ "plan": plan })))
    }

    /// The apply once its status is no longer `from` (long poll, up to 60 s).
    fn wait_past(&self, token: &str, id: &str, from: &str) -> Value {
        for _ in 0..4 {
            let (status, view) =
                self.call("GET", &format!("/v1/applies/{id}?wait=15"), token, None);
            assert_eq!(status, 200, "{view}");
            if view["status"] != from {
                return view;
            }
        }
        panic!("apply {id} stayed {from}");
    }

    /// The apply once it is past waiting for approval and for its write.
    fn wait_settled(&self, token: &str, id: &str) -> Value {
        let view = self.wait_past(token, id, "pending_approval");
        if view["status"] == "approved" {
            return self.wait_past(token, id, "approved");
        }
        view
    }

    fn metrics(&self) -> String {
        changeset::net::block_on(async {
            let r = reqwest::get(format!("{}/metrics", self.url()))
                .await
                .unwrap();
            r.text().await.unwrap()
        })
    }

    /// The pending CIBA request whose binding message is `message`.
    fn pending_request(&self, message: &str) -> Value {
        for _ in 0..200 {
            let pending = self.idp.get("/_test/ciba/pending");
            if let Some(p) = pending
                .as_array()
                .and_then(|a| a.iter().find(|p| p["binding_message"] == message))
            {
                return p.clone();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no CIBA request with the binding message {message}");
    }

    fn receipts(&self) -> Vec<Value> {
        let audit = self.token(USER, "changeset:audit");
        let (status, page) = self.call("GET", "/v1/receipts", &audit, None);
        assert_eq!(status, 200, "{page}");
        page["receipts"].as_array().cloned().unwrap_or_default()
    }

    fn catalog_path(&self) -> String {
        self.env.catalog().to_str().unwrap().to_string()
    }
}

#[test]
fn an_apply_approved_on_the_requesters_device_is_written_once_with_a_signed_receipt() {
    let s = setup();
    let before = s.env.catalog_text();
    let plan = s.plan(TIER2, &s.catalog_path());
    let apply = s.token(USER, "changeset:apply");
    let (status, view) = s.post_apply(&apply, &plan);
    assert_eq!(status, 202, "{view}");
    assert_eq!(view["status"], "pending_approval", "{view}");
    assert_eq!(view["tier"], 2);
    assert_eq!(
        view["approvers"],
        json!([{"sub": USER, "state": "pending"}])
    );
    let message = view["binding_message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with(plan["id"].as_str().unwrap()),
        "{message}"
    );

    // The approver's device shows the gate's binding message and the RAR details of the plan.
    let request = s.pending_request(&message);
    assert_eq!(request["client_id"], CIBA_CLIENT);
    let details = request["authorization_details"].as_str().unwrap();
    assert!(
        details.contains(view["plan_hash"].as_str().unwrap()),
        "{details}"
    );
    // Nothing is written while the approval is pending.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(s.env.catalog_text(), before);
    s.idp.settle_ciba(&request, true);

    let id = view["id"].as_str().unwrap();
    let done = s.wait_settled(&apply, id);
    assert_eq!(done["status"], "applied", "{done}");
    assert_ne!(s.env.catalog_text(), before, "approved but not written");
    let receipt = &done["receipt"];
    assert_eq!(receipt["enforced_by"], "gate");
    assert_eq!(receipt["requester"], USER);
    assert_eq!(receipt["approval"]["approvers"], json!([USER]));
    assert_eq!(receipt["approval"]["plan_hash"], view["plan_hash"]);

    // The receipt verifies offline with the gate's public key; an edit does not.
    let public = std::fs::read_to_string(s.env.path().join("gate-signing.key.pub")).unwrap();
    let key = changeset::audit::checkpoint::VerifierKey::parse(&public).unwrap();
    let text = receipt.to_string();
    changeset::audit::signed::verify(&text, &key).unwrap();
    let forged = text.replace(USER, "auth0|mallory");
    assert!(changeset::audit::signed::verify(&forged, &key).is_err());

    // A replayed POST returns the same apply and writes nothing more.
    let after = s.env.catalog_text();
    let (status, again) = s.post_apply(&apply, &plan);
    assert_eq!(status, 202, "{again}");
    assert_eq!(
        (&again["id"], &again["status"]),
        (&view["id"], &json!("applied"))
    );
    assert_eq!(s.env.catalog_text(), after);
    let receipts = s.receipts();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0]["id"], receipt["id"]);

    // One CIBA request in all, and the metrics count the apply.
    assert_eq!(s.idp.ciba_requests().len(), 1);
    let metrics = s.metrics();
    assert!(
        metrics.contains("changeset_gate_applies_total{status=\"applied\"} 1")
            && metrics.contains("changeset_gate_approval_seconds_count 1"),
        "{metrics}"
    );
}

#[test]
fn a_plan_with_lowered_tiers_edited_facts_and_other_rules_is_scored_again() {
    let s = setup();
    let honest = s.plan(TIER2, &s.catalog_path());
    let mut forged = honest.clone();
    forged["tier"] = json!(0);
    forged["rules"]["sha256"] = json!(format!("sha256:{}", "0".repeat(64)));
    forged["approval"] = json!({"required": false, "method": "auto"});
    for op in forged["operations"].as_array_mut().unwrap() {
        op["tier"] = json!(0);
        op["facts"]["affected_records"] = json!(0);
        op["facts"]["operation_type"] = json!("read");
        op["label"] = json!("harmless");
    }
    let apply = s.token(USER, "changeset:apply");
    let (status, view) = s.post_apply(&apply, &forged);
    assert_eq!(status, 202, "{view}");
    assert_eq!(view["tier"], honest["tier"], "{view}");
    assert_eq!(view["status"], "pending_approval");
    assert_eq!(view["required"], 1);

    // The honest plan under the same id is not the apply already made: refused, not merged.
    let (status, conflict) = s.post_apply(&apply, &honest);
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["error"], "plan_id_in_use");
}

#[test]
fn tier_3_needs_two_distinct_approvers_and_never_the_requester() {
    let s = setup();
    let plan = s.plan(TIER3, &s.catalog_path());
    assert_eq!(plan["tier"], 3);

    // Alice asks: the policy bars her, which leaves one approver for two approvals.
    let alice = s.token(ALICE, "changeset:apply");
    let (status, refused) = s.post_apply(&alice, &plan);
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"], "approval_impossible");
    assert!(s.idp.ciba_requests().is_empty(), "asked someone anyway");

    // USER asks: Alice and Bob are asked.
    let before = s.env.catalog_text();
    let requester = s.token(USER, "changeset:apply");
    let (status, view) = s.post_apply(&requester, &plan);
    assert_eq!(status, 202, "{view}");
    assert_eq!(view["required"], 2);
    let id = view["id"].as_str().unwrap();
    let first = s.idp.wait_ciba_pending(ALICE);
    s.idp.settle_ciba(&first, true);
    // One approval of two. (A double approval by one person cannot reach the gate through the
    // IdP: the gate asks each distinct subject once, so there is no second request of Alice's to
    // answer. Dedup is covered by the unit test `one_approver_approving_twice_counts_once` and by
    // `one_person_listed_twice_counts_once`, where Alice as requester and as subject is refused.)
    std::thread::sleep(Duration::from_secs(3));
    let (_, still) = s.call("GET", &format!("/v1/applies/{id}"), &requester, None);
    assert_eq!(still["status"], "pending_approval", "{still}");
    assert_eq!(
        still["approvers"][0],
        json!({"sub": ALICE, "state": "approved"})
    );
    assert_eq!(
        s.env.catalog_text(),
        before,
        "written with one approval of two"
    );
    let second = s.idp.wait_ciba_pending(BOB);
    s.idp.settle_ciba(&second, true);
    let done = s.wait_settled(&requester, id);
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(
        done["receipt"]["approval"]["approvers"],
        json!([ALICE, BOB])
    );
    assert_eq!(done["receipt"]["approval"]["strength"], "two_approvers");
}

/// The tier-3 policy of `gate_setup` with `policy` (approvers, count, distinct) in its place.
fn tier_3_policy(policy: &'static str) -> impl Fn(String) -> String {
    move |t| {
        let old = "approvers = [\"auth0|alice\", \"auth0|bob\"]\ncount = 2\ndistinct_from_requester = true\n";
        assert!(t.contains(old), "gate.toml changed: {t}");
        t.replace(old, policy)
    }
}

#[test]
fn a_requester_among_the_tier_3_approvers_is_never_asked_and_two_others_must_approve() {
    let s = setup_with(
        tier_3_policy(
            "approvers = [\"auth0|alice\", \"auth0|bob\", \"auth0|carol\"]\ncount = 2\ndistinct_from_requester = true\n",
        ),
        &[],
    );
    let plan = s.plan(TIER3, &s.catalog_path());
    let before = s.env.catalog_text();
    let alice = s.token(ALICE, "changeset:apply");
    let (status, view) = s.post_apply(&alice, &plan);
    assert_eq!(status, 202, "{view}");
    assert_eq!(view["required"], 2);
    assert_eq!(
        view["approvers"],
        json!([{"sub": BOB, "state": "pending"}, {"sub": CAROL, "state": "pending"}])
    );
    let id = view["id"].as_str().unwrap();

    // Bob alone is one approval of two: nothing is written.
    let bob = s.idp.wait_ciba_pending(BOB);
    let carol = s.idp.wait_ciba_pending(CAROL);
    s.idp.settle_ciba(&bob, true);
    std::thread::sleep(Duration::from_secs(3));
    let (_, still) = s.call("GET", &format!("/v1/applies/{id}"), &alice, None);
    assert_eq!(still["status"], "pending_approval", "{still}");
    assert_eq!(
        s.env.catalog_text(),
        before,
        "written with one approval of two"
    );

    s.idp.settle_ciba(&carol, true);
    let done = s.wait_settled(&alice, id);
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(
        done["receipt"]["approval"]["approvers"],
        json!([BOB, CAROL])
    );
    // Alice is on the policy's list, yet no CIBA request ever went to her; Bob and Carol got one
    // each.
    let asked: Vec<Value> = s
        .idp
        .ciba_requests()
        .iter()
        .map(|r| r["account_id"].clone())
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        !asked.contains(&json!(ALICE)),
        "the requester was asked: {asked:?}"
    );
}

#[test]
fn one_person_listed_twice_counts_once() {
    // `requester` and `auth0|alice` are one person when Alice asks: two approvals cannot come
    // from one approver, so the gate refuses before asking anyone.
    let s = setup_with(
        tier_3_policy("approvers = [\"requester\", \"auth0|alice\"]\ncount = 2\n"),
        &[],
    );
    let plan = s.plan(TIER3, &s.catalog_path());
    let alice = s.token(ALICE, "changeset:apply");
    let (status, refused) = s.post_apply(&alice, &plan);
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"], "approval_impossible");
    assert!(s.idp.ciba_requests().is_empty(), "asked someone anyway");
}

#[test]
fn an_approval_of_plan_a_does_not_release_plan_b() {
    let s = setup();
    let plan_a = s.plan(TIER2, &s.catalog_path());
    let plan_b = s.plan(OTHER_TIER2, &s.catalog_path());
    let token = s.token(USER, "changeset:apply");
    let (_, a) = s.post_apply(&token, &plan_a);
    let (_, b) = s.post_apply(&token, &plan_b);
    assert_ne!(a["plan_hash"], b["plan_hash"]);
    let request_a = s.pending_request(a["binding_message"].as_str().unwrap());
    s.idp.settle_ciba(&request_a, true);
    let done = s.wait_settled(&token, a["id"].as_str().unwrap());
    assert_eq!(done["status"], "applied", "{done}");
    let (_, b_now) = s.call(
        "GET",
        &format!("/v1/applies/{}", b["id"].as_str().unwrap()),
        &token,
        None,
    );
    assert_eq!(b_now["status"], "pending_approval", "{b_now}");
    assert_eq!(s.receipts().len(), 1);

    // Plan B's content under plan A's id (reusing A's approval) is refused.
    let mut b_as_a = plan_b.clone();
    b_as_a["id"] = plan_a["id"].clone();
    let (status, refused) = s.post_apply(&token, &b_as_a);
    assert_eq!(status, 409, "{refused}");
}

#[test]
fn a_source_off_the_allow_list_is_refused_with_403() {
    let s = setup();
    let other = s.env.path().join("other.csv");
    std::fs::copy(s.env.catalog(), &other).unwrap();
    let plan = s.plan(TIER2, other.to_str().unwrap());
    let token = s.token(USER, "changeset:apply");
    let (status, refused) = s.post_apply(&token, &plan);
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"], "source_not_allowed");
    // `..` does not lead around the list either.
    let mut sneaky = plan.clone();
    sneaky["source"]["uri"] = json!(format!(
        "{}/../{}/other.csv",
        s.env.path().display(),
        s.env.path().file_name().unwrap().to_str().unwrap()
    ));
    let (status, _) = s.post_apply(&token, &sneaky);
    assert_eq!(status, 403);
    assert!(s.idp.ciba_requests().is_empty());
}

#[test]
fn the_requester_cancels_and_others_cannot_see_the_apply() {
    let s = setup();
    let before = s.env.catalog_text();
    let plan = s.plan(TIER2, &s.catalog_path());
    let token = s.token(USER, "changeset:apply");
    let (_, view) = s.post_apply(&token, &plan);
    let id = view["id"].as_str().unwrap();
    let stranger = s.token(ALICE, "changeset:apply");
    let (status, _) = s.call("GET", &format!("/v1/applies/{id}"), &stranger, None);
    assert_eq!(status, 404);
    let (status, _) = s.call("DELETE", &format!("/v1/applies/{id}"), &stranger, None);
    assert_eq!(status, 404);

    let (status, cancelled) = s.call("DELETE", &format!("/v1/applies/{id}"), &token, None);
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    // An approval after the cancel writes nothing.
    let request = s.pending_request(view["binding_message"].as_str().unwrap());
    s.idp.settle_ciba(&request, true);
    std::thread::sleep(Duration::from_secs(3));
    let (_, now) = s.call("GET", &format!("/v1/applies/{id}"), &token, None);
    assert_eq!(now["status"], "cancelled", "{now}");
    assert_eq!(s.env.catalog_text(), before);
    let (status, _) = s.call("DELETE", &format!("/v1/applies/{id}"), &token, None);
    assert_eq!(status, 409);
}

#[test]
fn a_subject_who_learns_a_plan_id_cannot_squat_it() {
    let s = setup();
    let plan = s.plan(TIER2, &s.catalog_path());
    let alice = s.token(ALICE, "changeset:apply");
    let bob = s.token(BOB, "changeset:apply");
    // Bob posts Alice's plan first: he gets an apply of his own, not the plan id.
    let (status, bobs) = s.post_apply(&bob, &plan);
    assert_eq!(status, 202, "{bobs}");
    assert_eq!(bobs["requester"], BOB, "{bobs}");
    let (status, hers) = s.post_apply(&alice, &plan);
    assert_eq!(status, 202, "{hers}");
    assert_eq!(
        (&hers["requester"], &hers["plan_id"]),
        (&json!(ALICE), &plan["id"])
    );
    let id = hers["id"].as_str().unwrap();
    assert_ne!(bobs["id"].as_str().unwrap(), id);
    // Her retry names the same apply; Bob cannot see it.
    let (status, again) = s.post_apply(&alice, &plan);
    assert_eq!((status, &again["id"]), (202, &hers["id"]), "{again}");
    let (status, _) = s.call("GET", &format!("/v1/applies/{id}"), &bob, None);
    assert_eq!(status, 404);
}

#[test]
fn a_pending_apply_survives_a_killed_gate_and_completes_after_the_restart() {
    let mut s = setup();
    let plan = s.plan(TIER2, &s.catalog_path());
    let token = s.token(USER, "changeset:apply");
    // Approved while no gate ran the first poll loop: the restarted gate polls it again.
    let id = s.apply_restart_approve(&token, &plan);
    let done = s.wait_settled(&token, &id);
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(s.receipts().len(), 1);
    assert_eq!(
        s.idp.ciba_requests().len(),
        1,
        "asked again after the restart"
    );
}

/// A gate whose allow-list holds the fake Google's spreadsheet, read with the gate's own token,
/// and a plan for `request` against it.
fn sheets_setup(request: &str) -> (Setup, Value) {
    let s = setup_with(
        |t| {
            t.replace(
                "[sources]\n",
                "[sources]\nreader_token_env = \"GATE_READER_TOKEN\"\n",
            )
        },
        &[("GATE_READER_TOKEN", READER_TOKEN)],
    );
    let rows =
        typed_rows_from_csv(&std::fs::read_to_string(crate::support::example_catalog()).unwrap());
    s.google.add_tab("Products", rows);
    // The gate's own reader token may only read.
    s.google.allow_token(READER_TOKEN, &[SCOPE_READ]);
    let source = format!("sheets:{SHEET}/Products");
    let url = s.google.url();
    let plan = s.plan_with(
        request,
        &source,
        &[
            ("CHANGESET_GOOGLE_ACCESS_TOKEN", READER_TOKEN),
            ("CHANGESET_SHEETS_API_URL", url.as_str()),
        ],
    );
    (s, plan)
}

fn exchanges(s: &Setup) -> Vec<Value> {
    s.idp
        .get("/_test/federated_tokens")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_sheets_write_acts_as_the_requester_and_nothing_is_exchanged_before_the_approval() {
    let (s, plan) = sheets_setup(TIER2);
    let google = &s.google;
    // check-config names the reader token's variable, never its value.
    let (code, shown, _) = run(s
        .env
        .cmd()
        .env("GATE_TV_SECRET", "test-secret")
        .env("GATE_READER_TOKEN", READER_TOKEN)
        .args(["gate", "check-config", "--config"])
        .arg(&s.config));
    assert_eq!(code, 0);
    assert!(
        shown.contains("$GATE_READER_TOKEN") && !shown.contains(READER_TOKEN),
        "{shown}"
    );
    let token = s.token(USER, "changeset:apply");
    let (status, view) = s.post_apply(&token, &plan);
    assert_eq!(status, 202, "{view}");
    let request = s.pending_request(view["binding_message"].as_str().unwrap());
    std::thread::sleep(Duration::from_secs(2));
    // Pending: the gate read with its own token and exchanged nothing.
    assert!(
        exchanges(&s).is_empty(),
        "a Token Vault exchange before the approval"
    );
    assert_eq!(google.count(Op::BatchUpdate), 0);
    s.idp.settle_ciba(&request, true);
    let id = view["id"].as_str().unwrap();
    let done = s.wait_settled(&token, id);
    assert_eq!(done["status"], "applied", "{done}");

    // The exchanges (the writer's, then the notifier's), after the approval, by the gate's Custom
    // API Client, of the requester's token.
    let minted = exchanges(&s);
    assert_eq!(minted.len(), 2, "{minted:?}");
    use sha2::Digest;
    let subject = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    for m in &minted {
        assert_eq!(
            (&m["client_id"], &m["sub"]),
            (&json!(VAULT_CLIENT), &json!(USER))
        );
        assert_eq!(m["subject_token_sha256"], subject);
    }
    // The one write used the writer's Google token; every read used the gate's.
    let requests = google.requests();
    let writes: Vec<_> = requests
        .iter()
        .filter(|r| r.op == Op::BatchUpdate)
        .collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].token.as_deref(),
        minted[0]["access_token"].as_str()
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.op == Op::BatchGet || r.op == Op::Metadata)
            .all(|r| r.token.as_deref() == Some(READER_TOKEN)
                || r.token.as_deref() == minted[0]["access_token"].as_str()),
        "a read with another token"
    );
    // The summary went out once, after the seal.
    assert_eq!(google.mail().len(), 1);
    assert_eq!(done["receipt"]["notify"]["status"], "pending");
    // Neither the requester's access token nor a Google token reached the gate's store, the
    // receipt or the answers (the requester's token lives in the gate's memory only).
    let db = ["audit.db", "audit.db-wal"].map(|f| s.env.path().join(f));
    s.idp.assert_no_leak(&s.env, &format!("{view}{done}"), &db);
    let stored: Vec<u8> = db
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap_or_default())
        .collect();
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains(USER), "the store was not read");
    for secret in std::iter::once(token.as_str())
        .chain(minted.iter().filter_map(|m| m["access_token"].as_str()))
    {
        assert!(!stored.contains(secret), "a token reached the gate's store");
    }
    let writer = done["receipt"]["delegation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["agent"] == "writer")
        .cloned()
        .unwrap();
    assert_eq!(
        (&writer["via"], &writer["on_behalf_of"]),
        (&json!("token_vault"), &json!(USER))
    );
    let metrics = s.metrics();
    assert!(
        !metrics.contains("changeset_gate_google_requests_total 0\n"),
        "{metrics}"
    );
}

#[test]
fn an_approval_after_a_restart_waits_for_the_requesters_next_call() {
    let (mut s, plan) = sheets_setup(TIER2);
    let token = s.token(USER, "changeset:apply");
    // The restarted gate no longer holds the requester's token (memory only).
    let id = s.apply_restart_approve(&token, &plan);
    // Read from the gate's store, not through a call of the requester's (which would hand over
    // a token).
    let mut approved = false;
    for _ in 0..300 {
        if s.stored(&id)["view"]["status"] == "approved" {
            approved = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(approved, "the approval was not recorded: {}", s.stored(&id));
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        exchanges(&s).is_empty(),
        "exchanged without a token of the requester's"
    );
    assert_eq!(s.google.count(Op::BatchUpdate), 0);
    // The requester's next call hands over a fresh token: the write follows.
    let fresh = s.token(USER, "changeset:apply");
    let done = s.wait_past(&fresh, &id, "approved");
    assert_eq!(done["status"], "applied", "{done}");
    assert!(!exchanges(&s).is_empty());
    assert_eq!(s.google.count(Op::BatchUpdate), 1);
}

#[test]
fn the_gate_plans_under_its_own_rules_from_an_allowed_source_only() {
    let s = setup();
    let token = s.token(USER, "changeset:plan changeset:apply");
    let (status, plan) = s.call(
        "POST",
        "/v1/plans",
        &token,
        Some(json!({"request": TIER2, "source": "catalog.csv"})),
    );
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["tier"], 2);
    let rules = std::fs::read_to_string(s.env.path().join("rules.toml")).unwrap();
    assert_eq!(
        plan["rules"]["sha256"],
        changeset::digest::sha256_prefixed(rules.as_bytes())
    );
    assert_eq!(plan["source"]["uri"], s.catalog_path());
    // No source named: the allow-list's first. The plan applies through the gate as it is.
    let (status, default) = s.call("POST", "/v1/plans", &token, Some(json!({"request": TIER2})));
    assert_eq!(status, 200, "{default}");
    assert_eq!(default["source"], plan["source"]);
    let (status, view) = s.post_apply(&token, &plan);
    assert_eq!(status, 202, "{view}");
    assert_eq!(
        view["plan_hash"],
        json!(
            changeset::plan::file::parse(&plan.to_string())
                .unwrap()
                .hash()
        )
    );

    // A source off the allow-list, a planning token without the scope, a request it cannot read.
    let other = s.env.path().join("other.csv");
    std::fs::copy(s.env.catalog(), &other).unwrap();
    let (status, refused) = s.call(
        "POST",
        "/v1/plans",
        &token,
        Some(json!({"request": TIER2, "source": other.to_str().unwrap()})),
    );
    assert_eq!(
        (status, &refused["error"]),
        (403, &json!("source_not_allowed")),
        "{refused}"
    );
    let apply_only = s.token(USER, "changeset:apply");
    let (status, refused) = s.call(
        "POST",
        "/v1/plans",
        &apply_only,
        Some(json!({"request": TIER2})),
    );
    assert_eq!(
        (status, &refused["error"]),
        (403, &json!("insufficient_scope")),
        "{refused}"
    );
    let (status, refused) = s.call(
        "POST",
        "/v1/plans",
        &token,
        Some(json!({"request": "end the promo on STR-001 please and then dance"})),
    );
    assert_eq!(status, 422, "{refused}");
}

#[test]
fn on_postgresql_a_pending_apply_survives_a_restart_and_the_receipt_joins_the_shared_chain() {
    let url = crate::pg::database();
    let mut s = setup_with(|t| format!("{t}\n[audit]\nurl = \"{url}\"\n"), &[]);
    let plan = s.plan(TIER2, &s.catalog_path());
    let token = s.token(USER, "changeset:apply");
    let (status, view) = s.post_apply(&token, &plan);
    assert_eq!(status, 202, "{view}");
    let id = view["id"].as_str().unwrap().to_string();
    let request = s.pending_request(view["binding_message"].as_str().unwrap());
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let stored = |db: &mut postgres::Client| -> Value {
        let body: String = db
            .query_one("SELECT body FROM gate_applies WHERE id = $1", &[&id])
            .unwrap()
            .get(0);
        serde_json::from_str(&body).unwrap()
    };
    for _ in 0..200 {
        if stored(&mut db)["requests"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !s.env.path().join("audit.db").exists(),
        "SQLite used besides PostgreSQL"
    );
    s.restart();
    s.idp.settle_ciba(&request, true);
    let done = s.wait_settled(&token, &id);
    assert_eq!(done["status"], "applied", "{done}");
    let hash: String = db
        .query_one("SELECT hash FROM chain_head WHERE one = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(done["receipt"]["hash"], hash);
    assert_eq!(stored(&mut db)["view"]["status"], "applied");
}

#[test]
fn a_forbidden_change_is_refused_whatever_the_approval() {
    let s = setup();
    let mut plan = s.plan(TIER2, &s.catalog_path());
    // The promo price edited above the base price: a forbid rule matches the row's end state.
    for op in plan["operations"].as_array_mut().unwrap() {
        for c in op["changes"].as_array_mut().unwrap() {
            if c["field"] == "Promo Price" {
                c["after"] = json!(9999.0);
            }
        }
    }
    let token = s.token(USER, "changeset:apply");
    let (status, refused) = s.post_apply(&token, &plan);
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"], "forbidden_change");
    assert!(
        s.idp.ciba_requests().is_empty(),
        "asked for approval anyway"
    );
}

#[test]
fn a_denial_and_a_timeout_end_the_apply_without_a_write() {
    let s = setup_with(
        |t| {
            t.replace(
                "approvers = [\"requester\"]\n",
                "approvers = [\"requester\"]\nexpiry_seconds = 3\n",
            )
        },
        &[],
    );
    let before = s.env.catalog_text();
    let token = s.token(USER, "changeset:apply");
    let (_, denied) = s.post_apply(&token, &s.plan(TIER2, &s.catalog_path()));
    let request = s.pending_request(denied["binding_message"].as_str().unwrap());
    s.idp.settle_ciba(&request, false);
    let view = s.wait_past(&token, denied["id"].as_str().unwrap(), "pending_approval");
    assert_eq!(view["status"], "denied", "{view}");
    assert_eq!(view["approvers"][0]["state"], "denied");

    let (_, unanswered) = s.post_apply(&token, &s.plan(OTHER_TIER2, &s.catalog_path()));
    let view = s.wait_past(
        &token,
        unanswered["id"].as_str().unwrap(),
        "pending_approval",
    );
    assert_eq!(view["status"], "expired", "{view}");
    assert_eq!(s.env.catalog_text(), before);
    assert!(s.receipts().is_empty());
    assert!(
        s.metrics()
            .contains("changeset_gate_applies_total{status=\"denied\"} 1"),
        "{}",
        s.metrics()
    );
}

#[test]
fn an_approval_whose_details_name_another_plan_does_not_count() {
    // The IdP echoes authorization details with another plan hash, as an approval obtained for
    // another plan would carry.
    let s = setup_on(Idp::start_with(&[("RAR_ECHO", "tamper")]), |t| t, &[]);
    let before = s.env.catalog_text();
    let token = s.token(USER, "changeset:apply");
    let (_, view) = s.post_apply(&token, &s.plan(TIER2, &s.catalog_path()));
    let request = s.pending_request(view["binding_message"].as_str().unwrap());
    s.idp.settle_ciba(&request, true);
    let done = s.wait_past(&token, view["id"].as_str().unwrap(), "pending_approval");
    assert_eq!(done["status"], "denied", "{done}");
    assert!(
        done["error"]["error_description"]
            .as_str()
            .unwrap()
            .contains("does not echo"),
        "{done}"
    );
    assert_eq!(s.env.catalog_text(), before);
}

#[test]
fn a_write_whose_answer_was_lost_is_settled_from_the_journal_without_a_second_write() {
    use crate::fake_google::Action;
    let (s, plan) = sheets_setup(TIER2);
    // Google applies the batch, then the connection drops before the answer.
    s.google.inject(Op::BatchUpdate, 0, Action::DropResponse);
    let token = s.token(USER, "changeset:apply");
    let (_, view) = s.post_apply(&token, &plan);
    let request = s.pending_request(view["binding_message"].as_str().unwrap());
    s.idp.settle_ciba(&request, true);
    let done = s.wait_settled(&token, view["id"].as_str().unwrap());
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(done["receipt"]["outcome"], "applied");
    assert_eq!(s.google.count(Op::BatchUpdate), 1, "written twice");
    // Settled by the gate: its receipt names the requester and carries the gate's signature.
    assert_eq!(done["receipt"]["enforced_by"], "gate");
    assert_eq!(done["receipt"]["requester"], USER);
    let public = std::fs::read_to_string(s.env.path().join("gate-signing.key.pub")).unwrap();
    let key = changeset::audit::checkpoint::VerifierKey::parse(&public).unwrap();
    changeset::audit::signed::verify(&done["receipt"].to_string(), &key).unwrap();
    assert_eq!(s.receipts().len(), 1);
}

#[test]
fn a_tier_the_gates_rules_approve_automatically_is_written_without_asking() {
    // The gate's own rules approve tier 2 automatically (the CLI's do not).
    let dir = tempfile::tempdir().unwrap();
    let rules = changeset::policy::DEFAULT_RULES
        .replace("auto_approve_max_tier = 1", "auto_approve_max_tier = 2");
    let path = dir.path().join("rules-auto.toml");
    std::fs::write(&path, &rules).unwrap();
    let sha = changeset::digest::sha256_prefixed(rules.as_bytes());
    let s = setup_with(
        |t| {
            let pinned = t
                .lines()
                .find(|l| l.starts_with("sha256 = "))
                .unwrap()
                .to_string();
            t.replace(
                "path = \"rules.toml\"",
                &format!("path = \"{}\"", path.display()),
            )
            .replace(&pinned, &format!("sha256 = \"{sha}\""))
        },
        &[],
    );
    let plan = s.plan(TIER2, &s.catalog_path());
    assert_eq!(plan["approval"]["required"], true, "the CLI's rules ask");
    let token = s.token(USER, "changeset:apply");
    let (status, view) = s.post_apply(&token, &plan);
    assert_eq!(status, 202, "{view}");
    assert_eq!(
        (&view["required"], &view["approvers"]),
        (&json!(0), &json!([]))
    );
    // The 202 body always names the binding message (DESIGN 13): null, as nobody is asked.
    assert_eq!(view.get("binding_message"), Some(&Value::Null), "{view}");
    let done = s.wait_settled(&token, view["id"].as_str().unwrap());
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(done["receipt"]["approval"]["method"], "auto");
    assert!(
        done["receipt"]["approval"].get("binding_message").is_none(),
        "a receipt names no message nobody was shown: {done}"
    );
    assert_eq!(done["receipt"]["rules_sha256"], sha);
    assert!(s.idp.ciba_requests().is_empty(), "someone was asked");
}
