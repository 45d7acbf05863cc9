//! The tenant's OpenID discovery document.

use serde_json::Value;

use super::Check;
use super::auth0::domain_hint;
use crate::auth::Tenant;
use crate::auth::client::Role;
use crate::auth::http;
use crate::auth::{ciba, vault};

/// The discovery document: reachable, the issuer we expect, and the endpoints and grants this
/// configuration uses. (Auth0 does not list `grant_types_supported`; when a server does, it
/// is checked too.)
pub(super) async fn check(client: &reqwest::Client, tenant: &Tenant) -> Check {
    const NAME: &str = "Auth0 discovery";
    let url = tenant.url("/.well-known/openid-configuration");
    let doc = match fetch(client, &url).await {
        Ok(doc) => doc,
        Err(why) => return Check::fail(NAME, why, domain_hint()),
    };
    if doc["issuer"].as_str() != Some(tenant.issuer().as_str()) {
        return Check::fail(
            NAME,
            format!("the issuer is {}, not {}", doc["issuer"], tenant.issuer()),
            domain_hint(),
        );
    }
    let missing = unadvertised(&doc);
    if missing.is_empty() {
        Check::ok(
            NAME,
            format!(
                "{} advertises what this configuration uses",
                tenant.issuer()
            ),
        )
    } else {
        Check::fail(
            NAME,
            format!(
                "{} does not advertise {}",
                tenant.issuer(),
                missing.join(", ")
            ),
            "enable them on the tenant (CIBA: Settings → Advanced; Token Vault: the Google connection's \"Connected Accounts for Token Vault\")",
        )
    }
}

/// The discovery document, or why it could not be had.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => {
            r.json().await.map_err(|e| format!("{url}: not JSON ({e})"))
        }
        Ok(r) => Err(format!("{url} answered {}", r.status())),
        Err(e) => Err(format!("{url}: {}", http::transport_message(&e))),
    }
}

/// What this configuration uses that the discovery document does not advertise.
fn unadvertised(doc: &Value) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if doc["device_authorization_endpoint"].as_str().is_none() {
        missing.push("the device flow (device_authorization_endpoint)");
    }
    if Role::Ciba.configured()
        && doc["backchannel_authentication_endpoint"]
            .as_str()
            .is_none()
    {
        missing.push("CIBA (backchannel_authentication_endpoint)");
    }
    if let Some(grants) = doc["grant_types_supported"].as_array() {
        let has = |g: &str| grants.iter().any(|v| v == g);
        let mut needed = vec![
            (
                "urn:ietf:params:oauth:grant-type:device_code",
                "the device code grant",
            ),
            ("refresh_token", "the refresh token grant"),
        ];
        if Role::Ciba.configured() {
            needed.push((ciba::GRANT, "the CIBA grant"));
        }
        if Role::TokenVault.configured() {
            needed.push((vault::GRANT, "the Token Vault exchange grant"));
        }
        missing.extend(
            needed
                .into_iter()
                .filter(|(g, _)| !has(g))
                .map(|(_, what)| what),
        );
    }
    missing
}
