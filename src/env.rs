//! Every environment variable `changeset` reads, named and documented once.
//!
//! Flags that CI needs take their value from these through clap's `env = ...`; everything else
//! reads them through [`var`]. The README's table lists the same names (a test keeps it honest).

/// Same as `--source`: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`.
pub const SOURCE: &str = "CHANGESET_SOURCE";
/// Same as `--rules`: the rules file (default: the embedded `rules/default.toml`).
pub const RULES: &str = "CHANGESET_RULES";
/// Same as `--config`: the config file (default: `changeset.toml` in the data directory).
pub const CONFIG: &str = "CHANGESET_CONFIG";
/// Audit database, journal and credential file (default: the platform data directory).
pub const DATA_DIR: &str = "CHANGESET_DATA_DIR";
/// Same as `--no-input`: never prompt.
pub const NO_INPUT: &str = "CHANGESET_NO_INPUT";
/// Same as `--format`: `text` or `json`.
pub const FORMAT: &str = "CHANGESET_FORMAT";
/// Log filter for `-v` style logs on stderr (tracing's env-filter syntax).
pub const LOG: &str = "CHANGESET_LOG";
/// Fixes "now" (RFC 3339) for reproducible plans, receipts and tests.
pub const NOW: &str = "CHANGESET_NOW";
/// A measured stress level (0-1) of the person applying, like `--fact user_stress_level=X`.
pub const USER_STRESS_LEVEL: &str = "CHANGESET_USER_STRESS_LEVEL";
/// Set by CI systems; like `--no-input`.
pub const CI: &str = "CI";

/// Auth0 tenant: a host name (`tenant.eu.auth0.com`) or, for tests, a full `http://127.0.0.1:PORT` URL.
pub const AUTH0_DOMAIN: &str = "CHANGESET_AUTH0_DOMAIN";
/// Public Native application used for device login and refresh.
pub const CLIENT_ID: &str = "CHANGESET_CLIENT_ID";
/// API audience requested at login.
pub const AUDIENCE: &str = "CHANGESET_AUDIENCE";
/// Refresh token for CI; beats every credential store.
pub const REFRESH_TOKEN: &str = "CHANGESET_REFRESH_TOKEN";
/// Where `login` keeps the refresh token: `keychain` or `file` (same as `--credential-store`).
pub const CREDENTIAL_STORE: &str = "CHANGESET_CREDENTIAL_STORE";
/// Confidential application used for CIBA and Token Vault exchanges.
pub const CONFIDENTIAL_CLIENT_ID: &str = "CHANGESET_CONFIDENTIAL_CLIENT_ID";
/// Secret of the confidential application (environment only, never a file in the repo).
pub const CLIENT_SECRET: &str = "CHANGESET_CLIENT_SECRET";
/// PEM private key for private_key_jwt client authentication of the confidential application.
pub const CLIENT_ASSERTION_KEY: &str = "CHANGESET_CLIENT_ASSERTION_KEY";
/// Signing algorithm of the private_key_jwt assertion: RS256 (default), RS384 or PS256.
pub const CLIENT_ASSERTION_ALG: &str = "CHANGESET_CLIENT_ASSERTION_ALG";
/// The first-party confidential application with the CIBA grant (else the confidential one).
pub const CIBA_CLIENT_ID: &str = "CHANGESET_CIBA_CLIENT_ID";
pub const CIBA_CLIENT_SECRET: &str = "CHANGESET_CIBA_CLIENT_SECRET";
pub const CIBA_CLIENT_ASSERTION_KEY: &str = "CHANGESET_CIBA_CLIENT_ASSERTION_KEY";
pub const CIBA_CLIENT_ASSERTION_ALG: &str = "CHANGESET_CIBA_CLIENT_ASSERTION_ALG";
/// The Custom API Client linked to the API audience, with the Token Vault grant (else the
/// confidential one).
pub const TOKEN_VAULT_CLIENT_ID: &str = "CHANGESET_TOKEN_VAULT_CLIENT_ID";
pub const TOKEN_VAULT_CLIENT_SECRET: &str = "CHANGESET_TOKEN_VAULT_CLIENT_SECRET";
pub const TOKEN_VAULT_CLIENT_ASSERTION_KEY: &str = "CHANGESET_TOKEN_VAULT_CLIENT_ASSERTION_KEY";
pub const TOKEN_VAULT_CLIENT_ASSERTION_ALG: &str = "CHANGESET_TOKEN_VAULT_CLIENT_ASSERTION_ALG";

/// A Google access token that replaces the Token Vault exchange (CI, service accounts).
pub const GOOGLE_ACCESS_TOKEN: &str = "CHANGESET_GOOGLE_ACCESS_TOKEN";
/// Base URL of the Sheets API (default `https://sheets.googleapis.com`).
pub const SHEETS_API_URL: &str = "CHANGESET_SHEETS_API_URL";
/// Base URL of the Gmail API (default `https://gmail.googleapis.com`).
pub const GMAIL_API_URL: &str = "CHANGESET_GMAIL_API_URL";
/// Seconds one Google API request may take (default 30 for reads, 200 for writes).
pub const HTTP_TIMEOUT: &str = "CHANGESET_HTTP_TIMEOUT";
/// Seconds one Google API operation may take with its retries (default 300).
pub const HTTP_DEADLINE: &str = "CHANGESET_HTTP_DEADLINE";

