//! `changeset completions <shell>`: the same scripts that are shipped in completions/.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;
use crate::output;

pub fn run(args: &CompletionsArgs) -> Result<u8> {
    output::stdout(&script(args.shell))?;
    Ok(0)
}

/// The completion script for one shell.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "changeset", &mut buf);
    String::from_utf8(buf).expect("completion scripts are UTF-8")
}
