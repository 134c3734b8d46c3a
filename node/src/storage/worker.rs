//! The storage worker's duties, run by the node (not the runtime's `offchain_worker` hook:
//! they need the fragment store on disk, the network and transactions watched to inclusion).
//! Every [`TICK`]:
//! - **endpoint**: register this node's peer id and addresses for the worker account (signed
//!   by the node's network key, as the endpoints pallet requires), and heartbeat it;
//! - **offer**: with `--storage-capacity`, list an offer of that capacity;
//! - **contracts**: with `--storage-auto-contract`, open a contract with every other listed
//!   offer (up to [`MAX_AUTO_CONTRACTS`] providers);
//! - **proofs**: answer every open challenge on a fragment this node holds;
//! - **placements**: place each fragment a push stored (as it arrives, from the exchange);
//! - **reconcile** (every [`RECONCILE_EVERY`] ticks): delete fragments the chain no longer has
//!   placed here, report fragments placed here but lost, and repair this account's blocks
//!   below their target redundancy.

use std::{
	collections::HashSet,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::Duration,
};

use blocktree_primitives::storage::DataBlockId;
use blocktree_runtime::{AccountId, RuntimeCall};
use blocktree_storage::{
	service::Event,
	store::{FragmentKey, StoreError},
};
use futures::{channel::mpsc::UnboundedReceiver, StreamExt};
use pallet_endpoints::address::NetAddress;
use sc_network::config::ed25519;
use sp_core::crypto::Ss58Codec;

use super::{chain::Chain, transfer::Transfers, tx::Submitter, StorageParams, LOG_TARGET};

/// How often the worker looks at the chain.
const TICK: Duration = Duration::from_secs(6);

/// Reconciliation runs every this many ticks.
const RECONCILE_EVERY: u32 = 5;

/// A stored fragment not yet placed on chain is kept this long before it counts as unplaced.
const PLACEMENT_GRACE: Duration = Duration::from_secs(600);

/// Fragments looked up per reconciliation (the rest wait for the next one).
const RECONCILE_BATCH: usize = 4096;

/// Blocks between endpoint heartbeats (an endpoint expires after a day without one).
const HEARTBEAT_BLOCKS: u32 = 600;

/// Providers `--storage-auto-contract` opens contracts with at most.
const MAX_AUTO_CONTRACTS: usize = 8;

/// Periods (hours) of an automatic contract: a week.
const AUTO_CONTRACT_PERIODS: u32 = 168;

/// The storage worker.
pub struct Worker {
	pub(super) chain: Chain,
	pub(super) tx: Arc<Submitter>,
	pub(super) transfers: Arc<Transfers>,
	pub(super) store: Arc<blocktree_storage::store::FragmentStore>,
	pub(super) params: StorageParams,
	/// The node's network key and its peer id bytes, when the worker may register it.
	pub(super) node_key: Option<(ed25519::Keypair, Vec<u8>)>,
	/// The addresses to register.
	pub(super) addresses: Vec<NetAddress>,
	/// Placements being submitted: one transaction per fragment at a time.
	pub(super) placing: Mutex<HashSet<FragmentKey>>,
	/// Challenges, reports and repairs in flight.
	pub(super) in_flight: Mutex<HashSet<(DataBlockId, u8)>>,
	/// Fragments found unplaced (at the best and the finalized block) by the last
	/// reconciliation: deleted if the next one finds them unplaced again.
	pub(super) unplaced: Mutex<HashSet<FragmentKey>>,
	/// Where the last reconciliation stopped: each looks at the next [`RECONCILE_BATCH`].
	pub(super) cursor: Mutex<Option<FragmentKey>>,
	/// Whether the endpoint, offer and contract duties are running.
	pub(super) setting_up: AtomicBool,
}

impl Worker {
	fn me(&self) -> &AccountId {
		self.tx.account()
	}

	/// Runs the worker until the node stops.
	pub async fn run(self: Arc<Self>, mut events: UnboundedReceiver<Event>) {
		let me = self.me().to_ss58check();
		log::info!(target: LOG_TARGET, "storage worker running as {me}, store {} of {} bytes used", self.store.used(), self.store.quota());
		let mut interval = tokio::time::interval(TICK);
		let mut tick = 0u32;
		loop {
			tokio::select! {
				event = events.next() => match event {
					Some(event) => self.clone().on_event(event),
					None => return,
				},
				_ = interval.tick() => {
					tick = tick.wrapping_add(1);
					self.clone().on_tick(tick).await;
				},
			}
		}
	}

