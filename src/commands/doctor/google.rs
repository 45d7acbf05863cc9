//! The Google side: Token Vault hands each agent a token that covers its scope, the source
//! reads with the configured column mapping, and the notifier may send mail when recipients
//! are set. Reads only; nothing is written or sent.

use super::Check;
use super::tokens::tokens;
use crate::catalog::SourceSpec;
use crate::env;
use crate::google::token::Agent;
use crate::policy::RuleSet;
use crate::settings::Settings;

pub fn checks(settings: &Settings) -> Vec<Check> {
    let spec = settings.source();
    let sheets = matches!(spec, Ok(SourceSpec::Sheets { .. }));
    let agents: &[Agent] = if sheets {
        &[Agent::Reader, Agent::Writer]
    } else {
        &[]
    };
    vec![
        tokens(
            "Token Vault",
            settings,
            agents,
            "the source is not a Google Sheet",
        ),
        source(settings, spec),
        rules(settings),
        tokens(
            "Gmail",
            settings,
            if settings.config.notify.recipients.is_empty() {
                &[]
            } else {
                &[Agent::Notifier]
            },
            "no e-mail recipients ([notify] recipients in the config file)",
        ),
    ]
}

/// In gate mode the gate alone reads, writes and notifies, with its own credentials and rules:
/// nothing here fetches a Google token or reads the source.
pub fn gate_mode() -> Vec<Check> {
    let why = "gate mode: the gate holds the Google access and the rules";
    ["Token Vault", "source", "rules", "Gmail"]
        .into_iter()
        .map(|name| Check::skip(name, why))
        .collect()
}

fn source(settings: &Settings, spec: crate::error::Result<SourceSpec>) -> Check {
    const NAME: &str = "source";
    let spec = match spec {
        Ok(s) => s,
        Err(_) if !settings.source_given() => {
            return Check::skip(NAME, "none configured, and no catalog.csv here").hint(format!(
                "pass --source (a CSV path or sheets:<spreadsheet-id>), set {}, or `source` in the config file",
                env::SOURCE
            ));
        }
        Err(e) => return Check::error(NAME, e),
    };
    let read = crate::commands::context::open_source(settings, &spec).and_then(|mut s| {
        let catalog = s.read()?;
        Ok((s.describe(), catalog))
    });
    match read {
        Ok((described, catalog)) => Check::ok(
            NAME,
            format!(
                "{} {}: {} rows; the columns match the mapping",
                described.kind,
                described.uri,
                catalog.rows.len()
            ),
        ),
        Err(e) => Check::error(NAME, e),
    }
}

fn rules(settings: &Settings) -> Check {
    const NAME: &str = "rules";
    match RuleSet::load(settings.rules_path.as_deref()) {
        Ok(_) => Check::ok(
            NAME,
            match &settings.rules_path {
                Some(p) => format!("{} loads", p.display()),
                None => "the embedded default rules".to_string(),
            },
        ),
        Err(e) => Check::error(NAME, e),
    }
}
