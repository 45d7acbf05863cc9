//! The audit log as a transparency log: Merkle proofs checked by an independent verifier and
//! the RFC 6962 test vectors, signed checkpoints, and the attacks a hash chain alone misses
//! (rewrite, truncation, swap), each failing `audit verify --checkpoint` at the first bad index.

use changeset::audit::merkle::{self, Hash, InMemory};
use changeset::audit::{AuditStore, SqliteStore};
use changeset::receipt::Receipt;

use crate::support::{TestEnv, run};

// ---------------------------------------------------------------- an independent RFC 6962 verifier
// Written from RFC 6962 section 2.1 as recursions over the definitions (the code under test uses
// RFC 9162's iterative algorithms and its own proof builder), with its own SHA-256 calls.

fn h(parts: &[&[u8]]) -> Hash {
    use sha2::{Digest, Sha256};
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().into()
}

fn rfc_leaf(data: &[u8]) -> Hash {
    h(&[&[0], data])
}

fn rfc_node(l: &Hash, r: &Hash) -> Hash {
    h(&[&[1], l, r])
}

fn largest_power_below(n: u64) -> u64 {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) by the definition.
fn rfc_root(leaves: &[Vec<u8>]) -> Hash {
    match leaves.len() {
        0 => h(&[]),
        1 => rfc_leaf(&leaves[0]),
        n => {
            let k = largest_power_below(n as u64) as usize;
            rfc_node(&rfc_root(&leaves[..k]), &rfc_root(&leaves[k..]))
        }
    }
}

/// The root an audit path leads to, following PATH(m, D[n]): the path's last element is the
/// sibling at the top split.
fn root_from_path(m: u64, n: u64, leaf: Hash, path: &[Hash]) -> Option<Hash> {
    if n == 1 {
        return path.is_empty().then_some(leaf);
    }
    let (sibling, rest) = path.split_last()?;
    let k = largest_power_below(n);
    if m < k {
        Some(rfc_node(&root_from_path(m, k, leaf, rest)?, sibling))
    } else {
        Some(rfc_node(
            sibling,
            &root_from_path(m - k, n - k, leaf, rest)?,
        ))
    }
}

/// (old root, new root) a consistency proof leads to, following SUBPROOF(m, D[n], b).
fn roots_from_subproof(
    m: u64,
    n: u64,
    whole: bool,
    old_root: Hash,
    proof: &[Hash],
) -> Option<(Hash, Hash)> {
    if m == n {
        return if whole {
            proof.is_empty().then_some((old_root, old_root))
        } else {
            match proof {
                [only] => Some((*only, *only)),
                _ => None,
            }
        };
    }
    let (last, rest) = proof.split_last()?;
    let k = largest_power_below(n);
    if m <= k {
        let (old, new_left) = roots_from_subproof(m, k, whole, old_root, rest)?;
        Some((old, rfc_node(&new_left, last)))
    } else {
        let (old_right, new_right) = roots_from_subproof(m - k, n - k, false, old_root, rest)?;
        Some((rfc_node(last, &old_right), rfc_node(last, &new_right)))
    }
}

fn check_consistency(m: u64, n: u64, old_root: Hash, new_root: Hash, proof: &[Hash]) -> bool {
    roots_from_subproof(m, n, true, old_root, proof) == Some((old_root, new_root))
}

