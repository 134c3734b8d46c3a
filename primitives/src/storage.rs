//! The storage market as the runtime's pallets and the storage worker share it: identifiers,
//! the proof-of-storage chunking of a fragment, and the interface through which the fragment
//! index asks the contract ledger about contracts.
//!
//! A stored data block is erasure-coded into `n` fragments of which any `k` rebuild it. Each
//! fragment is split into [`PROOF_CHUNK_SIZE`]-byte chunks; the fragment's *root* is the
//! [`merkle`](crate::merkle) root over the chunks' leaf hashes, recorded on chain when the
//! block is recorded. A storage proof is one chunk plus its merkle proof against that root.

use alloc::vec::Vec;
use sp_core::H256;
use sp_runtime::{DispatchError, Weight};

use crate::merkle::{self, MerkleProof};

/// Identifies a storage offer.
pub type OfferId = u64;

/// Identifies a storage contract.
pub type ContractId = u64;

/// Identifies a stored data block: the blake2-256 hash the client computed over the sealed
/// block (see [`block`](crate::block)).
pub type DataBlockId = H256;

/// Size of the chunks a fragment is proved in.
pub const PROOF_CHUNK_SIZE: u32 = 1024;

/// Number of proof chunks of a fragment of `fragment_size` bytes (at least one).
pub fn chunk_count(fragment_size: u64) -> u64 {
	fragment_size.div_ceil(PROOF_CHUNK_SIZE as u64).max(1)
}

/// The chunks of `fragment`, the last one possibly short.
pub fn chunks(fragment: &[u8]) -> Vec<&[u8]> {
	if fragment.is_empty() {
		return alloc::vec![&[][..]];
	}
	fragment.chunks(PROOF_CHUNK_SIZE as usize).collect()
}

/// The root recorded on chain for `fragment`.
pub fn fragment_root(fragment: &[u8]) -> H256 {
	let leaves: Vec<H256> = chunks(fragment).into_iter().map(merkle::leaf_hash).collect();
	merkle::root(&leaves)
}

/// The answer to a challenge on chunk `index` of `fragment`: the chunk and its proof.
pub fn prove_chunk(fragment: &[u8], index: u32) -> Option<(Vec<u8>, MerkleProof)> {
	let parts = chunks(fragment);
	let leaves: Vec<H256> = parts.iter().map(|c| merkle::leaf_hash(c)).collect();
	let proof = merkle::prove(&leaves, index as usize)?;
	Some((parts[index as usize].to_vec(), proof))
}

/// Whether `chunk` with `proof` answers a challenge on chunk `index` of a fragment of
/// `fragment_size` bytes with root `root`. Every chunk but the last must be full size.
pub fn verify_chunk(root: &H256, fragment_size: u64, index: u32, chunk: &[u8], proof: &MerkleProof) -> bool {
	let count = chunk_count(fragment_size);
	if proof.index != index || proof.leaf_count as u64 != count || index as u64 >= count {
		return false;
	}
	let expected_len = if (index as u64) + 1 < count {
		PROOF_CHUNK_SIZE as u64
	} else {
		fragment_size - (count - 1) * PROOF_CHUNK_SIZE as u64
	};
	chunk.len() as u64 == expected_len && merkle::verify(root, &merkle::leaf_hash(chunk), proof)
}

/// A storage duty a provider failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, codec::Encode, codec::Decode, codec::DecodeWithMemTracking, scale_info::TypeInfo, codec::MaxEncodedLen)]
pub enum Fault {
	/// A challenge on one of its fragments went unanswered. Misses within one period count as
	/// one strike (an outage of a few minutes should not cost the collateral).
	MissedProof,
	/// It reported one of its own fragments missing. Each such drop is a strike of its own, so
	/// dropping everything costs more than one period's pay.
	DroppedFragment,
}

/// What the fragment index needs from the contract ledger.
pub trait ContractLedger<AccountId, BlockNumber> {
	/// The provider and client of contract `id` if it is live (opened, not ended, and its term
	/// not over).
	fn live_parties(id: ContractId) -> Option<(AccountId, AccountId)>;

	/// The block at which contract `id`'s term ends (its provider is liable before it only),
	/// if the contract exists.
	fn term_end(id: ContractId) -> Option<BlockNumber>;

	/// Reserves `bytes` of contract `id`'s agreed size for a fragment; fails if it is full.
	fn reserve_space(id: ContractId, bytes: u64) -> Result<(), DispatchError>;

	/// Returns `bytes` reserved with [`ContractLedger::reserve_space`].
	fn release_space(id: ContractId, bytes: u64);

	/// The bytes of contract `id` reserved by placed fragments, if the contract exists.
	fn reserved_space(id: ContractId) -> Option<u64>;

	/// Counts `fault`, a failed storage duty at block `at`, against contract `id`'s provider:
	/// the period running at `at` is refunded to the client, and the contract's slashing rule
	/// decides what follows. Nothing happens if `at` is past the contract's term. Returns the
	/// weight used, at most [`ContractLedger::max_fault_weight`].
	fn record_fault(id: ContractId, fault: Fault, at: BlockNumber) -> Weight;

	/// The most [`ContractLedger::record_fault`] can cost: a fault that completes a slash,
	/// ending the contract and clearing every fragment placed under it.
	fn max_fault_weight() -> Weight;

	/// The number of distinct providers `client` has live contracts with.
	fn live_providers_of(client: &AccountId) -> u32;

	/// The most live contracts one client may have: the bound on what
	/// [`ContractLedger::live_providers_of`] reads, for weights.
	fn max_contracts_per_client() -> u32;

	/// Benchmark setup only: opens a live contract of `bytes` between `provider` and `client`
	/// by the ledger's own rules (funding them as needed). `None` where unsupported.
	fn open_for_benchmark(_provider: &AccountId, _client: &AccountId, _bytes: u64) -> Option<ContractId> {
		None
	}
}

/// Told when a contract ends, so that the fragments stored under it stop counting.
pub trait OnContractEnded {
	/// Contract `id` ended (completed, cancelled or slashed).
	fn contract_ended(id: ContractId);

	/// The most [`OnContractEnded::contract_ended`] can cost, charged up front by every call
	/// that may end a contract.
	fn max_weight() -> Weight;
}

impl OnContractEnded for () {
	fn contract_ended(_: ContractId) {}

	fn max_weight() -> Weight {
		Weight::zero()
	}
}

/// Size of each of the `k` data fragments (and of every parity fragment) of a block of
/// `size` bytes: `size / k` rounded up to an even number of bytes (the erasure coder works on
/// 2-byte symbols), at least 2. The client pads the block with zeros to `k * fragment_size`.
pub fn fragment_size(size: u64, k: u8) -> u64 {
	let per = size.div_ceil((k as u64).max(1));
	(per.div_ceil(2) * 2).max(2)
}
