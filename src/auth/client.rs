//! The confidential applications (CIBA and Token Vault) and how they authenticate: a client
//! secret (`client_secret_post`) or a private_key_jwt assertion signed with an RSA key in the
//! algorithm the Auth0 credential was registered with. All of it comes from the environment only,
//! never from argv, the config file or the binary.
//!
//! Auth0 needs two applications here (auth0-protocols.md section 4.3): CIBA is sent by a
//! first-party confidential app with the CIBA grant, and the access-token exchange at Token Vault
//! only by the Custom API Client linked to the token's audience. No source shows one client
//! holding both, so each [`Role`] has its own variables, and `CHANGESET_CONFIDENTIAL_CLIENT_ID`
//! (with `CHANGESET_CLIENT_SECRET` or `CHANGESET_CLIENT_ASSERTION_KEY`) serves a role whose own
//! id is unset.

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair,
};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use super::{Tenant, unix_now};
use crate::env;
use crate::error::{Error, IoContext, Result};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a confidential application is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends CIBA approval requests and polls for the answer.
    Ciba,
    /// Exchanges the user's access token at Token Vault (the Custom API Client).
    TokenVault,
}

/// The environment variables that configure one application.
struct Vars {
    id: &'static str,
    secret: &'static str,
    key: &'static str,
    alg: &'static str,
}

/// The shared confidential application, used by a role whose own id is unset.
const SHARED: Vars = Vars {
    id: env::CONFIDENTIAL_CLIENT_ID,
    secret: env::CLIENT_SECRET,
    key: env::CLIENT_ASSERTION_KEY,
    alg: env::CLIENT_ASSERTION_ALG,
};

impl Role {
    fn vars(self) -> Vars {
        match self {
            Role::Ciba => Vars {
                id: env::CIBA_CLIENT_ID,
                secret: env::CIBA_CLIENT_SECRET,
                key: env::CIBA_CLIENT_ASSERTION_KEY,
                alg: env::CIBA_CLIENT_ASSERTION_ALG,
            },
            Role::TokenVault => Vars {
                id: env::TOKEN_VAULT_CLIENT_ID,
                secret: env::TOKEN_VAULT_CLIENT_SECRET,
                key: env::TOKEN_VAULT_CLIENT_ASSERTION_KEY,
                alg: env::TOKEN_VAULT_CLIENT_ASSERTION_ALG,
            },
        }
    }

    fn what(self) -> &'static str {
        match self {
            Role::Ciba => "CIBA approval",
            Role::TokenVault => "the Token Vault exchange",
        }
    }

    /// The variables in force: the role's own when its id is set, else the shared ones.
    fn active(self) -> Vars {
        let own = self.vars();
        if env::var(own.id).is_some() {
            own
        } else {
            SHARED
        }
    }

    /// True when an application for this role is configured.
    pub fn configured(self) -> bool {
        env::var(self.active().id).is_some()
    }
}

/// The algorithms Auth0 accepts for private_key_jwt; it must match the registered credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Rs384,
    Ps256,
}

impl Alg {
    pub fn parse(text: &str) -> Option<Alg> {
        match text.trim().to_ascii_uppercase().as_str() {
            "RS256" => Some(Alg::Rs256),
            "RS384" => Some(Alg::Rs384),
            "PS256" => Some(Alg::Ps256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Ps256 => "PS256",
        }
    }

    fn encoding(self) -> &'static dyn RsaEncoding {
        match self {
            Alg::Rs256 => &RSA_PKCS1_SHA256,
            Alg::Rs384 => &RSA_PKCS1_SHA384,
            Alg::Ps256 => &RSA_PSS_SHA256,
        }
    }
}

/// A confidential application (cloned cheaply: a key is shared, not copied).
#[derive(Clone)]
pub struct Confidential {
    pub client_id: String,
    /// The variable that named it, for hints ("check CHANGESET_TOKEN_VAULT_CLIENT_ID ...").
    pub id_var: &'static str,
    auth: Auth,
}

#[derive(Clone)]
enum Auth {
    Secret(SecretString),
    Key(std::sync::Arc<RsaKeyPair>, Alg),
}

impl Confidential {
    /// The application for `role` from the environment, None when neither the role's id nor
    /// CHANGESET_CONFIDENTIAL_CLIENT_ID is set. With an id, exactly one of its secret and its
    /// assertion key must be set.
    pub fn from_env(role: Role) -> Result<Option<Confidential>> {
        let vars = role.active();
        let Some(client_id) = env::var(vars.id) else {
            return Ok(None);
        };
        let auth = match (env::var(vars.secret), env::var(vars.key)) {
            (Some(secret), None) => Auth::Secret(SecretString::from(secret)),
            (None, Some(key)) => Auth::Key(load_key(vars.key, &key)?.into(), alg(&vars)?),
            (Some(_), Some(_)) => {
                return Err(Error::input(format!(
                    "both {} and {} are set; the application `{client_id}` uses one of them",
                    vars.secret, vars.key
                ))
                .hint("unset the one the Auth0 application is not configured for"));
            }
            (None, None) => {
                return Err(Error::input(format!(
                    "{} is set but the application has no credential",
                    vars.id
                ))
                .hint(format!(
                    "set {} (client secret) or {} (private_key_jwt: a PEM key, or the path of a 0600 PEM file)",
                    vars.secret, vars.key
                )));
            }
        };
        Ok(Some(Confidential {
            client_id,
            id_var: vars.id,
            auth,
        }))
    }

