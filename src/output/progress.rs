//! Spinners on stderr (indicatif). Hidden when stderr is not a terminal (CI, pipes, tests) and
//! for `--quiet`, so they never end up in logs or captured output.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A ticking spinner with a message; call `finish_and_clear` when done.
pub fn spinner(quiet: bool, message: impl Into<String>) -> ProgressBar {
    let visible = !quiet
        && std::io::stderr().is_terminal()
        && crate::env::var("TERM").as_deref() != Some("dumb");
    let bar = ProgressBar::with_draw_target(
        None,
        if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .expect("a valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
    );
    bar.set_message(message.into());
    if visible {
        bar.enable_steady_tick(Duration::from_millis(100));
    }
    bar
}