	fn on_event(self: Arc<Self>, event: Event) {
		match event {
			Event::Stored { key, contract } => {
				// Stored (again): cleanup starts counting afresh.
				self.unplaced.lock().expect("no panics under the lock; qed").remove(&key);
				// A retried push announces the fragment again: one placement at a time.
				if !self.placing.lock().expect("no panics under the lock; qed").insert(key) {
					return
				}
				tokio::spawn(async move {
					let call = RuntimeCall::Fragments(pallet_fragments::Call::place_fragment { block: key.block, index: key.index, contract });
					match self.tx.submit("place_fragment", call).await {
						Ok(_) => log::info!(target: LOG_TARGET, "placed {key} under contract {contract}"),
						Err(e) => log::warn!(target: LOG_TARGET, "placing {key}: {e}"),
					}
					self.placing.lock().expect("no panics under the lock; qed").remove(&key);
				});
			},
			Event::Corrupt { key } => self.report_missing(key, "it failed verification on disk"),
		}
	}

	fn report_missing(self: Arc<Self>, key: FragmentKey, why: &'static str) {
		if !self.in_flight.lock().expect("no panics under the lock; qed").insert((key.block, key.index)) {
			return
		}
		tokio::spawn(async move {
			let call = RuntimeCall::Fragments(pallet_fragments::Call::report_missing { block: key.block, index: key.index });
			match self.tx.submit("report_missing", call).await {
				Ok(_) => log::warn!(target: LOG_TARGET, "reported {key} missing: {why}"),
				Err(e) => log::warn!(target: LOG_TARGET, "reporting {key} missing: {e}"),
			}
			self.in_flight.lock().expect("no panics under the lock; qed").remove(&(key.block, key.index));
		});
	}

	async fn on_tick(self: Arc<Self>, tick: u32) {
		// Proofs first and never behind anything else: a challenge has 20 blocks.
		self.clone().answer_challenges();
		// The setup duties wait for their transactions; they run beside the loop, one round
		// at a time, so that events and challenges are never held up.
		if !self.setting_up.swap(true, Ordering::SeqCst) {
			let worker = self.clone();
			tokio::spawn(async move {
				if let Err(e) = worker.ensure_endpoint().await {
					log::warn!(target: LOG_TARGET, "endpoint: {e}");
				}
				if let Err(e) = worker.ensure_offer().await {
					log::warn!(target: LOG_TARGET, "offer: {e}");
				}
				if let Err(e) = worker.ensure_contracts().await {
					log::warn!(target: LOG_TARGET, "contracts: {e}");
				}
				worker.setting_up.store(false, Ordering::SeqCst);
			});
		}
		if tick % RECONCILE_EVERY == 0 {
			let worker = self.clone();
			let _ = tokio::task::spawn_blocking(move || worker.reconcile()).await;
			self.clone().repair_owned();
		}
	}

	/// Answers every open challenge on this node's fragments, each in a task of its own.
	fn answer_challenges(self: Arc<Self>) {
		let now = self.chain.best_number();
		for ((block, index), challenge) in self.chain.challenges_for(self.me()) {
			// An answer lands in the next block at the earliest, and must come before the deadline.
			if challenge.deadline <= now.saturating_add(1) || !self.in_flight.lock().expect("no panics under the lock; qed").insert((block, index)) {
				continue
			}
			let worker = self.clone();
			tokio::spawn(async move {
				let key = FragmentKey { block, index };
				let store = worker.store.clone();
				let proved = tokio::task::spawn_blocking(move || store.prove_chunks(&key, challenge.chunk, 1)).await;
				match proved {
					Ok(Ok(mut proved)) if proved.len() == 1 => {
						let (chunk, proof) = proved.remove(0);
						let chunk = chunk.try_into().expect("a proof chunk is at most PROOF_CHUNK_SIZE bytes; qed");
						let call = RuntimeCall::Fragments(pallet_fragments::Call::submit_proof { block, index, chunk, proof });
						match worker.tx.submit("submit_proof", call).await {
							Ok(_) => log::info!(target: LOG_TARGET, "answered the challenge on {key}, chunk {}", challenge.chunk),
							Err(e) => log::warn!(target: LOG_TARGET, "answering the challenge on {key}: {e}"),
						}
						worker.in_flight.lock().expect("no panics under the lock; qed").remove(&(block, index));
					},
					Ok(Err(StoreError::NotHeld { .. } | StoreError::Corrupt { .. })) => {
						worker.in_flight.lock().expect("no panics under the lock; qed").remove(&(block, index));
						worker.report_missing(key, "it is challenged but lost or corrupt");
					},
					// A passing failure (the disk, a busy key): try again next tick, within the
					// deadline.
					other => {
						log::warn!(target: LOG_TARGET, "cannot prove {key} now: {other:?}");
						worker.in_flight.lock().expect("no panics under the lock; qed").remove(&(block, index));
					},
				}
			});
		}
	}

