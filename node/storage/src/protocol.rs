//! The fragment exchange protocol, `/<genesis hash>/blocktree/fragment/1`: its messages and
//! limits. Messages are SCALE-encoded; every request gets exactly one response.
//!
//! - [`Request::Push`]: the block owner's node sends a fragment to a provider in parts of at
//!   most [`MAX_PART`] bytes, in order. The provider checks every part against the chain
//!   (see [`crate::service`]), verifies the whole fragment against its recorded root, stores
//!   it and places it on chain itself.
//! - [`Request::Fetch`]: anyone reads up to [`MAX_PART`] bytes of a fragment (fragments are
//!   ciphertext); the reader verifies the whole fragment against its root.
//! - [`Request::FetchChunks`]: anyone reads up to [`MAX_CHUNKS`] proof chunks with their
//!   merkle proofs, each verifiable alone: for small random reads.
//!
//! A refusal is a response ([`Response::Refused`]) that says why, so the sender can act on it
//! (try another provider, open a contract, back off).

use core::{fmt, time::Duration};

use blocktree_primitives::{
	merkle::{MerkleProof, MAX_PROOF_LEN},
	storage::{DataBlockId, PROOF_CHUNK_SIZE},
	Hash,
};
use codec::{Decode, DecodeLimit, Encode};

/// The protocol's name after the chain's genesis hash.
pub const PROTOCOL_SUFFIX: &str = "blocktree/fragment/1";

/// The largest part of a fragment one request or response carries.
pub const MAX_PART: u32 = 2 << 20;

/// The most proof chunks one [`Request::FetchChunks`] may ask for.
pub const MAX_CHUNKS: u32 = 64;

/// Room for a message's fields around its payload.
const ENVELOPE: u64 = 4096;

/// The largest request: a push of one part.
pub const MAX_REQUEST_SIZE: u64 = MAX_PART as u64 + ENVELOPE;

/// The largest response: [`MAX_CHUNKS`] chunks with full proofs, or one part.
pub const MAX_RESPONSE_SIZE: u64 = {
	let chunks = MAX_CHUNKS as u64 * (PROOF_CHUNK_SIZE as u64 + 16 + 32 * MAX_PROOF_LEN as u64);
	let part = MAX_PART as u64;
	(if chunks > part { chunks } else { part }) + ENVELOPE
};

/// How long a request may take, transfer included (a 2 MiB part at a slow 1 MiB/s, twice).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Nesting limit when decoding a message.
const DECODE_DEPTH: u32 = 8;

/// The protocol name on the chain with genesis hash `genesis`.
pub fn protocol_name(genesis: &Hash) -> String {
	let hex: String = genesis.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
	format!("/{hex}/{PROTOCOL_SUFFIX}")
}

/// A request to a node.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Request {
	/// Part of fragment `index` of `block`, starting at byte `offset`. Parts come in order;
	/// the first is at offset 0.
	Push { block: DataBlockId, index: u8, offset: u64, bytes: Vec<u8> },
	/// Up to `len` (at most [`MAX_PART`]) bytes of fragment `index` of `block` from `offset`.
	Fetch { block: DataBlockId, index: u8, offset: u64, len: u32 },
	/// Proof chunks `first .. first + count` of fragment `index` of `block` with their proofs.
	FetchChunks { block: DataBlockId, index: u8, first: u32, count: u32 },
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Response {
	/// A pushed part was kept; `received` bytes of the fragment so far.
	Accepted { received: u64 },
	/// The pushed fragment is complete, verified against its root and stored; the provider
	/// places it on chain.
	Stored,
	/// Fetched bytes, and the fragment's whole length.
	Bytes { fragment_len: u64, bytes: Vec<u8> },
	/// Fetched chunks with their merkle proofs, and the fragment's whole length.
	Chunks { fragment_len: u64, chunks: Vec<(Vec<u8>, MerkleProof)> },
	/// The request was refused, for this reason.
	Refused(Refusal),
}

