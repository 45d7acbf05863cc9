//! Following an apply at the gate: `gate status`, `gate cancel`, the wait for a decision and
//! what is shown of it.

use crate::error::{Error, Result};
use crate::gate::api::ApplyView;
use crate::gate::client::{self, Gate, Waiting};
use crate::settings::Settings;
use crate::{net, output, report};

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

/// Says once what the gate is waiting for, even when quiet: the person may have to approve it
/// (stderr; one JSON line in JSON mode).
pub(super) fn announce(view: &ApplyView) {
    if !view.status.is_final() {
        report::tell(&output::gate::announcement(view, crate::auth::unix_now()));
    }
}

/// Long-polls until the apply is final, with a spinner naming the approvers and the time left
/// (none when stderr is not a terminal, in JSON mode or when quiet). `limit` seconds, when
/// given, bound the wait: the apply goes on at the gate after that.
pub(super) async fn follow(gate: &Gate, first: ApplyView, limit: Option<u64>) -> Result<ApplyView> {
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

pub(super) fn print_receipt(settings: &Settings, view: &ApplyView) -> Result<u8> {
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
