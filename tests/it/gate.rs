//! `changeset gate`: the approval gate's configuration, keys and (as they land) its service.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, filters, run, transcript};

mod applies;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(name, text);
    });
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// A complete, valid gate setup in `env`: rules pinned by hash, a signing key from `gate
/// keygen`, a CIBA secret in a 0600 file and the Token Vault secret in an environment variable.
/// Returns the path of gate.toml; `edit` may rewrite its text first.
pub fn gate_setup(env: &TestEnv, edit: impl Fn(String) -> String) -> PathBuf {
    let rules = changeset::policy::DEFAULT_RULES;
    std::fs::write(env.path().join("rules.toml"), rules).unwrap();
    let sha = changeset::digest::sha256_prefixed(rules.as_bytes());
    if !env.path().join("gate-signing.key").exists() {
        let (code, _, stderr) = run(env.cmd().args(["gate", "keygen", "--name", "gate.test"]));
        assert_eq!(code, 0, "{stderr}");
    }
    write_private(&env.path().join("ciba.secret"), "test-secret\n");
    let text = format!(
        r#"[tenant]
domain = "http://127.0.0.1:9"
audience = "https://gate.test/changeset"

[clients.ciba]
client_id = "gate-ciba"
secret_file = "ciba.secret"

[clients.token_vault]
client_id = "gate-api-client"
secret_env = "GATE_TV_SECRET"

[rules]
path = "rules.toml"
sha256 = "{sha}"

[tiers.2]
approvers = ["requester"]

[tiers.3]
approvers = ["auth0|alice", "auth0|bob"]
count = 2
distinct_from_requester = true
expiry_seconds = 120

[sources]
allow = ["catalog.csv", "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"]

[signing]
key = "gate-signing.key"

[notify]
recipients = ["merch@example.com"]
"#
    );
    let path = env.path().join("gate.toml");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

fn check_config(env: &TestEnv, config: &Path) -> String {
    transcript(
        env.cmd()
            .env("GATE_TV_SECRET", "tv-secret")
            .args(["gate", "check-config", "--config"])
            .arg(config),
    )
}

#[test]
fn check_config_accepts_a_complete_config_and_shows_what_it_enforces() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| t);
    let out = check_config(&env, &config);
    // The key id and public key differ per run.
    let out = regex_lite_replace(&out, "gate.test+", 53);
    assert!(
        !out.contains("test-secret") && !out.contains("tv-secret"),
        "{out}"
    );
    snapshot("gate_check_config_ok", &out);
}

/// Replaces the `len` characters after `marker` (a random key) with `[KEY]`.
fn regex_lite_replace(text: &str, marker: &str, len: usize) -> String {
    match text.find(marker) {
        Some(i) => {
            let start = i + marker.len();
            let end = (start + len).min(text.len());
            format!("{}[KEY]{}", &text[..start], &text[end..])
        }
        None => text.to_string(),
    }
}

#[test]
fn check_config_lists_every_problem_with_its_line() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| {
        let pinned = t
            .lines()
            .find(|l| l.starts_with("sha256 = "))
            .unwrap()
            .to_string();
        t.replace(&pinned, &format!("sha256 = \"{}\"", "0".repeat(64)))
            .replace(
                "approvers = [\"requester\"]",
                "approvers = [\"requester\"]\ndistinct_from_requester = true",
            )
            .replace("count = 2\n", "count = 1\n")
            .replace(
                "secret_env = \"GATE_TV_SECRET\"",
                "secret_env = \"GATE_TV_SECRET_MISSING\"",
            )
            .replace(
                "recipients = [\"merch@example.com\"]",
                "recipients = [\"not an address\"]",
            )
            .replace("key = \"gate-signing.key\"", "key = \"missing.key\"")
    });
    let out = check_config(&env, &config);
    assert!(out.starts_with("exit: 1"), "{out}");
    snapshot("gate_check_config_problems", &out);
}

#[test]
fn check_config_reports_unknown_fields_and_bad_toml_with_lines() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| {
        t.replace("[tiers.2]", "[tiers.2]\napprover = \"typo\"")
    });
    let out = check_config(&env, &config);
    assert!(
        out.contains("gate.toml:18:") && out.contains("unknown field `approver`"),
        "{out}"
    );
    let config = gate_setup(&env, |t| t.replace("[signing]", "[signing"));
    let out = check_config(&env, &config);
    assert!(out.contains("gate.toml:29:"), "{out}");
}

