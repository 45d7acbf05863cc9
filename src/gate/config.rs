//! `gate.toml`: everything the gate alone holds. Read once at start-up and by
//! `changeset gate check-config`; every problem is reported at once as `FILE:LINE: message`, so
//! a broken config never half-starts a gate.
//!
//! Secrets never live in this file: each confidential client names an environment variable or a
//! 0600 file that holds its secret or private_key_jwt key. The rules file is pinned by path AND
//! sha256, so whoever can edit the rules file still cannot change what the gate enforces without
//! also changing this file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;

use crate::audit::Location;
use crate::audit::checkpoint::{self, SigningKey};
use crate::auth::client::{self, Alg, Confidential};
use crate::error::{Error, IoContext, Result};
use crate::policy::RuleSet;

/// Auth0 accepts `requested_expiry` from 1 s up to three days (email channel).
const MAX_EXPIRY_SECONDS: u64 = 259_200;

/// Who may approve a tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approver {
    /// The requester themself (the token's `sub`), e.g. on their phone for their agent's writes.
    Requester,
    /// A fixed Auth0 user id such as `auth0|alice`.
    Subject(String),
}

/// The approval policy of one tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierPolicy {
    pub approvers: Vec<Approver>,
    /// How many distinct subjects must approve.
    pub count: usize,
    /// The requester may not be one of the approvers.
    pub distinct_from_requester: bool,
    pub expiry_seconds: u64,
}

/// Where the gate's audit store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A checked gate configuration with its credentials loaded.
pub struct GateConfig {
    pub path: PathBuf,
    /// `https://tenant.eu.auth0.com` (plain http only on loopback), no trailing slash.
    pub tenant_url: String,
    /// The gate's API identifier: the `aud` of every access token it accepts.
    pub audience: String,
    pub ciba_client: Confidential,
    pub token_vault_client: Confidential,
    pub rules: RuleSet,
    pub rules_path: PathBuf,
    /// Tier -> policy, for every tier above the rules' auto-approve tier.
    pub tiers: BTreeMap<u8, TierPolicy>,
    /// Spreadsheet ids and CSV paths (CSV paths made absolute against the config's directory).
    pub allowed_sources: Vec<String>,
    /// `[sources] reader_token_env`: where the gate's Sheets reader token is read from.
    pub reader_token_env: Option<String>,
    pub signing_key: SigningKey,
    pub signing_key_path: PathBuf,
    pub audit: AuditUrl,
    pub notify: Vec<String>,
}

impl GateConfig {
    /// The audit store location.
    pub fn audit_location(&self) -> Location {
        match &self.audit {
            AuditUrl::Sqlite(dir) => Location::Sqlite(dir.clone()),
            AuditUrl::Postgres(url) => Location::Postgres(url.clone()),
        }
    }

    /// The issuer as Auth0 writes it (with the trailing slash): the `iss` of accepted tokens.
    pub fn issuer(&self) -> String {
        format!("{}/", self.tenant_url)
    }

