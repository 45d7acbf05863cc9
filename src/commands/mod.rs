//! One small function per command, wiring the modules together.

pub mod apply;
pub mod audit;
pub mod completions;
pub mod context;
pub mod doctor;
pub mod gate;
pub mod login;
pub mod logout;
pub mod man;
pub mod plan;
pub mod recover;
pub mod rollback;
pub mod rules;
pub mod show;
pub mod via_gate;
pub mod whoami;

use crate::cli::{Cli, Command, GateCommand};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// What a successful command asks the process to exit with (errors carry their own code).
pub type ExitStatus = u8;

pub fn dispatch(cli: Cli) -> Result<ExitStatus> {
    let scoped = cli.command.scoped();
    // Generated from the definitions alone: no settings, so a broken config cannot hide them.
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(args),
        // Doctor reports a config file that does not load instead of failing on it.
        Command::Doctor(args) => return doctor::run(&cli.global, &scoped, args),
        _ => {}
    }
    // The gate reads gate.toml, not the CLI's settings: nothing of the requester's config may
    // reach it. (`gate status` and `gate cancel` are the requester's, in gate mode.)
    if let Command::Gate(cmd) = cli.command {
        return match cmd {
            GateCommand::Status { id, wait, .. } => {
                let settings = Settings::resolve(&cli.global, &scoped)?;
                via_gate::status(&settings, gate_mode(&settings)?, &id, wait)
            }
            GateCommand::Cancel { id, .. } => {
                let settings = Settings::resolve(&cli.global, &scoped)?;
                via_gate::cancel(&settings, gate_mode(&settings)?, &id)
            }
            cmd => gate::run(&cli.global, cmd),
        };
    }
    let settings = Settings::resolve(&cli.global, &scoped)?;
    // Gate mode: plan and apply are the gate's; what would read or write the source here is
    // refused. The local pipeline below is never reached.
    if let Some(url) = settings.gate()? {
        match cli.command {
            Command::Plan(args) => return via_gate::plan(&settings, url, &args),
            Command::Apply(args) => return via_gate::apply(&settings, url, &args),
            Command::Rollback(_) | Command::Recover { .. } => {
                return Err(Error::usage(
                    "this command writes the source from this machine, which gate mode forbids",
                )
                .hint("plan the inverse change and apply it through the gate, or unset CHANGESET_GATE_URL / `url` in [gate] to work locally"));
            }
            // Checking a plan's freshness reads the source with this machine's credentials.
            Command::Show(args) if !args.offline => {
                return Err(Error::usage(
                    "in gate mode `show` renders a plan without reading the source",
                )
                .hint("add --offline; the gate checks freshness itself when you apply"));
            }
            command => return local(&settings, command),
        }
    }
    local(&settings, cli.command)
}

/// The gate's base URL, or why `gate status|cancel` cannot run.
fn gate_mode(settings: &Settings) -> Result<String> {
    settings.gate()?.ok_or_else(|| {
        Error::usage("no gate is configured").hint(format!(
            "set {} or `url` in the [gate] table of the config file",
            crate::env::GATE_URL
        ))
    })
}

/// The commands that run here, with this machine's credentials (outside gate mode, all of
/// them; in gate mode, those that never read or write the source).
fn local(settings: &Settings, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Plan(args) => plan::run(settings, &args),
        Command::Apply(args) => apply::run(settings, &args),
        Command::Audit(cmd) => audit::run(settings, cmd),
        Command::Rollback(args) => rollback::run(settings, &args),
        Command::Recover { .. } => recover::run(settings),
        Command::Rules(cmd) => rules::run(settings, cmd),
        Command::Show(args) => show::run(settings, &args),
        Command::Completions(_) | Command::Man(_) | Command::Doctor(_) | Command::Gate(_) => {
            unreachable!("handled above")
        }
        Command::Login(args) => login::run(settings, &args),
        Command::Logout { .. } => logout::run(settings),
        Command::Whoami { .. } => whoami::run(settings),
    }
}
