//! `changeset gate`: the approval gate's configuration, keys and (as they land) its service.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, filters, run, transcript};

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
