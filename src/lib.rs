//! changeset: plan, approve, apply and audit product-catalog changes safely.
//!
//! The pipeline flows one way: request → source read → parse → plan (diffs) → policy (tiers) →
//! plan file → stale check → approval → write (one batch) → read back → receipt (JCS + SHA-256,
//! chained) → audit store.
//!
//! Modules sit in layers and import only from layers below (`tests/it/architecture.rs` checks):
//! - 0 base: `error`, `env`, `digest`, `clock`, `ids`, `pii`, `escape`, `net`, `report`,
//!   `local_user`, `private_files`, `private_dir`
//! - 1 model: `catalog` (rows, values, the stale-write check), `parse` (text → intents),
//!   `policy` (rules → tiers), `plan` (intents + catalog → operations), `receipt`
//! - 2 adapters: `source` (CSV, Sheets; handed a token source), `google` (HTTP; handed tokens),
//!   `auth` (login, credential store, CIBA, Token Vault), `audit`, `notify`, `llm`
//! - 3 pipeline: `apply` (check → approve → write → verify → seal → notify), `gate`
//! - 4 edge: `cli`, `settings`, `output` (every renderer and the printer), `commands` (one file
//!   per command; `commands::context` decides where tokens come from)
pub mod apply;
pub mod audit;
pub mod auth;
pub mod canonical;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod digest;
pub mod env;
pub mod error;
pub mod escape;
pub mod gate;
pub mod google;
pub mod ids;
pub mod llm;
pub mod local_user;
pub mod net;
pub mod notify;
pub mod output;
pub mod parse;
pub mod pii;
pub mod plan;
pub mod policy;
pub mod private_dir;
pub mod private_files;
pub mod receipt;
pub mod report;
pub mod settings;
pub mod source;

use clap::Parser;

/// Runs the command line and returns the process exit code.
pub fn run() -> u8 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    let json = cli.command.scoped().format.format == Some(cli::Format::Json)
        || env::var(env::FORMAT).is_some_and(|f| f.eq_ignore_ascii_case("json"));
    init_logging(cli.global.verbose, json);
    report::install(Box::new(output::printer::Printer {
        quiet: cli.global.quiet,
        json,
    }));
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) if err.kind == error::Kind::ClosedPipe => err.exit_code(),
        Err(err) => {
            output::error(&err, json);
            err.exit_code()
        }
    }
}

/// Logs go to stderr: warnings by default, more with -v/-vv, or as CHANGESET_LOG says; one
/// JSON object a line in JSON mode, like every other stderr line then.
/// Secrets are never logged (they live in `SecretString`s whose Debug is redacted).
fn init_logging(verbose: u8, json: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(env::LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("changeset={level}")));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .without_time()
        .with_target(false);
    let _ = if json {
        logs.json().flatten_event(true).try_init()
    } else {
        logs.try_init()
    };
}
