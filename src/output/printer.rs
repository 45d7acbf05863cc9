//! The CLI's [`Reporter`]: how stage reports look on stderr. Plain `note:`/`warning:` lines,
//! or one JSON object a line with `--format json` (so a script can parse all of stderr);
//! notes and spinners are dropped with `--quiet`, warnings never are.

use std::io::IsTerminal;
use std::time::Duration;

use crate::report::{Reporter, Step};

pub struct Printer {
    pub quiet: bool,
    pub json: bool,
}

impl Printer {
    fn line(&self, level: &str, text: &str) {
        if self.json {
            let line = serde_json::json!({ "level": level, "message": text });
            eprintln!("{line}");
        } else {
            let colour = super::stderr_colour();
            let code = if level == "warning" { "1;33" } else { "1;34" };
            eprintln!(
                "{} {text}",
                super::paint(colour, code, &format!("{level}:"))
            );
        }
    }
}

impl Reporter for Printer {
    fn tell(&self, text: &str) {
        if self.json {
            let line = serde_json::json!({ "level": "info", "message": text });
            eprintln!("{line}");
        } else {
            eprintln!("{text}");
        }
    }

    fn note(&self, text: &str) {
        if !self.quiet {
            self.line("note", text);
        }
    }

    fn warn(&self, text: &str) {
        self.line("warning", text);
    }

    fn step(&self, label: &str) -> Box<dyn Step> {
        // A spinner only where a person watches: a JSON-mode stderr stays parseable.
        if self.quiet || self.json || !std::io::stderr().is_terminal() {
            return Box::new(Spinner(indicatif::ProgressBar::hidden()));
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Box::new(Spinner(bar))
    }
}

struct Spinner(indicatif::ProgressBar);

impl Step for Spinner {
    fn update(&self, label: &str) {
        self.0.set_message(label.to_string());
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
