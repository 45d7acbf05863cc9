//! Login, refresh and logout against the test IdP (issue: Auth0 login).

use std::time::Duration;

use serde_json::{Value, json};

use crate::idp::{self, Idp, cmd, expire_access_token, login, stored};
use crate::support::{TestEnv, run};

const REFRESH: &str = "refresh_token";
const DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn whoami_json(env: &TestEnv, idp: &Idp) -> Value {
    let (code, stdout, stderr) = run(cmd(env, idp).args(["whoami", "--format", "json"]));
    assert_eq!(code, 0, "whoami failed: {stderr}");
    serde_json::from_str(&stdout).expect("whoami JSON")
}

#[test]
fn login_approved_keeps_the_login_in_a_private_file_and_whoami_reports_it() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let (code, stdout, stderr) = login(&env, &idp, true);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "login prints nothing on stdout in text mode");
    insta::with_settings!({ filters => idp::filters() }, {
        insta::assert_snapshot!("login_stderr", stderr.replace(&env.path().display().to_string(), "[ENV]"));
    });

    let entry = stored(&env);
    assert!(
        entry["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(env.data_dir().join("credentials.json")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    let who = whoami_json(&env, &idp);
    assert_eq!(who["user"]["sub"], idp::USER);
    assert_eq!(who["user"]["name"], "Test User");
    assert_eq!(who["user"]["email"], "user1@example.com");
    assert_eq!(who["tenant"], idp.issuer());
    assert_eq!(who["store"], "file");
    assert_eq!(who["audience"], idp::AUDIENCE);
    assert!(
        who["scope"]
            .as_str()
            .is_some_and(|s| s.contains("offline_access") && s.contains("openid"))
    );
    // The access token from the login is still good: whoami did not refresh.
    assert_eq!(idp.count_ok(REFRESH), 0);

    let text = run(cmd(&env, &idp).arg("whoami"));
    insta::with_settings!({ filters => idp::filters() }, {
        insta::assert_snapshot!("whoami_text", text.1.replace(&env.path().display().to_string(), "[ENV]"));
    });
}

#[test]
fn login_denied_in_the_browser_exits_5_and_stores_nothing() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let (code, _, stderr) = login(&env, &idp, false);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("the login was denied"), "{stderr}");
    assert!(
        stderr.contains("hint: run `changeset login` again"),
        "{stderr}"
    );
    assert!(!env.data_dir().join("credentials.json").exists());
}

#[test]
fn an_expired_login_code_exits_5_with_a_hint() {
    let env = TestEnv::new();
    let idp = Idp::start_with(&[("DEVICE_CODE_TTL", "2")]);
    let (code, _, stderr) = run(cmd(&env, &idp).arg("login"));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("expired before it was confirmed"),
        "{stderr}"
    );
    assert!(!env.data_dir().join("credentials.json").exists());
}

#[test]
fn slow_down_makes_the_client_poll_five_seconds_slower() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let (status, _) = idp.post("/_test/slow_down", json!({ "count": 1 }));
    assert_eq!(status, 200);
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            // Approve only once the client has been told to slow down.
            wait_for(|| idp.token_log().iter().any(|e| e["error"] == "slow_down"));
            idp.settle_device_when_pending(true);
        });
        run(cmd(&env, &idp).arg("login"))
    });
    assert_eq!(code, 0, "{stderr}");
    let polls: Vec<Value> = idp
        .token_log()
        .into_iter()
        .filter(|e| e["grant_type"] == DEVICE)
        .collect();
    let slow = polls
        .iter()
        .position(|e| e["error"] == "slow_down")
        .expect("a slow_down answer");
    let next = &polls[slow + 1];
    let gap = next["t_ms"].as_u64().unwrap() - polls[slow]["t_ms"].as_u64().unwrap();
    // The interval was 1 s; after slow_down it must be 1 + 5 s (RFC 8628 3.5).
    assert!(gap >= 5_500, "polled again after {gap} ms: {polls:?}");
    assert_eq!(
        polls.iter().filter(|e| e["error"] == "slow_down").count(),
        1,
        "the client never polled too early again: {polls:?}"
    );
}

