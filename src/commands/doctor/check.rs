//! One line of the doctor's report, and the report as text.

use serde::Serialize;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Fail,
    Skip,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Fail => "✗",
            Status::Skip => "–",
        }
    }
}

/// One line of the report.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Check {
    pub(super) fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Ok,
            detail: detail.into(),
            hints: Vec::new(),
        }
    }

    pub(super) fn fail(
        name: &'static str,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            hints: vec![hint.into()],
        }
    }

    pub(super) fn skip(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skip,
            detail: detail.into(),
            hints: Vec::new(),
        }
    }

    /// A failed step, with the error's own message and hints.
    pub(super) fn error(name: &'static str, err: Error) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: err.message,
            hints: err.hints,
        }
    }

    pub(super) fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hints.push(hint.into());
        self
    }
}

/// ✓/✗/– name, detail, and each hint below it; names padded to one width.
pub(super) fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!(
            "{} {:width$}  {}\n",
            c.status.mark(),
            c.name,
            c.detail
        ));
        for h in &c.hints {
            out.push_str(&format!("  {:width$}  hint: {h}\n", ""));
        }
    }
    out
}
