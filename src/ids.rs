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
