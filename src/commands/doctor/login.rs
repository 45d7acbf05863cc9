//! The public client: the stored login's refresh works, or a device login can start.

use serde_json::Value;

use super::Check;
use super::auth0::domain_hint;
use crate::auth::http::{self, Outcome};
use crate::auth::{Tenant, public, session, store};
use crate::env;
use crate::settings::Settings;

/// With a stored login: refresh it now. Without: start a device flow and leave it unanswered.
pub(super) async fn check(settings: &Settings, client: &reqwest::Client, tenant: &Tenant) -> Check {
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