    /// Reads and checks `path`, loading every credential it names.
    pub fn load(path: &Path) -> Result<GateConfig> {
        let text = std::fs::read_to_string(path).io_context("reading the gate config", path)?;
        let mut problems = Problems {
            origin: path.display().to_string(),
            text: &text,
            list: Vec::new(),
        };
        let config = check(path, &text, &mut problems);
        match config {
            Some(config) if problems.list.is_empty() => Ok(config),
            _ => Err(Error::input(format!(
                "the gate config {} has {} problem(s):\n{}",
                path.display(),
                problems.list.len(),
                problems
                    .list
                    .iter()
                    .map(|p| format!("  {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
            .hint(format!(
                "run `changeset gate check-config --config {}` after fixing it",
                path.display()
            ))),
        }
    }
}

/// Problems found so far, each rendered `FILE:LINE: message`.
struct Problems<'a> {
    origin: String,
    text: &'a str,
    list: Vec<String>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.text.as_bytes()[..offset.min(self.text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        self.list
            .push(format!("{}:{line}: {}", self.origin, message.into()));
    }

    /// Records the error of a step and turns it into None.
    fn take<T>(&mut self, offset: usize, result: Result<T>) -> Option<T> {
        result
            .map_err(|e| {
                let mut message = e.message;
                for hint in e.hints {
                    message.push_str(&format!(" (hint: {hint})"));
                }
                self.at(offset, message)
            })
            .ok()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tenant: TenantFile,
    clients: ClientsFile,
    rules: RulesFile,
    #[serde(default)]
    tiers: BTreeMap<String, Spanned<TierFile>>,
    sources: SourcesFile,
    signing: SigningFile,
    #[serde(default)]
    audit: AuditFile,
    #[serde(default)]
    notify: NotifyFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    domain: Spanned<String>,
    audience: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    ciba: Spanned<ClientFile>,
    token_vault: Spanned<ClientFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    client_id: String,
    secret_env: Option<String>,
    secret_file: Option<String>,
    key_env: Option<String>,
    key_file: Option<String>,
    alg: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    path: Spanned<String>,
    sha256: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierFile {
    approvers: Vec<String>,
    #[serde(default = "one")]
    count: usize,
    #[serde(default)]
    distinct_from_requester: bool,
    #[serde(default = "default_expiry")]
    expiry_seconds: u64,
}

fn one() -> usize {
    1
}

fn default_expiry() -> u64 {
    300
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    allow: Spanned<Vec<String>>,
    /// The environment variable holding the gate's own Google token for reading Sheets (a
    /// read-only service account's); never the requester's, so nothing is exchanged to plan.
    reader_token_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SigningFile {
    key: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AuditFile {
    url: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NotifyFile {
    recipients: Option<Spanned<Vec<String>>>,
}

/// Every check; None when something essential could not be built (the problems say why).
fn check(path: &Path, text: &str, p: &mut Problems<'_>) -> Option<GateConfig> {
    let file: File = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            p.at(offset, e.message().trim().to_string());
            return None;
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let relative = |s: &str| dir.join(s);

    let tenant_url = p.take(
        file.tenant.domain.span().start,
        crate::auth::base_url(file.tenant.domain.get_ref()),
    );
    let audience = audience_of(&file.tenant.audience, p);
    let (ciba_client, token_vault_client) = clients_of(&file.clients, &relative, p);

    let rules_path = relative(file.rules.path.get_ref());
    let rules = rules_of(&rules_path, &file.rules, p);

    let tiers = tiers_of(&file.tiers, rules.as_ref(), p);

    let allowed_sources = allowed_sources_of(&file.sources.allow, dir, p);

    let signing_key_path = relative(file.signing.key.get_ref());
    let signing_key = p
        .take(
            file.signing.key.span().start,
            checkpoint::read_signing_key(&signing_key_path),
        )
        .map(|k| (k, signing_key_path));

    let audit = match &file.audit.url {
        None => Some(AuditUrl::Sqlite(dir.to_path_buf())),
        Some(url) => audit_of(url, dir, p),
    };

    let notify = notify_of(&file.notify, p);

    let (signing_key, signing_key_path) = signing_key?;
    Some(GateConfig {
        path: path.to_path_buf(),
        tenant_url: tenant_url?,
        audience,
        ciba_client: ciba_client?,
        token_vault_client: token_vault_client?,
        rules: rules?,
        rules_path,
        tiers: tiers?,
        allowed_sources,
        reader_token_env: file.sources.reader_token_env.clone(),
        signing_key,
        signing_key_path,
        audit: audit?,
        notify,
    })
}

/// The gate's Auth0 API identifier, trimmed; an empty one is a problem.
fn audience_of(audience: &Spanned<String>, p: &mut Problems<'_>) -> String {
    let trimmed = audience.get_ref().trim().to_string();
    if trimmed.is_empty() {
        p.at(
            audience.span().start,
            "`audience` is empty: give the identifier of the gate's Auth0 API",
        );
    }
    trimmed
}

/// The CIBA client and the Token Vault client, which must be two applications.
fn clients_of(
    clients: &ClientsFile,
    relative: &dyn Fn(&str) -> PathBuf,
    p: &mut Problems<'_>,
) -> (Option<Confidential>, Option<Confidential>) {
    let ciba_client = client_of("clients.ciba", &clients.ciba, relative, p);
    let token_vault_client = client_of("clients.token_vault", &clients.token_vault, relative, p);
    if let (Some(a), Some(b)) = (&ciba_client, &token_vault_client)
        && a.client_id == b.client_id
    {
        p.at(
            clients.token_vault.span().start,
            "the CIBA client and the Token Vault client are the same application; Auth0 documents no client holding both grants (a first-party app with CIBA, and the Custom API Client linked to the gate's API)",
        );
    }
    (ciba_client, token_vault_client)
}

/// The `[sources] allow` entries, resolved against the config's directory; none is a problem.
fn allowed_sources_of(
    allow: &Spanned<Vec<String>>,
    dir: &Path,
    p: &mut Problems<'_>,
) -> Vec<String> {
    let allowed: Vec<String> = allow
        .get_ref()
        .iter()
        .map(|s| source_entry(s, dir))
        .collect();
    if allowed.is_empty() {
        p.at(
            allow.span().start,
            "`allow` is empty: the gate would refuse every source",
        );
    }
    allowed
}

/// The summary mail's recipients; each must look like an e-mail address.
fn notify_of(notify: &NotifyFile, p: &mut Problems<'_>) -> Vec<String> {
    let Some(recipients) = &notify.recipients else {
        return Vec::new();
    };
    for r in recipients.get_ref() {
        if !r.contains('@') || r.chars().any(|c| c.is_whitespace() || c.is_control()) {
            p.at(
                recipients.span().start,
                format!("`{r}` is not an e-mail address"),
            );
        }
    }
    recipients.get_ref().clone()
}

/// A CSV path is made absolute against the config's directory; anything without a path
/// separator or `.csv` is a spreadsheet id and kept as given.
fn source_entry(entry: &str, dir: &Path) -> String {
    let entry = entry.trim();
    if entry.contains('/') || entry.ends_with(".csv") {
        dir.join(entry).display().to_string()
    } else {
        entry.to_string()
    }
}

fn client_of(
    table: &str,
    spanned: &Spanned<ClientFile>,
    relative: &dyn Fn(&str) -> PathBuf,
    p: &mut Problems<'_>,
) -> Option<Confidential> {
    let at = spanned.span().start;
    let c = spanned.get_ref();
    if c.client_id.trim().is_empty() || c.client_id.chars().any(char::is_whitespace) {
        p.at(at, format!("[{table}] `client_id` is not a client id"));
        return None;
    }
    if let Err(why) = one_credential(table, c) {
        p.at(at, why);
        return None;
    }
    let alg = match alg_of(table, c) {
        Ok(alg) => alg,
        Err(why) => {
            p.at(at, why);
            return None;
        }
    };
    p.take(at, credential_of(table, c, alg, relative))
}

/// Exactly one place to read the credential from, so the gate never guesses which one wins.
fn one_credential(table: &str, c: &ClientFile) -> std::result::Result<(), String> {
    let given: Vec<&str> = [
        ("secret_env", &c.secret_env),
        ("secret_file", &c.secret_file),
        ("key_env", &c.key_env),
        ("key_file", &c.key_file),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| *k)
    .collect();
    if given.len() == 1 {
        return Ok(());
    }
    Err(format!(
        "[{table}] needs exactly one of secret_env, secret_file, key_env, key_file (found {})",
        if given.is_empty() {
            "none".to_string()
        } else {
            given.join(", ")
        }
    ))
}

/// The private-key JWT's algorithm (RS256 when not given).
fn alg_of(table: &str, c: &ClientFile) -> std::result::Result<Alg, String> {
    match c.alg.as_deref() {
        None => Ok(Alg::Rs256),
        Some(a) => Alg::parse(a)
            .ok_or_else(|| format!("[{table}] `alg`: `{a}` is not RS256, RS384 or PS256")),
    }
}

/// Reads the one credential `c` names (checked by `one_credential`) and builds the client.
fn credential_of(
    table: &str,
    c: &ClientFile,
    alg: Alg,
    relative: &dyn Fn(&str) -> PathBuf,
) -> Result<Confidential> {
    let from_env = |var: &str| {
        crate::env::var(var).ok_or_else(|| {
            Error::input(format!(
                "[{table}]: the environment variable {var} is not set"
            ))
            .hint("the gate reads the credential from it at start-up")
        })
    };
    let from_file = |file: &str| client::read_private(&format!("[{table}]"), &relative(file));
    let origin = format!("[{table}] key");
    if let Some(var) = &c.secret_env {
        from_env(var).map(|s| Confidential::with_secret(&c.client_id, SecretString::from(s)))
    } else if let Some(file) = &c.secret_file {
        from_file(file).map(|s| {
            Confidential::with_secret(&c.client_id, SecretString::from(s.trim().to_string()))
        })
    } else if let Some(var) = &c.key_env {
        from_env(var).and_then(|pem| Confidential::with_key_pem(&c.client_id, &pem, alg, &origin))
    } else {
        let file = c.key_file.as_deref().unwrap_or_default();
        from_file(file).and_then(|pem| Confidential::with_key_pem(&c.client_id, &pem, alg, &origin))
    }
}

fn rules_of(path: &Path, rules: &RulesFile, p: &mut Problems<'_>) -> Option<RuleSet> {
    let text = p.take(
        rules.path.span().start,
        std::fs::read_to_string(path).io_context("reading the rules file", path),
    )?;
    let pinned = rules.sha256.get_ref().trim();
    let pinned_hex = pinned.strip_prefix("sha256:").unwrap_or(pinned);
    let actual = crate::digest::sha256_prefixed(text.as_bytes());
    if !actual.ends_with(pinned_hex) || pinned_hex.len() != 64 {
        p.at(
            rules.sha256.span().start,
            format!(
                "the rules file {} has sha256 {actual}, not the pinned {pinned}: the gate enforces only the rules it was configured with (update `sha256` after reviewing the change)",
                path.display()
            ),
        );
        return None;
    }
    p.take(
        rules.path.span().start,
        RuleSet::parse(&text, &path.display().to_string()),
    )
}

fn tiers_of(
    tiers: &BTreeMap<String, Spanned<TierFile>>,
    rules: Option<&RuleSet>,
    p: &mut Problems<'_>,
) -> Option<BTreeMap<u8, TierPolicy>> {
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (key, spanned) in tiers {
        let at = spanned.span().start;
        let t = spanned.get_ref();
        let Some(tier) = key.parse::<u8>().ok().filter(|t| (1..=3).contains(t)) else {
            p.at(at, format!("[tiers.{key}]: tiers are 1, 2 or 3"));
            ok = false;
            continue;
        };
        match policy_of(tier, t) {
            Ok(policy) => {
                out.insert(tier, policy);
            }
            Err(why) => {
                p.at(at, format!("[tiers.{tier}]: {why}"));
                ok = false;
            }
        }
    }
    if let Some(rules) = rules {
        for tier in rules.auto_approve_max_tier + 1..=3 {
            if !out.contains_key(&tier) && !tiers.contains_key(&tier.to_string()) {
                p.at(
                    0,
                    format!(
                        "no [tiers.{tier}] policy, and the rules approve only tiers up to {} automatically",
                        rules.auto_approve_max_tier
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn policy_of(tier: u8, t: &TierFile) -> std::result::Result<TierPolicy, String> {
    let mut approvers = Vec::new();
    for a in &t.approvers {
        let a = a.trim();
        let approver = match a {
            "requester" => Approver::Requester,
            _ if a.is_empty() || a.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(format!("`{a}` is not an Auth0 user id"));
            }
            _ => Approver::Subject(a.to_string()),
        };
        if approvers.contains(&approver) {
            return Err(format!("`{a}` is listed twice"));
        }
        approvers.push(approver);
    }
    if t.distinct_from_requester && approvers.contains(&Approver::Requester) {
        return Err("`requester` is an approver but distinct_from_requester = true".to_string());
    }
    if t.count == 0 || t.count > approvers.len() {
        return Err(format!(
            "count = {} but {} approver(s) are listed",
            t.count,
            approvers.len()
        ));
    }
    // Tier 3 must be stronger than tier 2; the gate has no typed phrase, so
    // that means two different people.
    if tier == 3 && t.count < 2 {
        return Err("tier 3 needs count = 2 or more (two distinct approvers)".to_string());
    }
    if !(1..=MAX_EXPIRY_SECONDS).contains(&t.expiry_seconds) {
        return Err(format!(
            "expiry_seconds = {} is outside 1..={MAX_EXPIRY_SECONDS}",
            t.expiry_seconds
        ));
    }
    Ok(TierPolicy {
        approvers,
        count: t.count,
        distinct_from_requester: t.distinct_from_requester,
        expiry_seconds: t.expiry_seconds,
    })
}

fn audit_of(url: &Spanned<String>, dir: &Path, p: &mut Problems<'_>) -> Option<AuditUrl> {
    let text = url.get_ref().trim();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Some(AuditUrl::Postgres(text.to_string()))
    } else if let Some(path) = text.strip_prefix("sqlite:") {
        Some(AuditUrl::Sqlite(dir.join(path.trim_start_matches("//"))))
    } else {
        p.at(
            url.span().start,
            format!("`{text}` is not sqlite:DIRECTORY or a postgres:// URL"),
        );
        None
    }
}
