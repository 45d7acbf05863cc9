//! The library API other modules use (`auth::ciba`, `auth::vault`) against the test IdP, and
//! private_key_jwt client authentication (issue: CIBA approval, Token Vault).

use changeset::auth::ciba::Ciba;
use changeset::auth::client::Alg;
use changeset::auth::client::Confidential;
use changeset::auth::{Tenant, vault};
use changeset::error::Kind;
use changeset::google::token::{Agent, check_scope};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::idp::{self, Idp, ciba_cmd, login, stored};
use crate::support::{TestEnv, run};

const SHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";
/// What the IdP's connected Google account holds (its FEDERATED_SCOPE default).
const GRANTED: &str = "openid https://www.googleapis.com/auth/spreadsheets https://www.googleapis.com/auth/gmail.send";

fn tenant(idp: &Idp) -> Tenant {
    Tenant {
        base_url: idp.base_url.clone(),
        client_id: idp::PUBLIC_CLIENT.into(),
        audience: Some(idp::AUDIENCE.into()),
    }
}

fn secret_client() -> Confidential {
    Confidential::with_secret(
        idp::CONFIDENTIAL_CLIENT,
        SecretString::from(idp::CLIENT_SECRET),
    )
}

/// A CIBA approval driven through the library.
fn approve_once(idp: &Idp, client: Confidential, message: &str) {
    let ciba = Ciba::new(tenant(idp), client).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            idp.settle_ciba(&request, true);
        });
        changeset::net::block_on(async {
            let pending = ciba.start(idp::USER, message, 30, None).await.unwrap();
            ciba.wait(pending, None, &|_, _| {}).await.unwrap()
        })
    });
}

/// The logged-in user's access token (audience = the API).
fn user_token(idp: &Idp, env: &TestEnv) -> SecretString {
    assert_eq!(login(env, idp, true).0, 0);
    SecretString::from(stored(env)["access_token"].as_str().unwrap())
}

fn exchange(
    idp: &Idp,
    client: &Confidential,
    subject: &SecretString,
) -> changeset::error::Result<vault::FederatedToken> {
    changeset::net::block_on(vault::exchange_async(
        &tenant(idp),
        client,
        subject,
        vault::GOOGLE_CONNECTION,
    ))
}

#[test]
fn token_vault_returns_the_connections_whole_grant_and_is_asked_for_no_scope() {
    let idp = Idp::start();
    let env = TestEnv::new();
    let subject = user_token(&idp, &env);
    let got = exchange(&idp, &secret_client(), &subject).unwrap();
    assert!(got.access_token.expose_secret().starts_with("ya29."));
    assert_eq!(got.scope.as_deref(), Some(GRANTED));
    assert!(got.jti.is_some() && got.expires_in.is_some());
    assert!(got.token_ref.starts_with("sha256:") && got.token_ref.len() == 23);
    let minted = idp.get("/_test/federated_tokens");
    assert_eq!(minted[0]["client_id"], idp::CONFIDENTIAL_CLIENT);
    assert_eq!(minted[0]["sub"], idp::USER);
    assert_eq!(minted[0]["subject_audience"], idp::AUDIENCE);
    assert!(minted[0]["requested_scope"].is_null(), "{}", minted[0]);

    // The same connection serves the reader, the writer and the notifier.
    for agent in [Agent::Reader, Agent::Writer, Agent::Notifier] {
        let granted = check_scope(agent, got.scope.as_deref()).unwrap();
        assert!(granted.iter().any(|s| s == SHEETS), "{granted:?}");
    }

    let err = exchange(&idp, &secret_client(), &SecretString::from("not-a-token"))
        .err()
        .unwrap();
    assert_eq!(err.kind, Kind::NeedsAuth, "{}", err.message);
}

