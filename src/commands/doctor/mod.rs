//! `changeset doctor`: checks each configured part in the order a run uses them and prints
//! ✓ (works), ✗ (broken, with a hint) or – (skipped, with why). Exit 1 when anything is ✗.
//!
//! Every check is harmless: nothing is written to the source, no approval is requested, no
//! login is completed. Secrets are used (to prove they work) but never printed.

mod auth0;
mod google;
mod local;

use serde::Serialize;

use crate::cli::{DoctorArgs, GlobalArgs, ScopedArgs};
use crate::error::{Error, Result};
use crate::output;
use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Fail,
    Skip,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Fail => "✗",
            Status::Skip => "–",
        }
    }
}

/// One line of the report.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Ok,
            detail: detail.into(),
            hints: Vec::new(),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            hints: vec![hint.into()],
        }
    }

    fn skip(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skip,
            detail: detail.into(),
            hints: Vec::new(),
        }
    }

    /// A failed step, with the error's own message and hints.
    fn error(name: &'static str, err: Error) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: err.message,
            hints: err.hints,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hints.push(hint.into());
        self
    }
}

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
        output::stdout(&render(&checks))?;
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
    checks.push(local::gate(settings));
    checks
}

fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!(
            "{} {:width$}  {}\n",
            c.status.mark(),
            c.name,
            c.detail
        ));
        for h in &c.hints {
            out.push_str(&format!("  {:width$}  hint: {h}\n", ""));
        }
    }
    out
}
