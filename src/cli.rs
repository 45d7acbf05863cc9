//! Command-line definitions (clap) and nothing else: no behaviour lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::env;

const AFTER_HELP: &str = "\
Examples:
  changeset plan \"take 15% off all running shoes\" --source examples/catalog.csv
  changeset plan \"mark STR-002 out of stock\" -o plan.json
  changeset apply plan.json
  changeset audit show <receipt-id>

Exit codes: 0 ok, 1 error, 2 usage, 3 stale plan or conflict, 4 login or prompt needed,
5 approval denied or expired, 6 verification failed after write, 10 plan has changes
(plan --detailed-exitcode), 130 interrupted.";

/// Plan, approve, apply and audit product-catalog changes safely.
///
/// changeset turns a plain-English request into a reviewed plan of cell changes, scores every
/// operation with a rules file, asks for approval when the risk is high, writes the approved
/// changes in one batch, reads them back, and keeps a SHA-256 sealed, hash-chained receipt.
#[derive(Debug, Parser)]
#[command(name = "changeset", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command reads (the config file and how much to print on stderr). The others are
/// declared on the commands that read them, so each `--help` lists only what that command uses.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalArgs {
    /// Config file (default: changeset.toml in the data directory, if present)
    #[arg(long, global = true, env = env::CONFIG, hide_env_values = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print less on stderr
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more on stderr (repeat for debug logs; secrets are always redacted)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--source`, for commands that read the catalog.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArg {
    /// Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`
    #[arg(long, env = env::SOURCE, hide_env_values = true, value_name = "SOURCE")]
    pub source: Option<String>,
}

