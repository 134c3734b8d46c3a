//! What the storage worker reads from the chain, at the node's best block: runtime API calls,
//! and two storage maps read directly (open challenges and offers, which are small and bounded).

use std::sync::Arc;

use blocktree_runtime::{AccountId, Hash, Runtime};
use blocktree_storage::service::{ChainView, RecordedBlock};
use codec::Decode;
use pallet_endpoints::runtime_api::EndpointsApi;
use pallet_fragments::runtime_api::FragmentsApi;
use pallet_principals::runtime_api::PrincipalsApi;
use pallet_storage_contracts::runtime_api::StorageContractsApi;
use sc_client_api::StorageProvider;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::storage::StorageKey;

use blocktree_primitives::storage::{ContractId, DataBlockId, OfferId};

use super::LOG_TARGET;
use crate::service::FullClient;

/// A recorded block as the runtime stores it.
pub type BlockRecord = pallet_fragments::BlockRecordOf<Runtime>;
/// An endpoint as the runtime stores it.
pub type Endpoint = pallet_endpoints::EndpointOf<Runtime>;
/// A contract as the runtime stores it.
pub type Contract = pallet_storage_contracts::ContractOf<Runtime>;
/// An offer as the runtime stores it.
pub type Offer = pallet_storage_contracts::OfferOf<Runtime>;
/// An open challenge as the runtime stores it.
pub type Challenge = pallet_fragments::ChallengeOf<Runtime>;

/// Reads the chain for the storage worker.
#[derive(Clone)]
pub struct Chain {
	client: Arc<FullClient>,
}

fn log_err<T>(what: &str, r: Result<T, sp_api::ApiError>) -> Option<T> {
	r.map_err(|e| log::warn!(target: LOG_TARGET, "runtime API {what} failed: {e}")).ok()
}

impl Chain {
	/// Reads through `client`.
	pub fn new(client: Arc<FullClient>) -> Self {
		Chain { client }
	}

	/// The best block's hash.
	pub fn best(&self) -> Hash {
		self.client.info().best_hash
	}

	/// The best block's number.
	pub fn best_number(&self) -> u32 {
		self.client.info().best_number
	}

	/// The genesis hash: the chain tag signed into headers, caps and peer proofs.
	pub fn genesis(&self) -> Hash {
		self.client.info().genesis_hash
	}

	/// The last finalized block's hash.
	pub fn finalized(&self) -> Hash {
		self.client.info().finalized_hash
	}

	/// Recorded block `id`.
	pub fn block(&self, id: &DataBlockId) -> Option<BlockRecord> {
		log_err("FragmentsApi_block", self.client.runtime_api().block(self.best(), *id)).flatten()
	}

	/// Recorded block `id` as of block `at`; an error when the runtime cannot say.
	pub fn block_at(&self, at: Hash, id: &DataBlockId) -> Result<Option<BlockRecord>, String> {
		self.client.runtime_api().block(at, *id).map_err(|e| format!("runtime API FragmentsApi_block failed: {e}"))
	}

	/// The versions `writer` recorded at the path with hash `path_hash`.
	pub fn blocks_at_path_by(&self, path_hash: Hash, writer: Hash) -> Vec<(DataBlockId, BlockRecord)> {
		log_err("FragmentsApi_blocks_at_path_by", self.client.runtime_api().blocks_at_path_by(self.best(), path_hash, writer))
			.unwrap_or_default()
	}

	/// The keys of principal `id` as the best block has them.
	pub fn principal(&self, id: Hash) -> Option<blocktree_primitives::principal::Principal> {
		log_err("PrincipalsApi_principal", self.client.runtime_api().principal(self.best(), id)).flatten()
	}

	/// `(k, n, fragment_size)` for `owner` storing `size` bytes with tolerance `tolerance`, or
	/// the chain's reason why not.
	pub fn erasure_params(&self, owner: &AccountId, size: u64, tolerance: u8) -> Result<(u8, u8, u64), String> {
		let answer = self
			.client
			.runtime_api()
			.erasure_params(self.best(), owner.clone(), size, tolerance)
			.map_err(|e| format!("runtime API FragmentsApi_erasure_params failed: {e}"))?;
		answer.map_err(blocktree_client::chain::describe_dispatch_error)
	}

	/// Up to `limit` fragments `provider` holds on chain at block `at`: block, index,
	/// contract (the runtime lists at most 1024).
	pub fn fragments_held_by(&self, at: Hash, provider: &AccountId, limit: u32) -> Result<Vec<(DataBlockId, u8, ContractId)>, String> {
		self.client
			.runtime_api()
			.fragments_held_by(at, provider.clone(), limit)
			.map_err(|e| format!("runtime API FragmentsApi_fragments_held_by failed: {e}"))
	}