#[test]
fn refresh_rotates_the_refresh_token_and_stores_the_new_one() {
    let env = TestEnv::new();
    let idp = Idp::start();
    assert_eq!(login(&env, &idp, true).0, 0);
    let first = stored(&env)["refresh_token"].as_str().unwrap().to_string();

    expire_access_token(&env);
    whoami_json(&env, &idp);
    assert_eq!(idp.count_ok(REFRESH), 1);
    let second = stored(&env)["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second, "the rotated refresh token was stored");
    assert!(stored(&env)["access_expires_at"].as_i64().unwrap() > 0);

    // The next command uses the stored (rotated) token, not the first one.
    expire_access_token(&env);
    whoami_json(&env, &idp);
    assert_eq!(idp.count_ok(REFRESH), 2);
    assert_ne!(stored(&env)["refresh_token"].as_str().unwrap(), second);
}

#[test]
fn reusing_a_rotated_refresh_token_ends_the_login_with_exit_4() {
    let env = TestEnv::new();
    let idp = Idp::start();
    assert_eq!(login(&env, &idp, true).0, 0);
    let first = stored(&env)["refresh_token"].as_str().unwrap().to_string();
    expire_access_token(&env);
    whoami_json(&env, &idp);

    // Someone presents the already-rotated token (a copy in CI, a stolen backup, ...).
    let other = TestEnv::new();
    let (code, _, stderr) = run(cmd(&other, &idp)
        .env("CHANGESET_REFRESH_TOKEN", &first)
        .arg("whoami"));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("no longer valid"), "{stderr}");
    assert!(
        stderr.contains("CHANGESET_REFRESH_TOKEN holds a refresh token the IdP no longer accepts"),
        "{stderr}"
    );

    // Reuse detection revoked the whole login: the stored one is dead too, and says so.
    expire_access_token(&env);
    let (code, _, stderr) = run(cmd(&env, &idp).arg("whoami"));
    assert_eq!(code, 4, "{stderr}");
    insta::with_settings!({ filters => idp::filters() }, {
        insta::assert_snapshot!("refresh_invalid_grant", stderr);
    });
}

#[test]
fn logout_revokes_at_the_idp_deletes_locally_and_is_idempotent() {
    let env = TestEnv::new();
    let idp = Idp::start();
    assert_eq!(login(&env, &idp, true).0, 0);
    let token = stored(&env)["refresh_token"].as_str().unwrap().to_string();

    let (code, _, stderr) = run(cmd(&env, &idp).arg("logout"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("revoked and deleted from the file store"),
        "{stderr}"
    );
    assert!(!env.data_dir().join("credentials.json").exists());
    assert_eq!(
        idp.refresh_error(&token).as_deref(),
        Some("invalid_grant"),
        "the IdP still accepts the logged-out refresh token"
    );
    let revocations = idp.get("/_test/revocations");
    assert_eq!(revocations.as_array().unwrap().len(), 1);
    // Only the parameters Auth0 documents for revocation by a Native app.
    assert_eq!(revocations[0]["params"], json!(["client_id", "token"]));

    let (code, _, stderr) = run(cmd(&env, &idp).arg("logout"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("Not logged in"), "{stderr}");
    let (code, _, stderr) = run(cmd(&env, &idp).arg("whoami"));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("hint: run `changeset login`"), "{stderr}");
}

#[test]
fn two_commands_that_need_a_refresh_at_once_share_one_refresh() {
    let env = TestEnv::new();
    // Every token answer takes 1.5 s, so the two commands surely overlap.
    let idp = Idp::start_with(&[("TOKEN_DELAY_MS", "1500")]);
    assert_eq!(login(&env, &idp, true).0, 0);
    expire_access_token(&env);
    let mut a = cmd(&env, &idp);
    let mut b = cmd(&env, &idp);
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| run(a.args(["whoami", "--format", "json"])));
        std::thread::sleep(Duration::from_millis(100));
        let hb = s.spawn(|| run(b.args(["whoami", "--format", "json"])));
        (ha.join().unwrap(), hb.join().unwrap())
    });
    assert_eq!(ra.0, 0, "{}", ra.2);
    assert_eq!(rb.0, 0, "{}", rb.2);
    assert_eq!(
        idp.count_ok(REFRESH),
        1,
        "one refresh for both: {:?}",
        idp.token_log()
    );
    assert!(
        idp.token_log()
            .iter()
            .all(|e| e["error"] != "invalid_grant"),
        "no rotated token was presented twice"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn without_a_keychain_login_names_the_file_store_and_the_environment_variable() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let (code, _, stderr) = run(cmd(&env, &idp)
        .env_remove("CHANGESET_CREDENTIAL_STORE")
        .arg("login"));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("--credential-store file"), "{stderr}");
    assert!(stderr.contains("CHANGESET_REFRESH_TOKEN"), "{stderr}");
    // Decided before the device flow: nobody was asked to log in for nothing.
    assert!(
        idp.get("/_test/device/pending")
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!stderr.contains("enter the code"), "{stderr}");
}

