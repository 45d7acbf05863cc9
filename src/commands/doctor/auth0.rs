//! The Auth0 side: the tenant's discovery document, the public client (device flow or the
//! stored login's refresh) and each confidential application (`confidential.rs`), probed with
//! requests that cannot succeed and cannot harm.

use serde_json::Value;

use super::Check;
use crate::auth::client::Role;
use crate::auth::http::{self, Outcome};
use crate::auth::{Tenant, public, session, store};
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
            login(settings, &client, &tenant).await,
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

/// With a stored login: refresh it now. Without: start a device flow and leave it unanswered.
async fn login(settings: &Settings, client: &reqwest::Client, tenant: &Tenant) -> Check {
    const NAME: &str = "login";
    let logged_in = matches!(store::current(&settings.data_dir, tenant), Ok(Some(_)));
    if logged_in {
        return match session::refreshed(&settings.login()).await {
            Ok(s) => Check::ok(
                NAME,
                format!(
                    "logged in{} ({} store); the refresh token works",
                    s.credential
                        .user
                        .as_ref()
                        .map(|u| format!(" as {}", u.sub))
                        .unwrap_or_default(),
                    s.store.kind().name()
                ),
            ),
            Err(e) => Check::error(NAME, e),
        };
    }
    device_probe(client, tenant).await
}

/// Starts a device flow and leaves it unanswered: the public client may log in.
async fn device_probe(client: &reqwest::Client, tenant: &Tenant) -> Check {
    const NAME: &str = "login";
    let scope = public::LOGIN_SCOPES.join(" ");
    let mut form_fields = vec![
        ("client_id", tenant.client_id.as_str()),
        ("scope", scope.as_str()),
    ];
    if let Some(a) = &tenant.audience {
        form_fields.push(("audience", a.as_str()));
    }
    let outcome = http::post_form::<Value>(
        client,
        &tenant.url("/oauth/device/code"),
        &form_fields,
        None,
    )
    .await;
    match outcome {
        Outcome::Ok(_) => Check::ok(
            NAME,
            format!(
                "not logged in; the public client `{}` can start a device login",
                tenant.client_id
            ),
        )
        .hint("run `changeset login`"),
        Outcome::Refused(e) => {
            let hint = match e.error.as_str() {
                "invalid_client" => format!(
                    "{} must be the client id of the Native application (Applications → changeset → Settings)",
                    env::CLIENT_ID
                ),
                "unauthorized_client" => "enable the Device Code grant: Applications → changeset → Advanced Settings → Grant Types".to_string(),
                _ => format!(
                    "check {} (the API identifier, Applications → APIs) and that the application may request it",
                    env::AUDIENCE
                ),
            };
            Check::fail(
                NAME,
                format!("the device flow was refused: {}", e.describe()),
                hint,
            )
        }
        Outcome::Failed(why) => Check::fail(NAME, why, domain_hint()),
    }
}
