//! The CLI in gate mode (`CHANGESET_GATE_URL`): the login is for the gate's API, plan and apply
//! are requests to the gate, and nothing on this side can exchange a token or write the source.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_google::{FakeGoogle, Op, SCOPE_READ, typed_rows_from_csv};
use crate::gate::service::{config_for, start};
use crate::idp::{self, AUDIENCE, Idp, PUBLIC_CLIENT, USER, stored};
use crate::support::{TestEnv, filters, run};

const SCOPES: [&str; 3] = ["changeset:plan", "changeset:apply", "changeset:audit"];

fn snapshot(name: &str, text: &str) {
    let mut f = idp::filters();
    f.extend(filters());
    f.push((r"A-[0-9A-F]{12}", "[APPLY_ID]"));
    f.push((r"\b\d+:\d{2} left", "[M:SS] left"));
    insta::with_settings!({ filters => f }, {
        insta::assert_snapshot!(name, text);
    });
}

/// `changeset` against the test IdP in gate mode: the gate's URL and API set, the tenant's own
/// audience unset (so the gate's is the one asked for), no confidential client anywhere.
fn gate_cmd(env: &TestEnv, idp: &Idp, gate_url: &str) -> assert_cmd::Command {
    let mut cmd = env.std_cmd();
    in_gate_mode(&mut cmd, env, idp, gate_url);
    assert_cmd::Command::from_std(cmd)
}

/// The environment of `gate_cmd` on any command (also one run in a pseudo-terminal); as
/// `idp::cmd`: the file store, no keychain reachable.
fn in_gate_mode(cmd: &mut std::process::Command, env: &TestEnv, idp: &Idp, gate_url: &str) {
    cmd.env("CHANGESET_AUTH0_DOMAIN", &idp.base_url)
        .env("CHANGESET_CLIENT_ID", PUBLIC_CLIENT)
        .env("CHANGESET_CREDENTIAL_STORE", "file")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", env.path())
        .env("CHANGESET_GATE_URL", gate_url)
        .env("CHANGESET_GATE_AUDIENCE", AUDIENCE)
        .env_remove("CHANGESET_AUDIENCE");
}

/// `changeset login` in gate mode while the IdP approves the device code, granting `scope`
/// (the API permissions the user holds; None: all of them).
fn gate_login(env: &TestEnv, idp: &Idp, gate_url: &str, scope: Option<&str>) {
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                let pending = idp.get("/_test/device/pending");
                if let Some(first) = pending.as_array().and_then(|a| a.first()) {
                    let mut body = json!({ "user_code": first["user_code"] });
                    if let Some(scope) = scope {
                        body["scope"] = json!(scope);
                    }
                    let (status, answer) = idp.post("/_test/device/approve", body);
                    assert_eq!(status, 200, "{answer}");
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            panic!("no device login became pending");
        });
        run(gate_cmd(env, idp, gate_url).arg("login"))
    });
    assert_eq!(code, 0, "{stderr}");
}

/// A JWT's header and claims, unverified (the test checks them against the IdP's JWKS).
fn jwt_parts(token: &str) -> (Value, Value) {
    use base64::Engine;
    let part = |i: usize| -> Value {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(i).expect("a JWT has three parts"))
            .expect("base64url");
        serde_json::from_slice(&raw).expect("JSON")
    };
    (part(0), part(1))
}

#[test]
fn the_gate_mode_login_gets_a_jwt_for_the_gates_api_that_the_gate_accepts() {
    let idp = Idp::start();
    let env = TestEnv::new();
    gate_login(&env, &idp, "http://127.0.0.1:1", None);

    // The device login asked for the gate's API and its three permissions.
    let token = stored(&env)["access_token"].as_str().unwrap().to_string();
    let (header, claims) = jwt_parts(&token);
    let jwks = idp.get("/.well-known/jwks.json");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], USER);
    assert_eq!(claims["iss"], idp.issuer());
    let granted: Vec<&str> = claims["scope"].as_str().unwrap().split(' ').collect();
    assert_eq!(granted, SCOPES, "{claims}");

    // The gate's own verifier (signature against the JWKS, iss, aud, exp, scope) accepts it.
    let verifier = changeset::gate::token::Verifier::new(&idp.issuer(), AUDIENCE).unwrap();
    let requester = changeset::net::block_on(verifier.verify(
        Some(&format!("Bearer {token}")),
        "changeset:apply",
        changeset::auth::unix_now(),
    ))
    .expect("the gate accepts the gate-mode login");
    assert_eq!(requester.sub, USER);

    // A refresh keeps the API: the new access token is again for the gate.
    idp::expire_access_token(&env);
    let (code, _, stderr) = run(gate_cmd(&env, &idp, "http://127.0.0.1:1").arg("whoami"));
    assert_eq!(code, 0, "{stderr}");
    let refreshed = stored(&env)["access_token"].as_str().unwrap().to_string();
    assert_ne!(refreshed, token);
    assert_eq!(jwt_parts(&refreshed).1["aud"], AUDIENCE);
}

