//! Running the gate in production: HTTPS with rustls, secrets from systemd credentials, and the
//! shipped deployment examples (examples/gate/).

use std::path::{Path, PathBuf};

use crate::gate::gate_setup;
use crate::gate::service::{spawn, start_with};
use crate::support::{TestEnv, filters, transcript};

fn write_mode(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

/// A self-signed certificate for localhost and 127.0.0.1, made now: (cert.pem, key.pem 0600).
pub fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    write_mode(&cert, &made.cert.pem(), 0o644);
    write_mode(&key, &made.signing_key.serialize_pem(), 0o600);
    (cert, key)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// GET `url` with a client that trusts only `ca` (or the platform's roots when None).
fn get(url: &str, ca: Option<&Path>) -> Result<(u16, String), String> {
    changeset::net::block_on(async {
        let mut client = reqwest::Client::builder();
        if let Some(ca) = ca {
            let cert = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
            client = client.tls_certs_only([cert]);
        }
        let response = client
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        Ok((status, response.text().await.map_err(|e| e.to_string())?))
    })
}

#[test]
fn the_gate_serves_https_with_its_certificate_and_nothing_in_clear() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| t);
    let (cert, key) = self_signed(env.path(), "gate");
    // With TLS, a non-loopback address needs no --allow-plain-http.
    let gate = start_with(
        &env,
        &config,
        &[
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            path_str(&cert),
            "--tls-key",
            path_str(&key),
        ],
    );
    let port = gate.url.rsplit(':').next().unwrap().to_string();
    assert!(gate.url.starts_with("https://0.0.0.0:"), "{}", gate.url);
    let https = format!("https://127.0.0.1:{port}/healthz");

    assert_eq!(
        get(&https, Some(&cert)),
        Ok((200, "ok\n".to_string())),
        "a client trusting the gate's certificate"
    );
    // The certificate is what the client checked: one it does not trust is refused.
    let err = get(&https, None).unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    let (other, _) = self_signed(env.path(), "other");
    assert!(get(&https, Some(&other)).is_err());

    // Plain HTTP to the TLS port gets no HTTP answer at all.
    let plain = get(&format!("http://127.0.0.1:{port}/healthz"), None);
    assert!(plain.is_err(), "{plain:?}");
    // ... and the gate still serves after the failed handshakes.
    assert_eq!(get(&https, Some(&cert)), Ok((200, "ok\n".to_string())));
}

#[test]
fn bad_tls_files_stop_the_gate_before_it_listens() {
    let env = TestEnv::new();
    let config = gate_setup(&env, |t| t);
    let (cert, key) = self_signed(env.path(), "gate");
    let (_, other_key) = self_signed(env.path(), "other");
    let loose = env.path().join("loose.key");
    write_mode(&loose, &std::fs::read_to_string(&key).unwrap(), 0o644);
    let garbage = env.path().join("garbage.crt");
    write_mode(&garbage, "not a certificate\n", 0o644);
    let missing = env.path().join("missing.key");

    let mut out = String::new();
    for (what, cert, key) in [
        ("missing key file", &cert, &missing),
        ("key readable by others", &cert, &loose),
        ("key of another certificate", &cert, &other_key),
        ("certificate file without a certificate", &garbage, &key),
    ] {
        let text = transcript(
            env.cmd()
                .env("GATE_TV_SECRET", "x")
                .args(["gate", "serve", "--listen", "127.0.0.1:0"])
                .args(["--tls-cert", path_str(cert), "--tls-key", path_str(key)])
                .arg("--config")
                .arg(&config),
        );
        assert!(!text.contains("listening"), "{text}");
        out.push_str(&format!("## {what}\n{text}\n"));
    }
    // A certificate without its key is a usage error.
    out.push_str("## --tls-cert without --tls-key\n");
    out.push_str(&transcript(
        env.cmd()
            .args(["gate", "serve", "--tls-cert", path_str(&cert), "--config"])
            .arg(&config),
    ));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("gate_tls_start_up_errors", out);
    });
}

/// systemd hands a unit's secrets over with `LoadCredential=`: a 0400 file in
/// `$CREDENTIALS_DIRECTORY` that the service's user reads through an ACL, whose mask `stat`
/// shows as group read (0440). gate.toml names them by absolute path there; the same mode
/// anywhere else, or a credential others can read, is still refused.
#[cfg(unix)]
#[test]
fn secrets_and_the_signing_key_may_come_from_systemd_credentials() {
    let env = TestEnv::new();
    let creds = env.path().join("credentials");
    std::fs::create_dir(&creds).unwrap();
    gate_setup(&env, |t| t);
    let key = std::fs::read_to_string(env.path().join("gate-signing.key")).unwrap();
    write_mode(&creds.join("ciba-secret"), "test-secret\n", 0o440);
    write_mode(&creds.join("signing-key"), &key, 0o440);
    let in_creds = |t: String| {
        t.replace(
            "secret_file = \"ciba.secret\"",
            &format!("secret_file = \"{}\"", creds.join("ciba-secret").display()),
        )
        .replace(
            "key = \"gate-signing.key\"",
            &format!("key = \"{}\"", creds.join("signing-key").display()),
        )
    };
    let config = gate_setup(&env, in_creds);
    let check = |creds_dir: &Path| {
        crate::support::run(
            env.cmd()
                .env("GATE_TV_SECRET", "x")
                .env("CREDENTIALS_DIRECTORY", creds_dir)
                .args(["gate", "check-config", "--config"])
                .arg(&config),
        )
    };
    let (code, _, stderr) = check(&creds);
    assert_eq!(code, 0, "{stderr}");

    // Outside the credentials directory the ACL excuse does not apply.
    let (code, _, stderr) = check(env.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("ciba-secret` is readable by other users")
            && stderr.contains("signing-key` is readable by others"),
        "{stderr}"
    );
    // Inside it, a credential that others may read, or a group may write, is refused.
    for mode in [0o444, 0o460] {
        write_mode(&creds.join("ciba-secret"), "test-secret\n", mode);
        let (code, _, stderr) = check(&creds);
        assert_eq!(code, 1, "mode {mode:o}: {stderr}");
        assert!(stderr.contains("ciba-secret"), "{stderr}");
    }
}

