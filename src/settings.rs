//! Resolved settings: command-line arguments > environment > config file > defaults, validated
//! once. Commands receive a [`Settings`], never raw arguments for these concerns.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::catalog::{ColumnNames, Field, SourceRef, SourceSpec};
use crate::cli::{Format, GlobalArgs, ScopedArgs};
use crate::env;
use crate::error::{Error, IoContext, Result};

/// The config file (`changeset.toml`). Unknown keys are errors, so typos do not pass silently.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub source: Option<String>,
    pub rules: Option<PathBuf>,
    /// Header names for the logical columns (`sku = "SKU"`, `base_price = "Price"`, ...).
    #[serde(default)]
    pub columns: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub auth0: crate::auth::Auth0Config,
    #[serde(default)]
    pub approval: ApprovalConfig,
    #[serde(default)]
    pub notify: NotifyConfig,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub gate: GateConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// A shared audit log (`postgres://…`); default the data directory's `audit.db`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// Base URL of the approval gate (`changeset gate serve`); CHANGESET_GATE_URL wins. Set, the
    /// CLI is in gate mode: `plan` and `apply` go to the gate.
    pub url: Option<String>,
    /// The gate's API identifier (Auth0 audience) that `login` asks for in gate mode;
    /// CHANGESET_GATE_AUDIENCE wins; default the `[auth0]` audience.
    pub audience: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalConfig {
    /// `tty` or `ciba` (default: ciba when Auth0 is configured, else tty).
    pub method: Option<crate::policy::ApprovalMethod>,
    /// Approver user ids (Auth0 `sub`); default the logged-in user.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Tier 3: `two_approvers` or `approver_and_phrase` (default: two approvers when two are configured).
    pub tier3: Option<crate::policy::Tier3>,
    /// How Auth0 reaches the approver: `push` (Guardian, the default) or `email`.
    pub channel: Option<Channel>,
    /// Seconds an out-of-band approval may take (tier 2; tier 3 gets half): 1-300 for a push,
    /// 301-259200 for an e-mail (Auth0 picks the channel from this number).
    pub expiry_seconds: Option<u64>,
    /// Also send Rich Authorization Request details (plan hash, source, tier, counts, the first
    /// changes) and require the token response to echo the plan hash.
    #[serde(default)]
    pub rich_details: bool,
}

/// The CIBA notification channel. Auth0 chooses it from `requested_expiry` alone: up to 300 s
/// is a Guardian push, 301-259200 s an e-mail with a link, so the two ranges never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Push,
    Email,
}

impl Channel {
    /// The expiries Auth0 serves on this channel, and the default.
    fn range(self) -> (std::ops::RangeInclusive<u64>, u64) {
        match self {
            Channel::Push => (1..=300, 300),
            Channel::Email => (301..=259_200, 3600),
        }
    }
}

impl ApprovalConfig {
    /// The `requested_expiry` of an approval request; a stronger (tier 3) approval gets half
    /// the time, kept within the channel's range.
    pub fn expiry(&self, stronger: bool) -> u64 {
        let (range, default) = self.channel.unwrap_or_default().range();
        let expiry = self.expiry_seconds.unwrap_or(default);
        if stronger {
            (expiry / 2).max(*range.start())
        } else {
            expiry
        }
    }

