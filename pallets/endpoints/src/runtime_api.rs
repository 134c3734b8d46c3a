//! Runtime API of the endpoints pallet: resolve an account, a principal or a peer id to the
//! addresses of a live node.

use alloc::vec::Vec;
use blocktree_primitives::principal::PrincipalId;
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Where nodes can be reached. Expired endpoints are never returned.
	pub trait EndpointsApi<AccountId, Endpoint>
	where
		AccountId: Codec,
		Endpoint: Codec,
	{
		/// The endpoint of `owner`'s node.
		fn endpoint_of_account(owner: AccountId) -> Option<Endpoint>;

		/// The endpoint serving principal `id`, with the account that owns it.
		fn endpoint_of_principal(id: PrincipalId) -> Option<(AccountId, Endpoint)>;

		/// The endpoint with libp2p peer id `peer_id` (multihash bytes), with its owner.
		fn endpoint_of_peer(peer_id: Vec<u8>) -> Option<(AccountId, Endpoint)>;
	}
}