/// `--rules`, for commands that score operations.
#[derive(Debug, Clone, Default, Args)]
pub struct RulesArg {
    /// Rules file (default: the embedded rules/default.toml)
    #[arg(long, env = env::RULES, hide_env_values = true, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

/// `--format`, for commands with something to print on stdout.
#[derive(Debug, Clone, Default, Args)]
pub struct FormatArg {
    /// Output format on stdout
    #[arg(long, env = env::FORMAT, hide_env_values = true, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

/// `--no-input`, for commands that may prompt.
#[derive(Debug, Clone, Default, Args)]
pub struct NoInputArg {
    /// Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)
    #[arg(long)]
    pub no_input: bool,
}

/// `--yes`, for commands that ask for approval.
#[derive(Debug, Clone, Default, Args)]
pub struct YesArg {
    /// Approve without asking, but never above the rules' auto_approve_max_tier
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// The command-specific flags that [`crate::settings::Settings`] resolves, gathered from
/// whichever command declared them (a command that does not declare one leaves it unset).
#[derive(Debug, Clone, Default)]
pub struct ScopedArgs {
    pub source: SourceArg,
    pub rules: RulesArg,
    pub format: FormatArg,
    pub no_input: NoInputArg,
    pub yes: YesArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with the Auth0 device flow and store the refresh token
    Login(LoginArgs),
    /// Revoke the refresh token and delete it from the credential store
    Logout {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show the signed-in user, tenant, token expiry and credential store
    Whoami {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Read the source, parse the request and score it; never writes the source
    Plan(PlanArgs),
    /// Apply a saved plan file, or plan and apply a request in one step
    Apply(ApplyArgs),
    /// Plan the inverse of an applied changeset, then approve and apply it like any plan
    Rollback(RollbackArgs),
    /// Finish or undo an apply that was interrupted
    Recover {
        #[command(flatten)]
        source: SourceArg,
        #[command(flatten)]
        rules: RulesArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Read and verify the receipts in the audit store
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Lint, test, explain and benchmark the rules file
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The approval gate: a service that holds the rules, approvers and confidential clients
    #[command(subcommand)]
    Gate(GateCommand),
    /// Render a saved plan as `plan` printed it, and say whether it is still fresh
    ///
    /// Exit 0 when the plan could still be applied, 3 when the catalog or the rules changed
    /// since it was made (what `apply` would refuse).
    Show(ShowArgs),
    /// Check every configured part (config, data directory, credential store, Auth0, Token
    /// Vault, source, rules, Gmail, gate) and say how to fix what is broken
    ///
    /// ✓ works, ✗ broken (with a hint), – skipped (with why). Exit 1 when anything is ✗.
    /// Nothing is written to the source, no approval is asked for, no login is completed.
    Doctor(DoctorArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff) of changeset or of one of its commands
    Man(ManArgs),
}

impl ScopedArgs {
    /// A command that declares only `--format`.
    fn format(format: &FormatArg) -> ScopedArgs {
        ScopedArgs {
            format: format.clone(),
            ..ScopedArgs::default()
        }
    }

    /// A command that declares `--rules` and `--format`.
    fn rules(rules: &RulesArg, format: &FormatArg) -> ScopedArgs {
        ScopedArgs {
            rules: rules.clone(),
            ..ScopedArgs::format(format)
        }
    }

    /// A command that declares `--source`, `--rules` and `--format`.
    fn source(source: &SourceArg, rules: &RulesArg, format: &FormatArg) -> ScopedArgs {
        ScopedArgs {
            source: source.clone(),
            ..ScopedArgs::rules(rules, format)
        }
    }

    /// This command also declares `--no-input` and `--yes`.
    fn prompting(self, no_input: &NoInputArg, yes: &YesArg) -> ScopedArgs {
        ScopedArgs {
            no_input: no_input.clone(),
            yes: yes.clone(),
            ..self
        }
    }
}

impl Command {
    /// The command-specific flags this invocation declared, for settings resolution.
    pub fn scoped(&self) -> ScopedArgs {
        match self {
            Command::Login(a) => ScopedArgs {
                no_input: a.no_input.clone(),
                ..ScopedArgs::format(&a.format)
            },
            Command::Logout { format } | Command::Whoami { format } => ScopedArgs::format(format),
            Command::Plan(a) => ScopedArgs::source(&a.source, &a.rules, &a.format),
            Command::Apply(a) => {
                ScopedArgs::source(&a.source, &a.rules, &a.format).prompting(&a.no_input, &a.yes)
            }
            Command::Rollback(a) => {
                ScopedArgs::source(&a.source, &a.rules, &a.format).prompting(&a.no_input, &a.yes)
            }
            Command::Recover {
                source,
                rules,
                format,
            } => ScopedArgs::source(source, rules, format),
            Command::Show(a) => ScopedArgs::source(&a.source, &a.rules, &a.format),
            Command::Doctor(a) => ScopedArgs::source(&a.source, &a.rules, &a.format),
            Command::Audit(cmd) => cmd.scoped(),
            Command::Rules(cmd) => {
                let (RulesCommand::Check { rules, format, .. }
                | RulesCommand::Test { rules, format, .. }
                | RulesCommand::Explain { rules, format, .. }
                | RulesCommand::Bench { rules, format, .. }) = cmd;
                ScopedArgs::rules(rules, format)
            }
            Command::Gate(cmd) => match cmd {
                GateCommand::CheckConfig { format, .. }
                | GateCommand::Status { format, .. }
                | GateCommand::Cancel { format, .. } => ScopedArgs::format(format),
                GateCommand::Keygen { .. } | GateCommand::Serve { .. } => ScopedArgs::default(),
            },
            Command::Completions(_) | Command::Man(_) => ScopedArgs::default(),
        }
    }
}

impl AuditCommand {
    fn scoped(&self) -> ScopedArgs {
        match self {
            AuditCommand::List { format, .. }
            | AuditCommand::Show { format, .. }
            | AuditCommand::Verify { format, .. }
            | AuditCommand::Checkpoint { format }
            | AuditCommand::Migrate { format, .. } => ScopedArgs::format(format),
            // Export writes JSON Lines, Prove a JSON proof, Keygen a key: one format each.
            AuditCommand::Export { .. }
            | AuditCommand::Prove { .. }
            | AuditCommand::Keygen { .. } => ScopedArgs::default(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Do not try to open a browser; just print the URL and code
    #[arg(long)]
    pub no_browser: bool,
    /// Also print a QR code of the verification URL
    #[arg(long)]
    pub qr: bool,
    /// Where to keep the refresh token (default: the OS keychain when one works)
    #[arg(long, value_enum, value_name = "STORE")]
    pub credential_store: Option<CredentialStoreKind>,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub no_input: NoInputArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialStoreKind {
    /// The OS keychain (Keychain, Credential Manager, Secret Service)
    Keychain,
    /// A 0600 file in the data directory
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParserKind {
    /// The deterministic grammar (default; no network)
    Grammar,
    /// An OpenAI-compatible model (CHANGESET_LLM_URL); its output is validated like the grammar's
    Llm,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The request, in plain English ("take 15% off all running shoes")
    #[arg(value_name = "REQUEST")]
    pub request: String,
    /// Also save the plan to this file, for `changeset apply FILE`
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 10 (instead of 0) when the plan has changes
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// How to read the request
    #[arg(long, value_enum, default_value = "grammar")]
    pub parser: ParserKind,
    #[command(flatten)]
    pub source: SourceArg,
    #[command(flatten)]
    pub rules: RulesArg,
    #[command(flatten)]
    pub format: FormatArg,
    /// A fact you measured, for the rules (repeatable): only facts changeset does not derive
    #[arg(long = "fact", value_name = "NAME=VALUE")]
    pub facts: Vec<String>,
}

/// How to ask for approval: a pipeline type, the flag's values.
pub use crate::policy::ApprovalMethod;

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// A plan file from `changeset plan -o`, or a request to plan and apply in one step
    #[arg(value_name = "PLAN_OR_REQUEST")]
    pub target: String,
    /// How to ask for approval (default: ciba when Auth0 is configured, else tty)
    #[arg(long, value_enum)]
    pub approval: Option<ApprovalMethod>,
    /// Give up waiting for an out-of-band approval after this many seconds
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
    /// How to read the request (when applying a request directly)
    #[arg(long, value_enum, default_value = "grammar")]
    pub parser: ParserKind,
    #[command(flatten)]
    pub source: SourceArg,
    #[command(flatten)]
    pub rules: RulesArg,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub no_input: NoInputArg,
    #[command(flatten)]
    pub yes: YesArg,
    /// A fact you measured, for the rules (repeatable): only facts changeset does not derive
    #[arg(long = "fact", value_name = "NAME=VALUE")]
    pub facts: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// The receipt id of the applied changeset to undo (see `changeset audit list`)
    #[arg(value_name = "RECEIPT_ID")]
    pub receipt: String,
    /// Only save the inverse plan to this file instead of applying it now
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// How to ask for approval (default: ciba when Auth0 is configured, else tty)
    #[arg(long, value_enum)]
    pub approval: Option<ApprovalMethod>,
    #[command(flatten)]
    pub source: SourceArg,
    #[command(flatten)]
    pub rules: RulesArg,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub no_input: NoInputArg,
    #[command(flatten)]
    pub yes: YesArg,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the receipts, newest last
    List {
        /// The gate's receipts (GET /v1/receipts) instead of this machine's audit store
        #[arg(long)]
        gate: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one receipt as a timeline (the raw receipt with --format json)
    Show {
        /// Receipt id, plan id, or a unique prefix of either (with --gate: a receipt id)
        id: String,
        /// Fetch the receipt from the gate (GET /v1/receipts/ID); its signature is shown
        #[arg(long)]
        gate: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Recompute every receipt hash and the chain; exit 1 naming the first bad receipt
    ///
    /// The chain alone shows the store is consistent, not that nobody rewrote it: whoever can
    /// write the store can re-seal every later receipt. With --checkpoint, prove that the log
    /// still extends a signed checkpoint kept elsewhere.
    #[command(group = clap::ArgGroup::new("key_for").args(["receipt", "checkpoint"]).multiple(true))]
    Verify {
        /// Check one exported receipt file instead of the store (no account needed)
        #[arg(long, value_name = "FILE")]
        receipt: Option<PathBuf>,
        /// With --receipt: an inclusion proof from `audit prove` (needs --checkpoint, --key)
        #[arg(long, value_name = "FILE", requires_all = ["receipt", "checkpoint"])]
        proof: Option<PathBuf>,
        /// A signed checkpoint from `audit checkpoint` that the log must extend
        #[arg(long, value_name = "FILE", requires = "key")]
        checkpoint: Option<PathBuf>,
        /// The log's public key (the `.pub` file `audit keygen` wrote); with --receipt alone,
        /// the gate's key (`gate keygen`): the receipt's signature must verify with it
        #[arg(long, value_name = "FILE", requires = "key_for")]
        key: Option<PathBuf>,
        /// Also fail unless every receipt was scored under one of these rules files (SHA-256 of
        /// the file, as `rules check` prints it; `sha256:` prefix optional)
        #[arg(long, value_name = "SHA256[,SHA256...]", value_delimiter = ',')]
        require_rules: Vec<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Create the Ed25519 key that signs checkpoints; prints its public (verifier) key
    Keygen {
        /// The key's name, also the checkpoints' origin line (e.g. example.com/catalog-audit)
        #[arg(long, default_value = "changeset-audit")]
        name: String,
        /// Where to write the key (0600) and, beside it, `<FILE>.pub`
        /// [default: CHANGESET_AUDIT_SIGNING_KEY, else audit-signing.key in the data directory]
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print the log's signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)
    Checkpoint {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Print an inclusion proof (JSON) that a receipt is in the log
    Prove {
        /// Receipt id, plan id, or a unique prefix of either
        id: String,
        /// Prove against the log's first N receipts (a checkpoint's size) [default: all]
        #[arg(long, value_name = "N")]
        size: Option<u64>,
    },
    /// Copy this machine's audit log (audit.db) into an empty shared PostgreSQL log
    ///
    /// Every hash is kept; the copy is verified and its Merkle root compared after.
    Migrate {
        /// The PostgreSQL URL to copy into (postgres://USER@HOST/DATABASE[?sslmode=require])
        #[arg(long, value_name = "URL")]
        to: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Write every receipt as JSON Lines (stdout, or a file)
    Export {
        /// Write to this file instead of stdout
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// The gate's own commands (check-config, serve, keygen) read its file (--config, default
/// gate.toml), never the CLI's config; `status` and `cancel` are the CLI's, in gate mode.
#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)
    ///
    /// Exit 0 while it is pending or once applied; 5 denied, expired or cancelled, 3 stale,
    /// 6 when the read-back failed.
    Status {
        /// The apply's id (`A-…`, printed when `apply` sent it)
        id: String,
        /// Wait until the apply is final, with a spinner showing approvers and time left
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Cancel an apply that is still waiting for approval at the gate (gate mode)
    Cancel {
        /// The apply's id (`A-…`)
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1
    /// listing every problem as FILE:LINE
    ///
    /// For gate commands, --config names the gate's configuration [default: gate.toml].
    CheckConfig {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Run the gate's HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)
    ///
    /// HTTPS with --tls-cert/--tls-key; plain HTTP only on a loopback address unless
    /// --allow-plain-http (a proxy in front terminates TLS).
    Serve {
        /// Address to listen on (port 0 picks a free port; the bound address is printed)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
        listen: std::net::SocketAddr,
        /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)
        #[arg(long, conflicts_with = "tls_cert")]
        allow_plain_http: bool,
        /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert (readable by its owner only)
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Create the gate's Ed25519 key that signs receipts and checkpoints; prints its public key
    Keygen {
        /// The key's name (signed-note key name, e.g. gate.example.com/changeset)
        #[arg(long, default_value = "changeset-gate")]
        name: String,
        /// Where to write the key (0600) and, beside it, `<FILE>.pub`
        #[arg(
            long,
            short = 'o',
            value_name = "FILE",
            default_value = "gate-signing.key"
        )]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Lint a rules file (default: the active one)
    Check {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        #[command(flatten)]
        rules: RulesArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Run the rules' test cases (DIR/*.toml)
    ///
    /// Default DIR: `tests/` next to the rules file; the embedded default rules use the test
    /// cases embedded with them (the same files as rules/tests/ in the source tree).
    Test {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        rules: RulesArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show every rule's result, matched or not, for one set of facts
    Explain {
        /// The facts as a JSON object
        #[arg(long, value_name = "JSON", conflicts_with = "plan")]
        facts: Option<String>,
        /// Take the facts of one operation of a saved plan
        #[arg(long, value_name = "FILE", requires = "op")]
        plan: Option<PathBuf>,
        /// Operation number in the plan (1-based)
        #[arg(long, value_name = "N")]
        op: Option<usize>,
        #[command(flatten)]
        rules: RulesArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)
    Bench {
        /// JSON Lines, one object of facts per line (e.g. from the peer benchmark's gen-facts.js)
        #[arg(long, value_name = "FILE")]
        facts: PathBuf,
        /// Which evaluator to time
        #[arg(long, value_enum, default_value = "compiled")]
        engine: BenchEngine,
        #[command(flatten)]
        rules: RulesArg,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchEngine {
    /// The compiled evaluator that plan and apply use
    Compiled,
    /// evalexpr's own evaluator with a fresh context per record (the baseline)
    Evalexpr,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// A plan file from `changeset plan -o`
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Do not read the source or the rules: render the plan only, freshness unchecked
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub source: SourceArg,
    #[command(flatten)]
    pub rules: RulesArg,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// The command whose page to print (e.g. `audit show`); none for changeset(1)
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Write every page (changeset.1, changeset-plan.1, ...) into this directory instead
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub source: SourceArg,
    #[command(flatten)]
    pub rules: RulesArg,
    #[command(flatten)]
    pub format: FormatArg,
}