	async fn ensure_endpoint(&self) -> Result<(), String> {
		let Some((key, peer_id)) = &self.node_key else { return Ok(()) };
		let now = self.chain.best_number();
		let current = self.chain.endpoint_of_account(self.me());
		let call = match current {
			Some(endpoint) if endpoint.peer_id.as_slice() == peer_id.as_slice() => {
				if now.saturating_sub(endpoint.last_seen) < HEARTBEAT_BLOCKS {
					return Ok(())
				}
				RuntimeCall::Endpoints(pallet_endpoints::Call::heartbeat {})
			},
			current => {
				if self.addresses.is_empty() {
					return Err("no address to register: pass --public-addr /ip4/<ip>/tcp/<port>".into())
				}
				let message = pallet_endpoints::peer_proof_message(&self.chain.genesis(), self.me());
				let proof = sp_core::ed25519::Signature::from_raw(
					key.sign(&message).try_into().map_err(|_| "the network key's signature is not 64 bytes".to_string())?,
				);
				let peer = peer_id.clone().try_into().map_err(|_| "the peer id is too long".to_string())?;
				let addresses = self.addresses.clone().try_into().map_err(|_| "too many addresses to register".to_string())?;
				if current.is_some() {
					RuntimeCall::Endpoints(pallet_endpoints::Call::update { peer_id: peer, peer_proof: Some(proof), addresses })
				} else {
					RuntimeCall::Endpoints(pallet_endpoints::Call::register { peer_id: peer, peer_proof: proof, addresses })
				}
			},
		};
		self.tx.submit("endpoint registration", call).await?;
		log::info!(target: LOG_TARGET, "endpoint of {} registered or refreshed", self.me().to_ss58check());
		Ok(())
	}

	async fn ensure_offer(&self) -> Result<(), String> {
		let capacity = self.params.capacity_bytes()?;
		if capacity == 0 || self.chain.offers().iter().any(|(_, o)| &o.provider == self.me()) {
			return Ok(())
		}
		let call = RuntimeCall::StorageContracts(pallet_storage_contracts::Call::create_offer {
			capacity,
			price_per_byte: self.params.storage_price,
			collateral_per_byte: self.params.storage_collateral,
			min_periods: 1,
			min_bytes: 1 << 20,
		});
		self.tx.submit("create_offer", call).await?;
		log::info!(target: LOG_TARGET, "offered {capacity} bytes of storage");
		Ok(())
	}

	async fn ensure_contracts(&self) -> Result<(), String> {
		let Some(bytes) = self.params.auto_contract_bytes()? else { return Ok(()) };
		let mut with: HashSet<AccountId> =
			self.chain.contracts_of(self.me()).into_iter().filter(|(_, c)| &c.client == self.me()).map(|(_, c)| c.provider).collect();
		for (id, offer) in self.chain.offers() {
			if with.len() >= MAX_AUTO_CONTRACTS {
				break
			}
			if &offer.provider == self.me() || with.contains(&offer.provider) || offer.capacity < bytes || offer.min_bytes > bytes {
				continue
			}
			let call = RuntimeCall::StorageContracts(pallet_storage_contracts::Call::open_contract {
				offer: id,
				bytes,
				periods: AUTO_CONTRACT_PERIODS.max(offer.min_periods),
				max_price_per_byte: offer.price_per_byte,
				min_collateral_per_byte: offer.collateral_per_byte,
			});
			self.tx.submit("open_contract", call).await?;
			log::info!(target: LOG_TARGET, "opened a contract for {bytes} bytes with {}", offer.provider.to_ss58check());
			with.insert(offer.provider);
		}
		Ok(())
	}

