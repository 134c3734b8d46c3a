//! Runtime API of the fragments pallet: where a block's fragments are, what needs repair, and
//! the erasure parameters the redundancy rule gives.

use alloc::vec::Vec;
use blocktree_primitives::storage::{ContractId, DataBlockId};
use codec::Codec;
use sp_core::H256;
use sp_runtime::DispatchError;

sp_api::decl_runtime_apis! {
	/// The fragment index.
	pub trait FragmentsApi<AccountId, BlockRecord>
	where
		AccountId: Codec,
		BlockRecord: Codec,
	{
		/// Block `id` with its fragments and their holders.
		fn block(id: DataBlockId) -> Option<BlockRecord>;

		/// The blocks (versions) recorded at the path with hash `path_hash`, with their
		/// fragments' holders.
		fn blocks_at_path(path_hash: H256) -> Vec<(DataBlockId, BlockRecord)>;

		/// The blocks (versions) `writer` recorded at the path with hash `path_hash`: what a
		/// reader asks for when it knows whose versions it wants (the tree's owner, say), since
		/// nobody else's records can crowd them out.
		fn blocks_at_path_by(path_hash: H256, writer: H256) -> Vec<(DataBlockId, BlockRecord)>;

		/// Up to `limit` fragments `provider` holds: block, index, contract.
		fn fragments_held_by(provider: AccountId, limit: u32) -> Vec<(DataBlockId, u8, ContractId)>;

		/// Up to `limit` blocks below their target redundancy, with how many fragments are
		/// placed.
		fn below_target(limit: u32) -> Vec<(DataBlockId, u8)>;

		/// `(k, n, fragment_size)` for `owner` storing `size` bytes with loss tolerance
		/// `tolerance` now; the error says why not (e.g. `NotEnoughProviders`).
		fn erasure_params(owner: AccountId, size: u64, tolerance: u8) -> Result<(u8, u8, u64), DispatchError>;
	}
}
