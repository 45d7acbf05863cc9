//! The bearer token on every gate request: an Auth0 access token for the gate's API, checked
//! against the tenant's JWKS. Only RS256 is accepted (Auth0 signs access
//! tokens for an API with RS256): `alg: none`, HS256 (the public key used as an HMAC secret) and
//! every other algorithm are refused before any key is looked at.
//!
//! The JWKS is cached for ten minutes and fetched again when a token names a `kid` the cache
//! does not hold (Auth0 rotates keys by publishing the new one first), at most once every ten
//! seconds so a stream of forged kids cannot turn the gate into a JWKS flooder.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use secrecy::SecretString;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::auth::idtoken::Audience;

/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECONDS: i64 = 30;
const JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(10);

/// The scope each route needs.
pub const SCOPE_PLAN: &str = "changeset:plan";
pub const SCOPE_APPLY: &str = "changeset:apply";
pub const SCOPE_AUDIT: &str = "changeset:audit";

/// Why a request is refused: 401 (no or bad token), 403 (good token, wrong scope), or 503 (the
/// tenant's keys could not be fetched, so nothing can be checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Unauthorized(String),
    Forbidden(String),
    Unavailable(String),
}

impl Rejection {
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Unauthorized(_) => 401,
            Rejection::Forbidden(_) => 403,
            Rejection::Unavailable(_) => 503,
        }
    }

    /// The OAuth error code (RFC 6750 section 3.1).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Unauthorized(_) => "invalid_token",
            Rejection::Forbidden(_) => "insufficient_scope",
            Rejection::Unavailable(_) => "temporarily_unavailable",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Rejection::Unauthorized(m) | Rejection::Forbidden(m) | Rejection::Unavailable(m) => m,
        }
    }
}

fn unauthorized(why: impl Into<String>) -> Rejection {
    Rejection::Unauthorized(why.into())
}

/// Who is asking: the token's subject, and the token itself (the requester's token is what the
/// gate later exchanges at Token Vault, so it is kept, in memory only).
pub struct Requester {
    pub sub: String,
    pub token: SecretString,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    #[serde(default)]
    aud: Audience,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    scope: String,
    /// Auth0 adds the API permissions here when RBAC is on.
    #[serde(default)]
    permissions: Vec<String>,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    kty: String,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
}

/// An RSA public key as (modulus, exponent) big-endian bytes.
type RsaKey = (Vec<u8>, Vec<u8>);

#[derive(Default)]
struct Cache {
    keys: HashMap<String, RsaKey>,
    fetched: Option<Instant>,
}

