//! `changeset whoami`: who is logged in, to which tenant, until when, and where the login lives.

use serde::Serialize;

use crate::auth::session::{self, Session};
use crate::auth::store::User;
use crate::error::Result;
use crate::settings::Settings;
use crate::{net, output};

#[derive(Debug, Serialize)]
pub struct Info {
    pub user: Option<User>,
    pub tenant: String,
    pub client_id: String,
    pub audience: Option<String>,
    /// `env`, `keychain` or `file`.
    pub store: &'static str,
    pub store_location: String,
    pub access_token_expires_at: Option<String>,
    pub scope: Option<String>,
}

pub fn info(session: &Session) -> Info {
    Info {
        user: session.credential.user.clone(),
        tenant: session.tenant.issuer(),
        client_id: session.tenant.client_id.clone(),
        audience: session.tenant.audience.clone(),
        store: session.store.kind().name(),
        store_location: session.store.location(),
        access_token_expires_at: session
            .credential
            .access_expires_at
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map(|t| t.to_string()),
        scope: session.credential.scope.clone(),
    }
}

/// "Test User <user1@example.com> (auth0|user-1)".
pub fn describe_user(user: &User) -> String {
    match (&user.name, &user.email) {
        (Some(n), Some(e)) => format!("{n} <{e}> ({})", user.sub),
        (Some(n), None) => format!("{n} ({})", user.sub),
        (None, Some(e)) => format!("<{e}> ({})", user.sub),
        (None, None) => user.sub.clone(),
    }
}

pub fn run(settings: &Settings) -> Result<u8> {
    // Refreshes when the access token is near expiry, so what is shown is known to work.
    let session = net::block_on(session::current(&settings.login()))?;
    let info = info(&session);
    if settings.json() {
        return output::json(&info).map(|()| 0);
    }
    let user = info
        .user
        .as_ref()
        .map(describe_user)
        .unwrap_or_else(|| "unknown".into());
    let mut text = format!("User:    {user}\nTenant:  {}\n", info.tenant);
    if let Some(audience) = &info.audience {
        text.push_str(&format!("API:     {audience}\n"));
    }
    if let Some(exp) = &info.access_token_expires_at {
        text.push_str(&format!(
            "Token:   access token valid until {}\n",
            crate::clock::human(exp)
        ));
    }
    text.push_str(&format!(
        "Store:   {} ({})\n",
        info.store, info.store_location
    ));
    output::stdout(&text).map(|()| 0)
}
