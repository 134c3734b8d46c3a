//! Merkle trees over the ciphertext sectors of a block.
//!
//! The writer signs the root; a reader checks one sector against it with a [`MerkleProof`] and
//! never needs the other sectors. Leaves and inner nodes are hashed with different domain
//! prefixes, so an inner node can never pass for a leaf. An odd node at the end of a level is
//! carried up unchanged.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};
use sp_runtime::BoundedVec;

use alloc::vec::Vec;

/// Longest proof: enough for 2^32 leaves.
pub const MAX_PROOF_LEN: u32 = 32;

/// Hash of a leaf (a ciphertext sector).
pub fn leaf_hash(data: &[u8]) -> H256 {
	let mut buf = Vec::with_capacity(data.len() + 1);
	buf.push(0u8);
	buf.extend_from_slice(data);
	H256(sp_crypto_hashing::blake2_256(&buf))
}

fn node_hash(left: &H256, right: &H256) -> H256 {
	let mut buf = [0u8; 65];
	buf[0] = 1;
	buf[1..33].copy_from_slice(left.as_bytes());
	buf[33..].copy_from_slice(right.as_bytes());
	H256(sp_crypto_hashing::blake2_256(&buf))
}

/// The root of a tree with no leaves (an empty block).
pub fn empty_root() -> H256 {
	H256(sp_crypto_hashing::blake2_256(&[2u8]))
}

/// The root over `leaves` (already hashed with [`leaf_hash`]).
pub fn root(leaves: &[H256]) -> H256 {
	if leaves.is_empty() {
		return empty_root();
	}
	let mut level: Vec<H256> = leaves.to_vec();
	while level.len() > 1 {
		level = next_level(&level);
	}
	level[0]
}

fn next_level(level: &[H256]) -> Vec<H256> {
	level
		.chunks(2)
		.map(|pair| if pair.len() == 2 { node_hash(&pair[0], &pair[1]) } else { pair[0] })
		.collect()
}

/// Proof that a leaf sits at `index` in a tree of `leaf_count` leaves.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct MerkleProof {
	/// Position of the leaf.
	pub index: u32,
	/// Number of leaves in the tree.
	pub leaf_count: u32,
	/// Sibling hashes from the leaf's level upwards (levels where the node is carried up have
	/// none).
	pub siblings: BoundedVec<H256, ConstU32<MAX_PROOF_LEN>>,
}

/// The proof for leaf `index`, or `None` if there is no such leaf. Builds the whole tree: to
/// prove many leaves of one tree, build a [`MerkleTree`] once.
pub fn prove(leaves: &[H256], index: usize) -> Option<MerkleProof> {
	if index >= leaves.len() {
		return None;
	}
	MerkleTree::new(leaves.to_vec())?.prove(index)
}

/// A whole tree kept in memory (about twice its leaves), so that each proof is a walk up its
/// levels rather than a rebuild: what a server answering many proofs of one tree needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
	/// `levels[0]` are the leaves; the last level is the root alone.
	levels: Vec<Vec<H256>>,
}

impl MerkleTree {
	/// The tree over `leaves` (hashed with [`leaf_hash`]); `None` for no leaves or more than
	/// `u32::MAX` of them (no proof could name them).
	pub fn new(leaves: Vec<H256>) -> Option<Self> {
		if leaves.is_empty() || leaves.len() > u32::MAX as usize {
			return None;
		}
		let mut levels = alloc::vec![leaves];
		while let Some(top) = levels.last().filter(|l| l.len() > 1) {
			let next = next_level(top);
			levels.push(next);
		}
		Some(MerkleTree { levels })
	}

	/// The root, as [`root`] computes it.
	pub fn root(&self) -> H256 {
		self.levels.last().and_then(|l| l.first()).copied().unwrap_or_else(empty_root)
	}

	/// The leaves.
	pub fn leaves(&self) -> &[H256] {
		&self.levels[0]
	}

	/// The proof for leaf `index`, as [`prove`] makes it; `None` past the last leaf.
	pub fn prove(&self, index: usize) -> Option<MerkleProof> {
		let leaf_count = self.leaves().len();
		if index >= leaf_count {
			return None;
		}
		let mut siblings = Vec::new();
		let mut i = index;
		for level in &self.levels[..self.levels.len() - 1] {
			let sibling = i ^ 1;
			if sibling < level.len() {
				siblings.push(level[sibling]);
			}
			i /= 2;
		}
		Some(MerkleProof {
			index: index as u32,
			leaf_count: leaf_count as u32,
			siblings: BoundedVec::try_from(siblings).ok()?,
		})
	}
}

/// Whether `leaf` (hashed with [`leaf_hash`]) is in the tree with `root` at the proof's index.
pub fn verify(root_hash: &H256, leaf: &H256, proof: &MerkleProof) -> bool {
	if proof.index >= proof.leaf_count {
		return false;
	}
	let mut hash = *leaf;
	let mut index = proof.index as u64;
	let mut width = proof.leaf_count as u64;
	let mut siblings = proof.siblings.iter();
	while width > 1 {
		let is_last_odd = index == width - 1 && width % 2 == 1;
		if !is_last_odd {
			let Some(sibling) = siblings.next() else { return false };
			hash = if index % 2 == 0 { node_hash(&hash, sibling) } else { node_hash(sibling, &hash) };
		}
		index /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && hash == *root_hash
}