/// Checks access tokens for one issuer and audience.
pub struct Verifier {
    issuer: String,
    audience: String,
    jwks_url: String,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

impl Verifier {
    /// `issuer` with its trailing slash, as Auth0 writes it; the JWKS is at its usual path.
    pub fn new(issuer: &str, audience: &str) -> crate::error::Result<Verifier> {
        Ok(Verifier {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            jwks_url: format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
            http: crate::auth::http::client()?,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// Checks an `Authorization` header value and that the token grants `scope`.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        scope: &str,
        now: i64,
    ) -> Result<Requester, Rejection> {
        let token = bearer(authorization)?;
        let claims = self.signed_claims(token).await?;
        self.check_claims(&claims, now)?;
        check_scope(&claims, scope)?;
        Ok(Requester {
            sub: claims.sub,
            token: SecretString::from(token.to_string()),
            expires_at: claims.exp,
        })
    }

    /// The claims of a JWT whose RS256 signature verifies against a key the tenant publishes.
    async fn signed_claims(&self, token: &str) -> Result<Claims, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unauthorized("the bearer token is not a JWT"));
        };
        let header: Header =
            decode_json(header).ok_or_else(|| unauthorized("unreadable JWT header"))?;
        if header.alg != "RS256" {
            return Err(unauthorized(format!(
                "tokens signed with `{}` are not accepted (RS256 only)",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| unauthorized("the token names no signing key (kid)"))?;
        let (n, e) = self.key(&kid).await?;
        let signature = B64
            .decode(signature)
            .map_err(|_| unauthorized("the signature is not base64url"))?;
        let signed = &token[..header_payload_len(token)];
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
            .map_err(|_| unauthorized("the token's signature does not verify"))?;
        decode_json(payload).ok_or_else(|| unauthorized("unreadable token claims"))
    }

    /// This tenant's token, for this gate's API, valid now, naming its subject.
    fn check_claims(&self, claims: &Claims, now: i64) -> Result<(), Rejection> {
        if claims.iss != self.issuer {
            return Err(unauthorized(format!(
                "issued by `{}`, not this tenant",
                claims.iss
            )));
        }
        if !claims.aud.contains(&self.audience) {
            return Err(unauthorized(format!(
                "the token is not for this gate's API (`{}`)",
                self.audience
            )));
        }
        if claims.exp + LEEWAY_SECONDS < now {
            return Err(unauthorized("the token has expired"));
        }
        if claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECONDS > now) {
            return Err(unauthorized("the token is not valid yet"));
        }
        if claims.sub.is_empty() {
            return Err(unauthorized("the token has no subject"));
        }
        Ok(())
    }

    /// The key for `kid`, fetching the JWKS when the cache is stale or does not know the kid.
    async fn key(&self, kid: &str) -> Result<RsaKey, Rejection> {
        let mut cache = self.cache.lock().await;
        let age = cache.fetched.map(|t| t.elapsed());
        let stale = age.is_none_or(|a| a > JWKS_TTL);
        let unknown_and_may_refetch =
            !cache.keys.contains_key(kid) && age.is_none_or(|a| a > JWKS_MIN_REFETCH);
        if stale || unknown_and_may_refetch {
            match self.fetch().await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched = Some(Instant::now());
                }
                // Keep serving known keys through a short outage of the tenant.
                Err(why) if cache.keys.contains_key(kid) => {
                    tracing::warn!("JWKS refresh failed, using cached keys: {why}");
                }
                Err(why) => return Err(Rejection::Unavailable(why)),
            }
        }
        cache.keys.get(kid).cloned().ok_or_else(|| {
            unauthorized("the token was signed by a key this tenant does not publish")
        })
    }

    async fn fetch(&self) -> Result<HashMap<String, RsaKey>, String> {
        let response = self.http.get(&self.jwks_url).send().await.map_err(|e| {
            format!(
                "fetching the tenant's JWKS: {}",
                crate::auth::http::transport_message(&e)
            )
        })?;
        if !response.status().is_success() {
            return Err(format!(
                "fetching the tenant's JWKS: HTTP {}",
                response.status()
            ));
        }
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| format!("the tenant's JWKS is not a JWK Set: {e}"))?;
        Ok(set
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA" && k.usage.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|k| {
                let n = B64.decode(k.n?).ok()?;
                let e = B64.decode(k.e?).ok()?;
                Some((k.kid?, (n, e)))
            })
            .collect())
    }
}

/// The token of an `Authorization: Bearer` header value.
fn bearer(authorization: Option<&str>) -> Result<&str, Rejection> {
    authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("no bearer token: send `Authorization: Bearer <access token>`"))
}

/// Whether the token grants `scope`, as a word of its `scope` claim or an RBAC permission.
fn check_scope(claims: &Claims, scope: &str) -> Result<(), Rejection> {
    let granted = claims
        .scope
        .split_whitespace()
        .chain(claims.permissions.iter().map(String::as_str))
        .any(|s| s == scope);
    if !granted {
        return Err(Rejection::Forbidden(format!(
            "the token does not grant `{scope}`"
        )));
    }
    Ok(())
}

/// The length of `header.payload`, the part the signature covers.
fn header_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    serde_json::from_slice(&B64.decode(part).ok()?).ok()
}
