//! Gate mode (`CHANGESET_GATE_URL` or `[gate] url`): `plan`, `apply`, `gate status` and
//! `gate cancel` are requests to the gate, made with the user's login. This file never opens a
//! source, loads rules, asks an approver or exchanges a token: the gate does all of that, so
//! nothing that runs the CLI can approve its own writes.

use std::path::Path;

use crate::cli::{ApplyArgs, ParserKind, PlanArgs};
use crate::error::{Error, Result};
use crate::gate::api::{ApplyRequest, ApplyView, PlanRequest};
use crate::gate::client::{self, Gate, Waiting};
use crate::plan::{Plan, file};
use crate::settings::Settings;
use crate::{net, output, report};

use super::context;

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

/// `changeset gate status ID`: where an apply is (waiting for it with --wait).
pub fn status(settings: &Settings, url: String, id: &str, wait: bool) -> Result<u8> {
    let gate = Gate::new(url, settings.login());
    let view = net::block_on(async {
        let view = gate.status(id, None).await?;
        if wait {
            follow(&gate, view, None).await
        } else {
            Ok(view)
        }
    })?;
    show_view(settings, &view)?;
    if view.status.is_final() {
        client::settled(view).map(|_| 0)
    } else {
        Ok(0)
    }
}

/// `changeset gate cancel ID`: withdraws a pending apply.
pub fn cancel(settings: &Settings, url: String, id: &str) -> Result<u8> {
    let gate = Gate::new(url, settings.login());
    let view = net::block_on(gate.cancel(id))?;
    show_view(settings, &view)?;
    Ok(0)
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

/// Says once what the gate is waiting for, even when quiet: the person may have to approve it
/// (stderr; one JSON line in JSON mode).
fn announce(view: &ApplyView) {
    if !view.status.is_final() {
        report::tell(&output::gate::announcement(view, crate::auth::unix_now()));
    }
}

/// Long-polls until the apply is final, with a spinner naming the approvers and the time left
/// (none when stderr is not a terminal, in JSON mode or when quiet). `limit` seconds, when
/// given, bound the wait: the apply goes on at the gate after that.
async fn follow(gate: &Gate, first: ApplyView, limit: Option<u64>) -> Result<ApplyView> {
    let step = report::step(&output::gate::waiting(&first, crate::auth::unix_now()));
    let progress = |now: Waiting<'_>| {
        step.update(&match now {
            Waiting::On(view) => output::gate::waiting(view, crate::auth::unix_now()),
            Waiting::GateDown(seconds) => output::gate::gate_down(gate.url(), seconds),
        })
    };
    let id = first.id.clone();
    let wait = client::wait(gate, first, &progress);
    match limit {
        None => wait.await,
        Some(seconds) => tokio::time::timeout(std::time::Duration::from_secs(seconds), wait)
            .await
            .map_err(|_| {
                Error::denied(format!(
                    "no decision within {seconds} s; the apply {id} goes on at the gate"
                ))
                .hint(format!(
                    "follow it with `changeset gate status {id} --wait`, or stop it with `changeset gate cancel {id}`"
                ))
            })?,
    }
}

fn print_receipt(settings: &Settings, view: &ApplyView) -> Result<u8> {
    match &view.receipt {
        Some(receipt) => output::receipt(settings.json(), receipt)?,
        None => show_view(settings, view)?,
    }
    Ok(0)
}

fn show_view(settings: &Settings, view: &ApplyView) -> Result<()> {
    if settings.json() {
        output::json(view)
    } else {
        output::stdout(&output::gate::apply(view, crate::auth::unix_now()))
    }
}
