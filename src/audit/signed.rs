//! Receipts signed by the gate: `key_id` names the gate's key (covered by the hash) and
//! `signature` is its Ed25519 signature over the receipt's hash (left out of the hash), so anyone
//! holding the gate's public key can check offline that the gate sealed this receipt, unchanged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::checkpoint::{SigningKey, VerifierKey};
use crate::error::{Error, Result};
use crate::receipt::{Receipt, signed_message};

/// Signs a sealed receipt whose `key_id` is this key's.
pub fn sign(receipt: &mut Receipt, key: &SigningKey) {
    let signature = key.sign_raw(signed_message(&receipt.hash).as_bytes());
    receipt.signature = Some(B64.encode(signature));
}

/// Checks a receipt's seal, then that `key` signed its hash; returns the receipt.
pub fn verify(text: &str, key: &VerifierKey) -> Result<Receipt> {
    let receipt = Receipt::verify_text(text)?;
    let unsigned = || {
        Error::input(format!(
            "receipt {} carries no signature (only receipts sealed by a gate are signed)",
            receipt.id
        ))
        .hint("without --key, `changeset audit verify --receipt` checks the seal alone")
    };
    let signature = receipt.signature.as_deref().ok_or_else(unsigned)?;
    let key_id = receipt.key_id.as_deref().ok_or_else(unsigned)?;
    if key_id != key.key_id() {
        return Err(Error::input(format!(
            "receipt {} was signed by the key {key_id}, not by {}",
            receipt.id,
            key.key_id()
        ))
        .hint("pass the public key of the gate that sealed it (GET /v1/keys)"));
    }
    let valid = B64
        .decode(signature)
        .is_ok_and(|sig| key.verify_bytes(signed_message(&receipt.hash).as_bytes(), &sig));
    if !valid {
        return Err(Error::input(format!(
            "the signature of receipt {} does not verify with {}",
            receipt.id,
            key.key_id()
        ))
        .hint("the receipt's signature was altered, or another key signed it"));
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        let mut r: Receipt = serde_json::from_value(serde_json::json!({
            "format_version": 1, "id": "R-1A2B3C4D5E6F", "plan_id": "CS-1A2B3C4D",
            "plan_hash": "sha256:00", "request": "r", "source": {"kind": "csv", "uri": "/c.csv"},
            "rules_sha256": "sha256:11", "planned_at": "t", "started_at": "t", "finished_at": "t",
            "outcome": "applied", "tier": 2, "operations": [],
            "approval": {"method": "ciba", "tier": 2, "approvers": ["auth0|bob"],
                "approved_at": "t", "plan_hash": "sha256:00"},
            "delegation": [], "timings": {"approval_ms": 0, "write_ms": 0, "verify_ms": 0, "total_ms": 0},
            "canon": "RFC8785", "alg": "sha256", "prev_id": null, "prev_hash": null, "hash": ""
        }))
        .unwrap();
        r.enforced_by = Some("gate".into());
        r.requester = Some("auth0|alice".into());
        r
    }

    #[test]
    fn a_signed_receipt_verifies_and_any_edit_fails() {
        let key = SigningKey::generate("gate.test").unwrap();
        let mut r = receipt();
        r.key_id = Some(key.key_id());
        r.seal();
        sign(&mut r, &key);
        let text = serde_json::to_string(&r).unwrap();
        let back = verify(&text, &key.verifier()).unwrap();
        assert_eq!(back.requester.as_deref(), Some("auth0|alice"));

        // An edited approver breaks the seal; a re-sealed edit breaks the signature.
        let edited = text.replace("auth0|bob", "auth0|eve");
        assert!(verify(&edited, &key.verifier()).is_err());
        let mut resealed: Receipt = serde_json::from_str(&edited).unwrap();
        resealed.seal();
        let err = verify(&serde_json::to_string(&resealed).unwrap(), &key.verifier()).unwrap_err();
        assert!(err.message.contains("does not verify"), "{}", err.message);

        // Another key, and no signature at all, are refused.
        let other = SigningKey::generate("gate.test").unwrap();
        assert!(verify(&text, &other.verifier()).is_err());
        let mut bare = receipt();
        bare.seal();
        let err = verify(&serde_json::to_string(&bare).unwrap(), &key.verifier()).unwrap_err();
        assert!(err.message.contains("no signature"), "{}", err.message);
    }
}