/// Token Vault serves only the Custom API Client linked to the gate's API: with everything the
/// gate-mode login holds, the public CLI client cannot mint a Google write token, while the
/// gate's client can (so the refusals are not a broken token).
#[test]
fn the_cli_cannot_mint_a_google_write_token_with_its_gate_mode_login() {
    let idp = Idp::start();
    let env = TestEnv::new();
    gate_login(&env, &idp, "http://127.0.0.1:1", None);
    let login = stored(&env);
    let access = login["access_token"].as_str().unwrap();
    let refresh = login["refresh_token"].as_str().unwrap();
    let exchange = |client: &[(&str, &str)], subject: &str, subject_type: &str| {
        let mut form = vec![
            ("grant_type", changeset::auth::vault::GRANT),
            ("subject_token", subject),
            ("subject_token_type", subject_type),
            (
                "requested_token_type",
                changeset::auth::vault::REQUESTED_TOKEN_TYPE,
            ),
            ("connection", "google-oauth2"),
        ];
        form.extend_from_slice(client);
        idp.post_form("/oauth/token", &form)
    };
    let public = [("client_id", PUBLIC_CLIENT)];
    let access_type = changeset::auth::vault::ACCESS_TOKEN_TYPE;
    let refresh_type = "urn:ietf:params:oauth:token-type:refresh_token";
    for (subject, kind) in [(access, access_type), (refresh, refresh_type)] {
        let (status, body) = exchange(&public, subject, kind);
        assert!(
            status >= 400,
            "the public client exchanged a {kind}: {body}"
        );
    }
    // The public client's refresh token is not even the gate's to exchange.
    let gate_client = [
        ("client_id", idp::VAULT_CLIENT),
        ("client_secret", idp::CLIENT_SECRET),
    ];
    let (status, body) = exchange(&gate_client, refresh, refresh_type);
    assert!(status >= 400, "{body}");
    assert!(
        idp.get("/_test/federated_tokens")
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The gate's Custom API Client may exchange the requester's access token.
    let (status, body) = exchange(&gate_client, access, access_type);
    assert_eq!(status, 200, "{body}");
    let minted = idp.get("/_test/federated_tokens");
    assert_eq!(minted[0]["client_id"], idp::VAULT_CLIENT);
    assert_eq!(minted[0]["sub"], USER);
}

#[test]
fn an_unreachable_gate_is_a_clear_error_with_a_hint() {
    let idp = Idp::start();
    let env = TestEnv::new();
    gate_login(&env, &idp, "http://127.0.0.1:1", None);
    let (code, _, stderr) = run(gate_cmd(&env, &idp, "http://127.0.0.1:1")
        .args(["plan", "set the promo price of RUN-001 to 99"]));
    assert_eq!(code, 1, "{stderr}");
    snapshot("gate_unreachable", &stderr);
    // Nothing was read or exchanged on this side.
    assert!(
        idp.get("/_test/federated_tokens")
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn gate_mode_refuses_what_would_touch_the_source_from_this_machine() {
    let idp = Idp::start();
    let env = TestEnv::new();
    let before = env.catalog_text();
    let mut out = String::new();
    for args in [
        &["rollback", "R-1A2B3C4D5E6F"][..],
        &["recover"],
        &["show", "plan.json"],
        &["plan", "--parser", "llm", "end the promo on RUN-001"],
        &[
            "plan",
            "--fact",
            "user_stress_level=0.1",
            "end the promo on RUN-001",
        ],
        &["apply", "--approval", "tty", "end the promo on RUN-001"],
    ] {
        let (code, stdout, stderr) = run(gate_cmd(&env, &idp, "http://127.0.0.1:1").args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        out.push_str(&format!("$ changeset {}\n{stderr}\n", args.join(" ")));
    }
    // A gate URL that is neither https nor loopback http is refused before anything is sent.
    let (code, _, stderr) =
        run(gate_cmd(&env, &idp, "http://gate.example.com")
            .args(["plan", "end the promo on RUN-001"]));
    assert_eq!(code, 1, "{stderr}");
    out.push_str(&format!(
        "$ CHANGESET_GATE_URL=http://gate.example.com changeset plan …\n{stderr}"
    ));
    snapshot("gate_mode_refusals", &out);
    assert_eq!(env.catalog_text(), before);
    assert!(idp.token_log().is_empty(), "{:?}", idp.token_log());
}

#[test]
fn a_gate_mode_login_without_an_audience_is_refused_before_it_starts() {
    let idp = Idp::start();
    let env = TestEnv::new();
    let (code, _, stderr) = run(gate_cmd(&env, &idp, "http://127.0.0.1:1")
        .env_remove("CHANGESET_GATE_AUDIENCE")
        .arg("login"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("CHANGESET_GATE_AUDIENCE"), "{stderr}");
    assert!(
        idp.get("/_test/device/pending")
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn gate_status_and_cancel_need_a_gate() {
    let env = TestEnv::new();
    let (code, _, stderr) = run(env.cmd().args(["gate", "status", "A-1"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no gate is configured"), "{stderr}");
    let (code, _, stderr) = run(env.cmd().args(["audit", "list", "--gate"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("CHANGESET_GATE_URL"), "{stderr}");
}

/// Doctor calls an authenticated route: a login for another API is refused (401), a login
/// without the audit permission gets 403, a full one is accepted.
#[test]
fn doctor_proves_the_gate_accepts_the_login() {
    let idp = Idp::start();
    let env = TestEnv::new();
    let config = config_for(&env, &idp);
    let gate = start(&env, &config);
    let doctor_gate = |env: &TestEnv| -> Value {
        let (_, stdout, stderr) =
            run(gate_cmd(env, &idp, &gate.url).args(["doctor", "--format", "json"]));
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "gate")
            .cloned()
            .unwrap()
    };

    let full = TestEnv::new();
    gate_login(&full, &idp, &gate.url, None);
    let check = doctor_gate(&full);
    assert_eq!(check["status"], "ok", "{check}");

    let plan_only = TestEnv::new();
    gate_login(&plan_only, &idp, &gate.url, Some("changeset:plan"));
    let check = doctor_gate(&plan_only);
    assert_eq!(check["status"], "fail", "{check}");
    assert!(
        check["detail"].as_str().unwrap().contains("permission"),
        "{check}"
    );

    let other_api = TestEnv::new();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| idp.settle_device_when_pending(true));
        run(gate_cmd(&other_api, &idp, &gate.url)
            .env(
                "CHANGESET_GATE_AUDIENCE",
                "https://other-api.changeset.test",
            )
            .arg("login"))
    });
    assert_eq!(code, 0, "{stderr}");
    let check = doctor_gate(&other_api);
    assert_eq!(check["status"], "fail", "{check}");
    assert!(
        check["hints"].to_string().contains("changeset login"),
        "{check}"
    );
    // In gate mode doctor fetched no Google token.
    assert!(
        idp.get("/_test/federated_tokens")
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// A tier-2 request under the gate's rules (its policy: the requester approves on their device).
const TIER2: &str = "put STR-001 on 20% off";

/// The spreadsheet on the gate's allow-list (tests/it/gate.rs `gate_setup`), and the gate's own
/// Google reader token.
const SHEET: &str = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const GATE_READER: &str = "ya29.gate-reader";

/// The test IdP, a fake Google, and a running `gate serve` whose CIBA and Token Vault clients
/// are the IdP's; the gate may write the env's catalog.csv and the fake's spreadsheet. The fake
/// Google accepts only the gate's tokens: its reader token (read-only) and the tokens Token Vault
/// minted for the gate's Custom API Client.
struct Served {
    idp: Idp,
    env: TestEnv,
    google: FakeGoogle,
    config: std::path::PathBuf,
    /// The gate's address: a restart listens on the same one.
    listen: String,
    gate: Option<crate::gate::service::GateProcess>,
}

impl Served {
    fn start() -> Served {
        let idp = Idp::start();
        let env = TestEnv::new();
        let config = config_for(&env, &idp);
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace("gate-ciba", idp::CIBA_CLIENT)
            .replace("gate-api-client", idp::VAULT_CLIENT)
            .replace(
                "[sources]\n",
                "[sources]\nreader_token_env = \"GATE_READER_TOKEN\"\n",
            );
        std::fs::write(&config, text).unwrap();
        let google = FakeGoogle::start(SHEET);
        let catalog = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
        google.add_tab("Products", typed_rows_from_csv(&catalog));
        google.allow_token(GATE_READER, &[SCOPE_READ]);
        let minted = format!("{}/_test/federated_tokens", idp.base_url);
        google.trust(std::sync::Arc::new(move |token: &str| {
            let all: Value = changeset::net::block_on(async {
                reqwest::get(&minted).await.ok()?.json().await.ok()
            })?;
            all.as_array()?
                .iter()
                .find(|t| t["access_token"] == token && t["client_id"] == idp::VAULT_CLIENT)
                .map(|t| {
                    t["scope"]
                        .as_str()
                        .unwrap_or_default()
                        .split(' ')
                        .map(str::to_string)
                        .collect()
                })
        }));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let gate = Served::spawn_gate(&env, &google, &config, &listen);
        Served {
            idp,
            env,
            google,
            config,
            listen,
            gate: Some(gate),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.listen)
    }

    fn spawn_gate(
        env: &TestEnv,
        google: &FakeGoogle,
        config: &std::path::Path,
        listen: &str,
    ) -> crate::gate::service::GateProcess {
        crate::gate::service::spawn(
            env.std_cmd()
                .env("GATE_TV_SECRET", idp::CLIENT_SECRET)
                .env("GATE_READER_TOKEN", GATE_READER)
                .env("CHANGESET_SHEETS_API_URL", google.url())
                .env("CHANGESET_GMAIL_API_URL", google.url())
                .args(["gate", "serve", "--listen", listen, "--config"])
                .arg(config),
        )
    }

    /// Kills the gate (SIGKILL) and starts it again on the same address.
    fn restart(&mut self) {
        drop(self.gate.take());
        self.gate = Some(Served::spawn_gate(
            &self.env,
            &self.google,
            &self.config,
            &self.listen,
        ));
    }

    /// The CLI in gate mode; its Google calls, if it made any, would reach the fake (and be
    /// refused), never the internet.
    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = gate_cmd(&self.env, &self.idp, &self.url());
        cmd.env("CHANGESET_SHEETS_API_URL", self.google.url())
            .env("CHANGESET_GMAIL_API_URL", self.google.url());
        cmd
    }

    /// A plan saved by the CLI outside gate mode (an agent's plan file).
    fn local_plan(&self, request: &str, source: &std::path::Path) -> std::path::PathBuf {
        let out = self.env.path().join("plan.json");
        let (code, _, stderr) = run(self
            .env
            .cmd()
            .arg("plan")
            .arg(request)
            .arg("--source")
            .arg(source)
            .arg("-o")
            .arg(&out));
        assert_eq!(code, 0, "{stderr}");
        out
    }

    /// `changeset apply PLAN_OR_REQUEST --format json` in gate mode while the IdP answers the
    /// requester's CIBA request (approve or deny) once it is pending.
    fn apply_answering(
        &self,
        plan: impl AsRef<std::ffi::OsStr>,
        approve: bool,
    ) -> (i32, String, String) {
        let mut cmd = self.cmd();
        cmd.arg("apply").arg(plan).args(["--format", "json"]);
        self.answering(approve, cmd)
    }

    /// Runs `cmd` while the IdP answers the requester's CIBA request once it is pending.
    fn answering(&self, approve: bool, mut cmd: assert_cmd::Command) -> (i32, String, String) {
        std::thread::scope(|s| {
            s.spawn(|| {
                let request = self.idp.wait_ciba_pending(USER);
                self.idp.settle_ciba(&request, approve);
            });
            run(&mut cmd)
        })
    }
}

/// The apply id the gate announced on stderr (one JSON line in JSON mode).
fn announced_id(stderr: &str) -> String {
    let line = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no JSON line on stderr: {stderr}"));
    let start = line.find("A-").unwrap_or_else(|| panic!("{line}"));
    line[start..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn end_to_end_login_plan_and_apply_through_the_gate_approve_written_and_the_receipt_verifies_offline()
 {
    let s = Served::start();
    gate_login(&s.env, &s.idp, &s.url(), None);
    let before = s.env.catalog_text();
    // The gate plans (its reader, its rules): the same table as a local plan.
    let plan = s.env.path().join("gate-plan.json");
    let (code, tables, stderr) = run(s.cmd().args(["plan", TIER2, "-o"]).arg(&plan));
    assert_eq!(code, 0, "{stderr}");
    let local = s.local_plan(TIER2, &s.env.catalog());
    let (_, local_tables, _) = run(s.env.cmd().args(["show", "--offline"]).arg(&local));
    let rows = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with('│') && l.contains("STR-001"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        rows(&tables),
        rows(&local_tables),
        "{tables}\n{local_tables}"
    );
    assert!(!rows(&tables).is_empty(), "{tables}");

    let (code, stdout, stderr) = s.apply_answering(&plan, true);
    assert_eq!(code, 0, "{stderr}");
    // JSON mode: the receipt on stdout, only JSON lines on stderr (no spinner, no prompt).
    let receipt: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    for line in stderr.lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    assert!(stderr.contains("for approval"), "{stderr}");
    assert_eq!(receipt["outcome"], "applied");
    assert_eq!(receipt["enforced_by"], "gate");
    assert_eq!(receipt["requester"], USER);
    assert_eq!(receipt["approval"]["approvers"], json!([USER]));
    assert_ne!(s.env.catalog_text(), before, "approved but not written");
    assert!(
        s.env
            .catalog_text()
            .contains("STR-001,Classic Runner,Running,129.99,103.99,TRUE")
    );

    // The approval request came from the gate's CIBA client, never from this machine.
    let asked = s.idp.ciba_requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["client_id"], idp::CIBA_CLIENT);

    // The signed receipt verifies offline with the gate's public key; an edit does not.
    let saved = s.env.path().join("r.json");
    std::fs::write(&saved, &stdout).unwrap();
    let key = s.env.path().join("gate-signing.key.pub");
    let verify = |file: &std::path::Path| {
        run(s
            .env
            .cmd()
            .args(["audit", "verify", "--receipt"])
            .arg(file)
            .arg("--key")
            .arg(&key))
    };
    let (code, out, stderr) = verify(&saved);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("signed by gate.test+"), "{out}");
    let forged = s.env.path().join("forged.json");
    std::fs::write(&forged, stdout.replace(USER, "auth0|mallory")).unwrap();
    let (code, _, stderr) = verify(&forged);
    assert_eq!(code, 1, "{stderr}");

    // The gate's copy: `audit list --gate` and `audit show --gate` read /v1/receipts.
    let (code, list, stderr) = run(s
        .cmd()
        .args(["audit", "list", "--gate", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["id"], receipt["id"], "{list}");
    let id = receipt["id"].as_str().unwrap();
    let (code, shown, stderr) = run(s.cmd().args(["audit", "show", id, "--gate"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(shown.contains(id), "{shown}");

    // Only the gate's Custom API Client exchanged a token (for its e-mail summary, as the
    // requester); nothing on this side did.
    let minted = s.idp.get("/_test/federated_tokens");
    assert!(
        minted
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["client_id"] == idp::VAULT_CLIENT),
        "{minted}"
    );
    s.idp
        .assert_no_leak(&s.env, &format!("{stdout}{stderr}{list}{shown}"), &[saved]);
}

#[test]
fn a_denial_exits_5_and_gate_status_and_cancel_follow_an_apply() {
    let s = Served::start();
    gate_login(&s.env, &s.idp, &s.url(), None);
    let before = s.env.catalog_text();
    // A request applied in one step: the gate plans it (the plan is printed), then applies.
    let (code, stdout, stderr) = s.apply_answering(TIER2, false);
    assert_eq!(code, 5, "{stderr}");
    let planned: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(planned["request"], TIER2);
    assert!(
        stderr.contains("auth0|user-1 denied the approval request"),
        "{stderr}"
    );
    assert_eq!(s.env.catalog_text(), before);
    let denied = announced_id(&stderr);
    let (code, _, stderr) = run(s.cmd().args(["gate", "status", &denied]));
    assert_eq!(code, 5, "{stderr}");

    // --wait bounds the wait; the apply stays pending at the gate, status shows it, cancel ends it.
    let plan = s.local_plan("put STR-002 on 10% off", &s.env.catalog());
    let (code, _, stderr) = run(s
        .cmd()
        .arg("apply")
        .arg(&plan)
        .args(["--wait", "1", "--format", "json"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("gate status"), "{stderr}");
    let id = announced_id(&stderr);
    let (code, status, stderr) = run(s.cmd().args(["gate", "status", &id]));
    assert_eq!(code, 0, "{stderr}");
    snapshot("gate_status_pending", &status);
    let (code, cancelled, stderr) = run(s.cmd().args(["gate", "cancel", &id, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    snapshot("gate_cancel_json", &cancelled);
    let cancelled: Value = serde_json::from_str(&cancelled).unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let (code, _, stderr) = run(s.cmd().args(["gate", "status", &id]));
    assert_eq!(code, 5, "{stderr}");
    assert_eq!(s.env.catalog_text(), before);

    // `gate status --wait` follows a pending apply to its end.
    let (code, _, stderr) = run(s
        .cmd()
        .arg("apply")
        .arg(s.local_plan("put STR-003 on 10% off", &s.env.catalog()))
        .args(["--wait", "1", "--format", "json"]));
    assert_eq!(code, 5, "{stderr}");
    let id = announced_id(&stderr);
    let (_, pending, _) = run(s.cmd().args(["gate", "status", &id, "--format", "json"]));
    let pending: Value = serde_json::from_str(&pending).unwrap();
    // The cancelled apply's request is still pending at the IdP: answer this one's.
    let message = json!({ "binding_message": pending["binding_message"] });
    let (code, done, stderr) = std::thread::scope(|t| {
        t.spawn(|| {
            std::thread::sleep(Duration::from_secs(1));
            let (status, body) = s.idp.post("/_test/ciba/approve", message);
            assert_eq!(status, 200, "{body}");
        });
        run(s
            .cmd()
            .args(["gate", "status", &id, "--wait", "--format", "json"]))
    });
    assert_eq!(code, 0, "{stderr}");
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["status"], "applied", "{done}");
    assert_ne!(s.env.catalog_text(), before);
}

#[test]
fn the_gates_refusals_become_exit_codes_with_hints() {
    let s = Served::start();
    let mut out = String::new();

    // A stale plan: the catalog changed after planning (exit 3), nothing written.
    let full = TestEnv::new();
    gate_login(&full, &s.idp, &s.url(), None);
    let plan = s.local_plan(TIER2, &s.env.catalog());
    let edited = s.env.catalog_text().replace("129.99", "139.99");
    std::fs::write(s.env.catalog(), &edited).unwrap();
    let apply = |env: &TestEnv, plan: &std::path::Path| {
        run(gate_cmd(env, &s.idp, &s.url()).arg("apply").arg(plan))
    };
    let (code, _, stderr) = apply(&full, &plan);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(s.env.catalog_text(), edited);

    // A source not on the gate's allow-list (exit 1, with the gate's reason).
    let other = s.env.path().join("other.csv");
    std::fs::copy(s.env.catalog(), &other).unwrap();
    let plan = s.local_plan(TIER2, &other);
    let (code, _, stderr) = apply(&full, &plan);
    assert_eq!(code, 1, "{stderr}");
    out.push_str(&format!(
        "$ changeset apply plan.json   # other.csv\n{stderr}\n"
    ));

    // Planning at the gate: a source off its list, and a request its grammar cannot read
    // (exit 1, with the gate's own hints).
    let plan_at_gate =
        |args: &[&str]| run(gate_cmd(&full, &s.idp, &s.url()).arg("plan").args(args));
    let (code, _, stderr) = plan_at_gate(&["--source", other.to_str().unwrap(), TIER2]);
    assert_eq!(code, 1, "{stderr}");
    out.push_str(&format!(
        "$ changeset plan --source other.csv …\n{stderr}\n"
    ));
    let catalog = s.env.catalog();
    let (code, _, stderr) = plan_at_gate(&[
        "--source",
        catalog.to_str().unwrap(),
        "make everything cheaper somehow",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    out.push_str(&format!(
        "$ changeset plan \"make everything cheaper somehow\"\n{stderr}\n"
    ));

    // A login without the apply permission: 403 insufficient_scope (exit 4).
    let plan = s.local_plan(TIER2, &s.env.catalog());
    let plan_only = TestEnv::new();
    gate_login(
        &plan_only,
        &s.idp,
        &s.url(),
        Some("changeset:plan changeset:audit"),
    );
    let (code, _, stderr) = apply(&plan_only, &plan);
    assert_eq!(code, 4, "{stderr}");
    out.push_str(&format!(
        "$ changeset apply plan.json   # login without changeset:apply\n{stderr}\n"
    ));

    // A login for another API: 401 (exit 4, "run changeset login").
    let other_api = TestEnv::new();
    let (code, _, stderr) = std::thread::scope(|t| {
        t.spawn(|| s.idp.settle_device_when_pending(true));
        run(gate_cmd(&other_api, &s.idp, &s.url())
            .env(
                "CHANGESET_GATE_AUDIENCE",
                "https://other-api.changeset.test",
            )
            .arg("login"))
    });
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = apply(&other_api, &plan);
    assert_eq!(code, 4, "{stderr}");
    out.push_str(&format!(
        "$ changeset apply plan.json   # login for another API\n{stderr}\n"
    ));

    // Not logged in at all (exit 4) before anything is sent.
    let nobody = TestEnv::new();
    let (code, _, stderr) = apply(&nobody, &plan);
    assert_eq!(code, 4, "{stderr}");
    out.push_str(&format!(
        "$ changeset apply plan.json   # never logged in\n{stderr}"
    ));
    snapshot(
        "gate_refusals",
        &out.replace(&s.env.path().display().to_string(), "[ENV]")
            .replace(&nobody.path().display().to_string(), "[ENV2]"),
    );
    assert!(
        s.idp.ciba_requests().is_empty(),
        "{:?}",
        s.idp.ciba_requests()
    );
}

/// At a terminal the wait is a spinner naming the approvers and the time left (in JSON mode
/// and off a terminal there is none: the end-to-end test checks stderr is JSON lines only).
#[test]
fn at_a_terminal_the_wait_shows_the_approvers_and_the_time_left() {
    let s = Served::start();
    gate_login(&s.env, &s.idp, &s.url(), None);
    let plan = s.local_plan(TIER2, &s.env.catalog());
    let mut cmd = s.env.interactive(&["apply", plan.to_str().unwrap()], &[]);
    in_gate_mode(&mut cmd, &s.env, &s.idp, &s.url());
    let output = std::thread::scope(|t| {
        t.spawn(|| {
            let request = s.idp.wait_ciba_pending(USER);
            // Long enough for a few spinner frames.
            std::thread::sleep(Duration::from_millis(1500));
            s.idp.settle_ciba(&request, true);
        });
        cmd.output().expect("run in a pseudo-terminal")
    });
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("Waiting for approval at the gate: auth0|user-1 … (0 of 1 approved) · "),
        "{text}"
    );
    assert!(text.contains(" left"), "{text}");
    assert!(text.contains("Receipt R-"), "{text}");
}

/// The gate killed (SIGKILL) while the CLI waits for an approval: the CLI keeps asking, the
/// restarted gate resumes the stored apply, the approval completes it, and it is written once.
#[test]
fn the_wait_rides_out_a_gate_restart_and_the_apply_completes_once() {
    let mut s = Served::start();
    gate_login(&s.env, &s.idp, &s.url(), None);
    let before = s.env.catalog_text();
    let plan = s.local_plan(TIER2, &s.env.catalog());
    let mut apply = s.cmd();
    apply.arg("apply").arg(&plan).args(["--format", "json"]);
    let (code, stdout, stderr) = std::thread::scope(|t| {
        let waiting = t.spawn(move || run(&mut apply));
        s.idp.wait_ciba_pending(USER);
        // Give the gate time to store the request it sent (a gate killed before that asks again).
        std::thread::sleep(Duration::from_secs(1));
        s.restart();
        std::thread::sleep(Duration::from_secs(2));
        for request in s.idp.get("/_test/ciba/pending").as_array().unwrap() {
            s.idp.settle_ciba(request, true);
        }
        waiting.join().unwrap()
    });
    assert_eq!(code, 0, "{stderr}");
    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["outcome"], "applied");
    assert_ne!(s.env.catalog_text(), before);
    let (code, list, stderr) = run(s
        .cmd()
        .args(["audit", "list", "--gate", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "written more than once: {list}"
    );
}
/// Acceptance: with CHANGESET_GATE_URL set, the whole CLI flow (login, plan, apply, approval,
/// write) runs while the IdP refuses the public client's exchanges and the fake Google refuses
/// every token but the gate's: so the CLI neither exchanged a token nor wrote.
#[test]
fn the_whole_sheets_flow_in_gate_mode_runs_on_the_gates_tokens_alone() {
    let s = Served::start();
    gate_login(&s.env, &s.idp, &s.url(), None);
    let source = format!("sheets:{SHEET}/Products");
    let plan_file = s.env.path().join("plan.json");
    let (code, tables, stderr) = run(s
        .cmd()
        .env("CHANGESET_SOURCE", &source)
        .args(["plan", TIER2, "-o"])
        .arg(&plan_file));
    assert_eq!(code, 0, "{stderr}");
    assert!(tables.contains("STR-001"), "{tables}");
    let mut apply = s.cmd();
    apply
        .env("CHANGESET_SOURCE", &source)
        .arg("apply")
        .arg(&plan_file)
        .args(["--format", "json"]);
    let (code, receipt, stderr) = s.answering(true, apply);
    assert_eq!(code, 0, "{stderr}");
    let receipt: Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["enforced_by"], "gate");
    assert_eq!(
        s.google.cell("Products", "STR-001", "Promo Price"),
        json!(103.99)
    );

    // Every Google call carried a gate token; every exchange was the gate's client's.
    let minted = s.idp.get("/_test/federated_tokens");
    let minted = minted.as_array().unwrap();
    assert!(!minted.is_empty());
    assert!(
        minted.iter().all(|m| m["client_id"] == idp::VAULT_CLIENT),
        "{minted:?}"
    );
    for r in s.google.requests() {
        let token = r.token.as_deref().unwrap_or_default();
        assert!(
            token == GATE_READER || minted.iter().any(|m| m["access_token"] == token),
            "a Google call with a token that is not the gate's: {:?} {}",
            r.op,
            r.path
        );
        assert_ne!(
            r.status, 401,
            "a refused Google call: {:?} {}",
            r.op, r.path
        );
    }
    assert_eq!(s.google.count(Op::BatchUpdate), 1);
    // No exchange was attempted by the public client at all.
    assert!(
        s.idp
            .token_log()
            .iter()
            .filter(|e| e["client_id"] == PUBLIC_CLIENT)
            .all(|e| e["grant_type"] != changeset::auth::vault::GRANT),
        "{:?}",
        s.idp.token_log()
    );
}

/// A write whose read-back does not match at the gate (another writer changed a cell) is rolled
/// back there, and the CLI exits 6, as a local apply would, pointing at the receipt.
#[test]
fn a_failed_read_back_at_the_gate_exits_6() {
    let s = Served::start();
    gate_login(&s.env, &s.idp, &s.url(), None);
    let source = format!("sheets:{SHEET}/Products");
    s.google.inject(
        Op::BatchUpdate,
        0,
        crate::fake_google::Action::EditAfter {
            key: "STR-001".into(),
            header: "Promo Price".into(),
            value: json!(1.5),
        },
    );
    let mut apply = s.cmd();
    apply
        .env("CHANGESET_SOURCE", &source)
        .args(["apply", TIER2]);
    let (code, stdout, stderr) = s.answering(true, apply);
    assert_eq!(code, 6, "{stdout}{stderr}");
    assert!(stderr.contains("the read-back did not match"), "{stderr}");
    assert!(stderr.contains("--gate"), "{stderr}");
}
