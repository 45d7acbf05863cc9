//! SHA-256 as the project writes it everywhere: `sha256:` followed by lower-case hex.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// `sha256:` + lower-case hex of the SHA-256 of the bytes.
pub fn sha256_prefixed(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A reference to a token that can be recorded or logged: `sha256:` and 16 hex digits.
pub fn token_ref(token: &SecretString) -> String {
    let full = sha256_prefixed(token.expose_secret().as_bytes());
    full[..7 + 16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_refs_are_short_hashes() {
        let r = token_ref(&SecretString::from("abc"));
        assert!(r.starts_with("sha256:"));
        assert_eq!(r.len(), 23);
        assert!(!r.contains("abc"));
    }
}