/// Why a node refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Refusal {
	/// The request could not be decoded or breaks the protocol's bounds.
	Malformed,
	/// The chain has no block with this id (yet: record it first).
	UnknownBlock,
	/// The block has no fragment with this index.
	UnknownFragment,
	/// The pushing peer is not the endpoint the block owner registered.
	NotOwnersEndpoint,
	/// Another provider holds this fragment already.
	PlacedElsewhere,
	/// This node holds another fragment of the block; providers of a block are distinct.
	HoldsAnotherFragment,
	/// This node lost a fragment of the block recently and may not place one yet.
	Barred,
	/// No live contract with the block owner has room for the fragment.
	NoContractRoom,
	/// The node's store is full.
	StoreFull,
	/// A part arrived out of order; the next part must start at `expected`.
	OutOfOrder { expected: u64 },
	/// The parts add up to more than the fragment's recorded size.
	TooLong,
	/// The pushed fragment does not hash to the root the chain recorded.
	WrongRoot,
	/// This node does not hold the fragment.
	NotHeld,
	/// Too many requests or uploads from this peer or in total: retry later.
	Busy,
	/// The node failed (its disk or chain access); retry later or elsewhere.
	Internal,
}

impl fmt::Display for Refusal {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			Refusal::Malformed => write!(f, "malformed request"),
			Refusal::UnknownBlock => write!(f, "the chain has no such block: record the block before pushing"),
			Refusal::UnknownFragment => write!(f, "the block has no fragment with this index"),
			Refusal::NotOwnersEndpoint =>
				write!(f, "the pushing node is not the block owner's registered endpoint: register it with `endpoints.register`"),
			Refusal::PlacedElsewhere => write!(f, "the fragment is already placed with another provider"),
			Refusal::HoldsAnotherFragment => write!(f, "the provider already holds another fragment of this block: choose another provider"),
			Refusal::Barred => write!(f, "the provider lost a fragment of this block recently and may not place one yet"),
			Refusal::NoContractRoom => write!(f, "no live contract with the provider has room: open a contract or a larger one"),
			Refusal::StoreFull => write!(f, "the provider's store is full"),
			Refusal::OutOfOrder { expected } => write!(f, "part out of order: the next part starts at byte {expected}"),
			Refusal::TooLong => write!(f, "the parts exceed the fragment size the chain recorded"),
			Refusal::WrongRoot => write!(f, "the fragment does not hash to the root the chain recorded"),
			Refusal::NotHeld => write!(f, "the fragment is not held there"),
			Refusal::Busy => write!(f, "the provider is busy: retry later"),
			Refusal::Internal => write!(f, "the provider failed internally: retry later or elsewhere"),
		}
	}
}

impl Request {
	/// Decodes a request, refusing trailing bytes, deep nesting and payloads above the
	/// protocol's bounds.
	pub fn decode_bounded(bytes: &[u8]) -> Result<Self, Refusal> {
		if bytes.len() as u64 > MAX_REQUEST_SIZE {
			return Err(Refusal::Malformed)
		}
		let request = Request::decode_all_with_depth_limit(DECODE_DEPTH, &mut &bytes[..]).map_err(|_| Refusal::Malformed)?;
		match &request {
			Request::Push { bytes, offset, .. } if bytes.is_empty() || bytes.len() > MAX_PART as usize || offset.checked_add(bytes.len() as u64).is_none() =>
				Err(Refusal::Malformed),
			Request::Fetch { len, .. } if *len == 0 || *len > MAX_PART => Err(Refusal::Malformed),
			Request::FetchChunks { count, .. } if *count == 0 || *count > MAX_CHUNKS => Err(Refusal::Malformed),
			_ => Ok(request),
		}
	}

	/// The fragment the request is about.
	pub fn fragment(&self) -> (DataBlockId, u8) {
		match self {
			Request::Push { block, index, .. } | Request::Fetch { block, index, .. } | Request::FetchChunks { block, index, .. } =>
				(*block, *index),
		}
	}
}

impl Response {
	/// Decodes a response, refusing trailing bytes and deep nesting.
	pub fn decode_bounded(bytes: &[u8]) -> Result<Self, codec::Error> {
		Response::decode_all_with_depth_limit(DECODE_DEPTH, &mut &bytes[..])
	}
}

