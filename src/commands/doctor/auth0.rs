//! The Auth0 side: the tenant's discovery document, the public client (device flow or the
//! stored login's refresh, `login.rs`) and each confidential application (`confidential.rs`),
//! probed with requests that cannot succeed and cannot harm.

use super::Check;
use crate::auth::Tenant;
use crate::auth::client::Role;
use crate::auth::http;
use crate::env;
use crate::settings::Settings;

pub fn checks(settings: &Settings) -> Vec<Check> {
    if !Tenant::configured(&settings.config.auth0) {
        return vec![
            Check::skip("Auth0", "not configured (plans and applies on a CSV file need no account)")
                .hint(format!(
                    "to log in, approve by push and use Google Sheets: set {}, {} and {} (README: Set up Auth0)",
                    env::AUTH0_DOMAIN,
                    env::CLIENT_ID,
                    env::AUDIENCE
                )),
        ];
    }
    let tenant = match Tenant::resolve(&settings.config.auth0) {
        Ok(t) => t,
        Err(e) => return vec![Check::error("Auth0 settings", e)],
    };
    let client = match http::client() {
        Ok(c) => c,
        Err(e) => return vec![Check::error("Auth0 discovery", e)],
    };
    crate::net::block_on(async {
        let discovery = super::discovery::check(&client, &tenant).await;
        if discovery.status == super::Status::Fail {
            return vec![discovery];
        }
        vec![
            discovery,
            super::login::check(settings, &client, &tenant).await,
            super::confidential::check(&client, &tenant, Role::Ciba).await,
            super::confidential::check(&client, &tenant, Role::TokenVault).await,
        ]
    })
}

pub(super) fn domain_hint() -> String {
    format!(
        "check {} (your-tenant.eu.auth0.com, or the custom domain) and the network",
        env::AUTH0_DOMAIN
    )
}
