//! Runtime API of the storage contracts pallet: offers, contracts and quotes.

use alloc::vec::Vec;
use blocktree_primitives::storage::{ContractId, OfferId};
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// The storage market.
	pub trait StorageContractsApi<AccountId, Balance, Offer, Contract>
	where
		AccountId: Codec,
		Balance: Codec,
		Offer: Codec,
		Contract: Codec,
	{
		/// Offer `id`, if listed.
		fn offer(id: OfferId) -> Option<Offer>;

		/// Contract `id`, if live.
		fn contract(id: ContractId) -> Option<Contract>;

		/// The live contracts `who` is a party to, as client or provider.
		fn contracts_of(who: AccountId) -> Vec<(ContractId, Contract)>;

		/// What a contract for `bytes` over `periods` against offer `id` would cost: payment
		/// per period, escrow held from the client, collateral held from the provider; `None`
		/// if the offer is unknown or the amounts overflow.
		fn quote(id: OfferId, bytes: u64, periods: u32) -> Option<(Balance, Balance, Balance)>;
	}
}
