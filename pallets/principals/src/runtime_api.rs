//! Runtime API of the principals pallet: what clients ask the chain about principals and
//! write access.

use alloc::vec::Vec;
use blocktree_primitives::{
	cap::{CapError, WriteCapChain},
	path::BlockPath,
	principal::{Principal, PrincipalId},
};
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Queries about principals, capabilities and write requests.
	pub trait PrincipalsApi<AccountId, BlockNumber, Balance>
	where
		AccountId: Codec,
		BlockNumber: Codec,
		Balance: Codec,
	{
		/// The current keys of principal `id`, if registered.
		fn principal(id: PrincipalId) -> Option<Principal>;

		/// May `writer` write `path` on the strength of `chain`? The error names the broken
		/// rule.
		fn may_write(writer: PrincipalId, path: BlockPath, chain: WriteCapChain) -> Result<(), CapError>;

		/// Pending write requests for `owner`'s tree, with their ids.
		fn pending_requests(owner: PrincipalId) -> Vec<(u64, crate::WriteRequest<AccountId, BlockNumber, Balance>)>;
	}
}
