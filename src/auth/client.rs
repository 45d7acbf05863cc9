//! The confidential application (CIBA and Token Vault) and how it authenticates: a client
//! secret (`client_secret_post`) or a private_key_jwt assertion signed with an RSA key. Both come
//! from the environment only (DESIGN section 7), never from argv, the config file or the binary.

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use super::{Tenant, unix_now};
use crate::env;
use crate::error::{Error, IoContext, Result};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The confidential application.
pub struct Confidential {
    pub client_id: String,
    auth: Auth,
}

enum Auth {
    Secret(SecretString),
    /// RS256 private_key_jwt (Auth0 accepts RS256, RS384, PS256).
    Key(RsaKeyPair),
}

impl Confidential {
    /// The confidential client from the environment, None when
    /// CHANGESET_CONFIDENTIAL_CLIENT_ID is unset. With an id, exactly one of the secret and the
    /// assertion key must be set.
    pub fn from_env() -> Result<Option<Confidential>> {
        let Some(client_id) = env::var(env::CONFIDENTIAL_CLIENT_ID) else {
            return Ok(None);
        };
        let secret = env::var(env::CLIENT_SECRET);
        let key = env::var(env::CLIENT_ASSERTION_KEY);
        let auth = match (secret, key) {
            (Some(secret), None) => Auth::Secret(SecretString::from(secret)),
            (None, Some(key)) => Auth::Key(load_key(&key)?),
            (Some(_), Some(_)) => {
                return Err(Error::input(format!(
                    "both {} and {} are set; the confidential application uses one of them",
                    env::CLIENT_SECRET,
                    env::CLIENT_ASSERTION_KEY
                ))
                .hint("unset the one the Auth0 application is not configured for"));
            }
            (None, None) => {
                return Err(Error::input(format!(
                    "{} is set but the application has no credential",
                    env::CONFIDENTIAL_CLIENT_ID
                ))
                .hint(format!(
                    "set {} (client secret) or {} (private_key_jwt: a PEM key, or the path of a 0600 PEM file)",
                    env::CLIENT_SECRET,
                    env::CLIENT_ASSERTION_KEY
                )));
            }
        };
        Ok(Some(Confidential { client_id, auth }))
    }

    /// A client authenticating with a secret (for callers that do not read the environment).
    pub fn with_secret(client_id: &str, secret: SecretString) -> Confidential {
        Confidential {
            client_id: client_id.to_string(),
            auth: Auth::Secret(secret),
        }
    }

    /// A client authenticating with private_key_jwt, from a PEM RSA private key.
    pub fn with_key_pem(client_id: &str, pem: &str) -> Result<Confidential> {
        Ok(Confidential {
            client_id: client_id.to_string(),
            auth: Auth::Key(parse_pem(pem)?),
        })
    }

    /// The confidential client, or an error saying how to configure it.
    pub fn required(what: &str) -> Result<Confidential> {
        Confidential::from_env()?.ok_or_else(|| {
            Error::input(format!(
                "{what} needs Auth0's confidential application, and {} is not set",
                env::CONFIDENTIAL_CLIENT_ID
            ))
            .hint(format!(
                "set {} and {} (or {}) in the environment",
                env::CONFIDENTIAL_CLIENT_ID,
                env::CLIENT_SECRET,
                env::CLIENT_ASSERTION_KEY
            ))
        })
    }

    /// The client authentication parameters for one request to the tenant (a fresh, single-use
    /// assertion each time).
    pub fn auth_params(&self, tenant: &Tenant) -> Result<Vec<(&'static str, SecretString)>> {
        let mut params = vec![("client_id", SecretString::from(self.client_id.clone()))];
        match &self.auth {
            Auth::Secret(secret) => params.push(("client_secret", secret.clone())),
            Auth::Key(key) => {
                params.push(("client_assertion_type", ASSERTION_TYPE.into()));
                params.push((
                    "client_assertion",
                    SecretString::from(self.assertion(key, tenant)?),
                ));
            }
        }
        Ok(params)
    }

    /// A private_key_jwt assertion: iss = sub = client id, aud = the tenant's issuer (with the
    /// trailing slash), one minute of validity, a random jti.
    fn assertion(&self, key: &RsaKeyPair, tenant: &Tenant) -> Result<String> {
        let now = unix_now();
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(|e| Error::runtime(format!("random jti: {e}")))?;
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        let claims = serde_json::json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": tenant.issuer(),
            "iat": now,
            "nbf": now,
            "exp": now + 60,
            "jti": hex::encode(jti),
        });
        let signing_input = format!(
            "{}.{}",
            B64.encode(serde_json::to_vec(&header)?),
            B64.encode(serde_json::to_vec(&claims)?)
        );
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| Error::runtime("signing the client assertion failed"))?;
        Ok(format!("{signing_input}.{}", B64.encode(signature)))
    }
}

/// The key is the PEM text itself, or the path of a PEM file that only its owner may read.
fn load_key(value: &str) -> Result<RsaKeyPair> {
    let pem = if value.trim_start().starts_with("-----BEGIN") {
        value.to_string()
    } else {
        let path = Path::new(value);
        check_private(path)?;
        std::fs::read_to_string(path).io_context("reading the client assertion key", path)?
    };
    parse_pem(&pem)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).io_context("reading the client assertion key", path)?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::input(format!(
            "{}: `{}` is readable by other users",
            env::CLIENT_ASSERTION_KEY,
            path.display()
        ))
        .hint(format!("chmod 600 {}", path.display())));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

/// An RSA private key from PEM: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
fn parse_pem(pem: &str) -> Result<RsaKeyPair> {
    let bad = |why: &str| {
        Error::input(format!(
            "{}: not a usable RSA private key ({why})",
            env::CLIENT_ASSERTION_KEY
        ))
        .hint("give a PEM RSA private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`)")
    };
    let pkcs1 = pem.contains("BEGIN RSA PRIVATE KEY");
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| bad("the PEM body is not base64"))?;
    let key = if pkcs1 {
        RsaKeyPair::from_der(&der)
    } else {
        RsaKeyPair::from_pkcs8(&der)
    };
    key.map_err(|e| bad(&e.to_string()))
}

/// The form of a request with its client authentication, secrets exposed only here, at the
/// moment of sending.
pub fn form<'a>(
    auth: &'a [(&'static str, SecretString)],
    rest: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    auth.iter()
        .map(|(k, v)| (*k, v.expose_secret()))
        .chain(rest.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_refused_with_a_hint() {
        let err = parse_pem("-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----")
            .err()
            .unwrap();
        assert!(err.message.contains("not a usable RSA private key"));
        assert!(!err.hints.is_empty());
    }
}
