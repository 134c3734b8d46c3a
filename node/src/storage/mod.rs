//! The storage worker in the node: the fragment store on disk, the fragment exchange on the
//! node's network, the worker's duties (endpoint, offer, contracts, placements, proofs,
//! cleanup, repair) and the `blocktree_*` RPC. Its logic that needs no node lives in the
//! `blocktree-storage` crate.
//!
//! The worker signs with an account key of its own in the node's keystore, key type
//! [`KEY_TYPE`] (`btsw`), inserted with `blocktree-node key insert --key-type btsw --scheme
//! sr25519 ...`; under `--dev` or `--alice` and the like it is derived from the dev seed. This
//! account is the node owner's: it records the owner's blocks, holds the contracts as client
//! and as provider, and its endpoint is this node.

pub mod chain;
pub mod net;
pub mod notices;
pub mod rpc;
pub mod sectors;
pub mod transfer;
pub mod tx;
pub mod worker;

use std::{path::PathBuf, sync::Arc};

use blocktree_client::storage_cmd::parse_size;
use blocktree_runtime::{opaque::Block, Balance, Hash};
use blocktree_storage::{
	service::{FragmentService, Limits},
	store::FragmentStore,
};
use pallet_endpoints::address::NetAddress;
use sc_network::{
	config::{ed25519, IncomingRequest},
	multiaddr::Protocol,
	service::traits::NetworkService,
	Multiaddr,
};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use sp_core::{crypto::KeyTypeId, crypto::Ss58Codec};
use sp_keystore::KeystorePtr;

use crate::service::FullClient;

/// Log target of the storage worker.
pub const LOG_TARGET: &str = "blocktree::storage";

/// Keystore key type of the storage worker's account key.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"btsw");

/// The transaction pool the worker submits to.
pub type Pool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

/// Storage flags of a running node.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageParams {
	/// Where fragments are kept [default: `<base path>/chains/<chain id>/storage`].
	#[arg(long, value_name = "PATH")]
	pub storage_dir: Option<PathBuf>,

	/// Capacity this node offers to store for others, e.g. `10GiB`, `500MiB`, `0` for none.
	/// The worker lists an offer of this size and the store never holds more.
	#[arg(long, value_name = "SIZE", default_value = "0")]
	pub storage_capacity: String,

	/// Price of the offer: smallest units per byte per period (an hour).
	#[arg(long, value_name = "UNITS", default_value_t = 1)]
	pub storage_price: Balance,

	/// Collateral of the offer: smallest units held per contracted byte.
	#[arg(long, value_name = "UNITS", default_value_t = 1)]
	pub storage_collateral: Balance,

	/// Open a contract of this size (e.g. `1GiB`) with every other listed offer, up to 8
	/// providers, at the offer's price: the automatic mode of a client on a test network.
	#[arg(long, value_name = "SIZE")]
	pub storage_auto_contract: Option<String>,
}

impl StorageParams {
	/// The offered capacity in bytes.
	pub fn capacity_bytes(&self) -> Result<u64, String> {
		parse_size(&self.storage_capacity).map_err(|e| format!("--storage-capacity: {e}"))
	}

	/// The size of automatic contracts, if on.
	pub fn auto_contract_bytes(&self) -> Result<Option<u64>, String> {
		self.storage_auto_contract
			.as_deref()
			.map(parse_size)
			.transpose()
			.map_err(|e| format!("--storage-auto-contract: {e}"))
	}
}

/// The on-chain form of a multiaddress `/ip4|ip6/<ip>/tcp/<port>` with a specified IP.
fn net_address(address: &Multiaddr) -> Option<NetAddress> {
	let mut parts = address.iter();
	let ip = parts.next()?;
	let Some(Protocol::Tcp(port)) = parts.next() else { return None };
	match ip {
		Protocol::Ip4(ip) if !ip.is_unspecified() => Some(NetAddress::Ip4 { ip: ip.octets(), port }),
		Protocol::Ip6(ip) if !ip.is_unspecified() => Some(NetAddress::Ip6 { ip: ip.octets(), port }),
		_ => None,
	}
}

/// What [`prepare`] set up before the network is built.
pub struct Prepared {
	params: StorageParams,
	store: Arc<FragmentStore>,
	requests: async_channel::Receiver<IncomingRequest>,
	worker_key: Option<sp_core::sr25519::Public>,
	node_key: Option<ed25519::Keypair>,
	addresses: Vec<NetAddress>,
	keystore: KeystorePtr,
	genesis: Hash,
}

