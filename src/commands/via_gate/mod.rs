//! Gate mode (`CHANGESET_GATE_URL` or `[gate] url`): `plan`, `apply`, `gate status` and
//! `gate cancel` are requests to the gate, made with the user's login. This module never opens a
//! source, loads rules, asks an approver or exchanges a token: the gate does all of that, so
//! nothing that runs the CLI can approve its own writes.

mod track;

use std::path::Path;

use crate::cli::{ApplyArgs, ParserKind, PlanArgs};
use crate::error::{Error, Result};
use crate::gate::api::{ApplyRequest, PlanRequest};
use crate::gate::client::{self, Gate};
use crate::plan::{Plan, file};
use crate::settings::Settings;
use crate::{net, output, report};

use super::context;
use track::{announce, follow, print_receipt};
pub use track::{cancel, status};

pub fn plan(settings: &Settings, url: String, args: &PlanArgs) -> Result<u8> {
    refuse_local_only(args.parser, &args.facts)?;
    let gate = Gate::new(url, settings.login());
    let plan = ask_for_plan(settings, &gate, &args.request)?;
    context::finish_plan(settings, args, &plan)
}

pub fn apply(settings: &Settings, url: String, args: &ApplyArgs) -> Result<u8> {
    refuse_local_only(args.parser, &args.facts)?;
    if args.approval.is_some() {
        return Err(Error::usage(
            "--approval has no effect in gate mode: the gate's policy decides who approves and how",
        ));
    }
    let gate = Gate::new(url, settings.login());
    let is_file = args.target.ends_with(".json") || Path::new(&args.target).is_file();
    let plan = if is_file {
        file::read(Path::new(&args.target))?
    } else {
        let plan = ask_for_plan(settings, &gate, &args.target)?;
        output::plan(settings.json(), &plan)?;
        plan
    };
    if !plan.has_changes() {
        output::note(
            settings.quiet || settings.json(),
            "Nothing to apply: the plan has no changes.",
        );
        return Ok(0);
    }
    let request = ApplyRequest { plan };
    let view = net::block_on(async {
        let first = gate.apply(&request).await?;
        announce(&first);
        follow(&gate, first, args.wait).await
    })?;
    print_receipt(settings, &client::settled(view)?)
}

/// The gate plans: it reads the source with its own reader token, under its rules.
fn ask_for_plan(settings: &Settings, gate: &Gate, request: &str) -> Result<Plan> {
    let step = report::step(&format!("Planning at the gate ({})", gate.url()));
    let plan = net::block_on(gate.plan(&PlanRequest {
        request: request.to_string(),
        source: settings.source_text().map(str::to_string),
    }));
    drop(step);
    plan
}

/// What only a local run can do: a model parser here, or facts the CLI measures (the gate
/// measures its own facts and ignores a client's).
fn refuse_local_only(parser: ParserKind, facts: &[String]) -> Result<()> {
    if parser != ParserKind::Grammar {
        return Err(Error::usage(
            "--parser llm is not available in gate mode: the gate parses requests with its grammar",
        ));
    }
    if !facts.is_empty() {
        return Err(Error::usage(
            "--fact is not available in gate mode: the gate measures the facts its rules read",
        ));
    }
    Ok(())
}
