//! `audit list --gate` and `audit show ID --gate`: receipts the gate sealed.

use crate::audit::Summary;
use crate::error::{Error, Result};
use crate::gate::client::Gate;
use crate::output;
use crate::output::timeline;
use crate::receipt::Receipt;
use crate::settings::Settings;

/// The gate of gate mode, for `--gate`.
fn gate(settings: &Settings) -> Result<Gate> {
    let url = settings.gate()?.ok_or_else(|| {
        Error::usage("--gate needs a gate: none is configured").hint(format!(
            "set {} or `url` in the [gate] table of the config file",
            crate::env::GATE_URL
        ))
    })?;
    Ok(Gate::new(url, settings.login()))
}

/// `audit list --gate`: every receipt the gate sealed, page by page (`GET /v1/receipts`).
pub(super) fn list(settings: &Settings) -> Result<u8> {
    let gate = gate(settings)?;
    let receipts = crate::net::block_on(async {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = gate.receipts(after.as_deref()).await?;
            all.extend(page.receipts);
            match page.next_after {
                Some(next) if Some(&next) != after.as_ref() => after = Some(next),
                _ => return Ok::<_, Error>(all),
            }
        }
    })?;
    let list: Vec<Summary> = receipts.into_iter().map(Summary::from).collect();
    if settings.json() {
        output::json(&list)?;
    } else {
        output::stdout(&output::tables::receipts(&list))?;
    }
    Ok(0)
}

/// `audit show ID --gate`: one receipt from the gate, its seal checked here.
pub(super) fn show(settings: &Settings, id: String) -> Result<u8> {
    let gate = gate(settings)?;
    let receipt = crate::net::block_on(gate.receipt(&id))?;
    // Checked as any exported receipt is: the gate's copy must be intact too.
    let receipt = Receipt::verify_text(&serde_json::to_string(&receipt)?)
        .map_err(|e| e.context(format!("the gate's receipt `{id}`")))?;
    if settings.json() {
        output::json(&receipt)?;
    } else {
        output::stdout(&timeline::render(&receipt))?;
    }
    Ok(0)
}
