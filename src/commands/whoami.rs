//! `changeset whoami`: who is logged in, to which tenant, until when, and where the login lives.

use crate::auth::session;
use crate::error::Result;
use crate::output::login::{describe_user, info};
use crate::settings::Settings;
use crate::{net, output};

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