    /// Refuses an expiry the channel cannot have (checked when the config is loaded).
    fn check(&self) -> Result<()> {
        let channel = self.channel.unwrap_or_default();
        let (range, _) = channel.range();
        match self.expiry_seconds {
            Some(e) if !range.contains(&e) => {
                let err = Error::input(format!(
                    "config: approval.expiry_seconds = {e} is outside {}-{} for the {} channel",
                    range.start(),
                    range.end(),
                    if channel == Channel::Push {
                        "push"
                    } else {
                        "email"
                    }
                ));
                Err(match channel {
                    Channel::Push if e > 300 => err
                        .hint("above 300 s Auth0 sends an e-mail instead of a push: set approval.channel = \"email\" (up to 259200 s), or at most 300"),
                    Channel::Email if e <= 300 => err
                        .hint("at 300 s or less Auth0 sends a Guardian push: remove approval.channel, or give more than 300"),
                    _ => err,
                })
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// E-mail recipients of the apply summary; none means no e-mail.
    #[serde(default)]
    pub recipients: Vec<String>,
}

/// Everything a command needs to know about how it was invoked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    pub yes: bool,
    /// True only when stdin and stderr are terminals and neither --no-input, CHANGESET_NO_INPUT nor CI is set.
    pub can_prompt: bool,
    source: Option<String>,
    pub rules_path: Option<PathBuf>,
    pub data_dir: PathBuf,
    /// The config file that was loaded, if any.
    pub config_path: Option<PathBuf>,
    pub columns: ColumnNames,
    pub config: Config,
}

impl Settings {
    pub fn resolve(args: &GlobalArgs, scoped: &ScopedArgs) -> Result<Settings> {
        let config_path = args.config.clone().or_else(|| {
            let default = default_data_dir().join("changeset.toml");
            default.exists().then_some(default)
        });
        let mut config = match &config_path {
            Some(path) => load_config(path)?,
            None => Config::default(),
        };
        // In gate mode the login is for the gate's API, whatever the tenant's default audience.
        if gate_url(&config).is_some() {
            config.auth0.required_audience =
                env::var(env::GATE_AUDIENCE).or_else(|| config.gate.audience.clone());
        }
        let mut columns = ColumnNames::default();
        for (key, header) in &config.columns {
            let field = Field::ALL
                .into_iter()
                .find(|f| f.config_key() == key)
                .ok_or_else(|| {
                    Error::input(format!("config: unknown column `{key}` in [columns]")).hint(
                        format!(
                            "known columns: {}",
                            Field::ALL.map(|f| f.config_key()).join(", ")
                        ),
                    )
                })?;
            columns.set(field, header.clone());
        }
        let no_input = scoped.no_input.no_input || env::flag(env::NO_INPUT) || env::flag(env::CI);
        let can_prompt =
            !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let data_dir = env::var(env::DATA_DIR)
            .map(PathBuf::from)
            .unwrap_or_else(default_data_dir);
        Ok(Settings {
            format: scoped.format.format.unwrap_or(Format::Text),
            quiet: args.quiet,
            verbose: args.verbose,
            yes: scoped.yes.yes,
            can_prompt,
            source: scoped
                .source
                .source
                .clone()
                .or_else(|| config.source.clone()),
            rules_path: scoped.rules.rules.clone().or_else(|| config.rules.clone()),
            data_dir,
            columns,
            config_path,
            config,
        })
    }

    /// Where the audit store is: CHANGESET_AUDIT_URL, else `[audit] url`, else the data
    /// directory's `audit.db`.
    pub fn audit_location(&self) -> crate::audit::Location {
        match env::var(env::AUDIT_URL).or_else(|| self.config.audit.url.clone()) {
            Some(url) => crate::audit::Location::Postgres(url),
            None => crate::audit::Location::Sqlite(self.data_dir.clone()),
        }
    }

    /// Where the login is found: the `[auth0]` table and the data directory.
    pub fn login(&self) -> crate::auth::Login {
        crate::auth::Login {
            auth0: self.config.auth0.clone(),
            data_dir: self.data_dir.clone(),
        }
    }

    /// The key that signs audit checkpoints: CHANGESET_AUDIT_SIGNING_KEY, else
    /// `audit-signing.key` in the data directory.
    pub fn audit_signing_key(&self) -> PathBuf {
        env::var(env::AUDIT_SIGNING_KEY)
            .map(PathBuf::from)
            .unwrap_or_else(|| self.data_dir.join("audit-signing.key"))
    }

    /// The approval gate's base URL when the CLI is in gate mode (CHANGESET_GATE_URL, else
    /// `[gate] url`): https, or plain http only on a loopback address.
    pub fn gate(&self) -> Result<Option<String>> {
        let Some(url) = gate_url(&self.config) else {
            return Ok(None);
        };
        let url = url.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&url).ok();
        let https = parsed
            .as_ref()
            .is_some_and(|u| u.scheme() == "https" && u.host().is_some());
        if https || crate::net::is_loopback_http(&url) {
            return Ok(Some(url));
        }
        Err(Error::input(format!(
            "{} `{}` is not an https URL (plain http only on a loopback address)",
            env::GATE_URL,
            crate::escape::escape(&url)
        ))
        .hint("give the gate's https:// base URL, or `url` in [gate]"))
    }

    /// The source as named (flag, environment or config), unparsed; None when not named.
    pub fn source_text(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// True when a source was named (flag, environment or config), not defaulted.
    pub fn source_given(&self) -> bool {
        self.source.is_some()
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// The source a plan or receipt was made for, checked like `--source`. It must be the source
    /// the settings select (flag, environment, config or ./catalog.csv): a plan for another source
    /// is refused unless `--source` names that source explicitly.
    pub fn source_of(&self, recorded: &SourceRef) -> Result<SourceSpec> {
        let shown = crate::escape::escape(&recorded.uri);
        let spec = recorded_spec(recorded)?;
        let configured = match self.source() {
            Ok(c) => c,
            // Nothing configured: the recorded source is the only one named.
            Err(_) if !self.source_given() => return Ok(spec),
            Err(e) => return Err(e),
        };
        if !same_source(&configured, &spec) {
            let name = match &spec {
                SourceSpec::Csv(p) => p.display().to_string(),
                SourceSpec::Sheets {
                    spreadsheet_id,
                    tab,
                } => format!("sheets:{spreadsheet_id}/{}", tab.as_deref().unwrap_or("")),
            };
            return Err(Error::input(format!(
                "this was made for {} `{shown}`, not for the configured source",
                recorded.kind
            ))
            .hint(format!(
                "to use the source it was made for, name it: --source {}",
                crate::escape::escape(&name)
            )));
        }
        Ok(spec)
    }

    /// The source to read: --source, CHANGESET_SOURCE, the config's `source`, else `catalog.csv`
    /// in the current directory when it exists.
    pub fn source(&self) -> Result<SourceSpec> {
        match &self.source {
            Some(s) => SourceSpec::parse(s),
            None if Path::new("catalog.csv").exists() => Ok(SourceSpec::Csv(PathBuf::from("catalog.csv"))),
            None => Err(Error::input("no catalog source given, and there is no catalog.csv here").hint(
                "pass --source PATH (a CSV file) or --source sheets:<spreadsheet-id>, or set CHANGESET_SOURCE",
            )),
        }
    }
}

/// The source a plan or receipt recorded, as a spec; an error when the record is malformed.
fn recorded_spec(recorded: &SourceRef) -> Result<SourceSpec> {
    let shown = crate::escape::escape(&recorded.uri);
    let malformed = || {
        Error::input(format!(
            "the recorded source `{shown}` ({}) is not a valid source",
            crate::escape::escape(&recorded.kind)
        ))
        .hint("the file was edited or is not from changeset; plan again")
    };
    let spec = match recorded.kind.as_str() {
        "csv" if recorded.tab.is_none() && !recorded.uri.starts_with("sheets:") => {
            SourceSpec::parse(&recorded.uri).map_err(|_| malformed())?
        }
        "sheets" => {
            let text = format!(
                "sheets:{}/{}",
                recorded.uri,
                recorded.tab.as_deref().unwrap_or("")
            );
            match SourceSpec::parse(&text).map_err(|_| malformed())? {
                SourceSpec::Sheets {
                    spreadsheet_id,
                    tab,
                } if spreadsheet_id == recorded.uri && tab == recorded.tab => SourceSpec::Sheets {
                    spreadsheet_id,
                    tab,
                },
                _ => return Err(malformed()),
            }
        }
        _ => return Err(malformed()),
    };
    Ok(spec)
}

/// Whether the configured source is the recorded one (a spreadsheet named without a tab means
/// its first tab, which the record names).
fn same_source(configured: &SourceSpec, recorded: &SourceSpec) -> bool {
    match (configured, recorded) {
        (SourceSpec::Csv(a), SourceSpec::Csv(b)) => {
            let a = std::fs::canonicalize(a).ok();
            a.is_some() && a == std::fs::canonicalize(b).ok()
        }
        // A spreadsheet named without a tab means its first tab, which the plan recorded.
        (
            SourceSpec::Sheets {
                spreadsheet_id: a,
                tab: None,
            },
            SourceSpec::Sheets {
                spreadsheet_id: b, ..
            },
        ) => a == b,
        (a, b) => a == b,
    }
}

/// CHANGESET_GATE_URL, else the config's `[gate] url` (unchecked).
fn gate_url(config: &Config) -> Option<String> {
    env::var(env::GATE_URL).or_else(|| config.gate.url.clone())
}

fn load_config(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).io_context("reading the config file", path)?;
    let config: Config = toml::from_str(&text).map_err(|e| {
        // Where: the line and its text, so a typo in a value names its key too.
        let at = e.span().map_or(String::new(), |span| {
            let line = text[..span.start].matches('\n').count() + 1;
            let shown = text.lines().nth(line - 1).unwrap_or("").trim();
            format!(":{line} (`{shown}`)")
        });
        Error::input(format!(
            "config file `{}`{at}: {}",
            path.display(),
            e.message().trim()
        ))
    })?;
    config.approval.check()?;
    Ok(config)
}

/// `$XDG_DATA_HOME/changeset`, `~/.local/share/changeset`, or the platform equivalent.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = env::var("XDG_DATA_HOME") {
        return PathBuf::from(xdg).join("changeset");
    }
    let home = env::var("HOME")
        .or_else(|| env::var("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    if cfg!(target_os = "macos") {
        home.join("Library/Application Support/changeset")
    } else if cfg!(windows) {
        env::var("APPDATA")
            .map(PathBuf::from)
            .unwrap_or(home)
            .join("changeset")
    } else {
        home.join(".local/share/changeset")
    }
}