/// Optional model-backed parser: an OpenAI-compatible chat-completions base URL.
pub const LLM_URL: &str = "CHANGESET_LLM_URL";
/// Model name for `--parser llm`.
pub const LLM_MODEL: &str = "CHANGESET_LLM_MODEL";
/// API key for `--parser llm`.
pub const LLM_API_KEY: &str = "CHANGESET_LLM_API_KEY";

/// A shared audit log: `postgres://user@host/db?sslmode=require` (default: `audit.db` in the data directory).
pub const AUDIT_URL: &str = "CHANGESET_AUDIT_URL";
/// The Ed25519 key file (0600) that signs audit checkpoints (default `audit-signing.key` in the data directory).
pub const AUDIT_SIGNING_KEY: &str = "CHANGESET_AUDIT_SIGNING_KEY";

/// Base URL of the approval gate (same as `url` in the config's `[gate]` table).
pub const GATE_URL: &str = "CHANGESET_GATE_URL";
/// The gate's API identifier, which `login` asks for in gate mode (same as `audience` in
/// `[gate]`; default the tenant's `CHANGESET_AUDIENCE`).
pub const GATE_AUDIENCE: &str = "CHANGESET_GATE_AUDIENCE";

/// Every variable with a one-line description, for `--help` and the README check.
pub const ALL: &[(&str, &str)] = &[
    (
        GATE_URL,
        "approval gate base URL: plan and apply go to the gate (gate mode)",
    ),
    (
        GATE_AUDIENCE,
        "the gate's API audience that login asks for in gate mode",
    ),
    (
        SOURCE,
        "catalog source: a CSV path or sheets:<spreadsheet-id>[/<tab>]",
    ),
    (
        RULES,
        "rules file (default: the embedded rules/default.toml)",
    ),
    (CONFIG, "config file"),
    (DATA_DIR, "audit database, journal and credential file"),
    (NO_INPUT, "never prompt (also when CI is set)"),
    (FORMAT, "output format: text or json"),
    (LOG, "log filter for stderr logs"),
    (NOW, "fixed current time (RFC 3339), for reproducible runs"),
    (
        USER_STRESS_LEVEL,
        "measured stress level (0-1), the user_stress_level fact",
    ),
    (
        AUTH0_DOMAIN,
        "Auth0 tenant domain (or http://127.0.0.1:PORT in tests)",
    ),
    (CLIENT_ID, "public Native application for device login"),
    (AUDIENCE, "API audience requested at login"),
    (
        REFRESH_TOKEN,
        "refresh token for CI; beats every credential store",
    ),
    (
        CREDENTIAL_STORE,
        "where login keeps the refresh token: keychain or file",
    ),
    (
        CONFIDENTIAL_CLIENT_ID,
        "confidential application for CIBA and Token Vault",
    ),
    (CLIENT_SECRET, "secret of the confidential application"),
    (
        CLIENT_ASSERTION_KEY,
        "private_key_jwt key of the confidential application",
    ),
    (
        CLIENT_ASSERTION_ALG,
        "private_key_jwt algorithm: RS256 (default), RS384 or PS256",
    ),
    (
        CIBA_CLIENT_ID,
        "CIBA application, if not the confidential one (+ _SECRET, _ASSERTION_KEY, _ASSERTION_ALG)",
    ),
    (
        TOKEN_VAULT_CLIENT_ID,
        "Custom API Client for Token Vault, if not the confidential one (+ _SECRET, _ASSERTION_KEY, _ASSERTION_ALG)",
    ),
    (
        GOOGLE_ACCESS_TOKEN,
        "Google access token replacing Token Vault (CI, service accounts)",
    ),
    (SHEETS_API_URL, "Sheets API base URL"),
    (GMAIL_API_URL, "Gmail API base URL"),
    (
        HTTP_TIMEOUT,
        "seconds per Google API request (default 30 reads, 200 writes)",
    ),
    (
        HTTP_DEADLINE,
        "seconds per Google API operation, retries included (default 300)",
    ),
    (LLM_URL, "OpenAI-compatible endpoint for --parser llm"),
    (LLM_MODEL, "model name for --parser llm"),
    (LLM_API_KEY, "API key for --parser llm"),
    (AUDIT_URL, "shared audit log: a postgres:// URL"),
    (
        AUDIT_SIGNING_KEY,
        "Ed25519 key file (0600) that signs audit checkpoints",
    ),
];

/// The variable's value, treating an empty value as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// True when the variable is set to something other than "", "0" or "false".
pub fn flag(name: &str) -> bool {
    var(name).is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
}
