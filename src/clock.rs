//! How times read for people. Receipts, plans and JSON keep full RFC 3339 (nanoseconds, `Z`);
//! tables and timelines show seconds, which is what a reader compares. [`now`] is the one
//! source of the current time.

use crate::env;
use crate::error::{Error, Result};

/// "Now", or CHANGESET_NOW when set.
pub fn now() -> Result<jiff::Timestamp> {
    match env::var(env::NOW) {
        Some(text) => text.parse().map_err(|e| {
            Error::input(format!(
                "{}: `{text}` is not an RFC 3339 time: {e}",
                env::NOW
            ))
        }),
        None => Ok(jiff::Timestamp::now()),
    }
}

/// `2026-11-30T22:34:10.922816781Z` -> `2026-11-30 22:34:10Z`. Text that is not an RFC 3339
/// time is shown as it is, so a damaged record still renders.
pub fn human(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn tables_show_seconds_in_utc() {
        assert_eq!(
            human("2026-11-30T22:34:10.922816781Z"),
            "2026-11-30 22:34:10Z"
        );
        assert_eq!(human("2026-11-30T23:34:10+01:00"), "2026-11-30 22:34:10Z");
        assert_eq!(human("not a time"), "not a time");
    }
}
