//! The one error type of the crate, and the one table from error kind to exit code.
//!
//! Every failure a user can meet is an [`Error`] with a [`Kind`] (which decides the exit code),
//! a message that says what failed, and hints that say what to do about it.

use std::fmt;

/// What class of failure happened. The exit code follows from it alone (see [`Kind::exit_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad input: a request that cannot be understood, a malformed file, a wrong column.
    Input,
    /// Something in the environment failed: I/O, network, a server answered with an error.
    Runtime,
    /// A command-line usage error found after clap (conflicting flags and the like).
    Usage,
    /// The source changed since the plan was made, or the plan was already applied.
    Stale,
    /// A login is needed, or a prompt was needed but prompting is not allowed.
    NeedsAuth,
    /// The approver denied the change, or the approval expired.
    Denied,
    /// The write landed but the read-back did not match (rolled back or not: the message says).
    Verification,
    /// The user interrupted the command (Ctrl-C).
    Interrupted,
    /// Whoever reads stdout closed it (`| head`): not a failure, the command stops quietly.
    ClosedPipe,
}

impl Kind {
    /// The exit code table (README "Exit codes"). This is the only place that maps kinds to codes.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Input | Kind::Runtime => 1,
            Kind::Usage => 2,
            Kind::Stale => 3,
            Kind::NeedsAuth => 4,
            Kind::Denied => 5,
            Kind::Verification => 6,
            Kind::Interrupted => 130,
            Kind::ClosedPipe => 0,
        }
    }

    /// A stable lower-case name for JSON error output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Input => "input",
            Kind::Runtime => "runtime",
            Kind::Usage => "usage",
            Kind::Stale => "stale",
            Kind::NeedsAuth => "needs_auth",
            Kind::Denied => "denied",
            Kind::Verification => "verification",
            Kind::Interrupted => "interrupted",
            Kind::ClosedPipe => "closed_pipe",
        }
    }
}

/// An error with a kind, a message and hints.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::new(Kind::Input, message)
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(Kind::Runtime, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn stale(message: impl Into<String>) -> Self {
        Self::new(Kind::Stale, message)
    }

    pub fn needs_auth(message: impl Into<String>) -> Self {
        Self::new(Kind::NeedsAuth, message)
    }

    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(Kind::Denied, message)
    }

    pub fn verification(message: impl Into<String>) -> Self {
        Self::new(Kind::Verification, message)
    }

    pub fn interrupted() -> Self {
        Self::new(Kind::Interrupted, "interrupted; nothing was written")
    }

    /// Adds a hint line ("hint: ...") shown after the message.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Prefixes the message with what was being done, keeping kind and hints.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }

    /// The error as JSON, for `--format json` callers who parse stderr.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.kind.name(),
                "exit_code": self.exit_code(),
                "message": self.message,
                "hints": self.hints,
            }
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Context for I/O errors on a path: "reading `x`: No such file or directory".
pub trait IoContext<T> {
    fn io_context(self, action: &str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_context(self, action: &str, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::NotFound {
                Kind::Input
            } else {
                Kind::Runtime
            };
            Error::new(kind, format!("{action} `{}`: {e}", path.display()))
        })
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::runtime(format!("audit store: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::runtime(format!("JSON: {e}"))
    }
}
