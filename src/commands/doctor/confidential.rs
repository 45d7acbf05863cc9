//! Each confidential application (CIBA, Token Vault): it authenticates and holds its grant,
//! proved by a grant request for a made-up code.

use serde_json::Value;

use super::Check;
use super::auth0::domain_hint;
use super::roles::{not_configured, role_texts};
use crate::auth::Tenant;
use crate::auth::client::{Confidential, Role, form};
use crate::auth::http::{self, Outcome};
use crate::auth::vault;

/// A value no Auth0 server issued: the probe's answer says whether the client got that far.
const PROBE: &str = "changeset-doctor-probe";

/// Authenticates as the role's application with a grant request for a made-up code: an
/// `invalid_grant` answer proves the credential and the grant; `invalid_client` a wrong secret
/// or key; a refused grant type a missing grant.
pub(super) async fn check(client: &reqwest::Client, tenant: &Tenant, role: Role) -> Check {
    let (name, grant, enable) = role_texts(role);
    let app = match Confidential::from_env(role) {
        Ok(Some(app)) => app,
        Ok(None) => return not_configured(name, role),
        Err(e) => return Check::error(name, e),
    };
    let auth = match app.auth_params(tenant) {
        Ok(a) => a,
        Err(e) => return Check::error(name, e),
    };
    let fields = form(&auth, &probe_fields(role, grant));
    let outcome =
        http::post_form::<Value>(client, &tenant.url("/oauth/token"), &fields, None).await;
    let who = format!("`{}` ({})", app.client_id, app.id_var);
    judge(outcome, name, &who, grant, enable)
}

/// The probe's grant request, besides the client's authentication.
fn probe_fields(role: Role, grant: &'static str) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::Ciba => vec![("grant_type", grant), ("auth_req_id", PROBE)],
        Role::TokenVault => vec![
            ("grant_type", grant),
            ("subject_token_type", vault::ACCESS_TOKEN_TYPE),
            ("subject_token", PROBE),
            ("requested_token_type", vault::REQUESTED_TOKEN_TYPE),
            ("connection", vault::GOOGLE_CONNECTION),
        ],
    }
}

/// What the token endpoint's answer to the probe says about the application.
fn judge(
    outcome: Outcome<Value>,
    name: &'static str,
    who: &str,
    grant: &str,
    enable: &'static str,
) -> Check {
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
