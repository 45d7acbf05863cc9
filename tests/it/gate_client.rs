//! The CLI in gate mode (`CHANGESET_GATE_URL`): the login is for the gate's API, plan and apply
//! are requests to the gate, and nothing on this side can exchange a token or write the source.

use std::time::Duration;

use serde_json::{Value, json};

use crate::gate::service::{config_for, start};
use crate::idp::{self, AUDIENCE, Idp, PUBLIC_CLIENT, USER, stored};
use crate::support::{TestEnv, filters, run};

const SCOPES: [&str; 3] = ["changeset:plan", "changeset:apply", "changeset:audit"];

fn snapshot(name: &str, text: &str) {
    let mut f = idp::filters();
    f.extend(filters());
    insta::with_settings!({ filters => f }, {
        insta::assert_snapshot!(name, text);
    });
}

/// `changeset` against the test IdP in gate mode: the gate's URL and API set, the tenant's own
/// audience unset (so the gate's is the one asked for), no confidential client anywhere.
fn gate_cmd(env: &TestEnv, idp: &Idp, gate_url: &str) -> assert_cmd::Command {
    let mut cmd = idp::cmd(env, idp);
    cmd.env("CHANGESET_GATE_URL", gate_url)
        .env("CHANGESET_GATE_AUDIENCE", AUDIENCE)
        .env_remove("CHANGESET_AUDIENCE");
    cmd
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
