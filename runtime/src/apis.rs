//! The runtime APIs: what the node, wallets and explorers may ask the runtime.

use alloc::vec::Vec;
use blocktree_primitives::{
	cap::{CapError, WriteCapChain},
	path::BlockPath,
	principal::{Principal, PrincipalId},
	storage::{ContractId, DataBlockId, OfferId},
	Hash,
};
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_session::OpaqueGeneratedSessionKeys;
use sp_version::RuntimeVersion;

use super::{
	genesis_config_presets, AccountId, Aura, Balance, Block, BlockNumber, Executive, Grandpa,
	InherentDataExt, Nonce, Principals, Endpoints, Fragments, StorageContracts, Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys, System, TransactionPayment,
	VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(owner: Vec<u8>, seed: Option<Vec<u8>>) -> OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// Equivocation reports need key-ownership proofs from a session history, which this
			// runtime does not keep yet (`KeyOwnerProof = Void`).
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}

		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}

		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_principals::runtime_api::PrincipalsApi<Block, AccountId, BlockNumber, Balance> for Runtime {
		fn principal(id: PrincipalId) -> Option<Principal> {
			pallet_principals::PrincipalRecords::<Runtime>::get(id).map(|record| record.keys)
		}

		fn may_write(writer: PrincipalId, path: BlockPath, chain: WriteCapChain) -> Result<(), CapError> {
			Principals::may_write(&writer, &path, &chain)
		}

		fn pending_requests(
			owner: PrincipalId,
		) -> Vec<(u64, pallet_principals::WriteRequest<AccountId, BlockNumber, Balance>)> {
			Principals::pending_requests(owner)
		}
	}

	impl pallet_endpoints::runtime_api::EndpointsApi<Block, AccountId, pallet_endpoints::EndpointOf<Runtime>> for Runtime {
		fn endpoint_of_account(owner: AccountId) -> Option<pallet_endpoints::EndpointOf<Runtime>> {
			Endpoints::live_endpoint(&owner)
		}

		fn endpoint_of_principal(id: PrincipalId) -> Option<(AccountId, pallet_endpoints::EndpointOf<Runtime>)> {
			Endpoints::endpoint_of_principal(id)
		}

		fn endpoint_of_peer(peer_id: Vec<u8>) -> Option<(AccountId, pallet_endpoints::EndpointOf<Runtime>)> {
			Endpoints::endpoint_of_peer(&peer_id)
		}
	}

	impl pallet_storage_contracts::runtime_api::StorageContractsApi<
		Block,
		AccountId,
		Balance,
		pallet_storage_contracts::OfferOf<Runtime>,
		pallet_storage_contracts::ContractOf<Runtime>,
	> for Runtime {
		fn offer(id: OfferId) -> Option<pallet_storage_contracts::OfferOf<Runtime>> {
			pallet_storage_contracts::Offers::<Runtime>::get(id)
		}

		fn contract(id: ContractId) -> Option<pallet_storage_contracts::ContractOf<Runtime>> {
			pallet_storage_contracts::Contracts::<Runtime>::get(id)
		}

		fn contracts_of(who: AccountId) -> Vec<(ContractId, pallet_storage_contracts::ContractOf<Runtime>)> {
			StorageContracts::contracts_of(&who)
		}

		fn quote(id: OfferId, bytes: u64, periods: u32) -> Option<(Balance, Balance, Balance)> {
			let offer = pallet_storage_contracts::Offers::<Runtime>::get(id)?;
			StorageContracts::quote(&offer, bytes, periods).ok()
		}
	}

	impl pallet_fragments::runtime_api::FragmentsApi<Block, AccountId, pallet_fragments::BlockRecordOf<Runtime>> for Runtime {
		fn block(id: DataBlockId) -> Option<pallet_fragments::BlockRecordOf<Runtime>> {
			pallet_fragments::Blocks::<Runtime>::get(id)
		}

		fn blocks_at_path(path_hash: Hash) -> Vec<(DataBlockId, pallet_fragments::BlockRecordOf<Runtime>)> {
			Fragments::blocks_at_path(path_hash)
		}

		fn blocks_at_path_by(path_hash: Hash, writer: Hash) -> Vec<(DataBlockId, pallet_fragments::BlockRecordOf<Runtime>)> {
			Fragments::blocks_at_path_by(path_hash, writer)
		}

		fn fragments_held_by(provider: AccountId, limit: u32) -> Vec<(DataBlockId, u8, ContractId)> {
			Fragments::fragments_held_by(&provider, limit)
		}

		fn below_target(limit: u32) -> Vec<(DataBlockId, u8)> {
			Fragments::below_target(limit)
		}

		fn erasure_params(owner: AccountId, size: u64, tolerance: u8) -> Result<(u8, u8, u64), sp_runtime::DispatchError> {
			Fragments::erasure_params(&owner, size, tolerance)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use super::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			(list, AllPalletsWithSystem::storage_info())
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkBatch};
			use frame_support::traits::{TrackedStorageKey, WhitelistedStorageKeys};
			use frame_system_benchmarking::Pallet as SystemBench;
			use super::*;

			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis_config_presets::preset_names()
		}
	}
}