#[test]
fn a_refresh_token_in_the_environment_works_and_is_never_written() {
    let env = TestEnv::new();
    let idp = Idp::start();
    assert_eq!(login(&env, &idp, true).0, 0);
    let token = stored(&env)["refresh_token"].as_str().unwrap().to_string();

    let ci = TestEnv::new();
    let (code, stdout, stderr) = run(cmd(&ci, &idp)
        .env_remove("CHANGESET_CREDENTIAL_STORE")
        .env("CHANGESET_REFRESH_TOKEN", &token)
        .args(["whoami", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let who: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(who["store"], "env");
    assert_eq!(who["user"]["sub"], idp::USER);
    assert!(!ci.data_dir().join("credentials.json").exists());
}

#[test]
fn login_with_the_file_flag_works_without_the_environment_variable() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| idp.settle_device_when_pending(true));
        run(cmd(&env, &idp)
            .env_remove("CHANGESET_CREDENTIAL_STORE")
            .args([
                "login",
                "--credential-store",
                "file",
                "--no-browser",
                "--qr",
            ]))
    });
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains('▀') || stderr.contains('▄'),
        "a QR code: {stderr}"
    );
    assert_eq!(whoami_json(&env, &idp)["store"], "file");
}

#[test]
fn no_token_ever_reaches_output_snapshots_audit_or_plan_files() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let mut seen = String::new();
    let mut record = |r: (i32, String, String)| {
        seen.push_str(&r.1);
        seen.push_str(&r.2);
        r.0
    };
    assert_eq!(record(login(&env, &idp, true)), 0);
    for args in [
        vec!["whoami"],
        vec!["whoami", "--format", "json"],
        vec!["-v", "-v", "whoami"],
    ] {
        assert_eq!(record(run(cmd(&env, &idp).args(&args))), 0);
    }
    expire_access_token(&env);
    let verbose = run(cmd(&env, &idp).args(["-v", "-v", "whoami"]));
    assert!(
        verbose.2.contains("refreshed the access token") && verbose.2.contains("sha256:"),
        "debug logs name the refreshed token by reference: {}",
        verbose.2
    );
    assert_eq!(record(verbose), 0);
    let plan = env.path().join("plan.json");
    assert_eq!(
        record(run(cmd(&env, &idp).args([
            "plan",
            "mark STR-002 out of stock",
            "-o",
            plan.to_str().unwrap()
        ]))),
        0
    );
    assert_eq!(record(run(cmd(&env, &idp).args(["logout"]))), 0);

    assert!(idp.issued_secrets().len() >= 4, "the IdP issued tokens");
    idp.assert_no_leak(&env, &seen, &[plan]);
}

/// Polls a condition for up to 20 s.
fn wait_for(mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("condition not met within 20 s");
}

#[test]
fn an_unreachable_idp_is_a_clear_error_not_a_hang() {
    let env = TestEnv::new();
    let idp = Idp::start();
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, stderr) = run(cmd(&env, &idp)
        .env("CHANGESET_AUTH0_DOMAIN", format!("http://127.0.0.1:{port}"))
        .arg("login"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("could not reach the IdP"), "{stderr}");
    assert!(
        stderr.contains("hint: check the network and CHANGESET_AUTH0_DOMAIN"),
        "{stderr}"
    );

    // Logged in, then the IdP goes away: a needed refresh says what failed, and the login is
    // kept for when the IdP is back.
    assert_eq!(login(&env, &idp, true).0, 0);
    expire_access_token(&env);
    let gone = idp.base_url.clone();
    drop(idp);
    let other = Idp::start();
    let (code, _, stderr) = run(cmd(&env, &other)
        .env("CHANGESET_AUTH0_DOMAIN", &gone)
        .arg("whoami"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("refreshing the login failed: could not connect"),
        "{stderr}"
    );
    assert!(stored(&env)["refresh_token"].is_string());
}

#[test]
fn missing_or_unsafe_tenant_settings_are_clear_errors() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let mut transcript = String::new();
    for (name, value) in [
        ("CHANGESET_AUTH0_DOMAIN", None),
        ("CHANGESET_CLIENT_ID", None),
        ("CHANGESET_AUTH0_DOMAIN", Some("http://tenant.example.com")),
    ] {
        let mut c = cmd(&env, &idp);
        match value {
            Some(v) => c.env(name, v),
            None => c.env_remove(name),
        };
        let (code, _, stderr) = run(c.arg("login"));
        transcript.push_str(&format!("{name}={value:?} -> exit {code}\n{stderr}"));
    }
    insta::assert_snapshot!("tenant_settings_errors", transcript);
}

