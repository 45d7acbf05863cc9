//! Signed checkpoints of the Merkle log, in the C2SP `tlog-checkpoint` format carried in a C2SP
//! `signed-note`, with Ed25519 keys in the signed-note key formats:
//!
//! ```text
//! <origin>                      checkpoint body: origin, tree size, base64 root hash
//! <tree size>
//! <base64 root hash>
//!
//! — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature over the body)>
//! ```
//! Verifier key: `<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte public key)>`; the key id is the
//! first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). The signing key file uses the
//! same shape with the seed: `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>`, as Go's
//! `golang.org/x/mod/sumdb/note` writes it, so other tools can read both.
//! The format is small, so it is written here on aws-lc-rs (already in the tree for rustls).

use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use std::io::Write;
use std::path::{Path, PathBuf};

use super::merkle::Hash;
use crate::error::{Error, IoContext, Result};

const ED25519_TYPE: u8 = 0x01;
const SIGNATURE_PREFIX: &str = "\u{2014} ";
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// A checkpoint: what a signed tree head commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note body the signature covers.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    pub fn root_base64(&self) -> String {
        B64.encode(self.root)
    }

    /// The signed note: the body, a blank line, one signature line.
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let signature = key.pair.sign(body.as_bytes());
        let mut blob = key.id.to_vec();
        blob.extend_from_slice(signature.as_ref());
        format!(
            "{body}\n{SIGNATURE_PREFIX}{} {}\n",
            key.name,
            B64.encode(blob)
        )
    }

    /// Parses a signed checkpoint and checks its signature by `key`.
    pub fn verify(note: &str, key: &VerifierKey) -> Result<Checkpoint> {
        let body = verify_note(note, key)?;
        let mut lines = body.lines();
        let origin = lines.next().unwrap_or_default().to_string();
        let size = lines
            .next()
            .and_then(|l| l.parse::<u64>().ok())
            .ok_or_else(|| bad("the second line is not a tree size"))?;
        let root = lines
            .next()
            .and_then(|l| B64.decode(l).ok())
            .and_then(|r| Hash::try_from(r).ok())
            .ok_or_else(|| bad("the third line is not a base64 SHA-256 root hash"))?;
        if origin.is_empty() {
            return Err(bad("the origin line is empty"));
        }
        Ok(Checkpoint { origin, size, root })
    }
}

fn bad(why: &str) -> Error {
    Error::input(format!("not a valid signed checkpoint: {why}"))
        .hint("use a checkpoint printed by `changeset audit checkpoint`")
}

/// Checks a signed note's signature by `key` and returns its body (other signatures are
/// ignored, as the signed-note format says).
pub fn verify_note(note: &str, key: &VerifierKey) -> Result<String> {
    let (body, signatures) = note
        .split_once("\n\n")
        .ok_or_else(|| bad("no blank line between the body and the signatures"))?;
    let body = format!("{body}\n");
    let mut signed = false;
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix(SIGNATURE_PREFIX) else {
            return Err(bad("a signature line does not start with an em dash"));
        };
        let (name, sig) = rest
            .split_once(' ')
            .ok_or_else(|| bad("a signature line has no signature"))?;
        let blob = B64
            .decode(sig)
            .map_err(|_| bad("a signature is not base64"))?;
        if name != key.name || blob.len() != 68 || blob[..4] != key.id {
            continue;
        }
        UnparsedPublicKey::new(&ED25519, key.public)
            .verify(body.as_bytes(), &blob[4..])
            .map_err(|_| {
                Error::input(format!(
                    "the checkpoint's signature by {} does not verify",
                    key.name
                ))
                .hint("the checkpoint was altered after it was signed")
            })?;
        signed = true;
    }
    if !signed {
        return Err(Error::input(format!(
            "the checkpoint carries no signature by the key {}",
            key.text()
        ))
        .hint("pass the public key of the log that signed it"));
    }
    Ok(body)
}

/// An Ed25519 signing key with its signed-note name.
pub struct SigningKey {
    pub name: String,
    id: [u8; 4],
    pair: Ed25519KeyPair,
}

impl SigningKey {
    pub fn generate(name: &str) -> Result<SigningKey> {
        check_name(name)?;
        let pair = Ed25519KeyPair::generate()
            .map_err(|_| Error::runtime("could not generate an Ed25519 key"))?;
        Ok(SigningKey {
            name: name.to_string(),
            id: key_id(name, pair.public_key().as_ref()),
            pair,
        })
    }

    /// Reads `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`.
    pub fn parse(text: &str) -> Result<SigningKey> {
        let bad = || {
            Error::input("the audit signing key is not a signed-note private key")
                .hint("create one with `changeset audit keygen`")
        };
        let rest = text.trim().strip_prefix(PRIVATE_PREFIX).ok_or_else(bad)?;
        let (name, id, key) = split_key(rest).ok_or_else(bad)?;
        let seed = key
            .strip_prefix(&[ED25519_TYPE])
            .filter(|s| s.len() == 32)
            .ok_or_else(bad)?;
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| bad())?;
        let key = SigningKey {
            name: name.to_string(),
            id: key_id(name, pair.public_key().as_ref()),
            pair,
        };
        if key.id != id {
            return Err(bad());
        }
        Ok(key)
    }

    /// The private key file's text (keep it 0600).
    pub fn private_text(&self) -> Result<String> {
        let seed = self
            .pair
            .seed()
            .and_then(|s| s.as_be_bytes())
            .map_err(|_| Error::runtime("could not read the Ed25519 seed"))?;
        let mut blob = vec![ED25519_TYPE];
        blob.extend_from_slice(seed.as_ref());
        Ok(format!(
            "{PRIVATE_PREFIX}{}+{}+{}\n",
            self.name,
            hex::encode(self.id),
            B64.encode(blob)
        ))
    }

    /// `<name>+<8 hex key id>`: names this key in a signed receipt's `key_id`.
    pub fn key_id(&self) -> String {
        format!("{}+{}", self.name, hex::encode(self.id))
    }

    /// A bare Ed25519 signature over `message` (receipts; checkpoints are signed notes).
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    pub fn verifier(&self) -> VerifierKey {
        let mut public = [0u8; 32];
        public.copy_from_slice(self.pair.public_key().as_ref());
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            public,
        }
    }
}

