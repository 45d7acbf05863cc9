//! What a stage tells the person running it (notes, warnings, slow steps) without printing.
//!
//! Stages below the edge never write to stdout or stderr: they call [`note`], [`warn`] and
//! [`step`], and the edge installs the one [`Reporter`] of the process (the CLI's printer:
//! plain lines on stderr, one JSON object a line in JSON mode, nothing but warnings when
//! quiet; a server would log instead). Without an installed reporter (the library used on its
//! own, unit tests) reports become log events.

use std::sync::OnceLock;

/// Where reports go; implemented by the edge.
pub trait Reporter: Send + Sync {
    /// Conversation the person must see as it is (what they are asked to approve), even when
    /// quiet: the caller decides whether it is needed.
    fn tell(&self, text: &str);
    fn note(&self, text: &str);
    fn warn(&self, text: &str);
    /// A slow step starts (a spinner at a terminal); it ends when the returned value drops.
    fn step(&self, label: &str) -> Box<dyn Step>;
}

/// A slow step in progress.
pub trait Step: Send + Sync {
    /// Replaces the step's label (a countdown, the state of a poll).
    fn update(&self, label: &str);
}

static REPORTER: OnceLock<Box<dyn Reporter>> = OnceLock::new();

/// Installs the process's reporter; the first one installed stays.
pub fn install(reporter: Box<dyn Reporter>) {
    let _ = REPORTER.set(reporter);
}

/// Text shown as it is: the plan before a prompt, what an approver was sent.
pub fn tell(text: &str) {
    match REPORTER.get() {
        Some(r) => r.tell(text),
        None => tracing::info!("{text}"),
    }
}

/// Something worth knowing that needs no action.
pub fn note(text: &str) {
    match REPORTER.get() {
        Some(r) => r.note(text),
        None => tracing::info!("{text}"),
    }
}

/// Something that went wrong without stopping the command.
pub fn warn(text: &str) {
    match REPORTER.get() {
        Some(r) => r.warn(text),
        None => tracing::warn!("{text}"),
    }
}

/// Starts a slow step.
pub fn step(label: &str) -> Box<dyn Step> {
    match REPORTER.get() {
        Some(r) => r.step(label),
        None => Box::new(Silent),
    }
}

struct Silent;

impl Step for Silent {
    fn update(&self, _label: &str) {}
}
