//! `changeset login`: device flow, then the refresh token to the credential store.

use crate::auth::{Tenant, device, session, store};
use crate::cli::{CredentialStoreKind, LoginArgs};
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::{env, net, output};

pub fn run(settings: &Settings, args: &LoginArgs) -> Result<u8> {
    let tenant = Tenant::resolve(&settings.config.auth0)?;
    let gate_mode = settings.gate()?.is_some();
    check_gate_audience(gate_mode, &tenant)?;
    // Decide where the login goes before asking anyone to log in.
    let choice = args.credential_store.map(|kind| match kind {
        CredentialStoreKind::Keychain => store::Choice::Keychain,
        CredentialStoreKind::File => store::Choice::File,
    });
    let store = store::for_login(&settings.data_dir, &tenant, choice)?;
    let options = device::Options {
        // Never in CI, tests or pipes: only at an interactive terminal.
        open_browser: !args.no_browser && settings.can_prompt,
        qr: args.qr,
        // In gate mode the gate checks these on every call.
        api_scopes: if gate_mode { gate_scopes() } else { Vec::new() },
    };
    let prompt = output::login::DevicePrompt {
        json: settings.json(),
    };
    let credential = net::block_on(device::login(&tenant, &options, &prompt))?;
    {
        let _lock = session::lock(&settings.data_dir)?;
        store.save(&credential)?;
    }
    tell_where(settings, &tenant, store.as_ref(), &credential);
    if settings.json() {
        let session = session::Session {
            tenant,
            store,
            credential,
            refreshed: false,
        };
        output::json(&output::login::info(&session))?;
    }
    Ok(0)
}

/// A login for no API is one the gate can only refuse: say so before anyone logs in.
fn check_gate_audience(gate_mode: bool, tenant: &Tenant) -> Result<()> {
    if gate_mode && tenant.audience.is_none() {
        return Err(Error::input(
            "gate mode: no API audience to log in for, so the gate would refuse the login",
        )
        .hint(format!(
            "set {} (or `audience` in [gate]) to the gate's API identifier",
            env::GATE_AUDIENCE
        )));
    }
    Ok(())
}

/// The gate's API scopes, which it checks on every call.
fn gate_scopes() -> Vec<String> {
    use crate::gate::token::{SCOPE_APPLY, SCOPE_AUDIT, SCOPE_PLAN};
    [SCOPE_PLAN, SCOPE_APPLY, SCOPE_AUDIT]
        .map(str::to_string)
        .to_vec()
}

/// Who logged in, where the login is kept, and what else decides which login is used.
fn tell_where(
    settings: &Settings,
    tenant: &Tenant,
    store: &dyn store::CredentialStore,
    credential: &store::Credential,
) {
    let who = credential
        .user
        .as_ref()
        .map(output::login::describe_user)
        .unwrap_or_default();
    output::note(
        settings.quiet,
        &format!(
            "Logged in to {} as {who}. The login is kept in the {} store ({}).",
            tenant.issuer(),
            store.kind().name(),
            store.location()
        ),
    );
    if store.kind() == store::Kind::File {
        crate::report::note(
            "the file store is a plain file readable only by you (mode 0600); `changeset logout` deletes it.",
        );
    }
    if env::var(env::REFRESH_TOKEN).is_some() {
        crate::report::note(&format!(
            "{} is set and takes precedence over this login while it is set.",
            env::REFRESH_TOKEN
        ));
    }
}
