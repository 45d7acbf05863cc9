//! Where output goes: data to stdout (text tables or JSON), conversation to stderr, colour
//! only where the environment allows it (NO_COLOR, CLICOLOR, CLICOLOR_FORCE).

// The one place that writes to the terminal (see the lints in Cargo.toml).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod gate;
pub mod login;
pub mod printer;
pub mod rules;
pub mod tables;
pub mod timeline;

use std::io::{IsTerminal, Write};

use crate::env;
use crate::error::{Error, Kind, Result};

/// Writes data to stdout. A closed pipe (`| head`) ends the command quietly with exit 0
/// (a [`Kind::ClosedPipe`] error that `run` does not print).
pub fn stdout(text: &str) -> Result<()> {
    to_stdout(|out| {
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') && !text.is_empty() {
            out.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// Pretty JSON to stdout, serialised straight into a buffered stdout (a large plan is never
/// held as one string).
pub fn json(value: &impl serde::Serialize) -> Result<()> {
    to_stdout(|out| {
        serde_json::to_writer_pretty(&mut *out, value)?;
        out.write_all(b"\n")
    })
}

fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = write(&mut out).and_then(|()| out.flush());
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Err(Error::new(Kind::ClosedPipe, "stdout was closed"))
        }
        Err(e) => Err(Error::runtime(format!("writing to stdout: {e}"))),
    }
}

/// A plan on stdout: JSON, or its table.
pub fn plan(json: bool, plan: &crate::plan::Plan) -> Result<()> {
    if json {
        self::json(plan)
    } else {
        stdout(&tables::plan(plan, stdout_colour()))
    }
}

/// A receipt on stdout: JSON, or its table.
pub fn receipt(json: bool, receipt: &crate::receipt::Receipt) -> Result<()> {
    if json {
        self::json(receipt)
    } else {
        stdout(&tables::receipt(receipt, stdout_colour()))
    }
}

/// A line for the user on stderr, as it is, unless quiet: through the one reporter, so that in
/// JSON mode it is a JSON object like every other stderr line.
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        crate::report::tell(text);
    }
}

/// After a keygen: where the two files went (stderr) and the public key (stdout).
pub fn key_written(
    quiet: bool,
    path: &std::path::Path,
    public: &std::path::Path,
    verifier: &str,
) -> Result<()> {
    note(
        quiet,
        &format!(
            "wrote the signing key to {} (keep it private) and the public key to {}",
            path.display(),
            public.display()
        ),
    );
    stdout(verifier)
}

/// Whether to colour a stream, following NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
pub fn colour_enabled(is_terminal: bool) -> bool {
    if env::var("NO_COLOR").is_some() {
        return false;
    }
    if env::flag("CLICOLOR_FORCE") {
        return true;
    }
    if env::var("CLICOLOR").as_deref() == Some("0") {
        return false;
    }
    is_terminal && env::var("TERM").as_deref() != Some("dumb")
}

pub fn stdout_colour() -> bool {
    colour_enabled(std::io::stdout().is_terminal())
}

pub fn stderr_colour() -> bool {
    colour_enabled(std::io::stderr().is_terminal())
}

pub use crate::escape::escape;

/// Wraps text in an ANSI colour when enabled.
pub fn paint(enabled: bool, code: &str, text: &str) -> String {
    if enabled {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Prints an error and its hints on stderr (JSON when asked for).
pub fn error(err: &Error, json: bool) {
    if json {
        eprintln!("{}", err.to_json());
        return;
    }
    let colour = stderr_colour();
    // Messages quote data (ids, cells, file names): multi-line messages keep their newlines,
    // every other control character is escaped.
    let lines: Vec<String> = err.message.split('\n').map(escape).collect();
    eprintln!("{} {}", paint(colour, "1;31", "error:"), lines.join("\n"));
    for hint in &err.hints {
        eprintln!("  {} {}", paint(colour, "1;36", "hint:"), escape(hint));
    }
}

/// The colour of a tier: green for 0-1, yellow for 2, red for 3.
pub fn tier_code(tier: u8) -> &'static str {
    match tier {
        0 | 1 => "32",
        2 => "33",
        _ => "1;31",
    }
}

/// A spinner on stderr for slow steps; invisible when stderr is not a terminal or when quiet.
pub fn spinner(quiet: bool, message: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    // new_spinner draws on stderr and hides itself when stderr is not a terminal.
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