/// The shipped deployment, run the way systemd would run it: every `LoadCredential=ID:SOURCE`
/// of examples/gate/changeset-gate.service becomes a file ID in a credentials directory (mode
/// 0440, as systemd's ACL shows it), examples/gate/gate.toml is read from those paths, and the
/// unit's own ExecStart starts an HTTPS gate that answers /healthz.
#[cfg(unix)]
#[test]
fn the_example_unit_and_config_start_a_gate_from_systemd_credentials() {
    const RUN_CREDS: &str = "/run/credentials/changeset-gate.service";
    let root = crate::support::repo_root().join("examples/gate");
    let unit = std::fs::read_to_string(root.join("changeset-gate.service")).unwrap();
    let example = std::fs::read_to_string(root.join("gate.toml")).unwrap();
    let directive = |name: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
            .collect()
    };
    for hardening in [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
    ] {
        assert!(unit.lines().any(|l| l == hardening), "{hardening} missing");
    }
    let state = directive("StateDirectory");
    assert_eq!(state, ["changeset-gate"]);
    assert!(
        example.contains("url = \"sqlite:/var/lib/changeset-gate\""),
        "the audit log must live in the unit's StateDirectory"
    );
    let pinned = changeset::digest::sha256_prefixed(changeset::policy::DEFAULT_RULES.as_bytes());
    assert!(
        example.contains(&format!("sha256 = \"{pinned}\"")),
        "examples/gate/gate.toml pins rules/default.toml: update its sha256 to {pinned}"
    );

    let env = TestEnv::new();
    let [etc, creds, lib] = ["etc", "credentials", "lib"].map(|d| env.path().join(d));
    for d in [&etc, &creds, &lib] {
        std::fs::create_dir(d).unwrap();
    }
    let (cert, key) = self_signed(env.path(), "tls");
    let (rsa_key, _) = crate::vault::key_pair();
    let made = env.path().join("made.key");
    let (code, _, stderr) = crate::support::run(
        env.cmd()
            .args([
                "gate",
                "keygen",
                "--name",
                "gate.example.com/changeset",
                "-o",
            ])
            .arg(&made),
    );
    assert_eq!(code, 0, "{stderr}");
    let signing = std::fs::read_to_string(&made).unwrap();
    let credentials = directive("LoadCredential");
    assert!(!credentials.is_empty());
    for credential in &credentials {
        let (id, _source) = credential.split_once(':').unwrap();
        let text = match id {
            "ciba-secret" => "ciba-client-secret\n".to_string(),
            "token-vault-key.pem" => rsa_key.clone(),
            "signing-key" => signing.clone(),
            "tls.crt" => std::fs::read_to_string(&cert).unwrap(),
            "tls.key" => std::fs::read_to_string(&key).unwrap(),
            other => panic!("the unit loads a credential this test does not know: {other}"),
        };
        write_mode(&creds.join(id), &text, 0o440);
    }
    // Every credential gate.toml and ExecStart name is one the unit loads.
    let exec = directive("ExecStart").concat();
    let prefix = format!("{RUN_CREDS}/");
    let named = example
        .split(&prefix)
        .skip(1)
        .chain(exec.split("%d/").skip(1))
        .map(|rest| rest.split(['"', ' ']).next().unwrap())
        .filter(|id| !id.is_empty()); // the comment naming the directory itself
    for id in named {
        assert!(
            credentials.iter().any(|c| c.starts_with(&format!("{id}:"))),
            "`{id}` is used but not loaded by the unit"
        );
    }

    std::fs::write(etc.join("rules.toml"), changeset::policy::DEFAULT_RULES).unwrap();
    let config = etc.join("gate.toml");
    std::fs::write(
        &config,
        example
            .replace(RUN_CREDS, creds.to_str().unwrap())
            .replace("/var/lib/changeset-gate", lib.to_str().unwrap()),
    )
    .unwrap();
    let (code, stdout, stderr) = crate::support::run(
        env.cmd()
            .env("CREDENTIALS_DIRECTORY", &creds)
            .args(["gate", "check-config", "--config"])
            .arg(&config),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("ciba-client-secret"), "{stdout}");

    // ExecStart as systemd runs it: %d is the credentials directory; a free port for the test.
    let args: Vec<String> = exec
        .split_whitespace()
        .map(|a| a.replace("%d", creds.to_str().unwrap()))
        .map(|a| a.replace(":8443", ":0"))
        .collect();
    assert_eq!(args[..3], ["/usr/local/bin/changeset", "gate", "serve"]);
    let config_at = args.iter().position(|a| a == "--config").unwrap();
    assert_eq!(args[config_at + 1], "/etc/changeset-gate/gate.toml");
    let gate = spawn(
        env.std_cmd()
            .env("CREDENTIALS_DIRECTORY", &creds)
            .args(&args[1..config_at])
            .arg("--config")
            .arg(&config)
            .args(&args[config_at + 2..]),
    );
    let port = gate.url.rsplit(':').next().unwrap();
    assert_eq!(
        get(&format!("https://127.0.0.1:{port}/healthz"), Some(&cert)),
        Ok((200, "ok\n".to_string()))
    );
}