	/// Up to `limit` blocks below their target redundancy.
	pub fn below_target(&self, limit: u32) -> Vec<(DataBlockId, u8)> {
		log_err("FragmentsApi_below_target", self.client.runtime_api().below_target(self.best(), limit)).unwrap_or_default()
	}

	/// The live endpoint of `account`.
	pub fn endpoint_of_account(&self, account: &AccountId) -> Option<Endpoint> {
		log_err("EndpointsApi_endpoint_of_account", self.client.runtime_api().endpoint_of_account(self.best(), account.clone())).flatten()
	}

	/// The live endpoint with peer id `peer` (multihash bytes), with its owner.
	pub fn endpoint_of_peer(&self, peer: &[u8]) -> Option<(AccountId, Endpoint)> {
		log_err("EndpointsApi_endpoint_of_peer", self.client.runtime_api().endpoint_of_peer(self.best(), peer.to_vec())).flatten()
	}

	/// The live contracts `who` is a party to.
	pub fn contracts_of(&self, who: &AccountId) -> Vec<(ContractId, Contract)> {
		log_err("StorageContractsApi_contracts_of", self.client.runtime_api().contracts_of(self.best(), who.clone())).unwrap_or_default()
	}

	/// Every value of storage map `pallet::item` at the best block, with its key's suffix.
	fn map_entries<V: Decode>(&self, pallet: &[u8], item: &[u8]) -> Vec<(Vec<u8>, V)> {
		let prefix = frame_support::storage::storage_prefix(pallet, item).to_vec();
		let pairs = match self.client.storage_pairs(self.best(), Some(&StorageKey(prefix.clone())), None) {
			Ok(pairs) => pairs,
			Err(e) => {
				log::warn!(target: LOG_TARGET, "reading storage map {}::{}: {e}", String::from_utf8_lossy(pallet), String::from_utf8_lossy(item));
				return vec![]
			},
		};
		pairs
			.filter_map(|(key, value)| Some((key.0.get(prefix.len()..)?.to_vec(), V::decode(&mut &value.0[..]).ok()?)))
			.collect()
	}

	/// The open challenges `provider` must answer: fragment and challenge.
	pub fn challenges_for(&self, provider: &AccountId) -> Vec<((DataBlockId, u8), Challenge)> {
		// `Challenges` is keyed by the fragment with the identity hasher: the key suffix is the
		// SCALE encoding of `(block, index)`. Few are open at a time (8 draws per round).
		self.map_entries::<Challenge>(b"Fragments", b"Challenges")
			.into_iter()
			.filter(|(_, c)| &c.provider == provider)
			.filter_map(|(key, c)| Some((<(DataBlockId, u8)>::decode(&mut &key[..]).ok()?, c)))
			.collect()
	}

	/// Listed offers (at most `MaxOffersPerProvider` per provider).
	pub fn offers(&self) -> Vec<(OfferId, Offer)> {
		// `Offers` is keyed by id with `Twox64Concat`: 8 bytes of hash, then the id.
		self.map_entries::<Offer>(b"StorageContracts", b"Offers")
			.into_iter()
			.filter_map(|(key, offer)| Some((OfferId::decode(&mut key.get(8..)?).ok()?, offer)))
			.collect()
	}
}

/// The provider's view of a block for the exchange's rules, at block `now`.
pub fn recorded(record: &BlockRecord, now: u32) -> RecordedBlock {
	RecordedBlock {
		owner: record.owner.clone(),
		fragment_size: record.fragment_size,
		fragments: record.fragments.iter().map(|f| (f.root, f.holder.as_ref().map(|h| h.provider.clone()))).collect(),
		barred: record.barred.iter().filter(|(_, until)| *until > now).map(|(who, _)| who.clone()).collect(),
	}
}

impl ChainView for Chain {
	fn block(&self, id: &DataBlockId) -> Option<RecordedBlock> {
		Chain::block(self, id).map(|r| recorded(&r, self.best_number()))
	}

	fn endpoint_owner(&self, peer: &[u8]) -> Option<AccountId> {
		self.endpoint_of_peer(peer).map(|(owner, _)| owner)
	}

	fn contract_with_room(&self, provider: &AccountId, client: &AccountId, bytes: u64) -> Option<ContractId> {
		self.contracts_of(provider)
			.into_iter()
			.find(|(_, c)| &c.provider == provider && &c.client == client && c.bytes.saturating_sub(c.used) >= bytes)
			.map(|(id, _)| id)
	}
}
