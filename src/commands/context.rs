//! The one place a run's parts are chosen from its settings: where Google tokens come from,
//! which source is opened, who approves and how, the moment's facts a plan is scored with, and
//! who is notified. Stages below are handed these parts and never look at the settings
//! themselves.

mod approval;
mod execute;
mod scoring;

pub use approval::{approval_method, approver};
pub use execute::execute;
pub use scoring::{circumstances, plan, scoring};

use crate::auth::vault::{LoginExchange, VaultTokens};
use crate::catalog::SourceSpec;
use crate::cli::PlanArgs;
use crate::error::Result;
use crate::google::token::{EnvToken, TokenSource};
use crate::notify::Notifier;
use crate::output;
use crate::plan::Plan;
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

/// Exit status of `plan --detailed-exitcode` when the plan has changes.
const EXIT_HAS_CHANGES: u8 = 10;

/// The end of `plan`, wherever the plan was made (here, or by the gate): saves it with `-o`,
/// prints it, says how to apply it, and gives the exit status.
pub fn finish_plan(settings: &Settings, args: &PlanArgs, plan: &Plan) -> Result<u8> {
    if let Some(path) = &args.out {
        crate::plan::file::write(path, plan)?;
        output::note(
            settings.quiet || settings.json(),
            &format!("Saved plan {} to {}", plan.id, path.display()),
        );
    }
    output::plan(settings.json(), plan)?;
    if let Some(path) = args
        .out
        .as_ref()
        .filter(|_| !settings.json() && plan.has_changes())
    {
        output::note(
            settings.quiet,
            &format!("Apply it with: changeset apply {}", path.display()),
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        EXIT_HAS_CHANGES
    } else {
        0
    })
}
