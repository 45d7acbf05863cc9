//! `changeset doctor`: every check passes against the test IdP and the fake Google, each kind
//! of ✗ carries its hint, and a fresh machine gets ✓ for the local parts and – for the rest.

use serde_json::{Value, json};

use crate::fake_google::{self, FakeGoogle};
use crate::idp::{self, Idp};
use crate::support::{TestEnv, run};

const SHEET: &str = "sheet-1";

/// A machine set up for everything: logged in, CIBA and Token Vault clients, a Sheets source
/// on the fake Google that trusts the IdP's Token Vault tokens, e-mail recipients.
struct Full {
    env: TestEnv,
    idp: Idp,
    google: FakeGoogle,
}

impl Full {
    fn new() -> Full {
        let env = TestEnv::new();
        let idp = Idp::start();
        let google = FakeGoogle::start(SHEET);
        let csv = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
        google.add_tab("Products", fake_google::typed_rows_from_csv(&csv));
        crate::sheets::trust_idp(&google, &idp);
        std::fs::write(
            env.path().join("changeset.toml"),
            "[notify]\nrecipients = [\"ops@example.com\"]\n",
        )
        .unwrap();
        // TestEnv made the data directory with the umask; changeset itself makes it 0700.
        std::fs::remove_dir(env.data_dir()).unwrap();
        assert_eq!(idp::login(&env, &idp, true).0, 0, "login");
        Full { env, idp, google }
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = idp::cmd(&self.env, &self.idp);
        cmd.env("CHANGESET_CIBA_CLIENT_ID", idp::CIBA_CLIENT)
            .env("CHANGESET_CIBA_CLIENT_SECRET", idp::CLIENT_SECRET)
            .env("CHANGESET_TOKEN_VAULT_CLIENT_ID", idp::VAULT_CLIENT)
            .env("CHANGESET_TOKEN_VAULT_CLIENT_SECRET", idp::CLIENT_SECRET)
            .env("CHANGESET_SOURCE", format!("sheets:{SHEET}/Products"))
            .env("CHANGESET_SHEETS_API_URL", self.google.url())
            .env("CHANGESET_GMAIL_API_URL", self.google.url())
            .env("CHANGESET_CONFIG", self.env.path().join("changeset.toml"))
            .env("CHANGESET_HTTP_TIMEOUT", "5")
            .arg("doctor");
        cmd
    }

    /// Runs doctor with --format json; returns the exit code and the report.
    fn report(&self, cmd: &mut assert_cmd::Command) -> (i32, Value) {
        let (code, stdout, stderr) = run(cmd.args(["--format", "json"]));
        let report = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("doctor JSON: {e}\n{stdout}\n{stderr}"));
        self.idp.assert_no_leak(&self.env, &stdout, &[]);
        (code, report)
    }
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check `{name}` in {report:#}"))
}

/// The check failed, the run exits 1, and a hint contains `hint`.
fn assert_fails(code: i32, report: &Value, name: &str, hint: &str) {
    let c = check(report, name);
    assert_eq!(c["status"], "fail", "{report:#}");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    let hints: Vec<&str> = c["hints"]
        .as_array()
        .map_or(vec![], |h| h.iter().filter_map(Value::as_str).collect());
    assert!(
        hints.iter().any(|h| h.contains(hint)),
        "`{name}` hints {hints:?} lack `{hint}`"
    );
}

#[test]
fn everything_configured_passes_against_the_test_servers() {
    // Local approval: every part is checked here; the gate (gate mode, a separate setup whose
    // check calls the gate with the login: tests/it/gate_client.rs) is not configured.
    let f = Full::new();
    let (code, stdout, stderr) = run(&mut f.cmd());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.trim_start().starts_with("hint:"))
        .collect();
    assert_eq!(lines.len(), 13, "{stdout}");
    for line in &lines[..12] {
        assert!(line.starts_with('✓'), "not ✓: {line}\n{stdout}");
    }
    assert!(lines[12].starts_with("– gate"), "{stdout}");
    assert!(stdout.contains("CIBA client"), "{stdout}");
    assert!(stdout.contains("refresh token works"), "{stdout}");
    // Harmless: nothing was written to the sheet, no mail sent, no approval asked for.
    assert_eq!(f.google.mail().len(), 0);
    assert!(f.idp.ciba_requests().is_empty());
    f.idp.assert_no_leak(&f.env, &stdout, &[]);
}

#[test]
fn a_fresh_machine_gets_local_checks_and_hints_for_the_rest() {
    let env = TestEnv::new();
    std::fs::remove_file(env.catalog()).unwrap();
    std::fs::remove_dir(env.data_dir()).unwrap();
    let (code, stdout, stderr) = run(env
        .cmd()
        .arg("doctor")
        .env_remove("CHANGESET_SOURCE")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", env.path()));
    assert_eq!(code, 0, "{stdout}{stderr}");
    for local in ["config", "data directory", "credential store", "rules"] {
        let line = stdout.lines().find(|l| l[4..].starts_with(local)).unwrap();
        assert!(line.starts_with('✓'), "{line}\n{stdout}");
    }
    for remote in ["Auth0", "Token Vault", "source", "Gmail", "gate"] {
        let line = stdout
            .lines()
            .find(|l| l[4..].starts_with(&format!("{remote} ")))
            .unwrap();
        assert!(line.starts_with('–'), "{line}\n{stdout}");
    }
    assert!(
        stdout.contains(
            "hint: to log in, approve by push and use Google Sheets: set CHANGESET_AUTH0_DOMAIN"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("hint: pass --source"), "{stdout}");
}

#[test]
fn a_config_file_that_does_not_parse() {
    let env = TestEnv::new();
    let path = env.path().join("bad.toml");
    std::fs::write(&path, "[auth0]\ndomian = \"x\"\n").unwrap();
    let (code, stdout, _) = run(env
        .cmd()
        .arg("doctor")
        .arg("--config")
        .arg(&path)
        .args(["--format", "json"]));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1);
    let c = check(&report, "config");
    assert_eq!(c["status"], "fail");
    assert!(
        c["detail"].as_str().unwrap().contains("domian"),
        "{report:#}"
    );
}

#[cfg(unix)]
#[test]
fn a_data_directory_others_can_read_and_a_credential_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let f = Full::new();
    let dir = f.env.data_dir();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, report) = f.report(&mut f.cmd());
    assert_fails(code, &report, "data directory", "chmod 700");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = dir.join("credentials.json");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, report) = f.report(&mut f.cmd());
    assert_fails(code, &report, "credential store", "chmod 600");
}

