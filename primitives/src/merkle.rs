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
		level = level
			.chunks(2)
			.map(|pair| if pair.len() == 2 { node_hash(&pair[0], &pair[1]) } else { pair[0] })
			.collect();
	}
	level[0]
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

/// The proof for leaf `index`, or `None` if there is no such leaf.
pub fn prove(leaves: &[H256], index: usize) -> Option<MerkleProof> {
	if index >= leaves.len() || leaves.len() > u32::MAX as usize {
		return None;
	}
	let mut siblings = Vec::new();
	let mut level: Vec<H256> = leaves.to_vec();
	let mut i = index;
	while level.len() > 1 {
		let sibling = if i % 2 == 0 { i + 1 } else { i - 1 };
		if sibling < level.len() {
			siblings.push(level[sibling]);
		}
		level = level
			.chunks(2)
			.map(|pair| if pair.len() == 2 { node_hash(&pair[0], &pair[1]) } else { pair[0] })
			.collect();
		i /= 2;
	}
	Some(MerkleProof {
		index: index as u32,
		leaf_count: leaves.len() as u32,
		siblings: BoundedVec::try_from(siblings).ok()?,
	})
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
