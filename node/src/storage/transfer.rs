//! Moving a block's bytes as its owner's node: the write path (a sealed block in, recorded on
//! chain, its fragments pushed to distinct providers), the read path (any node: fetch the data
//! fragments a byte range needs, decode only when some are missing) and repair (rebuild lost
//! fragments from any `k` and place them on new providers).
//!
//! Every fragment fetched is verified against the root the chain recorded before it is used;
//! the node handles ciphertext only (clients seal and open blocks).

use std::{
	collections::{HashMap, HashSet, VecDeque},
	sync::{Arc, Mutex},
};

use blocktree_primitives::{
	crypto::SealedBlock,
	storage::{fragment_root, DataBlockId},
};
use blocktree_runtime::{AccountId, Hash, RuntimeCall};
use blocktree_storage::{
	codec::ErasureCoder,
	store::{FragmentKey, FragmentStore},
};
use codec::Decode;
use futures::future::join_all;
use sp_core::crypto::Ss58Codec;

use super::{
	chain::{BlockRecord, Chain},
	net::Exchange,
	tx::Submitter,
	LOG_TARGET,
};

/// Bytes of verified fragments kept in memory for reads.
const CACHE_BYTES: usize = 256 << 20;

/// Where each fragment of a put went.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutReport {
	/// The block's id (its signed header's hash).
	pub block: Hash,
	/// Bytes stored (the sealed block).
	pub size: u64,
	/// Fragments needed to rebuild it.
	pub k: u8,
	/// Fragments stored.
	pub n: u8,
	/// Bytes per fragment.
	pub fragment_size: u64,
	/// Fragments now stored on a provider (which then places them on chain): index, provider.
	pub stored: Vec<(u8, String)>,
	/// Fragments no provider took, with the last reason.
	pub failed: Vec<(u8, String)>,
}

/// Reads served at once: each may hold a block's fragments in memory.
const CONCURRENT_READS: usize = 4;

/// Fragments recently fetched and verified, bounded in bytes, keyed by fragment and root (a
/// block id recorded again after removal may have other fragments).
#[derive(Default)]
struct FragmentCache {
	order: VecDeque<(FragmentKey, Hash)>,
	entries: HashMap<(FragmentKey, Hash), Arc<Vec<u8>>>,
	bytes: usize,
}

impl FragmentCache {
	fn get(&self, key: &(FragmentKey, Hash)) -> Option<Arc<Vec<u8>>> {
		self.entries.get(key).cloned()
	}

	fn insert(&mut self, key: (FragmentKey, Hash), fragment: Arc<Vec<u8>>) {
		if self.entries.contains_key(&key) || fragment.len() > CACHE_BYTES {
			return
		}
		self.bytes += fragment.len();
		self.entries.insert(key, fragment);
		self.order.push_back(key);
		while self.bytes > CACHE_BYTES {
			let Some(old) = self.order.pop_front() else { break };
			if let Some(f) = self.entries.remove(&old) {
				self.bytes -= f.len();
			}
		}
	}
}

/// The owner's and reader's side of storage.
pub struct Transfers {
	chain: Chain,
	tx: Arc<Submitter>,
	exchange: Exchange,
	store: Arc<FragmentStore>,
	cache: Mutex<FragmentCache>,
	reads: tokio::sync::Semaphore,
	/// Blocks this node recorded for its account, kept in `<store>/owned-blocks` (one hex id a
	/// line), so that repair finds them however long the network's repair queue is.
	owned: Mutex<Vec<DataBlockId>>,
	/// Blocks being put (no deadline) or put recently (when it finished): repair leaves them
	/// alone while their placements reach the chain.
	puts: Mutex<HashMap<DataBlockId, Option<std::time::Instant>>>,
}

/// The file listing the blocks this node recorded, in the store's directory.
const OWNED_FILE: &str = "owned-blocks";

/// How long after a put its block is left to its own placements before repair steps in.
const PUT_SETTLE: std::time::Duration = std::time::Duration::from_secs(60);

