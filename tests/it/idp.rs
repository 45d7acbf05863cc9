//! The test IdP (`tests/support/idp/server.mjs`, oidc-provider on loopback): started per test
//! on a free port, killed when the handle drops, driven through its `/_test/` hooks.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{TestEnv, repo_root};

/// The public client, the confidential client and its secret, as the IdP registers them.
pub const PUBLIC_CLIENT: &str = "cli-public";
pub const CONFIDENTIAL_CLIENT: &str = "cli-confidential";
/// A first-party app with the CIBA grant only.
pub const CIBA_CLIENT: &str = "cli-ciba";
/// The Custom API Client linked to AUDIENCE, with the Token Vault grant only.
pub const VAULT_CLIENT: &str = "cli-vault";
/// A Custom API Client linked to another API.
pub const OTHER_API_CLIENT: &str = "cli-other-api";
pub const CLIENT_SECRET: &str = "test-secret";
pub const AUDIENCE: &str = "https://api.changeset.test";
pub const USER: &str = "auth0|user-1";

pub struct Idp {
    child: Child,
    pub base_url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Idp {
    pub fn start() -> Idp {
        Self::start_with(&[])
    }

    /// Starts the IdP with extra environment knobs (see server.mjs), polling interval 1 s.
    pub fn start_with(knobs: &[(&str, &str)]) -> Idp {
        let dir_path = repo_root().join("tests/support/idp");
        assert!(
            dir_path.join("node_modules/oidc-provider").exists(),
            "the test IdP's packages are missing: run `npm ci --prefix tests/support/idp`"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("idp.log");
        let mut command = Command::new("node");
        command
            .arg(dir_path.join("server.mjs"))
            .env("PORT", "0")
            .env("POLL_INTERVAL", "1")
            .env(
                "JWK_CACHE",
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-signing-key.json"),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("idp log"));
        for (k, v) in knobs {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .expect("start node (the test IdP needs node >= 20)");
        let stdout = child.stdout.take().expect("idp stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(ready) = line.strip_prefix("READY ") {
                    let _ = tx.send(ready.to_string());
                }
            }
        });
        let ready = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(r) => r,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the test IdP did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let ready: Value = serde_json::from_str(&ready).expect("READY json");
        Idp {
            child,
            base_url: ready["base_url"].as_str().expect("base_url").to_string(),
            log,
            _dir: dir,
            http: reqwest::Client::new(),
        }
    }

    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// The IdP's stderr so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.base_url);
        changeset::net::block_on(async {
            self.http
                .get(&url)
                .send()
                .await
                .expect("GET the IdP")
                .json::<Value>()
                .await
                .expect("JSON from the IdP")
        })
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base_url);
        changeset::net::block_on(async {
            let r = self
                .http
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("POST the IdP");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        })
    }

    /// A form POST straight to an OAuth endpoint (as an attacker or a second client would).
    pub fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let url = format!("{}{path}", self.base_url);
        changeset::net::block_on(async {
            let r = self
                .http
                .post(&url)
                .form(form)
                .send()
                .await
                .expect("POST the IdP");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        })
    }

    /// Tries a refresh token directly at the token endpoint; returns the OAuth error, if any.
    pub fn refresh_error(&self, refresh_token: &str) -> Option<String> {
        let (status, body) = self.post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", PUBLIC_CLIENT),
                ("refresh_token", refresh_token),
            ],
        );
        (status != 200).then(|| body["error"].as_str().unwrap_or("?").to_string())
    }

    /// The token-endpoint calls seen so far.
    pub fn token_log(&self) -> Vec<Value> {
        self.get("/_test/log")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// How many successful calls of a grant type the token endpoint answered.
    pub fn count_ok(&self, grant_type: &str) -> usize {
        self.token_log()
            .iter()
            .filter(|e| e["grant_type"] == grant_type && e["status"] == 200)
            .count()
    }

    /// Waits (up to 20 s) until a device login is pending, then approves or denies it.
    pub fn settle_device_when_pending(&self, approve: bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let pending = self.get("/_test/device/pending");
            if let Some(first) = pending.as_array().and_then(|a| a.first()) {
                let path = if approve {
                    "/_test/device/approve"
                } else {
                    "/_test/device/deny"
                };
                let (status, body) = self.post(path, json!({ "user_code": first["user_code"] }));
                assert_eq!(status, 200, "settling the device code: {body}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no device login became pending");
    }

    /// No token this IdP issued appears in the output, the data directory (audit database,
    /// journal; the credential file is the one place allowed to hold them), the given files or
    /// the committed snapshots.
    pub fn assert_no_leak(&self, env: &TestEnv, output: &str, files: &[PathBuf]) {
        let secrets = self.issued_secrets();
        let mut places = vec![("command output".to_string(), output.as_bytes().to_vec())];
        places.extend(
            files_under(&env.data_dir())
                .into_iter()
                .filter(|(name, _)| !name.ends_with("credentials.json")),
        );
        for f in files {
            places.push((
                f.display().to_string(),
                std::fs::read(f).unwrap_or_default(),
            ));
        }
        places.extend(files_under(&repo_root().join("tests/it/snapshots")));
        for (name, bytes) in &places {
            let text = String::from_utf8_lossy(bytes);
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a token leaked into {name}"
                );
            }
        }
    }

    /// Every CIBA request the IdP received, settled or not.
    pub fn ciba_requests(&self) -> Vec<Value> {
        self.get("/_test/ciba/requests")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits (up to 20 s) until a CIBA request for `account` is pending; returns it.
    pub fn wait_ciba_pending(&self, account: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let pending = self.get("/_test/ciba/pending");
            if let Some(p) = pending
                .as_array()
                .and_then(|a| a.iter().find(|p| p["account_id"] == account))
            {
                return p.clone();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no CIBA request for {account} became pending");
    }

    /// Approves or denies a pending CIBA request (by auth_req_id).
    pub fn settle_ciba(&self, request: &Value, approve: bool) {
        let path = if approve {
            "/_test/ciba/approve"
        } else {
            "/_test/ciba/deny"
        };
        let (status, body) = self.post(path, json!({ "auth_req_id": request["auth_req_id"] }));
        assert_eq!(status, 200, "settling the CIBA request: {body}");
    }

    /// Every token value the IdP issued (access and refresh) and every Google token it minted.
    pub fn issued_secrets(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .get("/_test/issued_tokens")
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["value"].as_str().map(str::to_string))
            .collect();
        all.extend(
            self.get("/_test/federated_tokens")
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["access_token"].as_str().map(str::to_string)),
        );
        all
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `changeset` against this IdP: tenant, public client and audience set, no keychain reachable
/// (no session bus), the file store unless a test says otherwise.
pub fn cmd(env: &TestEnv, idp: &Idp) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CHANGESET_AUTH0_DOMAIN", &idp.base_url)
        .env("CHANGESET_CLIENT_ID", PUBLIC_CLIENT)
        .env("CHANGESET_AUDIENCE", AUDIENCE)
        .env("CHANGESET_CREDENTIAL_STORE", "file")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", env.path());
    cmd
}

fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// `cmd` plus the confidential application (client_secret_post).
pub fn ciba_cmd(env: &TestEnv, idp: &Idp) -> assert_cmd::Command {
    let mut cmd = cmd(env, idp);
    cmd.env("CHANGESET_CONFIDENTIAL_CLIENT_ID", CONFIDENTIAL_CLIENT)
        .env("CHANGESET_CLIENT_SECRET", CLIENT_SECRET);
    cmd
}

/// Runs `changeset login` (file store) while a second thread approves or denies the device code.
pub fn login(env: &TestEnv, idp: &Idp, approve: bool) -> (i32, String, String) {
    std::thread::scope(|s| {
        s.spawn(|| idp.settle_device_when_pending(approve));
        crate::support::run(cmd(env, idp).arg("login"))
    })
}

/// The credential file's entry for this IdP (the test reads it as the user could).
pub fn stored(env: &TestEnv) -> Value {
    let text =
        std::fs::read_to_string(env.data_dir().join("credentials.json")).expect("credential file");
    let all: Value = serde_json::from_str(&text).expect("credential JSON");
    all.as_object()
        .and_then(|m| m.values().next())
        .cloned()
        .expect("one login")
}

/// Makes the stored access token look expired, as if an hour had passed.
pub fn expire_access_token(env: &TestEnv) {
    let path = env.data_dir().join("credentials.json");
    let mut all: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (_, entry) in all.as_object_mut().unwrap() {
        entry["access_expires_at"] = json!(0);
    }
    std::fs::write(&path, serde_json::to_vec(&all).unwrap()).unwrap();
}

/// insta filters for the IdP's port and one-time codes.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    let mut f = crate::support::filters();
    f.push((r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"));
    f.push((
        r"\b[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}\b",
        "[USER-CODE]",
    ));
    f
}

/// `ciba_cmd` as a plain std Command, for tests that signal the running process.
pub fn std_ciba_cmd(env: &TestEnv, idp: &Idp) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("changeset"));
    with_ciba_env(&mut cmd, env, idp);
    cmd
}

/// The environment of `ciba_cmd` on any command (for wrappers such as `script`).
pub fn with_ciba_env(cmd: &mut std::process::Command, env: &TestEnv, idp: &Idp) {
    for (key, _) in std::env::vars() {
        if key.starts_with("CHANGESET_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(env.path())
        .env("CHANGESET_DATA_DIR", env.data_dir())
        .env("CHANGESET_SOURCE", env.catalog())
        .env("CHANGESET_NOW", "2026-11-23T12:00:00Z")
        .env("NO_COLOR", "1")
        .env("HOME", env.path())
        .env_remove("CI")
        .env("CHANGESET_AUTH0_DOMAIN", &idp.base_url)
        .env("CHANGESET_CLIENT_ID", PUBLIC_CLIENT)
        .env("CHANGESET_AUDIENCE", AUDIENCE)
        .env("CHANGESET_CREDENTIAL_STORE", "file")
        .env("CHANGESET_CONFIDENTIAL_CLIENT_ID", CONFIDENTIAL_CLIENT)
        .env("CHANGESET_CLIENT_SECRET", CLIENT_SECRET);
}
