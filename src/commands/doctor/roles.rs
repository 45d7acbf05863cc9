//! How each confidential application's check is named, what it probes and how to set it up.

use super::Check;
use crate::auth::client::Role;
use crate::auth::{ciba, vault};
use crate::env;

/// What a role's check is called, the grant it probes, and how to enable that grant.
pub(super) fn role_texts(role: Role) -> (&'static str, &'static str, &'static str) {
    match role {
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
    }
}

/// Skipped: the role's application is not configured, and what that means for a run.
pub(super) fn not_configured(name: &'static str, role: Role) -> Check {
    let what = match role {
        Role::Ciba => "approvals of tier 2 and above are asked at the terminal",
        Role::TokenVault => "Google access needs CHANGESET_GOOGLE_ACCESS_TOKEN instead",
    };
    Check::skip(name, format!("not configured ({what})")).hint(match role {
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
    })
}