fn verify(record: &BlockRecord, index: u8, bytes: &[u8]) -> bool {
	record.fragments.get(index as usize).is_some_and(|f| bytes.len() as u64 == record.fragment_size && fragment_root(bytes) == f.root)
}

impl Transfers {
	/// Transfers for the worker account of `tx`.
	pub fn new(chain: Chain, tx: Arc<Submitter>, exchange: Exchange, store: Arc<FragmentStore>) -> Self {
		let owned = std::fs::read_to_string(store.dir().join(OWNED_FILE))
			.unwrap_or_default()
			.lines()
			.filter_map(|line| {
				let bytes: [u8; 32] = sp_core::bytes::from_hex(line.trim()).ok()?.try_into().ok()?;
				Some(Hash::from(bytes))
			})
			.collect();
		Transfers {
			chain,
			tx,
			exchange,
			store,
			cache: Mutex::new(FragmentCache::default()),
			reads: tokio::sync::Semaphore::new(CONCURRENT_READS),
			owned: Mutex::new(owned),
			puts: Mutex::new(HashMap::new()),
		}
	}

	/// The blocks this node recorded for its account and still tracks.
	pub fn owned(&self) -> Vec<DataBlockId> {
		self.owned.lock().expect("no panics under the lock; qed").clone()
	}

	/// Tracks block `id` (recorded by this node's account) for repair.
	fn remember(&self, id: DataBlockId) {
		let mut owned = self.owned.lock().expect("no panics under the lock; qed");
		if !owned.contains(&id) {
			owned.push(id);
			self.save(&owned);
		}
	}

	/// Stops tracking blocks that left the chain.
	pub fn forget(&self, gone: &[DataBlockId]) {
		let mut owned = self.owned.lock().expect("no panics under the lock; qed");
		owned.retain(|id| !gone.contains(id));
		self.save(&owned);
	}

