//! The one place a run's parts are chosen from its settings: where Google tokens come from,
//! which source is opened, who approves and how, the moment's facts a plan is scored with, and
//! who is notified. Stages below are handed these parts and never look at the settings
//! themselves.

use std::path::PathBuf;
use std::time::Duration;

use crate::apply::approval::{Approver, local_user};
use crate::apply::ciba::CibaApprover;
use crate::apply::executor;
use crate::apply::tty::Terminal;
use crate::audit::AuditStore;
use crate::auth::vault::{LoginExchange, VaultTokens};
use crate::catalog::{Catalog, SourceSpec};
use crate::cli::{ParserKind, PlanArgs};
use crate::error::{Error, Result};
use crate::google::token::{EnvToken, TokenSource};
use crate::notify::Notifier;
use crate::plan::facts::{Circumstances, caller_fact};
use crate::plan::{Parser, Plan, Scoring};
use crate::policy::{ApprovalMethod, RuleSet};
use crate::receipt::Delegation;
use crate::settings::Settings;
use crate::source::{self, Source};
use crate::{auth, output};

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

/// Which method asks for approval: the config's `approval.method`, else `ciba` when Auth0 and
/// the confidential application are configured, else `tty`. `--approval` may choose a stronger
/// method than that, never a weaker one: `tty` is refused where `ciba` is selected.
pub fn approval_method(
    settings: &Settings,
    explicit: Option<ApprovalMethod>,
) -> Result<ApprovalMethod> {
    let selected = match settings.config.approval.method {
        None if auth::Tenant::configured(&settings.config.auth0)
            && auth::client::Role::Ciba.configured() =>
        {
            ApprovalMethod::Ciba
        }
        None => ApprovalMethod::Tty,
        Some(method) => method,
    };
    match explicit {
        Some(ApprovalMethod::Tty) if selected == ApprovalMethod::Ciba => Err(Error::usage(
            "--approval tty is refused: the configuration selects ciba, and a flag may choose a stronger approval, never a weaker one",
        )
        .hint("approve on your device (CIBA), or change approval.method in the config file")),
        Some(m) => Ok(m),
        None => Ok(selected),
    }
}

/// The approver of a method, with the run's options; `wait` bounds an out-of-band wait.
pub fn approver(
    settings: &Settings,
    method: ApprovalMethod,
    wait: Option<Duration>,
) -> Box<dyn Approver> {
    let auth0 = &settings.config.auth0;
    match method {
        ApprovalMethod::Tty => Box::new(Terminal {
            can_prompt: settings.can_prompt,
            yes: settings.yes,
            auth0_configured: auth::Tenant::configured(auth0),
        }),
        ApprovalMethod::Ciba => {
            let conf = &settings.config.approval;
            Box::new(CibaApprover {
                auth0: auth0.clone(),
                login: settings.login(),
                approvers: conf.approvers.clone(),
                tier3: conf.tier3,
                expiry: conf.expiry(false),
                stronger_expiry: conf.expiry(true),
                rich_details: conf.rich_details,
                wait,
                quiet: settings.quiet,
                can_prompt: settings.can_prompt,
            })
        }
    }
}

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

/// The window of `recent_approval_requests`.
pub const RECENT_WINDOW_SECONDS: i64 = 60 * 60;

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
            let since = now.as_second() - RECENT_WINDOW_SECONDS;
            let mut most: Option<u64> = None;
            for a in &approvers {
                let n = store.approval_requests_since(a, since)?;
                most = Some(most.map_or(n, |m| m.max(n)));
            }
            most
        }
        None => None,
    };
    Ok(Circumstances {
        hour_utc: u8::try_from(hour).unwrap_or(0),
        session_duration_minutes,
        recent_approval_requests,
        caller: caller_facts(caller)?,
    })
}

/// `CHANGESET_USER_STRESS_LEVEL` and the `--fact NAME=VALUE` arguments, checked.
fn caller_facts(caller: &[String]) -> Result<serde_json::Map<String, serde_json::Value>> {
    let mut facts = serde_json::Map::new();
    if let Some(level) = crate::env::var(crate::env::USER_STRESS_LEVEL) {
        let (name, value) = caller_fact(&format!("user_stress_level={level}"))
            .map_err(|e| e.context(crate::env::USER_STRESS_LEVEL))?;
        facts.insert(name, value);
    }
    for text in caller {
        let (name, value) = caller_fact(text)?;
        facts.insert(name, value);
    }
    Ok(facts)
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

/// Approves and applies a plan to the source `spec` names, and prints the receipt.
/// `plan_file` is the plan file being applied, if any.
pub fn execute(
    settings: &Settings,
    rules: &RuleSet,
    plan: &Plan,
    spec: &SourceSpec,
    approver: &dyn Approver,
    plan_file: Option<PathBuf>,
    caller_facts: &[String],
) -> Result<u8> {
    let mut source = open_source(settings, spec)?;
    let mut store = crate::audit::open(&settings.audit_location())?;
    let circumstances = circumstances(settings, Some(store.as_mut()), caller_facts)?;
    let mut notifier = notifier(settings)?;
    let mut ctx = executor::Context {
        rules,
        store: store.as_mut(),
        source: source.as_mut(),
        approver,
        plan_file,
        delegation: local_delegation(spec),
        notifier: notifier.as_mut(),
        circumstances,
        summarise: |plan| output::tables::approval_summary(plan, output::stderr_colour()),
        enforcer: None,
    };
    let receipt = executor::apply(&mut ctx, plan)?;
    output::receipt(settings.json(), &receipt)?;
    Ok(0)
}

/// The start of the delegation chain: the planner, which never holds write credentials, and
/// for a local file the user's own file access. A remote source adds its agents' grants (with
/// token references) itself, through `Source::authorize_write`.
fn local_delegation(spec: &SourceSpec) -> Vec<Delegation> {
    let entry = |agent: &str, scope: &str| Delegation {
        agent: agent.into(),
        on_behalf_of: local_user(),
        scope: scope.into(),
        granted_scope: None,
        token_ref: None,
        jti: None,
        expires_at: None,
        via: "local".into(),
    };
    let mut chain = vec![entry("planner", "plan (no source credentials)")];
    if let SourceSpec::Csv(_) = spec {
        chain.push(entry("reader", "file:read"));
        chain.push(entry("writer", "file:write"));
    }
    chain
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
