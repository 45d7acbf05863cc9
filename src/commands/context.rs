//! The one place a run's parts are chosen from its settings: where Google tokens come from,
//! which source is opened and who is notified. Stages below are handed these parts and never
//! look at the settings themselves.

use crate::auth::vault::{LoginExchange, VaultTokens};
use crate::catalog::SourceSpec;
use crate::error::Result;
use crate::google::token::{EnvToken, TokenSource};
use crate::notify::Notifier;
use crate::settings::Settings;
use crate::source::{self, Source};

/// The run's Google tokens: `CHANGESET_GOOGLE_ACCESS_TOKEN` when set (CI, service accounts),
/// else Token Vault through the login. Nothing is fetched until an agent asks.
pub fn tokens(settings: &Settings) -> Box<dyn TokenSource> {
    match EnvToken::from_env() {
        Some(token) => Box::new(token),
        None => Box::new(VaultTokens::new(LoginExchange::new(settings.login()))),
    }
}

/// Opens the source a spec names, with the configured header names and the run's tokens.
pub fn open_source(settings: &Settings, spec: &SourceSpec) -> Result<Box<dyn Source>> {
    source::open(spec, settings.columns.clone(), tokens(settings))
}

/// The notifier of this run, when `[notify] recipients` names anyone.
pub fn notifier(settings: &Settings) -> Result<Option<Notifier>> {
    Notifier::new(&settings.config.notify.recipients, tokens(settings))
}