/// Opens the fragment store, finds (or, on dev chains, derives) the worker key, and registers
/// the fragment exchange with the network configuration. Called before the network is built.
pub fn prepare<N>(
	config: &Configuration,
	params: StorageParams,
	genesis: Hash,
	keystore: KeystorePtr,
	net_config: &mut sc_network::config::FullNetworkConfiguration<Block, Hash, N>,
) -> Result<Prepared, ServiceError>
where
	N: sc_network::NetworkBackend<Block, Hash>,
{
	let capacity = params.capacity_bytes().map_err(ServiceError::Other)?;
	params.auto_contract_bytes().map_err(ServiceError::Other)?;
	let dir = params.storage_dir.clone().unwrap_or_else(|| config.base_path.config_dir(config.chain_spec.id()).join("storage"));
	let store = FragmentStore::open(&dir, capacity).map_err(|e| ServiceError::Other(e.to_string()))?;
	if let Some(seed) = &config.dev_key_seed {
		use sp_keystore::Keystore;
		keystore
			.sr25519_generate_new(KEY_TYPE, Some(seed))
			.map_err(|e| ServiceError::Other(format!("deriving the dev storage worker key: {e}")))?;
	}
	let worker_key = {
		use sp_keystore::Keystore;
		let mut keys = keystore.sr25519_public_keys(KEY_TYPE);
		keys.sort();
		keys.into_iter().next()
	};
	let (protocol, requests) = net::protocol_config::<N>(&genesis);
	net_config.add_request_response_protocol(protocol);
	let node_key = config.network.node_key.clone().into_keypair().ok();
	let addresses = config
		.network
		.public_addresses
		.iter()
		.chain(config.network.listen_addresses.iter())
		.filter_map(net_address)
		.take(8)
		.collect();
	log::info!(
		target: LOG_TARGET,
		"fragment store at {} ({} fragments, {} of {capacity} bytes used)",
		dir.display(),
		store.list().len(),
		store.used()
	);
	Ok(Prepared { params, store: Arc::new(store), requests, worker_key, node_key, addresses, keystore, genesis })
}

/// What the `blocktree_*` RPC needs of a running worker.
pub struct Running {
	/// The worker account's transfers.
	pub transfers: Arc<transfer::Transfers>,
	/// Reads of sector ranges with their proofs.
	pub sectors: sectors::Sectors,
	/// The chain reader.
	pub chain: chain::Chain,
	/// The fragment store.
	pub store: Arc<FragmentStore>,
	/// The worker account.
	pub account: blocktree_runtime::AccountId,
	/// This node's peer id.
	pub peer_id: String,
	/// Blocks recorded on chain, as this node imports them.
	pub notices: tokio::sync::broadcast::Sender<notices::BlockNotice>,
}

impl Prepared {
	/// Starts the exchange handler and the worker. Without a worker key only the RPC's
	/// read-only parts work, and the node says how to add one.
	pub fn start(
		self,
		client: Arc<FullClient>,
		pool: Arc<Pool>,
		network: Arc<dyn NetworkService>,
		task_manager: &TaskManager,
	) -> Option<Arc<Running>> {
		let Some(public) = self.worker_key else {
			log::warn!(
				target: LOG_TARGET,
				"no storage worker key: the node neither stores nor writes blocks. Insert one with \
				 `blocktree-node key insert --key-type btsw --scheme sr25519 --suri <secret>` (see docs/operator-guide.md)"
			);
			return None
		};
		let chain = chain::Chain::new(client.clone());
		let (notices, _) = tokio::sync::broadcast::channel(notices::NOTICE_BUFFER);
		task_manager
			.spawn_handle()
			.spawn("block-notices", Some("storage"), notices::watch(client.clone(), chain.clone(), notices.clone()));
		let tx = Arc::new(tx::Submitter::new(client, pool, self.keystore, public));
		let account = tx.account().clone();
		let exchange = net::Exchange::new(network.clone(), &self.genesis);
		let local_peer = network.local_peer_id();
		let node_key = self.node_key.and_then(|key| {
			let peer = key.public().to_peer_id();
			(peer == local_peer).then(|| (key, peer.to_bytes()))
		});
		if node_key.is_none() {
			log::warn!(target: LOG_TARGET, "the network key is not readable again: the endpoint is not registered automatically");
		}
		let service = Arc::new(FragmentService::new(self.store.clone(), chain.clone(), account.clone(), Limits::default()));
		let (events_tx, events_rx) = futures::channel::mpsc::unbounded();
		task_manager.spawn_handle().spawn("fragment-exchange", Some("storage"), net::serve(self.requests, service, events_tx));
		let transfers = Arc::new(transfer::Transfers::new(chain.clone(), tx.clone(), exchange, self.store.clone()));
		let worker = Arc::new(worker::Worker {
			chain: chain.clone(),
			tx,
			transfers: transfers.clone(),
			store: self.store.clone(),
			params: self.params,
			node_key,
			addresses: self.addresses,
			placing: Default::default(),
			in_flight: Default::default(),
			unplaced: Default::default(),
			cursor: Default::default(),
			setting_up: Default::default(),
		});
		task_manager.spawn_handle().spawn("storage-worker", Some("storage"), worker.run(events_rx));
		log::info!(target: LOG_TARGET, "storage worker account {}, peer {local_peer}", account.to_ss58check());
		Some(Arc::new(Running { sectors: sectors::Sectors::new(transfers.clone()), transfers, chain, store: self.store, account, peer_id: local_peer.to_string(), notices }))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_specific_tcp_addresses_become_endpoint_addresses() {
		let parse = |s: &str| net_address(&s.parse::<Multiaddr>().unwrap());
		assert_eq!(parse("/ip4/127.0.0.1/tcp/30333"), Some(NetAddress::Ip4 { ip: [127, 0, 0, 1], port: 30333 }));
		assert_eq!(parse("/ip6/::1/tcp/30333"), Some(NetAddress::Ip6 { ip: std::net::Ipv6Addr::LOCALHOST.octets(), port: 30333 }));
		assert_eq!(parse("/ip4/0.0.0.0/tcp/30333"), None);
		assert_eq!(parse("/ip6/::/tcp/30333"), None);
		assert_eq!(parse("/ip4/1.2.3.4/udp/30333/quic-v1"), None);
		assert_eq!(parse("/dns/example.org/tcp/30333"), None);
	}
}
