//! The sources the gate may touch, and the tokens it touches them with.
//!
//! A source must be on `[sources] allow` (spreadsheet ids, CSV paths): anything else is refused
//! before it is opened. A Sheets source reads with the gate's own reader token
//! (`[sources] reader_token_env`) and writes with the REQUESTER's Google identity: the
//! requester's access token (the one they called the gate with), exchanged at Token Vault by the
//! gate's Custom API Client, only once the approvals are in.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::config::GateConfig;
use crate::auth::Tenant;
use crate::auth::vault::{self, Exchange, FederatedToken, UserToken, VaultTokens};
use crate::catalog::{ColumnNames, SourceRef, SourceSpec};
use crate::error::{Error, Result};
use crate::google::token::{Agent, EnvToken, GoogleToken, TokenSource};
use crate::source::{self, Source};

/// A source the allow-list does not name.
#[derive(Debug)]
pub struct NotAllowed(pub String);

/// The spec of a source named as `--source` spells it (`sheets:ID[/TAB]` or a CSV path), if the
/// allow-list names it; relative CSV paths are taken against the config's directory.
pub fn allowed_text(
    config: &GateConfig,
    text: &str,
) -> std::result::Result<SourceSpec, NotAllowed> {
    let spec = SourceSpec::parse(text).map_err(|e| NotAllowed(e.message))?;
    let spec = match spec {
        SourceSpec::Csv(path) => SourceSpec::Csv(absolute(config, &path)),
        sheets => sheets,
    };
    check(config, spec)
}

/// The spec of a plan's recorded source, if the allow-list names it.
pub fn allowed_ref(
    config: &GateConfig,
    source: &SourceRef,
) -> std::result::Result<SourceSpec, NotAllowed> {
    let spec = match source.kind.as_str() {
        "csv" if source.tab.is_none() => SourceSpec::Csv(PathBuf::from(&source.uri)),
        "sheets" => {
            let text = match &source.tab {
                Some(tab) => format!("sheets:{}/{tab}", source.uri),
                None => format!("sheets:{}", source.uri),
            };
            match SourceSpec::parse(&text) {
                Ok(spec @ SourceSpec::Sheets { .. }) => spec,
                _ => {
                    return Err(NotAllowed(format!(
                        "`{}` is not a spreadsheet id",
                        source.uri
                    )));
                }
            }
        }
        other => {
            return Err(NotAllowed(format!(
                "`{}` is not a source kind the gate knows",
                crate::escape::escape(other)
            )));
        }
    };
    check(config, spec)
}

/// The default source: the allow-list's first entry.
pub fn first_allowed(config: &GateConfig) -> std::result::Result<SourceSpec, NotAllowed> {
    let first = config
        .allowed_sources
        .first()
        .ok_or_else(|| NotAllowed("the gate allows no source".into()))?;
    if first.contains('/') || first.ends_with(".csv") {
        check(config, SourceSpec::Csv(PathBuf::from(first)))
    } else {
        allowed_text(config, &format!("sheets:{first}"))
    }
}

fn absolute(config: &GateConfig, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        config.path.parent().unwrap_or(Path::new(".")).join(path)
    }
}

/// CSV paths are compared after resolving `..` and links, so `/allowed/../secret.csv` is not
/// `/allowed/…`.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn check(config: &GateConfig, spec: SourceSpec) -> std::result::Result<SourceSpec, NotAllowed> {
    let allowed = match &spec {
        SourceSpec::Csv(path) => config
            .allowed_sources
            .iter()
            .any(|a| same_file(Path::new(a), path)),
        SourceSpec::Sheets { spreadsheet_id, .. } => {
            config.allowed_sources.iter().any(|a| a == spreadsheet_id)
        }
    };
    if allowed {
        Ok(spec)
    } else {
        let shown = match &spec {
            SourceSpec::Csv(path) => path.display().to_string(),
            SourceSpec::Sheets { spreadsheet_id, .. } => format!("sheets:{spreadsheet_id}"),
        };
        Err(NotAllowed(format!(
            "the source `{}` is not on the gate's allow-list",
            crate::escape::escape(&shown)
        )))
    }
}

/// Opens an allowed source. `requester` is the requester's access token for the writer's
/// exchange: None to read only (planning, re-deriving), when no write credential may exist.
pub fn open(
    config: &GateConfig,
    spec: &SourceSpec,
    requester: Option<(String, SecretString)>,
) -> Result<Box<dyn Source>> {
    source::open(spec, ColumnNames::default(), tokens(config, requester))
}

/// The gate's Google tokens: its own reader token, and the requester's Google identity through
/// Token Vault when `requester` (their `sub` and access token) is given.
pub fn tokens(
    config: &GateConfig,
    requester: Option<(String, SecretString)>,
) -> Box<dyn TokenSource> {
    Box::new(GateTokens {
        reader: config
            .reader_token_env
            .as_deref()
            .and_then(crate::env::var)
            .map(|t| EnvToken::new(SecretString::from(t.trim().to_string()))),
        reader_var: config.reader_token_env.clone(),
        writer: requester.map(|(sub, token)| {
            VaultTokens::new(RequesterExchange {
                tenant: Tenant {
                    base_url: config.tenant_url.clone(),
                    client_id: config.token_vault_client.client_id.clone(),
                    audience: Some(config.audience.clone()),
                },
                client: config.token_vault_client.clone(),
                sub,
                token,
            })
        }),
    })
}

/// The requester's access token, exchanged by the gate's Custom API Client.
struct RequesterExchange {
    tenant: Tenant,
    client: crate::auth::client::Confidential,
    sub: String,
    token: SecretString,
}

impl Exchange for RequesterExchange {
    fn user_token(&mut self) -> Result<UserToken> {
        Ok(UserToken {
            token: self.token.clone(),
            sub: Some(self.sub.clone()),
        })
    }

    fn exchange(&mut self, subject: &SecretString) -> Result<FederatedToken> {
        crate::net::block_on(vault::exchange_async(
            &self.tenant,
            &self.client,
            subject,
            vault::GOOGLE_CONNECTION,
        ))
    }
}

/// The reader reads with the gate's token; the writer and the notifier get the requester's
/// Google token from Token Vault, and only when the gate was handed the requester's token
/// (after approval).
struct GateTokens {
    reader: Option<EnvToken>,
    reader_var: Option<String>,
    writer: Option<VaultTokens<RequesterExchange>>,
}

impl TokenSource for GateTokens {
    fn fetch(&mut self, agent: Agent) -> Result<GoogleToken> {
        match agent {
            Agent::Reader => match &mut self.reader {
                Some(reader) => reader.fetch(agent),
                None => Err(Error::needs_auth(match &self.reader_var {
                    Some(var) => format!("the gate's reader token ({var}) is not set"),
                    None => "the gate has no reader token for Sheets ([sources] reader_token_env)"
                        .to_string(),
                })),
            },
            Agent::Writer | Agent::Notifier => match &mut self.writer {
                Some(writer) => writer.fetch(agent),
                None => Err(Error::needs_auth(
                    "no write credential before every approval is in",
                )),
            },
        }
    }

    fn renewable(&self) -> bool {
        false
    }

    fn refused_hint(&self) -> String {
        "the gate's reader token, or the requester's Google connection, was refused".into()
    }
}