/// A signed-note verifier key (an Ed25519 public key with its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    id: [u8; 4],
    public: [u8; 32],
}

impl VerifierKey {
    /// Reads `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>`.
    pub fn parse(text: &str) -> Result<VerifierKey> {
        let bad = |why: &str| {
            Error::input(format!("not a signed-note verifier key: {why}"))
                .hint("use the `.pub` file `changeset audit keygen` wrote")
        };
        let (name, id, key) =
            split_key(text.trim()).ok_or_else(|| bad("expected NAME+KEYID+BASE64"))?;
        let public: [u8; 32] = key
            .strip_prefix(&[ED25519_TYPE])
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| bad("not an Ed25519 key"))?;
        if key_id(name, &public) != id {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(VerifierKey {
            name: name.to_string(),
            id,
            public,
        })
    }

    /// `<name>+<8 hex key id>`, as [`SigningKey::key_id`].
    pub fn key_id(&self) -> String {
        format!("{}+{}", self.name, hex::encode(self.id))
    }

    /// Whether `signature` is this key's Ed25519 signature over `message`.
    pub fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.public)
            .verify(message, signature)
            .is_ok()
    }

    pub fn text(&self) -> String {
        let mut blob = vec![ED25519_TYPE];
        blob.extend_from_slice(&self.public);
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(blob)
        )
    }
}

/// Writes a new signing key to `path` (created 0600, never overwritten) and its verifier key to
/// `<path>.pub`; returns the `.pub` path.
pub fn write_key_files(path: &Path, key: &SigningKey) -> Result<PathBuf> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).io_context("creating the directory of", path)?;
    }
    let mut file = crate::private_files::create_new(path).map_err(|e| {
        let err = Error::input(format!("cannot create `{}`: {e}", path.display()));
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            err.hint("a signing key is never overwritten; choose another file with --out")
        } else {
            err
        }
    })?;
    file.write_all(key.private_text()?.as_bytes())
        .io_context("writing", path)?;
    let public = public_path(path);
    std::fs::write(&public, format!("{}\n", key.verifier().text()))
        .io_context("writing", &public)?;
    Ok(public)
}

/// `<key>.pub`.
pub fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Reads the signing key, refusing a file that others may read (like ssh does).
pub fn read_signing_key(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .io_context("reading the audit signing key", path)
        .map_err(|e| e.hint("create one with `changeset audit keygen`"))?;
    if let Some(mode) =
        crate::private_files::readable_by_others(path).io_context("reading", path)?
    {
        return Err(Error::input(format!(
            "the audit signing key `{}` is readable by others (mode {mode:o})",
            path.display(),
        ))
        .hint(format!("run `chmod 600 {}`", path.display())));
    }
    SigningKey::parse(&text).map_err(|e| e.context(format!("`{}`", path.display())))
}

pub fn read_verifier_key(path: &Path) -> Result<VerifierKey> {
    let text = std::fs::read_to_string(path).io_context("reading the public key", path)?;
    VerifierKey::parse(&text).map_err(|e| e.context(format!("`{}`", path.display())))
}

/// `name+hexid+base64` → (name, id, decoded key bytes).
fn split_key(text: &str) -> Option<(&str, [u8; 4], Vec<u8>)> {
    let mut parts = text.splitn(3, '+');
    let name = parts.next().filter(|n| check_name(n).is_ok())?;
    let id_hex = parts.next().filter(|h| h.len() == 8)?;
    let id: [u8; 4] = hex::decode(id_hex).ok()?.try_into().ok()?;
    let key = B64.decode(parts.next()?).ok()?;
    Some((name, id, key))
}

fn key_id(name: &str, public: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519_TYPE]);
    h.update(public);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Signed-note key names: non-empty, no spaces, no `+`.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['+', ' ', '\n', '\t']) {
        return Err(Error::input(format!(
            "`{name}` cannot name a signing key: use no spaces or `+`"
        ))
        .hint("for example `example.com/catalog-audit`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_checkpoints_verify_only_unaltered() {
        let key = SigningKey::generate("example.com/audit").unwrap();
        let again = SigningKey::parse(&key.private_text().unwrap()).unwrap();
        assert_eq!(again.verifier(), key.verifier());
        let verifier = VerifierKey::parse(&key.verifier().text()).unwrap();
        let cp = Checkpoint {
            origin: "example.com/audit".into(),
            size: 7,
            root: [9; 32],
        };
        let note = cp.sign(&key);
        assert_eq!(Checkpoint::verify(&note, &verifier).unwrap(), cp);
        let altered = note.replacen("\n7\n", "\n8\n", 1);
        assert!(Checkpoint::verify(&altered, &verifier).is_err());
        let other = SigningKey::generate("example.com/audit")
            .unwrap()
            .verifier();
        assert!(Checkpoint::verify(&note, &other).is_err());
    }

    /// The signed note and verifier key of Go's sumdb/note documentation verify here, so the
    /// format is the shared one, not a look-alike.
    #[test]
    fn verifies_the_go_sumdb_note_example() {
        let key = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        let note = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\
                    \n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let body = verify_note(note, &key).unwrap();
        assert!(body.starts_with("If you think"));
        assert!(verify_note(&note.replace("answer", "Answer"), &key).is_err());
    }
}
