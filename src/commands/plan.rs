//! `changeset plan`: read, parse, resolve, diff, score; print and optionally save. Never writes
//! the source.

use crate::catalog::{Catalog, SourceRef};
use crate::cli::{ParserKind, PlanArgs};
use crate::error::{Error, Result};
use crate::plan::facts::PlanContext;
use crate::plan::{FORMAT_VERSION, Operation, Plan, RulesRef, answer, build, file, score, suggest};
use crate::policy::RuleSet;
use crate::settings::Settings;
use crate::source::Source;
use crate::{apply, output};

use super::context;

/// Exit status of `plan --detailed-exitcode` when the plan has changes.
const EXIT_HAS_CHANGES: u8 = 10;

pub fn run(settings: &Settings, args: &PlanArgs) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let mut source = context::open_source(settings, &settings.source()?)?;
    let (plan, _) = make(
        settings,
        &rules,
        source.as_mut(),
        &args.request,
        args.parser,
        &args.facts,
    )?;
    if let Some(path) = &args.out {
        file::write(path, &plan)?;
        output::note(
            settings.quiet || settings.json(),
            &format!("Saved plan {} to {}", plan.id, path.display()),
        );
    }
    print(settings, &plan)?;
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

pub fn print(settings: &Settings, plan: &Plan) -> Result<()> {
    if settings.json() {
        output::json(plan)
    } else {
        output::stdout(&output::tables::plan(plan, output::stdout_colour()))
    }
}

/// Where the request's intents come from: already parsed, or a model that needs the catalog.
enum Parsing {
    Done(Vec<crate::parse::Intent>),
    Model(crate::llm::Endpoint),
}

/// Makes a scored plan for a request against the source's current rows.
pub fn make(
    settings: &Settings,
    rules: &RuleSet,
    source: &mut dyn Source,
    request: &str,
    parser: ParserKind,
    caller_facts: &[String],
) -> Result<(Plan, Catalog)> {
    // The grammar refuses what it cannot read before the catalog is fetched; the model needs
    // the catalog's names first.
    let parsing = match parser {
        ParserKind::Grammar => match crate::parse::parse(request) {
            Ok(intents) => Parsing::Done(intents),
            Err(e) => return Err(with_rephrasing(e, request, source)),
        },
        ParserKind::Llm => Parsing::Model(crate::llm::Endpoint::from_env()?),
    };
    let spinner = output::spinner(settings.quiet, "Reading the catalog");
    let started = std::time::Instant::now();
    let catalog = source.read();
    spinner.finish_and_clear();
    let catalog = catalog?;
    tracing::info!(
        rows = catalog.rows.len(),
        ms = started.elapsed().as_millis() as u64,
        "read the catalog"
    );
    // The fingerprint hashes the whole catalog: on the other core, from now until the plan is
    // assembled.
    let plan = std::thread::scope(|s| -> Result<Plan> {
        let fingerprint = s.spawn(|| catalog.fingerprint());
        let intents = match parsing {
            Parsing::Done(intents) => intents,
            Parsing::Model(endpoint) => crate::llm::parse(request, &catalog, &endpoint)?,
        };
        let started = std::time::Instant::now();
        let operations = build::operations(&catalog, &intents)?;
        tracing::info!(
            operations = operations.len(),
            changes = operations.iter().map(|o| o.changes.len()).sum::<usize>(),
            ms = started.elapsed().as_millis() as u64,
            "resolved the targets and built the changes"
        );
        let answer = answer::answer(&catalog, &intents)?;
        let mut plan = assemble(
            settings,
            rules,
            source.describe(),
            &catalog,
            request,
            operations,
            None,
            caller_facts,
            || {
                fingerprint
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            },
        )?;
        plan.answer = answer;
        Ok(plan)
    })?;
    Ok((plan, catalog))
}

