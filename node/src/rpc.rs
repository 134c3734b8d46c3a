//! JSON-RPC methods the node serves beyond the standard `chain_`, `state_`, `author_`,
//! `system_` and RPC-v2 families that `sc_service::spawn_tasks` installs:
//! `system_accountNextIndex` and `system_dryRun` (wallets need them to sign), and
//! `payment_queryInfo` / `payment_queryFeeDetails` (fee estimates), and the storage worker's
//! `blocktree_*` methods ([`crate::storage::rpc`]).

use std::sync::Arc;

use blocktree_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client, for state and runtime API calls.
	pub client: Arc<C>,
	/// The transaction pool, for nonces that count pending transactions.
	pub pool: Arc<P>,
	/// The `blocktree_*` methods.
	pub blocktree: crate::storage::rpc::BlocktreeRpc,
}

/// Builds the RPC module with Blocktree's extra methods.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	P: TransactionPool + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, blocktree } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	module.merge(crate::storage::rpc::BlocktreeApiServer::into_rpc(blocktree))?;

	Ok(module)
}
