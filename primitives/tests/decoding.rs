//! SCALE decoding of every public type never panics on arbitrary bytes, and bounded types
//! refuse over-long input.

use blocktree_primitives::{
	block::{BlockHeader, ReadCap, SignedBlockHeader},
	cap::{CapError, SignedWriteCap, WriteCap, WriteCapChain},
	merkle::MerkleProof,
	path::{BlockPath, PathError},
	principal::{Principal, Signature, SigningKey},
};
use codec::{Decode, Encode};
use proptest::prelude::*;

fn decode_all(bytes: &[u8]) {
	let _ = BlockPath::decode(&mut &bytes[..]);
	let _ = PathError::decode(&mut &bytes[..]);
	let _ = Principal::decode(&mut &bytes[..]);
	let _ = SigningKey::decode(&mut &bytes[..]);
	let _ = Signature::decode(&mut &bytes[..]);
	let _ = WriteCap::decode(&mut &bytes[..]);
	let _ = SignedWriteCap::decode(&mut &bytes[..]);
	let _ = WriteCapChain::decode(&mut &bytes[..]);
	let _ = CapError::decode(&mut &bytes[..]);
	let _ = MerkleProof::decode(&mut &bytes[..]);
	let _ = ReadCap::decode(&mut &bytes[..]);
	let _ = BlockHeader::decode(&mut &bytes[..]);
	let _ = SignedBlockHeader::decode(&mut &bytes[..]);
	let _ = blocktree_primitives::crypto::SealedBlock::from_bytes(bytes);
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(3000))]

	#[test]
	fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
		decode_all(&bytes);
	}

	#[test]
	fn decoding_huge_length_prefixes_never_panics(len in any::<u32>(), tail in proptest::collection::vec(any::<u8>(), 0..64)) {
		// A compact length claiming billions of items must fail cleanly, not allocate.
		let mut bytes = codec::Compact(len).encode();
		bytes.extend(tail);
		decode_all(&bytes);
	}
}

#[test]
fn over_long_merkle_proofs_are_refused() {
	let too_long: Vec<[u8; 32]> = vec![[0u8; 32]; 33];
	let bytes = (0u32, 1u32, too_long).encode();
	assert!(MerkleProof::decode(&mut &bytes[..]).is_err());
}