#[test]
fn only_the_client_linked_to_the_tokens_audience_may_exchange_it() {
    let idp = Idp::start();
    let env = TestEnv::new();
    let subject = user_token(&idp, &env);
    let client = |id: &str| Confidential::with_secret(id, SecretString::from(idp::CLIENT_SECRET));
    assert!(exchange(&idp, &client(idp::VAULT_CLIENT), &subject).is_ok());
    let err = exchange(&idp, &client(idp::OTHER_API_CLIENT), &subject)
        .err()
        .unwrap();
    assert!(
        err.message
            .contains("Token Vault refused the exchange by `cli-other-api`"),
        "{}",
        err.message
    );
    assert!(
        err.hints.iter().any(|h| h.contains(idp::AUDIENCE)),
        "{:?}",
        err.hints
    );
    // A token for no API (a login without an audience) cannot be exchanged by anyone.
    let env2 = TestEnv::new();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| idp.settle_device_when_pending(true));
        run(idp::cmd(&env2, &idp)
            .env_remove("CHANGESET_AUDIENCE")
            .arg("login"))
    });
    assert_eq!(code, 0, "{stderr}");
    let no_api = SecretString::from(stored(&env2)["access_token"].as_str().unwrap());
    assert!(exchange(&idp, &client(idp::VAULT_CLIENT), &no_api).is_err());
    // The CIBA application cannot exchange at all; the Custom API Client cannot send CIBA.
    assert!(exchange(&idp, &client(idp::CIBA_CLIENT), &subject).is_err());
    let ciba = Ciba::new(tenant(&idp), client(idp::VAULT_CLIENT)).unwrap();
    let err = changeset::net::block_on(ciba.start(idp::USER, "Approve test 3", 30, None))
        .err()
        .unwrap();
    assert!(
        err.message.contains("`cli-vault` for CIBA"),
        "{}",
        err.message
    );
    assert!(idp.ciba_requests().is_empty());
}

