//! Random identifiers for plans and receipts.

/// `PREFIX` followed by `n` random bytes in upper-case hex.
pub fn random(prefix: &str, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("{prefix}{}", hex::encode_upper(bytes))
}

/// A new plan (changeset) id, short enough to type and to fit a binding message: `CS-1A2B3C4D`.
pub fn plan_id() -> String {
    random("CS-", 4)
}

/// A new receipt id: `R-` and 12 hex digits.
pub fn receipt_id() -> String {
    random("R-", 6)
}

/// Checks an id read from a file or the journal: `prefix` and exactly `hex` upper-case hex
/// digits. An id is printed in prompts, binding messages and e-mail headers, so anything else
/// (a CR, an ANSI escape, a forged long "id" that pushes the counts out of a message) is refused.
fn check(id: &str, prefix: &str, hex: usize, what: &str) -> crate::error::Result<()> {
    let ok = id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == hex
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(crate::error::Error::input(format!(
            "`{}` is not a valid {what} id ({prefix} and {hex} upper-case hex digits)",
            crate::escape::escape(id)
        ))
        .hint("the file was edited or is not from changeset; plan again"))
    }
}

/// A plan id must be `^CS-[0-9A-F]{8}$`.
pub fn check_plan(id: &str) -> crate::error::Result<()> {
    check(id, "CS-", 8, "plan")
}

/// A receipt id must be `^R-[0-9A-F]{12}$`.
pub fn check_receipt(id: &str) -> crate::error::Result<()> {
    check(id, "R-", 12, "receipt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_exactly() {
        assert!(check_plan(&plan_id()).is_ok());
        assert!(check_receipt(&receipt_id()).is_ok());
        for bad in [
            "",
            "CS-1A2B3C4",
            "CS-1A2B3C4D0",
            "CS-1a2b3c4d",
            "CS-1A2B3C4\r",
            "CS-1A2B3C4D\r\nBcc: x",
            "cs-1A2B3C4D",
            "CS-\u{1b}[31mAB",
        ] {
            assert!(check_plan(bad).is_err(), "{bad:?}");
        }
        assert!(check_receipt("R-ABCDEF12345").is_err());
        assert!(check_receipt("CS-1A2B3C4D").is_err());
    }
}