/// The rules pin is the point of the gate: an edited rules file (say, a lowered tier) stops it.
#[test]
fn a_rules_file_that_no_longer_matches_its_pin_is_refused() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| t);
    let rules = env.path().join("rules.toml");
    let lowered = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("default_tier = 3", "default_tier = 1");
    std::fs::write(&rules, lowered).unwrap();
    let out = check_config(&env, &config);
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(out.contains("gate.toml:15: the rules file"), "{out}");
    assert!(out.contains("not the pinned"), "{out}");
}

#[test]
fn credential_files_readable_by_others_are_refused() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| t);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secret = env.path().join("ciba.secret");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = check_config(&env, &config);
        assert!(
            out.contains("gate.toml:5:") && out.contains("readable by other users"),
            "{out}"
        );
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = env.path().join("gate-signing.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
        let out = check_config(&env, &config);
        assert!(
            out.contains("gate.toml:30:") && out.contains("readable by others"),
            "{out}"
        );
    }
}

#[test]
fn keygen_writes_a_private_key_and_a_signed_note_verifier_key_and_never_overwrites() {
    let env = TestEnv::new();
    let (code, stdout, _) =
        run(env
            .cmd()
            .args(["gate", "keygen", "--name", "gate.test", "-o", "k"]));
    assert_eq!(code, 0);
    let public = std::fs::read_to_string(env.path().join("k.pub")).unwrap();
    assert_eq!(stdout.trim(), public.trim());
    // The same format as `audit keygen`: the audit verifier reads it.
    changeset::audit::checkpoint::VerifierKey::parse(&public).unwrap();
    changeset::audit::checkpoint::read_signing_key(&env.path().join("k")).unwrap();
    let (code, _, stderr) = run(env.cmd().args(["gate", "keygen", "-o", "k"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("never overwritten"), "{stderr}");
}

mod access_tokens {
    //! The bearer token check, against the test IdP's real JWKS and keys: each attack fails.

    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use changeset::gate::token::{Rejection, SCOPE_APPLY, SCOPE_PLAN, Verifier};
    use serde_json::json;

    use crate::idp::{AUDIENCE, Idp, USER};

    fn mint(idp: &Idp, body: serde_json::Value) -> String {
        let (status, v) = idp.post("/_test/access_token", body);
        assert_eq!(status, 200, "{v}");
        v["access_token"].as_str().unwrap().to_string()
    }

    fn check(v: &Verifier, token: &str, scope: &str) -> Result<String, Rejection> {
        let header = format!("Bearer {token}");
        changeset::net::block_on(v.verify(Some(&header), scope, changeset::auth::unix_now()))
            .map(|r| r.sub)
    }

    fn unauthorized(r: Result<String, Rejection>) -> String {
        match r {
            Err(Rejection::Unauthorized(m)) => m,
            other => panic!("expected 401, got {other:?}"),
        }
    }

    /// The token's parts with the claims replaced (signature kept).
    fn with_claims(token: &str, edit: impl Fn(&mut serde_json::Value)) -> (String, String) {
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        edit(&mut claims);
        (parts[0].to_string(), B64.encode(claims.to_string()))
    }

    #[test]
    fn tokens_are_checked_for_signature_issuer_audience_time_and_scope() {
        let idp = Idp::start();
        let v = Verifier::new(&idp.issuer(), AUDIENCE).unwrap();
        let good = mint(
            &idp,
            json!({"aud": AUDIENCE, "scope": "openid changeset:plan"}),
        );
        assert_eq!(check(&v, &good, SCOPE_PLAN).unwrap(), USER);

        // A good token without the route's scope: 403, not 401.
        assert!(matches!(
            check(&v, &good, SCOPE_APPLY),
            Err(Rejection::Forbidden(_))
        ));

        // Another API's token (a real, signed token of the same tenant).
        let other = mint(
            &idp,
            json!({"aud": "https://other-api.changeset.test", "scope": "changeset:plan"}),
        );
        assert!(unauthorized(check(&v, &other, SCOPE_PLAN)).contains("not for this gate's API"));

        let expired = mint(
            &idp,
            json!({"aud": AUDIENCE, "scope": "changeset:plan", "expires_in": -120}),
        );
        assert!(unauthorized(check(&v, &expired, SCOPE_PLAN)).contains("expired"));

        let early = mint(
            &idp,
            json!({"aud": AUDIENCE, "scope": "changeset:plan", "nbf_in": 600}),
        );
        assert!(unauthorized(check(&v, &early, SCOPE_PLAN)).contains("not valid yet"));

        // `alg: none` with the good token's claims and no signature.
        let none = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            good.split('.').nth(1).unwrap()
        );
        assert!(unauthorized(check(&v, &none, SCOPE_PLAN)).contains("`none`"));

        // HS256 keyed with anything (the public-key-as-HMAC-secret confusion).
        let hs = format!(
            "{}.{}.AAAA",
            B64.encode(r#"{"alg":"HS256","kid":"test-rs256"}"#),
            good.split('.').nth(1).unwrap()
        );
        assert!(unauthorized(check(&v, &hs, SCOPE_PLAN)).contains("`HS256`"));

        // Claims edited after signing (a scope added): the signature no longer verifies.
        let (h, c) = with_claims(&good, |c| {
            c["scope"] = json!("changeset:plan changeset:apply")
        });
        let forged = format!("{h}.{c}.{}", good.split('.').nth(2).unwrap());
        assert!(unauthorized(check(&v, &forged, SCOPE_APPLY)).contains("signature"));

        // Signed by another key under the tenant's kid: refused.
        let (pem, _) = crate::vault::key_pair();
        let der = base64::engine::general_purpose::STANDARD
            .decode(
                pem.lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .unwrap();
        let key = RsaKeyPair::from_pkcs8(&der).unwrap();
        let (h, c) = with_claims(&good, |_| {});
        let input = format!("{h}.{c}");
        let mut sig = vec![0u8; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
        let foreign = format!("{input}.{}", B64.encode(&sig));
        assert!(unauthorized(check(&v, &foreign, SCOPE_PLAN)).contains("signature"));

        // The same with a kid the tenant does not publish (JWKS fetched again, still unknown).
        let unknown_kid = format!(
            "{}.{c}.{}",
            B64.encode(r#"{"alg":"RS256","kid":"attacker"}"#),
            B64.encode(&sig)
        );
        assert!(unauthorized(check(&v, &unknown_kid, SCOPE_PLAN)).contains("does not publish"));

        // Missing or malformed headers.
        let missing = changeset::net::block_on(v.verify(None, SCOPE_PLAN, 0));
        assert!(unauthorized(missing.map(|r| r.sub)).contains("no bearer token"));
        assert!(unauthorized(check(&v, "not-a-jwt", SCOPE_PLAN)).contains("not a JWT"));

        // A token of this tenant verified by a gate configured for another issuer.
        let elsewhere = Verifier::new("http://127.0.0.1:9/", AUDIENCE).unwrap();
        assert!(matches!(
            check(&elsewhere, &good, SCOPE_PLAN),
            Err(Rejection::Unavailable(_))
        ));
    }
}

pub mod service {
    //! `gate serve` as a process: start-up checks, the token check on every /v1/ route, the
    //! signed checkpoint, metrics, and a clean stop on SIGTERM.

    use std::io::{BufRead, BufReader};
    use std::process::{Child, Stdio};
    use std::time::Duration;

    use serde_json::json;

    use super::gate_setup;
    use crate::idp::{AUDIENCE, Idp};
    use crate::support::{TestEnv, run};

    pub struct GateProcess {
        child: Child,
        pub url: String,
    }

    impl GateProcess {
        /// Sends SIGTERM (what systemd sends) and waits for the exit code.
        #[cfg(unix)]
        pub fn terminate(&mut self) -> Option<i32> {
            let pid = self.child.id() as libc::pid_t;
            // SAFETY: signalling the child process this test started, by its own pid.
            assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
            self.child.wait().unwrap().code()
        }
    }

    impl Drop for GateProcess {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// A gate.toml for the test IdP as tenant and its API as the gate's audience.
    pub fn config_for(env: &TestEnv, idp: &Idp) -> std::path::PathBuf {
        gate_setup(env, |t| {
            t.replace("http://127.0.0.1:9", &idp.base_url)
                .replace("https://gate.test/changeset", AUDIENCE)
        })
    }

    /// Starts `gate serve` on a free loopback port; panics with its stderr if it does not start.
    pub fn start(env: &TestEnv, config: &std::path::Path) -> GateProcess {
        start_with(env, config, &["--listen", "127.0.0.1:0"])
    }

    /// `start` with other `gate serve` arguments (--listen, --tls-cert, ...).
    pub fn start_with(env: &TestEnv, config: &std::path::Path, args: &[&str]) -> GateProcess {
        spawn(
            env.std_cmd()
                .env("GATE_TV_SECRET", "test-secret")
                .args(["gate", "serve"])
                .args(args)
                .arg("--config")
                .arg(config),
        )
    }

    /// Runs a `gate serve` command and waits until it listens.
    pub fn spawn(cmd: &mut std::process::Command) -> GateProcess {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the gate");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut seen = String::new();
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) {
            if let Some(url) = line.strip_prefix("changeset gate listening on ") {
                // Waited for in Drop.
                #[allow(clippy::zombie_processes)]
                return GateProcess {
                    child,
                    url: url.to_string(),
                };
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the gate did not start:\n{seen}");
    }

    fn get(url: &str, token: Option<&str>) -> (u16, String, Option<String>) {
        changeset::net::block_on(async {
            let mut req = reqwest::Client::new().get(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.expect("GET the gate");
            let challenge = r
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), r.text().await.unwrap(), challenge)
        })
    }

    fn mint(idp: &Idp, scope: &str) -> String {
        let (_, v) = idp.post(
            "/_test/access_token",
            json!({"aud": AUDIENCE, "scope": scope}),
        );
        v["access_token"].as_str().unwrap().to_string()
    }

    #[test]
    fn serves_health_keys_and_a_signed_checkpoint_only_to_authorized_callers() {
        let idp = Idp::start();
        let env = TestEnv::new();
        let config = config_for(&env, &idp);
        let gate = start(&env, &config);

        let (status, body, _) = get(&format!("{}/healthz", gate.url), None);
        assert_eq!((status, body.as_str()), (200, "ok\n"));

        // No token: 401 with a JSON error and the RFC 6750 challenge.
        let (status, body, challenge) = get(&format!("{}/v1/keys", gate.url), None);
        assert_eq!(status, 401, "{body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"], "invalid_token");
        assert!(challenge.unwrap().contains("changeset:audit"));

        // A token for planning only: 403 on an audit route.
        let (status, body, _) = get(
            &format!("{}/v1/keys", gate.url),
            Some(&mint(&idp, "changeset:plan")),
        );
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("insufficient_scope"), "{body}");

        let audit = mint(&idp, "changeset:audit");
        let (status, body, _) = get(&format!("{}/v1/keys", gate.url), Some(&audit));
        assert_eq!(status, 200, "{body}");
        let public = std::fs::read_to_string(env.path().join("gate-signing.key.pub")).unwrap();
        let keys: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(keys["keys"][0].as_str().unwrap(), public.trim());

        // The checkpoint verifies with the public key from `gate keygen`, offline.
        let (status, note, _) = get(&format!("{}/v1/checkpoint", gate.url), Some(&audit));
        assert_eq!(status, 200, "{note}");
        let key = changeset::audit::checkpoint::VerifierKey::parse(&public).unwrap();
        let cp = changeset::audit::checkpoint::Checkpoint::verify(&note, &key).unwrap();
        assert_eq!((cp.origin.as_str(), cp.size), ("gate.test", 0));

        let (_, metrics, _) = get(&format!("{}/metrics", gate.url), None);
        assert!(
            metrics.contains("changeset_gate_requests_total{route=\"/v1/keys\",status=\"401\"} 1")
                && metrics.contains("route=\"/v1/keys\",status=\"403\"} 1")
                && metrics.contains("route=\"/v1/checkpoint\",status=\"200\"} 1"),
            "{metrics}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn sigterm_stops_the_gate_cleanly() {
        let idp = Idp::start();
        let env = TestEnv::new();
        let config = config_for(&env, &idp);
        let mut gate = start(&env, &config);
        assert_eq!(gate.terminate(), Some(0));
    }

    #[test]
    fn start_up_refuses_plain_http_off_loopback_and_an_unpinned_rules_file() {
        let idp = Idp::start();
        let env = TestEnv::new();
        let config = config_for(&env, &idp);
        let (code, _, stderr) = run(env
            .cmd()
            .env("GATE_TV_SECRET", "x")
            .args(["gate", "serve", "--listen", "0.0.0.0:0", "--config"])
            .arg(&config));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("--allow-plain-http"), "{stderr}");

        let rules = env.path().join("rules.toml");
        let lowered = std::fs::read_to_string(&rules)
            .unwrap()
            .replace("default_tier = 3", "default_tier = 1");
        std::fs::write(&rules, lowered).unwrap();
        let (code, _, stderr) = run(env
            .cmd()
            .env("GATE_TV_SECRET", "x")
            .args(["gate", "serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config));
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("not the pinned"), "{stderr}");
        assert!(!stderr.contains("listening"), "{stderr}");
    }
}
