//! The ID token's claims: who logged in (`sub`, name, e-mail).
//!
//! The ID token comes straight from the token endpoint over the connection the client opened,
//! so the transport authenticates the issuer (OpenID Connect Core 3.1.3.7, item 6 allows TLS
//! server validation in place of the signature check in this case). The claims that bind the
//! token to this login are still checked: `iss`, `aud` and `exp`.

use base64::Engine;
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    #[serde(default)]
    pub aud: Audience,
    pub exp: i64,
    /// When the user authenticated (kept across refreshes): the start of the session.
    #[serde(default)]
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A JWT `aud`: one string or a list (RFC 7519 section 4.1.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl Audience {
    pub fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a == client_id,
            Audience::Many(v) => v.iter().any(|a| a == client_id),
            Audience::None => false,
        }
    }
}

/// Decodes the ID token and checks that it was issued by `issuer` to `client_id` and has not
/// expired (60 s of clock skew allowed).
pub fn verify(id_token: &str, issuer: &str, client_id: &str, now: i64) -> Result<Claims> {
    let bad = |why: &str| {
        Error::runtime(format!("the ID token from the IdP is not valid: {why}"))
            .hint("check CHANGESET_AUTH0_DOMAIN and CHANGESET_CLIENT_ID, then log in again")
    };
    let mut parts = id_token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a JWT"));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("payload is not base64url"))?;
    let claims: Claims =
        serde_json::from_slice(&bytes).map_err(|e| bad(&format!("claims: {e}")))?;
    if claims.iss.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(bad(&format!(
            "issued by `{}`, not by `{issuer}`",
            claims.iss
        )));
    }
    if !claims.aud.contains(client_id) {
        return Err(bad("issued to another application"));
    }
    if claims.exp + 60 < now {
        return Err(bad("expired"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", e(r#"{"alg":"RS256"}"#), e(claims))
    }

    #[test]
    fn checks_issuer_audience_and_expiry() {
        let t = jwt(
            r#"{"sub":"auth0|u","iss":"https://t/","aud":"cli","exp":2000,"name":"U","email":"u@x"}"#,
        );
        let c = verify(&t, "https://t/", "cli", 1000).unwrap();
        assert_eq!(c.sub, "auth0|u");
        assert_eq!(c.email.as_deref(), Some("u@x"));
        assert!(verify(&t, "https://other/", "cli", 1000).is_err());
        assert!(verify(&t, "https://t/", "other", 1000).is_err());
        assert!(verify(&t, "https://t/", "cli", 3000).is_err());
        assert!(verify("a.b", "https://t/", "cli", 1000).is_err());
        let many = jwt(r#"{"sub":"s","iss":"https://t/","aud":["x","cli"],"exp":2000}"#);
        assert!(verify(&many, "https://t/", "cli", 1000).is_ok());
    }
}