/// A request the grammar did not understand gets a rephrasing that plans, when its products
/// and values are known ("did you mean: `end the promo on X`?"). Only then is the catalog read.
fn with_rephrasing(e: Error, request: &str, source: &mut dyn Source) -> Error {
    if !e.message.starts_with("could not understand") {
        return e;
    }
    match source.read() {
        Ok(catalog) => match suggest::rephrase(request, &catalog) {
            Some(s) => e.hint(format!("did you mean: `{s}`?")),
            None => e,
        },
        Err(_) => e,
    }
}

/// Scores the operations and wraps them in a plan bound to these rows and rules.
/// `fingerprint` gives the catalog's fingerprint once scoring is done (a caller may compute it
/// on another thread meanwhile).
#[allow(clippy::too_many_arguments)]
pub fn assemble(
    settings: &Settings,
    rules: &RuleSet,
    source: SourceRef,
    catalog: &Catalog,
    request: &str,
    mut operations: Vec<Operation>,
    rollback_of: Option<String>,
    caller_facts: &[String],
    fingerprint: impl FnOnce() -> String,
) -> Result<Plan> {
    let now = crate::clock::now()?;
    // The recent-approvals count comes from the audit store. At plan time the tier is a
    // preview (apply derives it again, and there the store is required), so a store that
    // cannot be opened only leaves the count out.
    let mut store = crate::audit::open(&settings.audit_location()).ok();
    let circumstances = circumstances(
        settings,
        store
            .as_mut()
            .map(|s| s.as_mut() as &mut dyn crate::audit::AuditStore),
        caller_facts,
    )?;
    let ctx = PlanContext::new(&operations, circumstances);
    let tier = score::score(&mut operations, catalog, &ctx, rules);
    crate::plan::forbid::check(&operations, catalog, rules)?;
    let method = apply::approval::method(settings, None)?;
    Ok(Plan {
        format_version: FORMAT_VERSION,
        id: crate::ids::plan_id(),
        created_at: now.to_string(),
        request: request.to_string(),
        source,
        fingerprint: fingerprint(),
        rules: RulesRef {
            path: rules.origin.clone(),
            sha256: rules.sha256.clone(),
        },
        operations,
        tier,
        rollback_of,
        answer: None,
        approval: score::approval_need(
            tier,
            rules,
            apply::approval::method_name(method),
            "typed_id",
        ),
    })
}

/// The window of `recent_approval_requests`.
pub const RECENT_WINDOW_SECONDS: i64 = 60 * 60;

/// The facts of the moment, measured each time a plan is scored (at `plan`, and again at
/// `apply`): the clock's hour, minutes since the login's authentication, approval requests
/// recently sent to the approver, and the facts a caller measured (`--fact`). A plan file
/// carries none of them into an apply.
///
/// Gathered now. `store` counts recent approval requests (None: not counted);
/// `caller` are the `--fact NAME=VALUE` arguments.
pub fn circumstances(
    settings: &Settings,
    store: Option<&mut dyn crate::audit::AuditStore>,
    caller: &[String],
) -> Result<crate::plan::facts::Circumstances> {
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
    let mut caller_facts = serde_json::Map::new();
    if let Some(level) = crate::env::var(crate::env::USER_STRESS_LEVEL) {
        let (name, value) = crate::plan::facts::caller_fact(&format!("user_stress_level={level}"))
            .map_err(|e| e.context(crate::env::USER_STRESS_LEVEL))?;
        caller_facts.insert(name, value);
    }
    for text in caller {
        let (name, value): (String, serde_json::Value) = crate::plan::facts::caller_fact(text)?;
        caller_facts.insert(name, value);
    }
    Ok(crate::plan::facts::Circumstances {
        hour_utc: u8::try_from(hour).unwrap_or(0),
        session_duration_minutes,
        recent_approval_requests,
        caller: caller_facts,
    })
}

/// The stored login's user, without any network call; None when Auth0 is not configured or
/// nobody is logged in.
fn stored_login(settings: &Settings) -> Option<crate::auth::store::User> {
    if !crate::auth::Tenant::configured(&settings.config.auth0) {
        return None;
    }
    let tenant = crate::auth::Tenant::resolve(&settings.config.auth0).ok()?;
    let store = crate::auth::store::current(&settings.data_dir, &tenant).ok()??;
    store.load().ok()??.user
}
