//! `changeset doctor`: checks each configured part in the order a run uses them and prints
//! ✓ (works), ✗ (broken, with a hint) or – (skipped, with why). Exit 1 when anything is ✗.
//!
//! Every check is harmless: nothing is written to the source, no approval is requested, no
//! login is completed. Secrets are used (to prove they work) but never printed.

mod auth0;
mod check;
mod confidential;
mod discovery;
mod gate;
mod google;
mod local;
mod login;
mod roles;
mod tokens;

use serde::Serialize;

pub use check::{Check, Status};

use crate::cli::{DoctorArgs, GlobalArgs, ScopedArgs};
use crate::error::Result;
use crate::output;
use crate::settings::Settings;

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    checks: &'a [Check],
}

pub fn run(global: &GlobalArgs, scoped: &ScopedArgs, _args: &DoctorArgs) -> Result<u8> {
    let json = scoped.format.format == Some(crate::cli::Format::Json);
    let checks = match Settings::resolve(global, scoped) {
        Ok(settings) => all_checks(&settings),
        Err(e) => vec![
            Check::error("config", e),
            Check::skip("everything else", "needs a config file that loads"),
        ],
    };
    let ok = checks.iter().all(|c| c.status != Status::Fail);
    if json {
        output::json(&Report {
            ok,
            checks: &checks,
        })?;
    } else {
        output::stdout(&check::render(&checks))?;
    }
    Ok(if ok { 0 } else { 1 })
}

fn all_checks(settings: &Settings) -> Vec<Check> {
    let mut checks = vec![
        local::config(settings),
        local::data_dir(settings),
        local::audit_log(settings),
    ];
    checks.push(local::credential_store(settings));
    checks.extend(auth0::checks(settings));
    match settings.gate() {
        Ok(Some(_)) => checks.extend(google::gate_mode()),
        _ => checks.extend(google::checks(settings)),
    }
    checks.push(gate::check(settings));
    checks
}