    /// A client authenticating with a secret (for callers that do not read the environment).
    pub fn with_secret(client_id: &str, secret: SecretString) -> Confidential {
        Confidential {
            client_id: client_id.to_string(),
            id_var: SHARED.id,
            auth: Auth::Secret(secret),
        }
    }

    /// A client authenticating with private_key_jwt, from a PEM RSA private key (`origin`
    /// names where the key came from, for errors).
    pub fn with_key_pem(
        client_id: &str,
        pem: &str,
        alg: Alg,
        origin: &str,
    ) -> Result<Confidential> {
        Ok(Confidential {
            client_id: client_id.to_string(),
            id_var: SHARED.id,
            auth: Auth::Key(parse_pem(origin, pem)?.into(), alg),
        })
    }

    /// The application for `role`, or an error saying how to configure it.
    pub fn required(role: Role) -> Result<Confidential> {
        Confidential::from_env(role)?.ok_or_else(|| {
            let own = role.vars();
            Error::input(format!(
                "{} needs an Auth0 confidential application, and neither {} nor {} is set",
                role.what(),
                own.id,
                SHARED.id
            ))
            .hint(format!(
                "set {} with {} (or {}) in the environment, or the shared {} with {} (or {})",
                own.id, own.secret, own.key, SHARED.id, SHARED.secret, SHARED.key
            ))
        })
    }

    /// The client authentication parameters for one request to the tenant (a fresh, single-use
    /// assertion each time).
    pub fn auth_params(&self, tenant: &Tenant) -> Result<Vec<(&'static str, SecretString)>> {
        let mut params = vec![("client_id", SecretString::from(self.client_id.clone()))];
        match &self.auth {
            Auth::Secret(secret) => params.push(("client_secret", secret.clone())),
            Auth::Key(key, alg) => {
                params.push(("client_assertion_type", ASSERTION_TYPE.into()));
                params.push((
                    "client_assertion",
                    SecretString::from(self.assertion(key, *alg, tenant)?),
                ));
            }
        }
        Ok(params)
    }

    /// A private_key_jwt assertion as Auth0 documents it: iss = sub = client id, aud = the
    /// tenant's issuer (with the trailing slash), one minute of validity, a random jti. No `nbf`:
    /// it is optional, and a clock a few seconds fast would make the assertion "not yet valid".
    fn assertion(&self, key: &RsaKeyPair, alg: Alg, tenant: &Tenant) -> Result<String> {
        let now = unix_now();
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(|e| Error::runtime(format!("random jti: {e}")))?;
        let header = serde_json::json!({ "alg": alg.name(), "typ": "JWT" });
        let claims = serde_json::json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": tenant.issuer(),
            "iat": now,
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
            alg.encoding(),
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| Error::runtime("signing the client assertion failed"))?;
        Ok(format!("{signing_input}.{}", B64.encode(signature)))
    }
}

/// The assertion algorithm: the role's variable, else the shared one, else RS256.
fn alg(vars: &Vars) -> Result<Alg> {
    let (name, value) = match env::var(vars.alg) {
        Some(v) => (vars.alg, v),
        None => match env::var(SHARED.alg) {
            Some(v) => (SHARED.alg, v),
            None => return Ok(Alg::Rs256),
        },
    };
    Alg::parse(&value).ok_or_else(|| {
        Error::input(format!("{name}: `{value}` is not RS256, RS384 or PS256"))
            .hint("use the algorithm the Auth0 application's credential was registered with")
    })
}

/// The key is the PEM text itself, or the path of a PEM file that only its owner may read.
fn load_key(var: &str, value: &str) -> Result<RsaKeyPair> {
    let pem = if value.trim_start().starts_with("-----BEGIN") {
        value.to_string()
    } else {
        read_private(var, Path::new(value))?
    };
    parse_pem(var, &pem)
}

/// Reads a credential file that only its owner may read (`var` names what pointed at it).
pub fn read_private(var: &str, path: &Path) -> Result<String> {
    check_private(var, path)?;
    std::fs::read_to_string(path).io_context("reading the credential", path)
}

fn check_private(var: &str, path: &Path) -> Result<()> {
    let others = crate::private_files::readable_by_others(path)
        .io_context("reading the client assertion key", path)?;
    if others.is_some() {
        return Err(Error::input(format!(
            "{var}: `{}` is readable by other users",
            path.display()
        ))
        .hint(format!("chmod 600 {}", path.display())));
    }
    Ok(())
}

/// An RSA private key from PEM: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
fn parse_pem(var: &str, pem: &str) -> Result<RsaKeyPair> {
    let bad = |why: &str| {
        Error::input(format!("{var}: not a usable RSA private key ({why})"))
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
        let err = parse_pem(
            env::CLIENT_ASSERTION_KEY,
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----",
        )
        .err()
        .unwrap();
        assert!(err.message.contains("not a usable RSA private key"));
        assert!(!err.hints.is_empty());
    }

    #[test]
    fn assertion_algorithms_are_the_three_auth0_accepts() {
        assert_eq!(Alg::parse("ps256"), Some(Alg::Ps256));
        assert_eq!(Alg::parse("RS384"), Some(Alg::Rs384));
        assert_eq!(Alg::parse(" RS256 "), Some(Alg::Rs256));
        assert_eq!(Alg::parse("ES256"), None);
        assert_eq!(Alg::parse("HS256"), None);
    }
}
