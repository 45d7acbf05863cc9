//! The login as people and scripts see it: the device login's prompt on stderr (where to go,
//! which code to enter; in JSON mode one JSON object, so every stderr line stays parseable),
//! and who is logged in (`login`, `whoami`).

use serde::Serialize;

use crate::auth::device::{Prompt, UserCode};
use crate::auth::session::Session;
use crate::auth::store::User;

pub struct DevicePrompt {
    pub json: bool,
}

impl Prompt for DevicePrompt {
    fn show(&self, code: &UserCode) {
        if self.json {
            let line = serde_json::json!({
                "level": "prompt",
                "message": format!("To sign in, open {} and enter the code: {}", code.uri, code.code),
                "verification_uri": code.uri,
                "user_code": code.code,
                "verification_uri_complete": code.complete,
            });
            eprintln!("{line}");
            return;
        }
        eprintln!("To sign in, open {}", code.uri);
        eprintln!("and enter the code: {}", code.code);
        if let Some(complete) = &code.complete {
            eprintln!("(or open {complete} to have the code filled in)");
        }
        if let Some(qr) = &code.qr {
            eprintln!("{qr}");
        }
    }

    fn no_browser(&self) {
        crate::report::warn("Could not open a browser; open the URL above yourself.");
    }
}

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