	fn save(&self, owned: &[DataBlockId]) {
		let text: String = owned.iter().map(|id| format!("{}\n", sp_core::bytes::to_hex(id.as_bytes(), false))).collect();
		let path = self.store.dir().join(OWNED_FILE);
		let tmp = path.with_extension("tmp");
		if let Err(e) = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, &path)) {
			log::warn!(target: LOG_TARGET, "cannot save the list of owned blocks at {}: {e}", path.display());
		}
	}

	fn me(&self) -> &AccountId {
		self.tx.account()
	}

	/// Removes block `id` from the chain (releasing its placements and deposit) for its
	/// writer, who signed `signature` over [`blocktree_client::tree_rpc::remove_block_message`]:
	/// this node's account recorded the block, but only the writer may have it removed.
	pub async fn remove(&self, id: DataBlockId, signature: &[u8]) -> Result<Hash, String> {
		let record = self.chain.block(&id).ok_or_else(|| format!("no block {id:?} on chain (removed already?)"))?;
		if &record.owner != self.me() {
			return Err(format!(
				"block {id:?} was recorded by {}, not by this node's account {}: remove it through that account's node",
				record.owner.to_ss58check(),
				self.me().to_ss58check()
			))
		}
		let signature = blocktree_primitives::principal::Signature::decode(&mut &signature[..])
			.map_err(|_| "the signature is not a SCALE-encoded principal signature".to_string())?;
		let writer = self.chain.principal(record.writer).ok_or_else(|| format!("the block's writer {:?} is not registered", record.writer))?;
		let message = blocktree_client::tree_rpc::remove_block_message(&self.chain.genesis(), &id);
		if !writer.signing.verify(&message, &signature) {
			return Err(format!("the signature is not the writer {:?}'s over the removal of block {id:?} on this chain", record.writer))
		}
		let call = RuntimeCall::Fragments(pallet_fragments::Call::remove_block { block: id });
		let (included, _) = self.tx.submit("remove_block", call).await?;
		self.forget(&[id]);
		Ok(included)
	}

	/// Stores sealed block `bytes` with loss tolerance `tolerance`: checks its form, encodes it
	/// by the chain's redundancy rule, records it (signed by the worker account, which must
	/// control the writer principal or hold its write cap chain in the header) and pushes the
	/// fragments to distinct providers the worker account has contracts with. Idempotent: a
	/// block already recorded is only pushed where fragments are missing.
	pub async fn put(&self, bytes: Vec<u8>, tolerance: u8) -> Result<PutReport, String> {
		let id = SealedBlock::from_bytes(&bytes).map(|b| b.header.id()).ok();
		if let Some(id) = id {
			self.puts.lock().expect("no panics under the lock; qed").insert(id, None);
		}
		// The chain's rule (k, n) follows the owner's live contracts: if one opened or ended
		// between encoding and inclusion, the record is refused; encode again by the new rule.
		let mut attempts = 0;
		let report = loop {
			match self.put_inner(bytes.clone(), tolerance).await {
				Err(e) if e.contains("WrongFragmentCount") && attempts < 2 => {
					attempts += 1;
					log::info!(target: LOG_TARGET, "the providers under contract changed while recording {id:?}: encoding again");
				},
				other => break other,
			}
		};
		if let Some(id) = id {
			self.puts.lock().expect("no panics under the lock; qed").insert(id, Some(std::time::Instant::now()));
		}
		report
	}

	/// Whether block `id` is being put or was put too recently for repair.
	fn settling(&self, id: &DataBlockId) -> bool {
		let mut puts = self.puts.lock().expect("no panics under the lock; qed");
		puts.retain(|_, done| done.map_or(true, |t| t.elapsed() < PUT_SETTLE));
		puts.contains_key(id)
	}

	async fn put_inner(&self, bytes: Vec<u8>, tolerance: u8) -> Result<PutReport, String> {
		let sealed = SealedBlock::from_bytes(&bytes).map_err(|e| format!("not a sealed block ({e:?}): seal it with the client first"))?;
		let header = sealed.header;
		let id = header.id();
		let size = bytes.len() as u64;
		let (k, n, fragment_size) = match self.chain.block(&id) {
			Some(record) if &record.owner != self.me() => {
				return Err(format!(
					"block {id:?} was recorded by {}, not by this node's account {}: put it through that account's node",
					record.owner.to_ss58check(),
					self.me().to_ss58check()
				))
			},
			Some(record) => (record.k, record.n, record.fragment_size),
			None => self.chain.erasure_params(self.me(), size, tolerance)?,
		};
		let fragments = tokio::task::spawn_blocking(move || -> Result<Vec<Vec<u8>>, String> {
			let coder = ErasureCoder::new(k, n).map_err(|e| e.to_string())?;
			coder.encode(&bytes, fragment_size as usize).map_err(|e| e.to_string())
		})
		.await
		.map_err(|e| format!("encoding failed: {e}"))??;
		let roots: Vec<Hash> = fragments.iter().map(|f| fragment_root(f)).collect();
		match self.chain.block(&id) {
			Some(record) if record.fragments.iter().map(|f| f.root).ne(roots.iter().copied()) =>
				return Err(format!("block {id:?} is recorded with other fragments (another size or tolerance)")),
			Some(_) => {},
			None => {
				let roots = roots.clone().try_into().map_err(|_| format!("{n} fragments are more than the chain takes"))?;
				let call = RuntimeCall::Fragments(pallet_fragments::Call::record_block {
					header: Box::new(header),
					size,
					tolerance,
					fragment_roots: roots,
				});
				self.tx.submit("record_block", call).await?;
				log::info!(target: LOG_TARGET, "recorded block {id:?}: {size} bytes as {k} of {n} fragments of {fragment_size} bytes");
			},
		}
		let record = self.chain.block(&id).ok_or_else(|| format!("block {id:?} is not on chain after recording"))?;
		self.remember(id);
		let missing: Vec<u8> = (0..n).filter(|i| record.fragments[*i as usize].holder.is_none()).collect();
		let (stored, failed) = self.push_missing(id, &record, Arc::new(fragments), missing).await;
		Ok(PutReport { block: id, size, k, n, fragment_size, stored, failed })
	}

	/// Providers that may take a fragment of `record` now, with their peer, those with the
	/// most free contracted room first (so blocks spread over providers instead of filling
	/// the same few).
	fn candidates(&self, record: &BlockRecord) -> VecDeque<(AccountId, sc_network::PeerId)> {
		let now = self.chain.best_number();
		let holding: HashSet<AccountId> = record.fragments.iter().filter_map(|f| f.holder.as_ref().map(|h| h.provider.clone())).collect();
		let barred: HashSet<AccountId> = record.barred.iter().filter(|(_, until)| *until > now).map(|(p, _)| p.clone()).collect();
		let mut seen = HashSet::new();
		let mut out = Vec::new();
		let mut contracts = self.chain.contracts_of(self.me());
		contracts.sort_by_key(|(_, c)| std::cmp::Reverse(c.bytes.saturating_sub(c.used)));
		for (_, contract) in contracts {
			let provider = contract.provider.clone();
			if &contract.client != self.me() ||
				contract.bytes.saturating_sub(contract.used) < record.fragment_size ||
				holding.contains(&provider) ||
				barred.contains(&provider) ||
				!seen.insert(provider.clone())
			{
				continue
			}
			let Some(endpoint) = self.chain.endpoint_of_account(&provider) else { continue };
			match self.exchange.learn(&endpoint.peer_id, &endpoint.addresses) {
				Ok(peer) => out.push((provider, peer)),
				Err(e) => log::warn!(target: LOG_TARGET, "provider {}: {e}", provider.to_ss58check()),
			}
		}
		out.into()
	}

	/// Pushes fragments `indices` of block `id` to distinct providers, concurrently; a
	/// provider that fails is replaced by the next candidate.
	async fn push_missing(
		&self,
		id: DataBlockId,
		record: &BlockRecord,
		fragments: Arc<Vec<Vec<u8>>>,
		indices: Vec<u8>,
	) -> (Vec<(u8, String)>, Vec<(u8, String)>) {
		let candidates = Mutex::new(self.candidates(record));
		let total = indices.len();
		let results = join_all(indices.into_iter().map(|index| {
			let candidates = &candidates;
			let fragments = fragments.clone();
			async move {
				let key = FragmentKey { block: id, index };
				let mut last = "no provider with a live contract, room and a registered endpoint is left: open more contracts".to_string();
				loop {
					let next = candidates.lock().expect("no panics under the lock; qed").pop_front();
					let Some((provider, peer)) = next else { return Err((index, last)) };
					match self.exchange.push(peer, key, &fragments[index as usize]).await {
						Ok(()) => {
							log::info!(target: LOG_TARGET, "{key} stored on {}", provider.to_ss58check());
							return Ok((index, provider.to_ss58check()))
						},
						Err(e) => {
							log::warn!(target: LOG_TARGET, "pushing {key}: {e}");
							last = e;
						},
					}
				}
			}
		}))
		.await;
		let (mut stored, mut failed) = (Vec::new(), Vec::new());
		for r in results {
			match r {
				Ok(s) => stored.push(s),
				Err(f) => failed.push(f),
			}
		}
		log::info!(target: LOG_TARGET, "block {id:?}: {} of {total} fragments pushed", stored.len());
		(stored, failed)
	}

	/// Fragment `index` of `record` (block `id`), verified: from the cache, this node's store,
	/// or its holder.
	async fn fragment(&self, id: DataBlockId, record: &BlockRecord, index: u8) -> Result<Arc<Vec<u8>>, String> {
		let key = FragmentKey { block: id, index };
		let root = record.fragments.get(index as usize).map(|f| f.root).ok_or_else(|| format!("block {id:?} has no fragment {index}"))?;
		if let Some(f) = self.cache.lock().expect("no panics under the lock; qed").get(&(key, root)) {
			return Ok(f)
		}
		let fetched = match self.store.get(&key) {
			Ok(bytes) => bytes,
			Err(_) => {
				let holder = record.fragments.get(index as usize).and_then(|f| f.holder.clone()).ok_or_else(|| format!("{key} is not placed"))?;
				let endpoint = self
					.chain
					.endpoint_of_account(&holder.provider)
					.ok_or_else(|| format!("the holder of {key} has no live endpoint"))?;
				let peer = self.exchange.learn(&endpoint.peer_id, &endpoint.addresses)?;
				self.exchange.fetch(peer, key, record.fragment_size).await?
			},
		};
		let record_clone = record.clone();
		let (ok, fetched) = tokio::task::spawn_blocking(move || (verify(&record_clone, index, &fetched), fetched))
			.await
			.map_err(|e| format!("verifying {key}: {e}"))?;
		if !ok {
			return Err(format!("{key} does not match the root the chain recorded: its holder serves corrupt data"))
		}
		let fragment = Arc::new(fetched);
		self.cache.lock().expect("no panics under the lock; qed").insert((key, root), fragment.clone());
		Ok(fragment)
	}

	/// Fetches fragment `index` of block `id` from its holder over the network (no cache, no
	/// local copy) and verifies it: whether the holder serves it. Returns the holder and size.
	pub async fn check_fragment(&self, id: DataBlockId, index: u8) -> Result<(AccountId, u64), String> {
		let record = self.chain.block(&id).ok_or_else(|| format!("the chain has no block {id:?}"))?;
		let key = FragmentKey { block: id, index };
		let holder = record.fragments.get(index as usize).ok_or_else(|| format!("block {id:?} has no fragment {index}"))?;
		let holder = holder.holder.clone().ok_or_else(|| format!("{key} is not placed"))?;
		let endpoint = self.chain.endpoint_of_account(&holder.provider).ok_or_else(|| format!("the holder of {key} has no live endpoint"))?;
		let peer = self.exchange.learn(&endpoint.peer_id, &endpoint.addresses)?;
		let bytes = self.exchange.fetch(peer, key, record.fragment_size).await?;
		let len = bytes.len() as u64;
		let ok = tokio::task::spawn_blocking(move || verify(&record, index, &bytes)).await.map_err(|e| e.to_string())?;
		if !ok {
			return Err(format!("{key} served by {} does not match its recorded root", holder.provider.to_ss58check()))
		}
		Ok((holder.provider, len))
	}

	/// Any `k` verified fragments of block `id`, fetched concurrently, as the decoder's slots.
	async fn gather(&self, id: DataBlockId, record: &BlockRecord) -> Result<Vec<Option<Vec<u8>>>, String> {
		let results = join_all((0..record.n).map(|i| self.fragment(id, record, i))).await;
		let mut errors = Vec::new();
		let slots: Vec<Option<Vec<u8>>> = results
			.into_iter()
			.map(|r| r.map_err(|e| errors.push(e)).ok().map(|f| f.as_ref().clone()))
			.collect();
		let have = slots.iter().filter(|s| s.is_some()).count();
		if have < record.k as usize {
			return Err(format!(
				"only {have} of the {} fragments needed for block {id:?} could be fetched: {}",
				record.k,
				errors.join("; ")
			))
		}
		Ok(slots)
	}

	/// The size the chain records for block `id`, if it has it.
	pub fn block_size(&self, id: &DataBlockId) -> Option<u64> {
		self.chain.block(id).map(|record| record.size)
	}

	/// Bytes `offset .. offset + len` of stored block `id` (fewer at its end). Fetches only
	/// the data fragments the range covers; rebuilds from any `k` if one of them fails.
	pub async fn read(&self, id: DataBlockId, offset: u64, len: u64) -> Result<Vec<u8>, String> {
		let _permit = self.reads.acquire().await.map_err(|_| "the node is shutting down".to_string())?;
		let record = self.chain.block(&id).ok_or_else(|| format!("the chain has no block {id:?}"))?;
		if offset >= record.size {
			return Ok(Vec::new())
		}
		let end = offset.saturating_add(len).min(record.size);
		let fs = record.fragment_size;
		let (first, last) = ((offset / fs) as u8, ((end - 1) / fs) as u8);
		let direct = join_all((first..=last).map(|i| self.fragment(id, &record, i))).await;
		let data: Vec<Arc<Vec<u8>>> = if direct.iter().all(Result::is_ok) {
			direct.into_iter().map(|r| r.expect("checked; qed")).collect()
		} else {
			log::info!(target: LOG_TARGET, "block {id:?}: a data fragment is unavailable, decoding from any {}", record.k);
			let slots = self.gather(id, &record).await?;
			let (k, n) = (record.k, record.n);
			let capacity = k as usize * fs as usize;
			let block = tokio::task::spawn_blocking(move || {
				ErasureCoder::new(k, n).and_then(|c| c.decode(slots, capacity)).map_err(|e| e.to_string())
			})
			.await
			.map_err(|e| format!("decoding failed: {e}"))??;
			let mut cache = self.cache.lock().expect("no panics under the lock; qed");
			let fragments: Vec<Arc<Vec<u8>>> = block.chunks(fs as usize).map(|c| Arc::new(c.to_vec())).collect();
			for (i, f) in fragments.iter().enumerate() {
				cache.insert((FragmentKey { block: id, index: i as u8 }, record.fragments[i].root), f.clone());
			}
			fragments[first as usize..=last as usize].to_vec()
		};
		let mut out = Vec::with_capacity((end - offset) as usize);
		for (j, fragment) in data.iter().enumerate() {
			let start = (first as u64 + j as u64) * fs;
			let from = offset.max(start) - start;
			let to = end.min(start + fs) - start;
			out.extend_from_slice(&fragment[from as usize..to as usize]);
		}
		Ok(out)
	}

	/// Rebuilds the unplaced fragments of block `id` (owned by this node's account) from any
	/// `k` and pushes them to new providers. Returns how many were pushed.
	pub async fn repair(&self, id: DataBlockId) -> Result<usize, String> {
		let _permit = self.reads.acquire().await.map_err(|_| "the node is shutting down".to_string())?;
		let record = self.chain.block(&id).ok_or_else(|| format!("the chain has no block {id:?}"))?;
		if &record.owner != self.me() {
			return Err(format!("block {id:?} belongs to another account"))
		}
		let missing: Vec<u8> = (0..record.n).filter(|i| record.fragments[*i as usize].holder.is_none()).collect();
		if missing.is_empty() || self.settling(&id) {
			return Ok(0)
		}
		// Fetching and decoding a block is the expensive part: not while nobody could take
		// the rebuilt fragments.
		if self.candidates(&record).is_empty() {
			return Err(format!(
				"block {id:?} misses {} fragments but no provider outside its holders has a live contract with room: open more contracts",
				missing.len()
			))
		}
		let slots = self.gather(id, &record).await?;
		let (k, n, fs, size) = (record.k, record.n, record.fragment_size as usize, record.size as usize);
		let fragments = tokio::task::spawn_blocking(move || -> Result<Vec<Vec<u8>>, String> {
			let coder = ErasureCoder::new(k, n).map_err(|e| e.to_string())?;
			let block = coder.decode(slots, size).map_err(|e| e.to_string())?;
			coder.encode(&block, fs).map_err(|e| e.to_string())
		})
		.await
		.map_err(|e| format!("rebuilding failed: {e}"))??;
		for i in &missing {
			if !verify(&record, *i, &fragments[*i as usize]) {
				return Err(format!("rebuilt fragment {i} of block {id:?} does not match its recorded root"))
			}
		}
		let (stored, failed) = self.push_missing(id, &record, Arc::new(fragments), missing).await;
		for (index, reason) in failed {
			log::warn!(target: LOG_TARGET, "repair of fragment {index} of block {id:?} is waiting: {reason}");
		}
		Ok(stored.len())
	}
}
