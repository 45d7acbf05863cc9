//! The library API other modules use (`auth::ciba`, `auth::vault`) against the test IdP, and
//! private_key_jwt client authentication (issue: CIBA approval, Token Vault).

use changeset::auth::ciba::Ciba;
use changeset::auth::client::Confidential;
use changeset::auth::{Tenant, vault};
use changeset::error::Kind;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::idp::{self, Idp, ciba_cmd, login, stored};
use crate::support::{TestEnv, run};

const SHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";

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

/// A CIBA approval driven through the library: the access token it yields.
fn approved_token(idp: &Idp, client: Confidential) -> SecretString {
    let ciba = Ciba::new(tenant(idp), client).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            idp.settle_ciba(&request, true);
        });
        changeset::net::block_on(async {
            let pending = ciba.start(idp::USER, "Approve test 1", 30).await.unwrap();
            ciba.wait(pending, None, &|_, _| {}).await.unwrap()
        })
    })
    .access_token
}

#[test]
fn a_ciba_token_is_exchanged_for_a_google_token_of_the_asked_scope() {
    let idp = Idp::start();
    let subject = approved_token(&idp, secret_client());
    let got = changeset::net::block_on(vault::exchange_async(
        &tenant(&idp),
        &secret_client(),
        &subject,
        vault::GOOGLE_CONNECTION,
        Some(SHEETS),
    ))
    .unwrap();
    assert!(got.access_token.expose_secret().starts_with("ya29."));
    assert_eq!(got.scope.as_deref(), Some(SHEETS));
    assert!(got.jti.is_some() && got.expires_in.is_some());
    assert!(got.token_ref.starts_with("sha256:") && got.token_ref.len() == 23);
    let minted = idp.get("/_test/federated_tokens");
    assert_eq!(minted[0]["subject_grant_type"], "ciba");
    assert_eq!(minted[0]["client_id"], idp::CONFIDENTIAL_CLIENT);
    assert_eq!(minted[0]["sub"], idp::USER);

    // Token Vault hands out what the account holds: a broader grant comes back as it is, for
    // the caller to refuse.
    idp.post(
        "/_test/federated_scope",
        json!({ "scope": format!("{SHEETS} https://www.googleapis.com/auth/gmail.send") }),
    );
    let broader = changeset::net::block_on(vault::exchange_async(
        &tenant(&idp),
        &secret_client(),
        &subject,
        vault::GOOGLE_CONNECTION,
        Some(SHEETS),
    ))
    .unwrap();
    assert!(broader.scope.unwrap().contains("gmail.send"));
}

#[test]
fn the_login_access_token_is_exchanged_too_and_a_bad_subject_is_refused() {
    let idp = Idp::start();
    let env = TestEnv::new();
    assert_eq!(login(&env, &idp, true).0, 0);
    let user_token = SecretString::from(stored(&env)["access_token"].as_str().unwrap());
    let got = changeset::net::block_on(vault::exchange_async(
        &tenant(&idp),
        &secret_client(),
        &user_token,
        vault::GOOGLE_CONNECTION,
        Some("https://www.googleapis.com/auth/spreadsheets.readonly"),
    ))
    .unwrap();
    assert_eq!(
        got.scope.as_deref(),
        Some("https://www.googleapis.com/auth/spreadsheets.readonly")
    );

    let err = changeset::net::block_on(vault::exchange_async(
        &tenant(&idp),
        &secret_client(),
        &SecretString::from("not-a-token"),
        vault::GOOGLE_CONNECTION,
        None,
    ))
    .err()
    .unwrap();
    assert_eq!(err.kind, Kind::NeedsAuth, "{}", err.message);
}

/// An RSA key pair made by node: (PKCS#8 PEM, public JWK Set JSON).
fn key_pair() -> (String, String) {
    let out = std::process::Command::new("node")
        .args([
            "-e",
            "const c=require('crypto');const k=c.generateKeyPairSync('rsa',{modulusLength:2048});\
             process.stdout.write(JSON.stringify({pem:k.privateKey.export({type:'pkcs8',format:'pem'}),\
             jwks:{keys:[{...k.publicKey.export({format:'jwk'}),kid:'k1',alg:'RS256',use:'sig'}]}}))",
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
    let idp = Idp::start_with(&[("ASSERTION_JWKS", &jwks)]);
    let client = || Confidential::with_key_pem("cli-confidential-jwt", &pem).unwrap();
    let subject = approved_token(&idp, client());
    let got = changeset::net::block_on(vault::exchange_async(
        &tenant(&idp),
        &client(),
        &subject,
        vault::GOOGLE_CONNECTION,
        Some(SHEETS),
    ))
    .unwrap();
    assert_eq!(got.scope.as_deref(), Some(SHEETS));

    // Another key is not this client's: the IdP refuses it before any push is sent.
    let (other_pem, _) = key_pair();
    let ciba = Ciba::new(
        tenant(&idp),
        Confidential::with_key_pem("cli-confidential-jwt", &other_pem).unwrap(),
    )
    .unwrap();
    let err = changeset::net::block_on(ciba.start(idp::USER, "Approve test 2", 30))
        .err()
        .unwrap();
    assert_eq!(err.kind, Kind::Input);
    assert!(
        err.message.contains("confidential application"),
        "{}",
        err.message
    );
}

#[cfg(unix)]
#[test]
fn the_cli_reads_the_assertion_key_from_a_private_file_only() {
    use std::os::unix::fs::PermissionsExt;
    let (pem, jwks) = key_pair();
    let idp = Idp::start_with(&[("ASSERTION_JWKS", &jwks)]);
    let env = TestEnv::new();
    assert_eq!(login(&env, &idp, true).0, 0);
    let key = env.path().join("key.pem");
    std::fs::write(&key, &pem).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let with_key = |cmd: &mut assert_cmd::Command| {
        cmd.env("CHANGESET_CONFIDENTIAL_CLIENT_ID", "cli-confidential-jwt")
            .env_remove("CHANGESET_CLIENT_SECRET")
            .env("CHANGESET_CLIENT_ASSERTION_KEY", &key)
            .args(["apply", "put STR-001 on 20% off", "--no-input", "-q"]);
    };
    let mut cmd = ciba_cmd(&env, &idp);
    with_key(&mut cmd);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("readable by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = env.catalog_text();
    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| {
            let request = idp.wait_ciba_pending(idp::USER);
            assert_eq!(request["client_id"], "cli-confidential-jwt");
            idp.settle_ciba(&request, true);
        });
        let mut cmd = ciba_cmd(&env, &idp);
        with_key(&mut cmd);
        run(&mut cmd)
    });
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(env.catalog_text(), before);
}
