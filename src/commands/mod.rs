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
pub mod whoami;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::settings::Settings;

/// What a successful command asks the process to exit with (errors carry their own code).
pub type ExitStatus = u8;

pub fn dispatch(cli: Cli) -> Result<ExitStatus> {
    // Generated from the definitions alone: no settings, so a broken config cannot hide them.
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(args),
        // Doctor reports a config file that does not load instead of failing on it.
        Command::Doctor(args) => return doctor::run(&cli.global, &cli.command.scoped(), args),
        _ => {}
    }
    // The gate reads gate.toml, not the CLI's settings: nothing of the requester's config may
    // reach it.
    if let Command::Gate(cmd) = cli.command {
        return gate::run(&cli.global, cmd);
    }
    let settings = Settings::resolve(&cli.global, &cli.command.scoped())?;
    match cli.command {
        Command::Plan(args) => plan::run(&settings, &args),
        Command::Apply(args) => apply::run(&settings, &args),
        Command::Audit(cmd) => audit::run(&settings, cmd),
        Command::Rollback(args) => rollback::run(&settings, &args),
        Command::Recover { .. } => recover::run(&settings),
        Command::Rules(cmd) => rules::run(&settings, cmd),
        Command::Show(args) => show::run(&settings, &args),
        Command::Completions(_) | Command::Man(_) | Command::Doctor(_) | Command::Gate(_) => {
            unreachable!("handled above")
        }
        Command::Login(args) => login::run(&settings, &args),
        Command::Logout { .. } => logout::run(&settings),
        Command::Whoami { .. } => whoami::run(&settings),
    }
}