/// The push requests that send `fragment` (fragment `index` of `block`), in order.
pub fn push_parts(block: DataBlockId, index: u8, fragment: &[u8]) -> impl Iterator<Item = Request> + '_ {
	fragment.chunks(MAX_PART as usize).enumerate().map(move |(i, part)| Request::Push {
		block,
		index,
		offset: i as u64 * MAX_PART as u64,
		bytes: part.to_vec(),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn messages_round_trip_and_garbage_is_malformed() {
		let req = Request::Fetch { block: Hash::repeat_byte(1), index: 2, offset: 3, len: 4 };
		assert_eq!(Request::decode_bounded(&req.encode()), Ok(req.clone()));
		let mut trailing = req.encode();
		trailing.push(0);
		assert_eq!(Request::decode_bounded(&trailing), Err(Refusal::Malformed));
		assert_eq!(Request::decode_bounded(&[9, 9, 9]), Err(Refusal::Malformed));
		assert_eq!(Request::decode_bounded(&[]), Err(Refusal::Malformed));
		let resp = Response::Refused(Refusal::OutOfOrder { expected: 7 });
		assert_eq!(Response::decode_bounded(&resp.encode()).unwrap(), resp);
	}

	#[test]
	fn requests_beyond_the_bounds_are_malformed() {
		let block = Hash::repeat_byte(1);
		let too_big = Request::Push { block, index: 0, offset: 0, bytes: vec![0; MAX_PART as usize + 1] };
		assert_eq!(Request::decode_bounded(&too_big.encode()), Err(Refusal::Malformed));
		let empty = Request::Push { block, index: 0, offset: 0, bytes: vec![] };
		assert_eq!(Request::decode_bounded(&empty.encode()), Err(Refusal::Malformed));
		let wraps = Request::Push { block, index: 0, offset: u64::MAX, bytes: vec![1] };
		assert_eq!(Request::decode_bounded(&wraps.encode()), Err(Refusal::Malformed));
		for len in [0, MAX_PART + 1] {
			let fetch = Request::Fetch { block, index: 0, offset: 0, len };
			assert_eq!(Request::decode_bounded(&fetch.encode()), Err(Refusal::Malformed));
		}
		for count in [0, MAX_CHUNKS + 1] {
			let chunks = Request::FetchChunks { block, index: 0, first: 0, count };
			assert_eq!(Request::decode_bounded(&chunks.encode()), Err(Refusal::Malformed));
		}
		// A length prefix claiming gigabytes in a short message fails cleanly.
		let mut lying = vec![0u8];
		lying.extend_from_slice(block.as_bytes());
		lying.extend_from_slice(&[0; 9]);
		lying.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
		assert_eq!(Request::decode_bounded(&lying), Err(Refusal::Malformed));
	}

	#[test]
	fn the_largest_messages_fit_the_declared_sizes() {
		let block = Hash::repeat_byte(1);
		let push = Request::Push { block, index: 255, offset: u64::MAX / 2, bytes: vec![0; MAX_PART as usize] };
		assert!(push.encode().len() as u64 <= MAX_REQUEST_SIZE);
		let proof = MerkleProof { index: 0, leaf_count: 1, siblings: vec![Hash::zero(); MAX_PROOF_LEN as usize].try_into().unwrap() };
		let chunks = Response::Chunks {
			fragment_len: u64::MAX,
			chunks: vec![(vec![0; PROOF_CHUNK_SIZE as usize], proof); MAX_CHUNKS as usize],
		};
		assert!(chunks.encode().len() as u64 <= MAX_RESPONSE_SIZE);
		let bytes = Response::Bytes { fragment_len: u64::MAX, bytes: vec![0; MAX_PART as usize] };
		assert!(bytes.encode().len() as u64 <= MAX_RESPONSE_SIZE);
	}

	#[test]
	fn push_parts_cover_the_fragment_in_order() {
		let fragment: Vec<u8> = (0..(MAX_PART as usize * 2 + 10)).map(|i| i as u8).collect();
		let parts: Vec<_> = push_parts(Hash::zero(), 1, &fragment).collect();
		assert_eq!(parts.len(), 3);
		let mut joined = Vec::new();
		for part in parts {
			let Request::Push { offset, bytes, .. } = part else { panic!("push parts only") };
			assert_eq!(offset, joined.len() as u64);
			joined.extend(bytes);
		}
		assert_eq!(joined, fragment);
	}

	#[test]
	fn the_protocol_name_carries_the_genesis_hash() {
		let name = protocol_name(&Hash::repeat_byte(0xab));
		assert_eq!(name, format!("/{}/blocktree/fragment/1", "ab".repeat(32)));
	}
}
