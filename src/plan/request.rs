//! Planning a request: parse it, read the rows, build the changes, answer questions, score and
//! wrap them in a plan. Everything here is handed its inputs (the rows' reader, the rules, the
//! moment's facts, the clock's time), so a command and a server plan the same way.

use crate::catalog::{Catalog, SourceRef};
use crate::error::{Error, Result};
use crate::parse::Intent;
use crate::policy::{ApprovalMethod, RuleSet};

use super::facts::{Circumstances, PlanContext};
use super::{FORMAT_VERSION, Operation, Plan, RulesRef, answer, build, forbid, score, suggest};

/// Where a plan's rows are read from (every `source::Source` is one).
pub trait Reader {
    /// Reads the whole catalog.
    fn read_rows(&mut self) -> Result<Catalog>;
    /// Where the rows live, as the plan records it (complete once they were read: a Sheets
    /// source finds its tab then).
    fn location(&self) -> SourceRef;
}

/// A model that reads a request into intents, given the catalog's rows (their names).
pub type Model<'a> = Box<dyn FnOnce(&str, &Catalog) -> Result<Vec<Intent>> + 'a>;

/// How a request becomes intents: the grammar, or a model.
pub enum Parser<'a> {
    Grammar,
    Model(Model<'a>),
}

/// What a plan is scored and stamped with besides its operations.
pub struct Scoring<'a> {
    pub rules: &'a RuleSet,
    /// The moment's facts (clock, login, recent approval requests, the caller's facts).
    pub circumstances: Circumstances,
    /// How approval will be asked, recorded in the plan's approval need.
    pub method: ApprovalMethod,
    /// The plan's creation time.
    pub now: jiff::Timestamp,
}

/// Where the request's intents come from: already parsed, or a model that needs the catalog.
enum Parsing<'a> {
    Done(Vec<Intent>),
    Model(Model<'a>),
}

/// Makes a scored plan for a request against the source's current rows. Returns the rows too.
pub fn make<R: Reader + ?Sized>(
    request: &str,
    parser: Parser<'_>,
    source: &mut R,
    scoring: Scoring<'_>,
) -> Result<(Plan, Catalog)> {
    // The grammar refuses what it cannot read before the catalog is fetched; the model needs
    // the catalog's names first.
    let parsing = match parser {
        Parser::Grammar => match crate::parse::parse(request) {
            Ok(intents) => Parsing::Done(intents),
            Err(e) => return Err(with_rephrasing(e, request, source)),
        },
        Parser::Model(model) => Parsing::Model(model),
    };
    let step = crate::report::step("Reading the catalog");
    let started = std::time::Instant::now();
    let catalog = source.read_rows();
    drop(step);
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
            Parsing::Model(model) => model(request, &catalog)?,
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
        let draft = Draft {
            source: source.location(),
            catalog: &catalog,
            request,
            operations,
            rollback_of: None,
        };
        let mut plan = assemble(scoring, draft, || {
            fingerprint
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        plan.answer = answer;
        Ok(plan)
    })?;
    Ok((plan, catalog))
}

/// A request the grammar did not understand gets a rephrasing that plans, when its products
/// and values are known ("did you mean: `end the promo on X`?"). Only then is the catalog read.
fn with_rephrasing<R: Reader + ?Sized>(e: Error, request: &str, source: &mut R) -> Error {
    if !e.message.starts_with("could not understand") {
        return e;
    }
    match source.read_rows() {
        Ok(catalog) => match suggest::rephrase(request, &catalog) {
            Some(s) => e.hint(format!("did you mean: `{s}`?")),
            None => e,
        },
        Err(_) => e,
    }
}

/// The operations of a plan to be, against the rows they were built from.
pub struct Draft<'a> {
    pub source: SourceRef,
    pub catalog: &'a Catalog,
    pub request: &'a str,
    pub operations: Vec<Operation>,
    /// The receipt a rollback plan undoes.
    pub rollback_of: Option<String>,
}

/// Scores the operations and wraps them in a plan bound to these rows and rules.
/// `fingerprint` gives the catalog's fingerprint once scoring is done (a caller may compute it
/// on another thread meanwhile).
pub fn assemble(
    scoring: Scoring<'_>,
    draft: Draft<'_>,
    fingerprint: impl FnOnce() -> String,
) -> Result<Plan> {
    let Draft {
        source,
        catalog,
        request,
        mut operations,
        rollback_of,
    } = draft;
    let rules = scoring.rules;
    let ctx = PlanContext::new(&operations, scoring.circumstances);
    let tier = score::score(&mut operations, catalog, &ctx, rules);
    forbid::check(&operations, catalog, rules)?;
    Ok(Plan {
        format_version: FORMAT_VERSION,
        id: crate::ids::plan_id(),
        created_at: scoring.now.to_string(),
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
        approval: score::approval_need(tier, rules, scoring.method.name(), "typed_id"),
    })
}