#[test]
fn with_ciba_or_token_vault_configured_the_audience_is_required() {
    let idp = Idp::start();
    let env = TestEnv::new();
    for extra in [
        &[][..],
        &[
            ("CHANGESET_CIBA_CLIENT_ID", idp::CIBA_CLIENT),
            ("CHANGESET_CIBA_CLIENT_SECRET", idp::CLIENT_SECRET),
        ][..],
    ] {
        let mut cmd = ciba_cmd(&env, &idp);
        cmd.env_remove("CHANGESET_AUDIENCE");
        if !extra.is_empty() {
            cmd.env_remove("CHANGESET_CONFIDENTIAL_CLIENT_ID");
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let (code, _, stderr) = run(cmd.arg("login"));
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("CHANGESET_AUDIENCE is not set, and it is required when CIBA or Token Vault is configured"),
            "{stderr}"
        );
    }
    // Caught before anything reached the IdP: no login started, no approval request sent.
    assert!(
        idp.get("/_test/device/pending")
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (code, _, stderr) = run(ciba_cmd(&env, &idp).env_remove("CHANGESET_AUDIENCE").args([
        "apply",
        "put STR-001 on 20% off",
        "--no-input",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("CHANGESET_AUDIENCE"), "{stderr}");
    assert!(idp.ciba_requests().is_empty());
    assert!(idp.token_log().is_empty());
}

/// An RSA key pair made by node: (PKCS#8 PEM, public JWK Set JSON).
pub fn key_pair() -> (String, String) {
    let out = std::process::Command::new("node")
        .args([
            "-e",
            "const c=require('crypto');const k=c.generateKeyPairSync('rsa',{modulusLength:2048});\
             process.stdout.write(JSON.stringify({pem:k.privateKey.export({type:'pkcs8',format:'pem'}),\
             jwks:{keys:[{...k.publicKey.export({format:'jwk'}),kid:'k1',use:'sig'}]}}))",
        ])
        .output()
        .expect("node");
    let v: Value = serde_json::from_slice(&out.stdout).expect("key JSON");
    (
        v["pem"].as_str().unwrap().to_string(),
        v["jwks"].to_string(),
    )
}

#[test]
fn private_key_jwt_authenticates_ciba_and_the_exchange() {
    let (pem, jwks) = key_pair();
    let idp = Idp::start_with(&[("ASSERTION_JWKS", &jwks), ("ASSERTION_ALG", "RS384")]);
    let env = TestEnv::new();
    let subject = user_token(&idp, &env);
    let client = || {
        Confidential::with_key_pem("cli-confidential-jwt", &pem, Alg::Rs384, "test key").unwrap()
    };
    approve_once(&idp, client(), "Approve test 1");
    let got = exchange(&idp, &client(), &subject).unwrap();
    assert_eq!(got.scope.as_deref(), Some(GRANTED));

    // Another key, or another algorithm than the registered one, is not this client: the IdP
    // refuses it before any push is sent.
    let (other_pem, _) = key_pair();
    for wrong in [
        Confidential::with_key_pem("cli-confidential-jwt", &other_pem, Alg::Rs384, "test key")
            .unwrap(),
        Confidential::with_key_pem("cli-confidential-jwt", &pem, Alg::Rs256, "test key").unwrap(),
    ] {
        let ciba = Ciba::new(tenant(&idp), wrong).unwrap();
        let err = changeset::net::block_on(ciba.start(idp::USER, "Approve test 2", 30, None))
            .err()
            .unwrap();
        assert_eq!(err.kind, Kind::Input);
        assert!(
            err.message.contains("confidential application"),
            "{}",
            err.message
        );
    }
    assert_eq!(idp.ciba_requests().len(), 1);
}

#[cfg(unix)]
#[test]
fn the_cli_signs_its_assertion_as_registered_with_a_key_from_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let (pem, jwks) = key_pair();
    let idp = Idp::start_with(&[("ASSERTION_JWKS", &jwks), ("ASSERTION_ALG", "PS256")]);
    let env = TestEnv::new();
    assert_eq!(login(&env, &idp, true).0, 0);
    let key = env.path().join("key.pem");
    std::fs::write(&key, &pem).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let with_key = |cmd: &mut assert_cmd::Command, alg: Option<&str>| {
        cmd.env("CHANGESET_CONFIDENTIAL_CLIENT_ID", "cli-confidential-jwt")
            .env_remove("CHANGESET_CLIENT_SECRET")
            .env("CHANGESET_CLIENT_ASSERTION_KEY", &key)
            .args(["apply", "put STR-001 on 20% off", "--no-input", "-q"]);
        match alg {
            Some(alg) => cmd.env("CHANGESET_CLIENT_ASSERTION_ALG", alg),
            None => cmd.env_remove("CHANGESET_CLIENT_ASSERTION_ALG"),
        };
    };
    let mut cmd = ciba_cmd(&env, &idp);
    with_key(&mut cmd, Some("PS256"));
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("readable by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    // An algorithm Auth0 does not take is refused before any request.
    let mut cmd = ciba_cmd(&env, &idp);
    with_key(&mut cmd, Some("HS256"));
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("CHANGESET_CLIENT_ASSERTION_ALG: `HS256` is not RS256, RS384 or PS256"),
        "{stderr}"
    );

    // The default (RS256) is not what this credential was registered with: refused.
    let mut cmd = ciba_cmd(&env, &idp);
    with_key(&mut cmd, None);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("refused the confidential application"),
        "{stderr}"
    );
    assert!(idp.ciba_requests().is_empty());

    let before = env.catalog_text();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            assert_eq!(request["client_id"], "cli-confidential-jwt");
            idp.settle_ciba(&request, true);
        });
        let mut cmd = ciba_cmd(&env, &idp);
        with_key(&mut cmd, Some("PS256"));
        run(&mut cmd)
    });
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(env.catalog_text(), before);

    // Every assertion the IdP accepted: the registered alg, aud = the tenant URL with its
    // trailing slash, iss = sub = the client, a short life, a fresh jti, and no `nbf`.
    let seen = idp.get("/_test/assertions");
    let accepted: Vec<&Value> = seen
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["header"]["alg"] == "PS256")
        .collect();
    assert!(
        accepted.len() >= 2,
        "bc-authorize and at least one poll: {seen}"
    );
    let mut jtis = std::collections::HashSet::new();
    for a in &accepted {
        let p = &a["payload"];
        assert_eq!(p["aud"], idp.issuer());
        assert!(idp.issuer().ends_with('/'));
        assert_eq!(p["iss"], "cli-confidential-jwt");
        assert_eq!(p["sub"], "cli-confidential-jwt");
        assert!(p.get("nbf").is_none(), "{p}");
        let life = p["exp"].as_i64().unwrap() - p["iat"].as_i64().unwrap();
        assert!((1..=300).contains(&life), "{p}");
        assert!(
            jtis.insert(p["jti"].as_str().unwrap().to_string()),
            "a jti was reused"
        );
    }
}