	/// Deletes what the chain no longer places here and reports what it places here but the
	/// store lost. A fragment is deleted only when it is older than [`PLACEMENT_GRACE`] and
	/// two reconciliations in a row found it unplaced at both the finalized and the best block
	/// (a fork or a runtime API failure deletes nothing).
	fn reconcile(self: Arc<Self>) {
		let (finalized, best) = (self.chain.finalized(), self.chain.best());
		let mut placed = HashSet::new();
		let mut unplaced = HashSet::new();
		let mut lookups = std::collections::HashMap::new();
		let all = self.store.list();
		let after = *self.cursor.lock().expect("no panics under the lock; qed");
		let start = after.map_or(0, |c| all.partition_point(|(k, _)| *k <= c));
		let batch: Vec<FragmentKey> = all.iter().cycle().skip(start).take(RECONCILE_BATCH.min(all.len())).map(|(k, _)| *k).collect();
		*self.cursor.lock().expect("no panics under the lock; qed") = batch.last().copied();
		let placed_here_in = |record: &Option<super::chain::BlockRecord>, key: &FragmentKey| {
			record.as_ref().is_some_and(|r| {
				r.fragments.get(key.index as usize).and_then(|f| f.holder.as_ref()).is_some_and(|h| &h.provider == self.me())
			})
		};
		for key in batch {
			if self.store.age(&key).map_or(true, |age| age < PLACEMENT_GRACE) ||
				self.placing.lock().expect("no panics under the lock; qed").contains(&key)
			{
				continue
			}
			// The block's record at the finalized and at the best block, read once per block.
			let records = match lookups.entry(key.block) {
				std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
				std::collections::hash_map::Entry::Vacant(e) =>
					match (self.chain.block_at(finalized, &key.block), self.chain.block_at(best, &key.block)) {
						(Ok(f), Ok(b)) => e.insert((f, b)),
						(Err(err), _) | (_, Err(err)) => {
							log::warn!(target: LOG_TARGET, "reconciliation skipped: {err}");
							return
						},
					},
			};
			// Placed here at the finalized block or at the best one: either keeps it.
			let placed_here = placed_here_in(&records.0, &key) || placed_here_in(&records.1, &key);
			if placed_here {
				placed.insert(key);
			} else {
				unplaced.insert(key);
			}
		}
		// Deleted: unplaced now and when last looked at. Noted: unplaced for the first time.
		let doomed: Vec<FragmentKey> = {
			let mut seen = self.unplaced.lock().expect("no panics under the lock; qed");
			seen.retain(|k| !placed.contains(k) && self.store.meta(k).is_some());
			let doomed = unplaced.iter().filter(|k| seen.contains(*k)).copied().collect();
			seen.extend(unplaced);
			doomed
		};
		for key in &doomed {
			self.unplaced.lock().expect("no panics under the lock; qed").remove(key);
			match self.store.remove(key) {
				Ok(true) => log::info!(target: LOG_TARGET, "deleted {key}: the chain no longer has it placed here"),
				Ok(false) => {},
				Err(e) => log::warn!(target: LOG_TARGET, "deleting {key}: {e}"),
			}
		}
		match self.chain.fragments_held_by(finalized, self.me(), 1024) {
			Ok(held) =>
				for (block, index, _) in held {
					let key = FragmentKey { block, index };
					// A file that exists but could not be read at start is not reported lost.
					if self.store.meta(&key).is_none() && !self.store.on_disk(&key) {
						self.clone().report_missing(key, "it is placed here but not in the store");
					}
				},
			Err(e) => log::warn!(target: LOG_TARGET, "checking placed fragments: {e}"),
		}
	}

	/// Repairs this account's blocks below their target redundancy, one at a time.
	fn repair_owned(self: Arc<Self>) {
		// The blocks this node recorded (tracked locally, however long the network's queue),
		// and any of this account's in the first part of the queue (recorded elsewhere).
		let mut mine = Vec::new();
		let mut gone = Vec::new();
		for block in self.transfers.owned() {
			match self.chain.block(&block) {
				Some(record) if record.placed() < record.n => mine.push(block),
				Some(_) => {},
				// Removed (absent at the finalized block too, not just on a passing fork).
				None if matches!(self.chain.block_at(self.chain.finalized(), &block), Ok(None)) => gone.push(block),
				None => {},
			}
		}
		if !gone.is_empty() {
			self.transfers.forget(&gone);
		}
		for (block, _) in self.chain.below_target(1024) {
			if !mine.contains(&block) && self.chain.block(&block).is_some_and(|r| &r.owner == self.me()) {
				mine.push(block);
			}
		}
		if mine.is_empty() || !self.in_flight.lock().expect("no panics under the lock; qed").insert((DataBlockId::zero(), u8::MAX)) {
			return
		}
		tokio::spawn(async move {
			for block in mine {
				match self.transfers.repair(block).await {
					Ok(0) => {},
					Ok(pushed) => log::info!(target: LOG_TARGET, "repair of block {block:?}: {pushed} fragments pushed to new providers"),
					Err(e) => log::warn!(target: LOG_TARGET, "repair of block {block:?}: {e}"),
				}
			}
			self.in_flight.lock().expect("no panics under the lock; qed").remove(&(DataBlockId::zero(), u8::MAX));
		});
	}
}
