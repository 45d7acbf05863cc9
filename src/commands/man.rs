//! `changeset man [COMMAND...]`: man pages generated from the clap definitions, the same pages
//! that are shipped in man/ (a test keeps them current).

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::error::{Error, IoContext, Result};
use crate::output;

pub fn run(args: &ManArgs) -> Result<u8> {
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).io_context("creating", dir)?;
        let mut pages = vec![tree()];
        while let Some(cmd) = pages.pop() {
            pages.extend(cmd.get_subcommands().cloned());
            page(cmd)
                .generate_to(dir)
                .io_context("writing man pages to", dir)?;
        }
        return Ok(0);
    }
    let mut cmd = tree();
    for name in &args.command {
        cmd = cmd.find_subcommand(name).cloned().ok_or_else(|| {
            Error::usage(format!("no command `{}`", args.command.join(" ")))
                .hint("see `changeset --help` for the commands")
        })?;
    }
    let mut roff = Vec::new();
    page(cmd)
        .render(&mut roff)
        .map_err(|e| Error::runtime(format!("rendering the man page: {e}")))?;
    output::stdout(&String::from_utf8_lossy(&roff))?;
    Ok(0)
}

/// One page; every page names the package and version (a subcommand has no version of its own).
fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd).source(concat!("changeset ", env!("CARGO_PKG_VERSION")))
}

/// The command tree, built (so subcommands carry their full names, `changeset-audit-show`) and
/// without the `help` subcommand, which has no page.
fn tree() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}
