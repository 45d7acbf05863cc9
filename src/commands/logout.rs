//! `changeset logout`: revoke the refresh token at the IdP and delete it locally. Idempotent.

use crate::auth::{Tenant, session, store};
use crate::error::Result;
use crate::settings::Settings;
use crate::{env, net, output};

pub fn run(settings: &Settings) -> Result<u8> {
    let tenant = Tenant::resolve(&settings.config.auth0)?;
    let _lock = session::lock(&settings.data_dir)?;
    let mut found = Vec::new();
    for store in store::persistent(&settings.data_dir, &tenant)? {
        if let Some(credential) = store.load()? {
            found.push((store, credential));
        }
    }
    if env::var(env::REFRESH_TOKEN).is_some() {
        crate::report::note(&format!(
            "{} is set in the environment; logout neither revokes nor removes it.",
            env::REFRESH_TOKEN
        ));
    }
    if found.is_empty() {
        output::note(
            settings.quiet,
            &format!("Not logged in to {}; nothing to do.", tenant.issuer()),
        );
        return finish(settings, false);
    }
    // Revoke first, then delete locally whatever the IdP said: the user asked to be logged out.
    let mut failure = None;
    for (_, credential) in &found {
        if let Err(e) = net::block_on(session::revoke(&tenant, &credential.refresh_token)) {
            failure = Some(e);
        }
    }
    let mut places = Vec::new();
    for (store, _) in &found {
        store.delete()?;
        places.push(store.kind().name());
    }
    if let Some(e) = failure {
        return Err(e
            .context("deleted the local login, but it may still be valid at the IdP")
            .hint("run `changeset logout` again when the IdP is reachable, or revoke the session in the Auth0 dashboard"));
    }
    output::note(
        settings.quiet,
        &format!(
            "Logged out of {}: the refresh token was revoked and deleted from the {} store.",
            tenant.issuer(),
            places.join(" and ")
        ),
    );
    finish(settings, true)
}

fn finish(settings: &Settings, revoked: bool) -> Result<u8> {
    if settings.json() {
        output::json(&serde_json::json!({ "logged_out": true, "revoked": revoked }))?;
    }
    Ok(0)
}