fn hx(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// The RFC 6962 reference test vectors (certificate-transparency's and Trillian's test data).
#[test]
fn merkle_log_matches_the_rfc_6962_test_vectors() {
    let leaves: Vec<Vec<u8>> = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| hex::decode(s).unwrap())
    .collect();
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let mut tree = InMemory::new();
    assert_eq!(
        merkle::root(&mut tree, 0).unwrap(),
        hx("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    for (i, leaf) in leaves.iter().enumerate() {
        tree.push(leaf);
        assert_eq!(
            merkle::root(&mut tree, i as u64 + 1).unwrap(),
            hx(roots[i]),
            "root of {} leaves",
            i + 1
        );
    }
    let inclusion = [
        (
            0,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (index, want) in inclusion {
        let want: Vec<Hash> = want.into_iter().map(hx).collect();
        assert_eq!(merkle::inclusion_proof(&mut tree, index, 8).unwrap(), want);
        let leaf = merkle::leaf_hash(&leaves[index as usize]);
        assert!(merkle::verify_inclusion(
            index,
            8,
            &leaf,
            &want,
            &hx(roots[7])
        ));
    }
    let consistency = [
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, new, want) in consistency {
        let want: Vec<Hash> = want.into_iter().map(hx).collect();
        assert_eq!(
            merkle::consistency_proof(&mut tree, old, new).unwrap(),
            want,
            "{old} -> {new}"
        );
        assert!(merkle::verify_consistency(
            old,
            new,
            &hx(roots[old as usize - 1]),
            &hx(roots[new as usize - 1]),
            &want
        ));
    }
}

/// A receipt made by a real apply, to clone into many (the store re-chains and re-seals each).
fn template_receipt() -> Receipt {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let (code, stdout, stderr) = run(env
        .cmd()
        .args([
            "apply",
            "set STR-001 price to 99",
            "--no-input",
            "--format",
            "json",
        ])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// Every inclusion and consistency proof the store builds for trees of 1..64 receipts, checked
/// by the independent verifier above against roots it computes itself from the receipt hashes.
#[test]
fn store_proofs_for_every_tree_size_up_to_64_pass_an_independent_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let template = template_receipt();
    let mut leaves: Vec<Vec<u8>> = Vec::new();
    let mut roots = vec![h(&[])];
    for i in 0..64u64 {
        let mut r = template.clone();
        r.id = format!("R-{i:012X}");
        store.append(&mut r, "done").unwrap();
        leaves.push(hex::decode(r.hash.strip_prefix("sha256:").unwrap()).unwrap());
        roots.push(rfc_root(&leaves));
    }
    for n in 1..=64u64 {
        assert_eq!(
            merkle::root(&mut store, n).unwrap(),
            roots[n as usize],
            "root of {n}"
        );
        for m in 0..n {
            let proof = merkle::inclusion_proof(&mut store, m, n).unwrap();
            let leaf = rfc_leaf(&leaves[m as usize]);
            assert_eq!(
                root_from_path(m, n, leaf, &proof),
                Some(roots[n as usize]),
                "inclusion {m} in {n}"
            );
            // A proof for another leaf does not pass.
            let other = rfc_leaf(&leaves[((m + 1) % n) as usize]);
            assert!(n == 1 || root_from_path(m, n, other, &proof) != Some(roots[n as usize]));
        }
        for m in 1..=n {
            let proof = merkle::consistency_proof(&mut store, m, n).unwrap();
            assert!(
                check_consistency(m, n, roots[m as usize], roots[n as usize], &proof),
                "consistency {m} -> {n}"
            );
            assert!(merkle::verify_consistency(
                m,
                n,
                &roots[m as usize],
                &roots[n as usize],
                &proof
            ));
            if m < n {
                // A different old root (a rewritten past) is refused by both verifiers.
                let forged = roots[m as usize - 1];
                assert!(!check_consistency(m, n, forged, roots[n as usize], &proof));
                assert!(!merkle::verify_consistency(
                    m,
                    n,
                    &forged,
                    &roots[n as usize],
                    &proof
                ));
            }
        }
    }
}

// ---------------------------------------------------------------- checkpoints and the attacks

/// A store with `n` receipts, a signing key, and a checkpoint of those `n` saved to `c.txt`.
struct Log {
    env: TestEnv,
    rules: std::path::PathBuf,
    applied: u32,
}

impl Log {
    fn new(n: u32) -> Log {
        let env = TestEnv::new();
        let rules = env.rules_with_auto_approve(3);
        let mut log = Log {
            env,
            rules,
            applied: 0,
        };
        for _ in 0..n {
            log.apply();
        }
        let (code, stdout, stderr) =
            run(log
                .env
                .cmd()
                .args(["audit", "keygen", "--name", "example.com/catalog-audit"]));
        assert_eq!(code, 0, "{stderr}");
        let public = std::fs::read_to_string(log.public_key()).unwrap();
        assert_eq!(stdout.trim(), public.trim());
        log.save_checkpoint("c.txt");
        log
    }

    fn apply(&mut self) {
        self.applied += 1;
        let request = format!("set STR-001 price to {}", 100 + self.applied);
        let (code, _, stderr) = run(self
            .env
            .cmd()
            .args(["apply", &request, "--no-input"])
            .arg("--rules")
            .arg(&self.rules));
        assert_eq!(code, 0, "{stderr}");
    }

    fn public_key(&self) -> std::path::PathBuf {
        self.env.data_dir().join("audit-signing.key.pub")
    }

    fn save_checkpoint(&self, name: &str) -> std::path::PathBuf {
        let (code, stdout, stderr) = run(self.env.cmd().args(["audit", "checkpoint"]));
        assert_eq!(code, 0, "{stderr}");
        let path = self.env.path().join(name);
        std::fs::write(&path, stdout).unwrap();
        path
    }

    /// `audit verify`, plain or against a checkpoint: (exit code, stdout, stderr).
    fn verify(&self, checkpoint: Option<&str>) -> (i32, String, String) {
        let mut cmd = self.env.cmd();
        cmd.args(["audit", "verify"]);
        if let Some(name) = checkpoint {
            cmd.arg("--checkpoint")
                .arg(self.env.path().join(name))
                .arg("--key")
                .arg(self.public_key());
        }
        run(&mut cmd)
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.env.data_dir().join("audit.db")).unwrap()
    }

    fn receipts(&self) -> Vec<Receipt> {
        let conn = self.db();
        let mut stmt = conn
            .prepare("SELECT body FROM receipts ORDER BY seq")
            .unwrap();
        let bodies: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .collect()
    }

    /// What someone who can write the database does to hide an edit from the hash chain:
    /// store `receipts` in this order, re-chaining and re-sealing each with changeset's own
    /// `Receipt::seal`, and move the chain head. The Merkle log's record is left alone.
    fn rewrite_chain(&self, receipts: Vec<Receipt>) {
        let conn = self.db();
        let seqs: Vec<i64> = {
            let mut stmt = conn
                .prepare("SELECT seq FROM receipts ORDER BY seq")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        // Free the ids first, so receipts can change places.
        conn.execute("UPDATE receipts SET id = 'moving-' || seq", [])
            .unwrap();
        let mut prev: Option<(String, String)> = None;
        for (seq, mut r) in seqs.iter().zip(receipts.clone()) {
            r.prev_id = prev.as_ref().map(|p| p.0.clone());
            r.prev_hash = prev.as_ref().map(|p| p.1.clone());
            r.seal();
            conn.execute(
                "UPDATE receipts SET id = ?1, plan_id = ?2, hash = ?3, prev_hash = ?4, body = ?5 WHERE seq = ?6",
                rusqlite::params![r.id, r.plan_id, r.hash, r.prev_hash, serde_json::to_string(&r).unwrap(), seq],
            )
            .unwrap();
            prev = Some((r.id.clone(), r.hash.clone()));
        }
        for seq in &seqs[receipts.len()..] {
            conn.execute("DELETE FROM receipts WHERE seq = ?1", [seq])
                .unwrap();
        }
        let (id, hash) = prev.unwrap();
        conn.execute(
            "UPDATE chain_head SET count = ?1, id = ?2, hash = ?3",
            rusqlite::params![receipts.len() as i64, id, hash],
        )
        .unwrap();
    }
}

fn edited(mut r: Receipt) -> Receipt {
    r.request = "set STR-001 price to 1".into();
    r
}

#[test]
fn a_rewritten_receipt_passes_the_chain_check_but_fails_against_a_checkpoint_at_its_index() {
    let mut log = Log::new(6);
    log.apply(); // the log grew honestly after the checkpoint
    assert_eq!(
        log.verify(Some("c.txt")).0,
        0,
        "an honest log extends its checkpoint"
    );

    let mut receipts = log.receipts();
    let victim = receipts[2].id.clone();
    receipts[2] = edited(receipts[2].clone());
    log.rewrite_chain(receipts);

    // The hash chain alone cannot tell: every seal and link is consistent again.
    let (code, stdout, stderr) = log.verify(None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("7 receipt(s) verified"), "{stdout}");

    let (code, _, stderr) = log.verify(Some("c.txt"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("rewritten at index 2"), "{stderr}");
    assert!(stderr.contains(&victim), "{stderr}");
}

#[test]
fn a_truncated_log_fails_against_a_checkpoint_at_the_first_missing_index() {
    let log = Log::new(6);
    let mut receipts = log.receipts();
    receipts.truncate(4);
    log.rewrite_chain(receipts);
    assert_eq!(log.verify(None).0, 0, "the shorter chain is consistent");
    let (code, _, stderr) = log.verify(Some("c.txt"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("rewritten at index 4"), "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");
}

#[test]
fn swapped_receipts_fail_against_a_checkpoint_at_the_first_swapped_index() {
    let log = Log::new(6);
    let mut receipts = log.receipts();
    receipts.swap(1, 3);
    log.rewrite_chain(receipts);
    assert_eq!(log.verify(None).0, 0, "the reordered chain is consistent");
    let (code, _, stderr) = log.verify(Some("c.txt"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("rewritten at index 1"), "{stderr}");
}

/// The strongest rewrite: a whole new store built with changeset's own append (chain, head and
/// Merkle record all consistent). Only the signed checkpoint kept elsewhere shows it.
#[test]
fn a_store_rebuilt_from_edited_receipts_fails_against_a_checkpoint() {
    let log = Log::new(5);
    let forged_dir = tempfile::tempdir().unwrap();
    {
        let mut forged = SqliteStore::open(forged_dir.path()).unwrap();
        for (i, r) in log.receipts().into_iter().enumerate() {
            let mut r = if i == 3 { edited(r) } else { r };
            forged.append(&mut r, "done").unwrap();
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(log.env.data_dir().join(format!("audit.db{suffix}")));
    }
    std::fs::copy(
        forged_dir.path().join("audit.db"),
        log.env.data_dir().join("audit.db"),
    )
    .unwrap();
    assert_eq!(log.verify(None).0, 0, "the forged store is self-consistent");
    let (code, _, stderr) = log.verify(Some("c.txt"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("first 5 receipts no longer hash to the checkpoint's root"),
        "{stderr}"
    );
}

#[test]
fn a_receipt_proof_and_checkpoint_verify_offline_and_any_altered_file_fails() {
    let mut log = Log::new(5);
    log.apply(); // the proof is made for the checkpoint's size, not the current one
    let receipts = log.receipts();
    let id = receipts[3].id.clone();
    let dir = log.env.path();
    let (code, proof, stderr) = run(log.env.cmd().args(["audit", "prove", &id, "--size", "5"]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("p.json"), &proof).unwrap();
    let (_, receipt, _) = run(log
        .env
        .cmd()
        .args(["audit", "show", &id, "--format", "json"]));
    std::fs::write(dir.join("r.json"), &receipt).unwrap();
    std::fs::copy(log.public_key(), dir.join("log.pub")).unwrap();

    // Offline: no data directory, nothing but the four files.
    let offline = |receipt: &str, proof: &str, checkpoint: &str| {
        let mut cmd = log.env.cmd();
        cmd.env("CHANGESET_DATA_DIR", dir.join("nowhere")).args([
            "audit",
            "verify",
            "--receipt",
            receipt,
            "--proof",
            proof,
            "--checkpoint",
            checkpoint,
            "--key",
            "log.pub",
        ]);
        run(&mut cmd)
    };
    let (code, stdout, stderr) = offline("r.json", "p.json", "c.txt");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "receipt {id} is intact and is entry 3 of the log of 5 receipt(s)"
        )),
        "{stdout}"
    );
    assert!(
        !dir.join("nowhere").exists(),
        "the offline check opened no store"
    );

    // An edited receipt (re-sealed so its own hash is fine) is not the one in the log.
    let mut forged: Receipt = serde_json::from_str(&receipt).unwrap();
    forged = edited(forged);
    forged.seal();
    std::fs::write(
        dir.join("forged.json"),
        serde_json::to_string(&forged).unwrap(),
    )
    .unwrap();
    let (code, _, stderr) = offline("forged.json", "p.json", "c.txt");
    assert_eq!(code, 1);
    assert!(stderr.contains("the proof is for receipt"), "{stderr}");
    let mut proof_json: serde_json::Value = serde_json::from_str(&proof).unwrap();
    proof_json["receipt_hash"] = forged.hash.clone().into();
    std::fs::write(dir.join("p-forged.json"), proof_json.to_string()).unwrap();
    let (code, _, stderr) = offline("forged.json", "p-forged.json", "c.txt");
    assert_eq!(code, 1);
    assert!(stderr.contains("is not entry 3 of the log"), "{stderr}");

    // A checkpoint whose size or root was edited no longer carries a valid signature.
    let note = std::fs::read_to_string(dir.join("c.txt")).unwrap();
    std::fs::write(dir.join("c-edited.txt"), note.replacen("\n5\n", "\n6\n", 1)).unwrap();
    let (code, _, stderr) = offline("r.json", "p.json", "c-edited.txt");
    assert_eq!(code, 1);
    assert!(stderr.contains("does not verify"), "{stderr}");

    // Another key's checkpoint is refused.
    let other = TestEnv::new();
    run(other
        .cmd()
        .args(["audit", "keygen", "--name", "example.com/catalog-audit"]));
    std::fs::copy(
        other.data_dir().join("audit-signing.key.pub"),
        dir.join("log.pub"),
    )
    .unwrap();
    let (code, _, stderr) = offline("r.json", "p.json", "c.txt");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("carries no signature by the key"),
        "{stderr}"
    );
}

#[test]
fn keygen_writes_a_private_0600_key_and_checkpoint_refuses_a_readable_one() {
    let log = Log::new(1);
    let key = log.env.data_dir().join("audit-signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (code, _, stderr) = run(log.env.cmd().args(["audit", "checkpoint"]));
        assert_eq!(code, 1);
        assert!(stderr.contains("readable by others"), "{stderr}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let before = std::fs::read_to_string(&key).unwrap();
    let (code, _, stderr) = run(log.env.cmd().args(["audit", "keygen"]));
    assert_eq!(code, 1, "an existing key is never overwritten");
    assert!(stderr.contains("never overwritten"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), before);

    let (code, stdout, _) = run(log
        .env
        .cmd()
        .args(["audit", "checkpoint", "--format", "json"]));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["size"], 1);
    assert_eq!(json["origin"], "example.com/catalog-audit");
    let note = json["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!(
            "example.com/catalog-audit\n1\n{}\n\n\u{2014} example.com/catalog-audit ",
            json["root"].as_str().unwrap()
        )),
        "{note}"
    );
}

/// A store made before the Merkle log (schema version 1) gets its tree filled in on first use,
/// with the same root an up-to-date store has.
#[test]
fn an_older_store_is_migrated_to_the_merkle_log_with_the_same_root() {
    let log = Log::new(5);
    let conn = log.db();
    conn.execute_batch("DROP TABLE merkle_nodes; PRAGMA user_version = 0;")
        .unwrap();
    drop(conn);
    assert_eq!(log.verify(Some("c.txt")).0, 0);
    let again = log.save_checkpoint("c2.txt");
    let first = std::fs::read_to_string(log.env.path().join("c.txt")).unwrap();
    let root = |note: &str| note.lines().nth(2).unwrap().to_string();
    assert_eq!(root(&std::fs::read_to_string(again).unwrap()), root(&first));
}

/// A store made when gate applies were unique per plan id (schema version 2) is migrated: two
/// requesters' applies of one plan id are both kept, and the applies already stored survive.
#[test]
fn an_older_store_lets_two_requesters_apply_one_plan_id() {
    use changeset::audit::GateApply;
    let env = TestEnv::new();
    let dir = env.path().join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let old = rusqlite::Connection::open(dir.join("audit.db")).unwrap();
    old.execute_batch(
        "CREATE TABLE gate_applies (id TEXT PRIMARY KEY, plan_id TEXT NOT NULL UNIQUE,
             status TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
             updated_at TEXT NOT NULL);
         INSERT INTO gate_applies VALUES ('A-1', 'CS-1', 'applied', '{}', 't', 't');
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(old);
    let mut store = SqliteStore::open(&dir).unwrap();
    let apply = |id: &str| GateApply {
        id: id.into(),
        plan_id: "CS-1".into(),
        status: "pending_approval".into(),
        body: "{}".into(),
    };
    assert_eq!(
        store.gate_apply_insert(&apply("A-2"), "t").unwrap().id,
        "A-2"
    );
    assert_eq!(store.gate_apply("A-1").unwrap().unwrap().status, "applied");
    assert_eq!(store.gate_apply("A-2").unwrap().unwrap().plan_id, "CS-1");
}
