//! The moment's facts a plan is scored with, and planning a request with them.

use crate::audit::AuditStore;
use crate::auth;
use crate::catalog::Catalog;
use crate::cli::ParserKind;
use crate::error::Result;
use crate::plan::facts::{Circumstances, caller_facts};
use crate::plan::{Parser, Plan, Scoring};
use crate::policy::RuleSet;
use crate::settings::Settings;
use crate::source::Source;

use super::approval_method;

/// Plans a request against the source's current rows, scored with the moment's facts (the
/// audit store's count of approval requests left out when the store cannot be opened: at
/// plan time the tier is a preview, and apply derives it again).
pub fn plan(
    settings: &Settings,
    rules: &RuleSet,
    source: &mut dyn Source,
    request: &str,
    parser: ParserKind,
    caller_facts: &[String],
) -> Result<(Plan, Catalog)> {
    let parser = match parser {
        ParserKind::Grammar => Parser::Grammar,
        ParserKind::Llm => {
            let endpoint = crate::llm::Endpoint::from_env()?;
            Parser::Model(Box::new(move |request: &str, catalog: &Catalog| {
                crate::llm::parse(request, catalog, &endpoint)
            }))
        }
    };
    let scoring = scoring(settings, rules, caller_facts)?;
    crate::plan::make(request, parser, source, scoring)
}

/// What a plan is scored with now: the moment's facts and the method approval would use.
pub fn scoring<'a>(
    settings: &Settings,
    rules: &'a RuleSet,
    caller_facts: &[String],
) -> Result<Scoring<'a>> {
    let mut store = crate::audit::open(&settings.audit_location()).ok();
    let circumstances = circumstances(
        settings,
        store.as_mut().map(|s| s.as_mut() as &mut dyn AuditStore),
        caller_facts,
    )?;
    Ok(Scoring {
        rules,
        circumstances,
        method: approval_method(settings, None)?,
        now: crate::clock::now()?,
    })
}

/// The facts of the moment, measured each time a plan is scored (at `plan`, and again at
/// `apply`): the clock's hour, minutes since the login's authentication, approval requests
/// recently sent to the approver, and the facts a caller measured (`--fact`). A plan file
/// carries none of them into an apply.
///
/// `store` counts recent approval requests (None: not counted); `caller` are the
/// `--fact NAME=VALUE` arguments.
pub fn circumstances(
    settings: &Settings,
    store: Option<&mut dyn AuditStore>,
    caller: &[String],
) -> Result<Circumstances> {
    let now = crate::clock::now()?;
    let hour = now.to_zoned(jiff::tz::TimeZone::UTC).hour();
    let login = stored_login(settings);
    let session_duration_minutes = login
        .as_ref()
        .and_then(|u| u.auth_time)
        .map(|t| ((now.as_second() - t).max(0) / 60) as f64);
    let recent_approval_requests = match store {
        Some(store) => {
            let mut approvers: Vec<String> = settings
                .config
                .approval
                .approvers
                .iter()
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            if approvers.is_empty() {
                approvers.extend(login.as_ref().map(|u| u.sub.clone()));
            }
            store.recent_approval_requests(&approvers, now.as_second())?
        }
        None => None,
    };
    Ok(Circumstances {
        hour_utc: u8::try_from(hour).unwrap_or(0),
        session_duration_minutes,
        recent_approval_requests,
        caller: caller_facts(crate::env::var(crate::env::USER_STRESS_LEVEL), caller)?,
    })
}

/// The stored login's user, without any network call; None when Auth0 is not configured or
/// nobody is logged in.
fn stored_login(settings: &Settings) -> Option<auth::store::User> {
    if !auth::Tenant::configured(&settings.config.auth0) {
        return None;
    }
    let tenant = auth::Tenant::resolve(&settings.config.auth0).ok()?;
    let store = auth::store::current(&settings.data_dir, &tenant).ok()??;
    store.load().ok()??.user
}