#[test]
fn an_unreachable_tenant() {
    let f = Full::new();
    let (code, report) = f.report(f.cmd().env("CHANGESET_AUTH0_DOMAIN", "http://127.0.0.1:9"));
    assert_fails(code, &report, "Auth0 discovery", "CHANGESET_AUTH0_DOMAIN");
}

#[test]
fn an_unknown_public_client_cannot_start_a_device_login() {
    let env = TestEnv::new();
    let idp = Idp::start();
    let (code, stdout, _) = run(idp::cmd(&env, &idp)
        .env("CHANGESET_CLIENT_ID", "no-such-app")
        .args(["doctor", "--format", "json"]));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_fails(code, &report, "login", "CHANGESET_CLIENT_ID");
}

#[test]
fn a_stored_login_that_no_longer_refreshes() {
    let f = Full::new();
    let path = f.env.data_dir().join("credentials.json");
    let mut all: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (_, entry) in all.as_object_mut().unwrap() {
        entry["refresh_token"] = json!("revoked-long-ago");
    }
    std::fs::write(&path, serde_json::to_vec(&all).unwrap()).unwrap();
    let (code, report) = f.report(&mut f.cmd());
    assert_fails(code, &report, "login", "changeset login");
}

#[test]
fn a_confidential_client_with_a_wrong_secret() {
    let f = Full::new();
    let (code, report) = f.report(f.cmd().env("CHANGESET_CIBA_CLIENT_SECRET", "wrong"));
    assert_fails(code, &report, "CIBA client", "secret or key does not match");
}

#[test]
fn a_confidential_client_without_its_grant() {
    let f = Full::new();
    // The Token Vault app has no CIBA grant.
    let (code, report) = f.report(f.cmd().env("CHANGESET_CIBA_CLIENT_ID", idp::VAULT_CLIENT));
    assert_fails(code, &report, "CIBA client", "Grant Types");
}

#[test]
fn token_vault_from_the_client_of_another_api() {
    let f = Full::new();
    let (code, report) = f.report(
        f.cmd()
            .env("CHANGESET_TOKEN_VAULT_CLIENT_ID", idp::OTHER_API_CLIENT),
    );
    let c = check(&report, "Token Vault");
    assert_eq!(c["status"], "fail", "{report:#}");
    assert_eq!(code, 1);
    assert!(!c["hints"].as_array().unwrap().is_empty(), "{report:#}");
}

#[test]
fn a_google_connection_without_the_sheets_or_gmail_scope() {
    let f = Full::new();
    let (status, _) = f.idp.post(
        "/_test/federated_scope",
        json!({ "scope": "openid https://www.googleapis.com/auth/gmail.send" }),
    );
    assert_eq!(status, 200);
    let (code, report) = f.report(&mut f.cmd());
    let c = check(&report, "Token Vault");
    assert_eq!(c["status"], "fail", "{report:#}");
    assert_eq!(code, 1);
    assert!(
        c["detail"].as_str().unwrap().contains("spreadsheets"),
        "{report:#}"
    );
    assert!(!c["hints"].as_array().unwrap().is_empty(), "{report:#}");

    let (status, _) = f.idp.post(
        "/_test/federated_scope",
        json!({ "scope": "openid https://www.googleapis.com/auth/spreadsheets" }),
    );
    assert_eq!(status, 200);
    let (code, report) = f.report(&mut f.cmd());
    assert_eq!(check(&report, "Token Vault")["status"], "ok", "{report:#}");
    let c = check(&report, "Gmail");
    assert_eq!(c["status"], "fail", "{report:#}");
    assert_eq!(code, 1);
    assert!(
        c["detail"].as_str().unwrap().contains("gmail.send"),
        "{report:#}"
    );
}

#[test]
fn a_source_whose_columns_do_not_match_and_a_broken_rules_file() {
    let env = TestEnv::new();
    std::fs::write(env.catalog(), "Sku,Title\nA-1,x\n").unwrap();
    let rules = env.path().join("rules.toml");
    std::fs::write(&rules, "this is not toml").unwrap();
    let (code, stdout, _) = run(env
        .cmd()
        .args(["doctor", "--format", "json", "--rules"])
        .arg(&rules));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1);
    for name in ["source", "rules"] {
        assert_eq!(check(&report, name)["status"], "fail", "{report:#}");
    }
}

#[test]
fn a_gate_that_does_not_answer() {
    let env = TestEnv::new();
    let (code, stdout, _) = run(env
        .cmd()
        .args(["doctor", "--format", "json"])
        .env("CHANGESET_GATE_URL", "http://127.0.0.1:9"));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_fails(code, &report, "gate", "CHANGESET_GATE_URL");
}
