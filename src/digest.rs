//! SHA-256 as the project writes it everywhere: `sha256:` followed by lower-case hex.

use sha2::{Digest, Sha256};

/// `sha256:` + lower-case hex of the SHA-256 of the bytes.
pub fn sha256_prefixed(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}
