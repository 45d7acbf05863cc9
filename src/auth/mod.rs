//! Auth0: device login, the credential store, refresh, CIBA approval and Token Vault.
//!
//! Auth0 applications involved: the public Native app (`CHANGESET_CLIENT_ID`)
//! logs the user in with the device flow and refreshes; confidential apps (secret or
//! private_key_jwt key, from the environment only) send CIBA requests and perform Token Vault
//! exchanges, because Auth0 refuses both to public clients (see [`client::Role`]).

pub mod ciba;
pub mod client;
pub mod device;
pub mod http;
pub mod idtoken;
pub mod public;
pub mod session;
pub mod store;
pub mod vault;

use std::path::PathBuf;

use serde::Deserialize;

use crate::env;
use crate::error::{Error, Result};
use client::Role;

/// The `[auth0]` table of the config file; each value yields to its environment variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth0Config {
    pub domain: Option<String>,
    pub client_id: Option<String>,
    pub audience: Option<String>,
    /// The API the login must be for, decided by the edge (the gate's, in gate mode); beats
    /// CHANGESET_AUDIENCE and `audience`. Never read from the `[auth0]` table.
    #[serde(skip)]
    pub required_audience: Option<String>,
}

/// Where this machine's login is found: the tenant's configuration and the data directory
/// (the credential file and the refresh lock live there).
#[derive(Debug, Clone)]
pub struct Login {
    pub auth0: Auth0Config,
    pub data_dir: PathBuf,
}

/// The Auth0 tenant and the public application, resolved from env > config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// `https://tenant.eu.auth0.com` (or `http://127.0.0.1:PORT` for tests), no trailing slash.
    pub base_url: String,
    /// The public Native application used for device login and refresh.
    pub client_id: String,
    /// The API identifier requested at login (and by CIBA, so the token can be exchanged).
    pub audience: Option<String>,
}

impl Tenant {
    /// The tenant from CHANGESET_AUTH0_DOMAIN / CHANGESET_CLIENT_ID / CHANGESET_AUDIENCE, else the
    /// config file's `[auth0]` table. Missing or malformed values are errors with a hint.
    pub fn resolve(conf: &Auth0Config) -> Result<Tenant> {
        let domain = env::var(env::AUTH0_DOMAIN).or_else(|| conf.domain.clone());
        let client_id = env::var(env::CLIENT_ID).or_else(|| conf.client_id.clone());
        let audience = conf
            .required_audience
            .clone()
            .or_else(|| env::var(env::AUDIENCE))
            .or_else(|| conf.audience.clone());
        let Some(domain) = domain else {
            return Err(Error::input("Auth0 is not configured: no tenant domain").hint(format!(
                "set {} (e.g. your-tenant.eu.auth0.com) or `domain` in the [auth0] table of the config file",
                env::AUTH0_DOMAIN
            )));
        };
        let Some(client_id) = client_id else {
            return Err(
                Error::input("Auth0 is not configured: no client id").hint(format!(
                    "set {} to the public Native application's client id, or `client_id` in [auth0]",
                    env::CLIENT_ID
                )),
            );
        };
        if client_id.trim().is_empty() || client_id.chars().any(char::is_whitespace) {
            return Err(Error::input(format!(
                "{}: `{client_id}` is not a client id",
                env::CLIENT_ID
            )));
        }
        let audience = audience.filter(|a| !a.trim().is_empty());
        if audience.is_none()
            && [Role::Ciba, Role::TokenVault]
                .iter()
                .any(|r| r.configured())
        {
            return Err(no_audience());
        }
        Ok(Tenant {
            base_url: base_url(&domain)?,
            client_id,
            audience,
        })
    }

    /// True when a tenant is named (the domain is set somewhere).
    pub fn configured(conf: &Auth0Config) -> bool {
        env::var(env::AUTH0_DOMAIN).is_some() || conf.domain.is_some()
    }

    /// The issuer as Auth0 writes it: the base URL with a trailing slash.
    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The key a credential is stored under: one login per tenant and application.
    pub fn store_key(&self) -> String {
        format!("{}@{}", self.client_id, self.issuer())
    }
}

/// Auth0 lets only the Custom API Client linked to an access token's audience exchange it at
/// Token Vault, and a login without an audience gets a token for no API at all: with CIBA or
/// Token Vault configured, the audience is a configuration error to catch before any request.
fn no_audience() -> Error {
    Error::input(format!(
        "{} is not set, and it is required when CIBA or Token Vault is configured",
        env::AUDIENCE
    ))
    .hint(format!(
        "set {} (or `audience` in [auth0]) to the identifier of the Auth0 API whose Custom API Client does the Token Vault exchange",
        env::AUDIENCE
    ))
    .hint("then run `changeset login` again, so the login's access token is for that API")
}

/// A host name means `https://host`; a full URL is accepted when it is https, or plain http on
/// a loopback address (the test IdP). Anything else is refused: tokens never travel in clear.
pub fn base_url(domain: &str) -> Result<String> {
    let domain = domain.trim().trim_end_matches('/');
    let bad = || {
        Error::input(format!(
            "{}: `{domain}` is not an Auth0 domain",
            env::AUTH0_DOMAIN
        ))
        .hint("give a host name like your-tenant.eu.auth0.com (https is implied)")
    };
    let (scheme, rest) = match domain.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_string(), domain),
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '@']) {
        return Err(bad());
    }
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match scheme.as_str() {
        "https" => Ok(format!("https://{rest}")),
        "http" if loopback => Ok(format!("http://{rest}")),
        "http" => Err(Error::input(format!(
            "{}: plain http is allowed only on a loopback address, not `{domain}`",
            env::AUTH0_DOMAIN
        ))
        .hint("give the host name alone (https is implied) or an https:// URL")),
        _ => Err(bad()),
    }
}

/// Seconds since the Unix epoch on the system clock. Token lifetimes are the IdP's real clock,
/// so they never follow CHANGESET_NOW (which fixes the time recorded in plans and receipts).
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_https_base_urls() {
        assert_eq!(
            base_url("tenant.eu.auth0.com").unwrap(),
            "https://tenant.eu.auth0.com"
        );
        assert_eq!(
            base_url("https://tenant.eu.auth0.com/").unwrap(),
            "https://tenant.eu.auth0.com"
        );
        assert_eq!(
            base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(base_url("http://tenant.eu.auth0.com").is_err());
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("tenant.auth0.com/path").is_err());
        assert!(base_url("").is_err());
    }
}