#[test]
fn a_rotated_answer_for_the_ci_refresh_token_is_a_loud_warning_with_the_fix() {
    let env = TestEnv::new();
    let idp = Idp::start();
    assert_eq!(login(&env, &idp, true).0, 0);
    let token = stored(&env)["refresh_token"].as_str().unwrap().to_string();
    let ci_run = || {
        let ci = TestEnv::new();
        run(cmd(&ci, &idp)
            .env_remove("CHANGESET_CREDENTIAL_STORE")
            .env("CHANGESET_REFRESH_TOKEN", &token)
            .args(["whoami", "--format", "json"]))
    };
    // The first CI run works, and says (once, without -v) that the token is now used up.
    let (code, _, stderr) = ci_run();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr
            .matches("the IdP rotated CHANGESET_REFRESH_TOKEN")
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("will trip reuse detection"), "{stderr}");
    assert!(
        stderr.contains("Native application with Refresh Token Rotation off"),
        "{stderr}"
    );
    // The second presents the same token: Auth0's reuse detection ends the login, and the
    // error names the cause and the fix.
    let (code, _, stderr) = ci_run();
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("Rotation off"), "{stderr}");
    // The whole family is revoked: the person's own login is gone too.
    expire_access_token(&env);
    assert_eq!(run(cmd(&env, &idp).arg("whoami")).0, 4);
}

#[test]
fn a_ci_refresh_token_without_rotation_serves_every_run_silently() {
    let env = TestEnv::new();
    let idp = Idp::start_with(&[("ROTATE_REFRESH", "0")]);
    assert_eq!(login(&env, &idp, true).0, 0);
    let token = stored(&env)["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let ci = TestEnv::new();
        let (code, _, stderr) = run(cmd(&ci, &idp)
            .env_remove("CHANGESET_CREDENTIAL_STORE")
            .env("CHANGESET_REFRESH_TOKEN", &token)
            .arg("whoami"));
        assert_eq!(code, 0, "{stderr}");
        assert!(!stderr.contains("rotated"), "{stderr}");
    }
}

#[test]
fn approval_expiry_is_checked_against_the_channel_auth0_would_pick() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let config = env.path().join("changeset.toml");
    let with_config = |text: &str| {
        std::fs::write(&config, text).unwrap();
        run(idp::ciba_cmd(&env, &idp)
            .env("CHANGESET_CONFIG", &config)
            .args(["plan", "put STR-001 on 20% off"]))
    };
    // Above 300 s Auth0 would switch to e-mail: refused when the config is loaded.
    for (text, expect) in [
        (
            "[approval]\nexpiry_seconds = 301\n",
            "approval.channel = \"email\"",
        ),
        ("[approval]\nexpiry_seconds = 0\n", "outside 1-300"),
        (
            "[approval]\nchannel = \"email\"\nexpiry_seconds = 120\n",
            "Auth0 sends a Guardian push",
        ),
        (
            "[approval]\nchannel = \"email\"\nexpiry_seconds = 259201\n",
            "outside 301-259200",
        ),
        ("[approval]\nchannel = \"sms\"\n", "unknown variant `sms`"),
    ] {
        let (code, _, stderr) = with_config(text);
        assert_eq!(code, 1, "{text}: {stderr}");
        assert!(stderr.contains(expect), "{text}: {stderr}");
    }
    assert!(idp.token_log().is_empty() && idp.ciba_requests().is_empty());

    // The e-mail channel, explicitly: the request asks for its longer expiry.
    assert_eq!(login(&env, &idp, true).0, 0);
    std::fs::write(
        &config,
        "[approval]\nchannel = \"email\"\nexpiry_seconds = 3600\n",
    )
    .unwrap();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            idp.settle_ciba(&request, true);
        });
        run(idp::ciba_cmd(&env, &idp)
            .env("CHANGESET_CONFIG", &config)
            .args(["apply", "put STR-001 on 20% off", "--no-input"]))
    });
    assert_eq!(code, 0, "{stderr}");
    let sent = &idp.ciba_requests()[0];
    assert_eq!(sent["requested_expiry"], "3600");
    assert_eq!(sent["channel"], "email");
}
