//! The Merkle log over the receipt chain (RFC 6962 / RFC 9162 section 2.1): leaf i is the raw
//! 32-byte SHA-256 hash of the i-th receipt in chain order.
//!
//! The store keeps every node of every complete (power-of-two, aligned) subtree, written once
//! when its last leaf is appended: node (level, index) covers leaves
//! `index * 2^level .. (index + 1) * 2^level`. Any subtree hash the RFC's definitions need is
//! then a stored node or is combined from O(log n) of them, so roots and proofs for any tree
//! size cost O(log n) reads. This is written here rather than taken from `ct-merkle`, whose
//! tree lives in memory: the log must live in the store, and the code is the RFC's recursion.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub type Hash = [u8; 32];

/// Leaf hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Where stored nodes come from (a store, or memory in tests and verification).
pub trait Nodes {
    /// The stored node (level, index); an error if it is missing.
    fn node(&mut self, level: u32, index: u64) -> Result<Hash>;
}

/// Leaf hashes held in memory, for recomputing a tree from the receipts themselves.
pub struct InMemory {
    /// `levels[l][i]` is node (l, i).
    levels: Vec<Vec<Hash>>,
}

impl InMemory {
    pub fn new() -> Self {
        InMemory {
            levels: vec![Vec::new()],
        }
    }

    pub fn push(&mut self, leaf_data: &[u8]) {
        let index = self.levels[0].len() as u64;
        let new = nodes_for_append(index, leaf_data, self).expect("in-memory nodes exist");
        for (level, _, hash) in new {
            let level = level as usize;
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
        }
    }

    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels[0].get(index as usize).copied()
    }

    /// Every node as (level, index, hash), for filling a store.
    pub fn all_nodes(&self) -> impl Iterator<Item = (u32, u64, Hash)> + '_ {
        self.levels.iter().enumerate().flat_map(|(level, hashes)| {
            hashes
                .iter()
                .enumerate()
                .map(move |(i, h)| (level as u32, i as u64, *h))
        })
    }
}

impl Default for InMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl Nodes for InMemory {
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or_else(|| missing(level, index))
    }
}

pub(crate) fn missing(level: u32, index: u64) -> Error {
    Error::runtime(format!(
        "the audit log's Merkle node ({level}, {index}) is missing"
    ))
    .hint("the audit store was modified outside changeset")
}

/// The nodes to store when leaf `index` is appended: the leaf itself and each subtree it
/// completes, as (level, index, hash), lowest first.
pub fn nodes_for_append(
    index: u64,
    leaf_data: &[u8],
    nodes: &mut (impl Nodes + ?Sized),
) -> Result<Vec<(u32, u64, Hash)>> {
    let mut hash = leaf_hash(leaf_data);
    let (mut level, mut at) = (0u32, index);
    let mut out = vec![(0, index, hash)];
    while at % 2 == 1 {
        let left = nodes.node(level, at - 1)?;
        hash = node_hash(&left, &hash);
        level += 1;
        at /= 2;
        out.push((level, at, hash));
    }
    Ok(out)
}

/// The largest power of two smaller than `n` (n >= 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start..end]) from stored nodes.
fn range_hash(nodes: &mut (impl Nodes + ?Sized), start: u64, end: u64) -> Result<Hash> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return nodes.node(n.trailing_zeros(), start / n);
    }
    let k = split(n);
    let left = range_hash(nodes, start, start + k)?;
    let right = range_hash(nodes, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` leaves.
pub fn root(nodes: &mut (impl Nodes + ?Sized), size: u64) -> Result<Hash> {
    range_hash(nodes, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 PATH).
pub fn inclusion_proof(
    nodes: &mut (impl Nodes + ?Sized),
    index: u64,
    size: u64,
) -> Result<Vec<Hash>> {
    if index >= size {
        return Err(Error::input(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    let mut proof = Vec::new();
    path(nodes, index, 0, size, &mut proof)?;
    Ok(proof)
}

fn path(
    nodes: &mut (impl Nodes + ?Sized),
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<()> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(nodes, m, start, start + k, out)?;
        out.push(range_hash(nodes, start + k, end)?);
    } else {
        path(nodes, m - k, start + k, end, out)?;
        out.push(range_hash(nodes, start, start + k)?);
    }
    Ok(())
}

/// The proof that the tree of `old` leaves is a prefix of the tree of `new` leaves
/// (RFC 6962 PROOF / SUBPROOF).
pub fn consistency_proof(
    nodes: &mut (impl Nodes + ?Sized),
    old: u64,
    new: u64,
) -> Result<Vec<Hash>> {
    if old == 0 || old > new {
        return Err(Error::input(format!(
            "no consistency proof from {old} to {new} leaves"
        )));
    }
    let mut proof = Vec::new();
    subproof(nodes, old, 0, new, true, &mut proof)?;
    Ok(proof)
}

fn subproof(
    nodes: &mut (impl Nodes + ?Sized),
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<()> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(range_hash(nodes, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(nodes, m, start, start + k, whole, out)?;
        out.push(range_hash(nodes, start + k, end)?);
    } else {
        subproof(nodes, m - k, start + k, end, false, out)?;
        out.push(range_hash(nodes, start, start + k)?);
    }
    Ok(())
}

/// Checks an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n % 2 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n % 2 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && &r == root
}

/// Checks a consistency proof (RFC 9162 section 2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old == 0 || old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if proof.is_empty() {
        return false;
    }
    let mut proof = proof.to_vec();
    if old.is_power_of_two() {
        proof.insert(0, *old_root);
    }
    let Some((first, rest)) = proof.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n % 2 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n % 2 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n % 2 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    &fr == old_root && &sr == new_root && s_n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_from_stored_nodes_match_a_direct_recursion() {
        fn mth(leaves: &[Vec<u8>]) -> Hash {
            match leaves.len() {
                0 => empty_root(),
                1 => leaf_hash(&leaves[0]),
                n => {
                    let k = split(n as u64) as usize;
                    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
                }
            }
        }
        let mut tree = InMemory::new();
        let mut leaves = Vec::new();
        for i in 0..40u8 {
            leaves.push(vec![i; 32]);
            tree.push(&leaves[i as usize]);
            for size in 0..=leaves.len() {
                assert_eq!(root(&mut tree, size as u64).unwrap(), mth(&leaves[..size]));
            }
        }
    }
}
