//! The Auth0 side: the tenant's discovery document, the public client (device flow or the
//! stored login's refresh) and each confidential application (it authenticates and holds its
//! grant), probed with requests that cannot succeed and cannot harm.

use serde_json::Value;

use super::Check;
use crate::auth::client::{Confidential, Role, form};
use crate::auth::http::{self, Outcome};
use crate::auth::{Tenant, ciba, public, session, store, vault};
use crate::env;
use crate::settings::Settings;

/// A value no Auth0 server issued: the probes' answers say whether the client got that far.
const PROBE: &str = "changeset-doctor-probe";

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
        let discovery = discovery(&client, &tenant).await;
        if discovery.status == super::Status::Fail {
            return vec![discovery];
        }
        vec![
            discovery,
            login(settings, &client, &tenant).await,
            confidential(&client, &tenant, Role::Ciba).await,
            confidential(&client, &tenant, Role::TokenVault).await,
        ]
    })
}

/// The discovery document: reachable, the issuer we expect, and the endpoints and grants this
/// configuration uses. (Auth0 does not list `grant_types_supported`; when a server does, it
/// is checked too.)
async fn discovery(client: &reqwest::Client, tenant: &Tenant) -> Check {
    const NAME: &str = "Auth0 discovery";
    let url = tenant.url("/.well-known/openid-configuration");
    let doc: Value = match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(v) => v,
            Err(e) => return Check::fail(NAME, format!("{url}: not JSON ({e})"), domain_hint()),
        },
        Ok(r) => {
            return Check::fail(
                NAME,
                format!("{url} answered {}", r.status()),
                domain_hint(),
            );
        }
        Err(e) => {
            return Check::fail(
                NAME,
                format!("{url}: {}", http::transport_message(&e)),
                domain_hint(),
            );
        }
    };
    if doc["issuer"].as_str() != Some(tenant.issuer().as_str()) {
        return Check::fail(
            NAME,
            format!("the issuer is {}, not {}", doc["issuer"], tenant.issuer()),
            domain_hint(),
        );
    }
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

fn domain_hint() -> String {
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

/// Authenticates as the role's application with a grant request for a made-up code: an
/// `invalid_grant` answer proves the credential and the grant; `invalid_client` a wrong secret
/// or key; a refused grant type a missing grant.
async fn confidential(client: &reqwest::Client, tenant: &Tenant, role: Role) -> Check {
    let (name, grant, enable): (&'static str, &str, &str) = match role {
        Role::Ciba => (
            "CIBA client",
            ciba::GRANT,
            "enable Client-Initiated Backchannel Authentication: Applications → (the CIBA app) → Advanced Settings → Grant Types",
        ),
        Role::TokenVault => (
            "Token Vault client",
            vault::GRANT,
            "enable the Token Vault grant on the Custom API Client of your API: Applications → APIs → (your API) → Add Application",
        ),
    };
    let app = match Confidential::from_env(role) {
        Ok(Some(app)) => app,
        Ok(None) => {
            let what = match role {
                Role::Ciba => "approvals of tier 2 and above are asked at the terminal",
                Role::TokenVault => "Google access needs CHANGESET_GOOGLE_ACCESS_TOKEN instead",
            };
            return Check::skip(name, format!("not configured ({what})")).hint(match role {
                Role::Ciba => format!(
                    "set {} with {}",
                    env::CIBA_CLIENT_ID,
                    env::CIBA_CLIENT_SECRET
                ),
                Role::TokenVault => format!(
                    "set {} with {}",
                    env::TOKEN_VAULT_CLIENT_ID,
                    env::TOKEN_VAULT_CLIENT_SECRET
                ),
            });
        }
        Err(e) => return Check::error(name, e),
    };
    let auth = match app.auth_params(tenant) {
        Ok(a) => a,
        Err(e) => return Check::error(name, e),
    };
    let rest: Vec<(&str, &str)> = match role {
        Role::Ciba => vec![("grant_type", grant), ("auth_req_id", PROBE)],
        Role::TokenVault => vec![
            ("grant_type", grant),
            ("subject_token_type", vault::ACCESS_TOKEN_TYPE),
            ("subject_token", PROBE),
            ("requested_token_type", vault::REQUESTED_TOKEN_TYPE),
            ("connection", vault::GOOGLE_CONNECTION),
        ],
    };
    let fields = form(&auth, &rest);
    let outcome =
        http::post_form::<Value>(client, &tenant.url("/oauth/token"), &fields, None).await;
    let who = format!("`{}` ({})", app.client_id, app.id_var);
    match outcome {
        Outcome::Refused(e) if e.error == "invalid_client" => Check::fail(
            name,
            format!("{who} did not authenticate: {}", e.describe()),
            "its secret or key does not match the application's credentials in Auth0 (Applications → Credentials)",
        ),
        Outcome::Refused(e)
            if e.error == "unauthorized_client"
                || (e.error == "invalid_request"
                    && e.error_description
                        .as_deref()
                        .is_some_and(|d| d.contains("not allowed"))) =>
        {
            Check::fail(
                name,
                format!("{who} lacks the grant {grant}: {}", e.describe()),
                enable,
            )
        }
        Outcome::Refused(_) => Check::ok(name, format!("{who} authenticates and holds its grant")),
        Outcome::Ok(_) => Check::fail(
            name,
            format!("{who}: the tenant answered a made-up {grant} request with a token"),
            "this is not how Auth0 behaves; check the domain",
        ),
        Outcome::Failed(why) => Check::fail(name, why, domain_hint()),
    }
}
