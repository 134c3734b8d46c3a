//! Serving a range of a block's sectors with their merkle proofs, so that a client reads and
//! opens only the sectors it needs (random access, the FUSE mount) and checks each one against
//! the writer's signed root with the header alone.
//!
//! A proof needs every sector's hash. The first sector read of a block on this node therefore
//! reads the whole block once (through the fragment read path, which verifies every fragment
//! against the chain), checks that its sectors hash to the signed root, and keeps its merkle
//! tree; later reads fetch only the fragments their range touches. What a build found is
//! remembered either way: a block whose bytes are not the sealed block its header describes is
//! refused from then on without being read again (a failed fetch is retried after
//! [`RETRY_AFTER`]). Trees are kept in a cache bounded in bytes and blocks, least recently used
//! first out; at most [`CONCURRENT_BUILDS`] builds run at once, and one per block however many
//! readers ask. A header alone (`count` 0) comes from the block's first bytes, no build.

use std::{
	collections::{HashMap, VecDeque},
	future::Future,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use blocktree_client::sectors::{SectorRead, MAX_SECTORS_BYTES, MAX_SECTORS_PER_READ};
use blocktree_primitives::{
	block::{SectorLayout, SignedBlockHeader},
	merkle::{self, MerkleTree},
	storage::DataBlockId,
};
use codec::{Decode, Encode, MaxEncodedLen};
use sp_core::Bytes;
use tokio::sync::{OnceCell, Semaphore};

use super::{transfer::Transfers, LOG_TARGET};

/// Bytes of merkle trees kept (a tree takes about 64 bytes a sector: 8 MiB for a 64 MiB block
/// of 512-byte sectors, 64 KiB for one of 64 KiB sectors).
const TREE_CACHE_BYTES: usize = 64 << 20;
/// Blocks whose trees (or build failures) are kept, at most.
const TREE_CACHE_BLOCKS: usize = 4096;
/// Whole-block reads for trees at once.
const CONCURRENT_BUILDS: usize = 2;
/// How long a build that failed to fetch the block is remembered before one is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Where sector reads get a block's bytes: the node's verified block reads.
pub trait BlockSource: Send + Sync + 'static {
	/// The size the chain records for block `id`, if it has it.
	fn size(&self, id: &DataBlockId) -> Option<u64>;
	/// Bytes `offset .. offset + len` of block `id` (fewer at its end), verified against the
	/// chain.
	fn read(&self, id: DataBlockId, offset: u64, len: u64) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
}

impl BlockSource for Arc<Transfers> {
	fn size(&self, id: &DataBlockId) -> Option<u64> {
		self.block_size(id)
	}

	fn read(&self, id: DataBlockId, offset: u64, len: u64) -> impl Future<Output = Result<Vec<u8>, String>> + Send {
		let this = self.clone();
		async move { Transfers::read(&this, id, offset, len).await }
	}
}

/// What this node knows of a block's layout: its header, where its sectors lie and their
/// merkle tree.
struct SectorIndex {
	header: SignedBlockHeader,
	layout: SectorLayout,
	/// `None` for a block without sectors (empty plaintext).
	tree: Option<MerkleTree>,
}

impl SectorIndex {
	fn bytes(&self) -> usize {
		// Leaves plus inner nodes: at most twice the leaves.
		self.tree.as_ref().map_or(0, |t| t.leaves().len() * 64) + self.header.encoded_size()
	}
}

/// What building a block's index came to.
#[derive(Clone)]
enum Built {
	Index(Arc<SectorIndex>),
	/// The block is not what its header says, for as long as the chain records it: refused
	/// without being read again.
	Refused(String),
	/// Its bytes could not be fetched (holders away): tried again after [`RETRY_AFTER`].
	Unavailable(String, Instant),
}

impl Built {
	fn bytes(&self) -> usize {
		match self {
			Built::Index(index) => index.bytes(),
			Built::Refused(reason) | Built::Unavailable(reason, _) => reason.len() + 64,
		}
	}
}

type Cell = Arc<OnceCell<Built>>;

struct Entry {
	cell: Cell,
	/// The bytes counted for it once built (`None` while its build runs: never evicted).
	counted: Option<usize>,
}

/// The trees, least recently used first; every change to the byte count happens under its
/// lock.
#[derive(Default)]
struct TreeCache {
	order: VecDeque<DataBlockId>,
	entries: HashMap<DataBlockId, Entry>,
	bytes: usize,
	max_bytes: usize,
	max_blocks: usize,
}

impl TreeCache {
	fn new(max_bytes: usize, max_blocks: usize) -> Self {
		TreeCache { max_bytes, max_blocks, ..Default::default() }
	}

	/// The cell of block `id`, made if missing (or if its fetch failed long enough ago), and
	/// marked as the most recently used.
	fn cell(&mut self, id: DataBlockId) -> Cell {
		let stale = self.entries.get(&id).is_some_and(|e| matches!(e.cell.get(), Some(Built::Unavailable(_, at)) if at.elapsed() >= RETRY_AFTER));
		if stale {
			self.remove(&id);
		}
		self.order.retain(|o| *o != id);
		self.order.push_back(id);
		self.entries.entry(id).or_insert_with(|| Entry { cell: Cell::default(), counted: None }).cell.clone()
	}

	/// Counts a finished build of `id` (once), then evicts over the bounds.
	fn admit(&mut self, id: &DataBlockId, cell: &Cell) {
		let Some(entry) = self.entries.get_mut(id).filter(|e| Arc::ptr_eq(&e.cell, cell) && e.counted.is_none()) else { return };
		let Some(built) = cell.get() else { return };
		let bytes = built.bytes();
		entry.counted = Some(bytes);
		self.bytes += bytes;
		self.evict();
	}

	fn remove(&mut self, id: &DataBlockId) {
		if let Some(entry) = self.entries.remove(id) {
			self.bytes -= entry.counted.unwrap_or(0);
			self.order.retain(|o| o != id);
		}
	}

	/// Drops the least recently used built entries while over a bound; builds under way stay.
	fn evict(&mut self) {
		let mut i = 0;
		while (self.bytes > self.max_bytes || self.entries.len() > self.max_blocks) && i < self.order.len() {
			let id = self.order[i];
			let counted = self.entries.get(&id).and_then(|e| e.counted);
			// The newest entry stays, whatever its size.
			if counted.is_some() && i + 1 < self.order.len() {
				self.remove(&id);
			} else {
				i += 1;
			}
		}
	}
}

/// Reads of sector ranges, over the node's block reads.
pub struct Sectors<S = Arc<Transfers>> {
	source: S,
	trees: Mutex<TreeCache>,
	builds: Semaphore,
}

impl<S: BlockSource> Sectors<S> {
	/// Sector reads over `source`.
	pub fn new(source: S) -> Self {
		Self::with_bounds(source, TREE_CACHE_BYTES, TREE_CACHE_BLOCKS)
	}

	fn with_bounds(source: S, max_bytes: usize, max_blocks: usize) -> Self {
		Sectors { source, trees: Mutex::new(TreeCache::new(max_bytes, max_blocks)), builds: Semaphore::new(CONCURRENT_BUILDS) }
	}

	/// Sectors `first .. first + count` of block `id` (fewer at the block's end) with their
	/// proofs; `count` 0 returns the header alone. At most [`MAX_SECTORS_PER_READ`] sectors and
	/// 4 MiB of ciphertext at a time.
	pub async fn read(&self, id: DataBlockId, first: u64, count: u64) -> Result<SectorRead, String> {
		if self.source.size(&id).is_none() {
			return Err(format!("the chain has no block {id:?} (yet): check the id, or retry once it is recorded"))
		}
		if count == 0 {
			return self.header(id).await
		}
		let index = self.index(id).await?;
		let (header, layout) = (&index.header, &index.layout);
		let mut read = SectorRead { header: Bytes(header.encode()), sector_count: layout.count, first, sectors: Vec::new(), proofs: Vec::new() };
		let Some(tree) = index.tree.as_ref().filter(|_| first < layout.count) else {
			return Err(format!("block {id:?} has {} sectors: the first one asked for must be below that", layout.count))
		};
		// Clamped to the block, then bounded before any per-sector work.
		let last = first.saturating_add(count).min(layout.count) - 1;
		if last - first + 1 > MAX_SECTORS_PER_READ || layout.ciphertext_len(first, last) > MAX_SECTORS_BYTES {
			let per_read = (MAX_SECTORS_BYTES / layout.full).clamp(1, MAX_SECTORS_PER_READ);
			return Err(format!(
				"ask for at most {per_read} sectors of block {id:?} at a time (at most {MAX_SECTORS_PER_READ} sectors and 4 MiB of ciphertext)"
			))
		}
		let range = |i: u64| layout.range(i).expect("i <= last < count; qed");
		let start = range(first).start;
		let bytes = self.source.read(id, start, range(last).end - start).await?;
		for i in first..=last {
			let r = range(i);
			let sector = bytes
				.get((r.start - start) as usize..(r.end - start) as usize)
				.ok_or_else(|| format!("block {id:?} ended before sector {i}: retry, or read it through another node"))?;
			// The fragments were checked against the chain; the tree was built from the same
			// bytes. A mismatch means a fragment changed under the same root: not served.
			if merkle::leaf_hash(sector) != tree.leaves()[i as usize] {
				return Err(format!("sector {i} of block {id:?} does not match the tree this node built: read it through another node"))
			}
			let proof = tree.prove(i as usize).expect("i < count; qed");
			read.sectors.push(Bytes(sector.to_vec()));
			read.proofs.push(proof.into());
		}
		Ok(read)
	}

	/// Block `id`'s signed header: from its tree if built, else from the block's first bytes.
	async fn header(&self, id: DataBlockId) -> Result<SectorRead, String> {
		let built = {
			let trees = self.trees.lock().expect("no panics under the lock; qed");
			trees.entries.get(&id).and_then(|e| e.cell.get().cloned())
		};
		let header = match built {
			Some(Built::Index(index)) => index.header.clone(),
			Some(Built::Refused(reason)) => return Err(reason),
			_ => {
				let size = self.source.size(&id).ok_or_else(|| format!("the chain has no block {id:?}"))?;
				// The header, the sector count, and the first sector's length prefix at most.
				let prefix = (SignedBlockHeader::max_encoded_len() as u64 + 10).min(size);
				let bytes = self.source.read(id, 0, prefix).await?;
				let header = SignedBlockHeader::decode(&mut &bytes[..])
					.map_err(|e| format!("block {id:?} does not start with a block header ({e}): its owner recorded something else"))?;
				if header.id() != id {
					return Err(format!("block {id:?} starts with the header of another block: its owner recorded it wrongly"))
				}
				header
			},
		};
		let sector_count = header.header.sector_count();
		Ok(SectorRead { header: Bytes(header.encode()), sector_count, first: 0, sectors: Vec::new(), proofs: Vec::new() })
	}

	/// Block `id`'s index, built once (reading the whole block) and then kept.
	async fn index(&self, id: DataBlockId) -> Result<Arc<SectorIndex>, String> {
		// No cell for a block the chain does not (yet) have: it may be recorded a moment later.
		if self.source.size(&id).is_none() {
			return Err(format!("the chain has no block {id:?} (yet): check the id, or retry once it is recorded"))
		}
		let cell = self.trees.lock().expect("no panics under the lock; qed").cell(id);
		let built = cell.get_or_init(|| self.build(id)).await.clone();
		self.trees.lock().expect("no panics under the lock; qed").admit(&id, &cell);
		match built {
			Built::Index(index) => Ok(index),
			Built::Refused(reason) => Err(reason),
			Built::Unavailable(reason, _) => Err(reason),
		}
	}

	async fn build(&self, id: DataBlockId) -> Built {
		let Ok(_permit) = self.builds.acquire().await else {
			return Built::Unavailable("the node is shutting down".into(), Instant::now())
		};
		let Some(size) = self.source.size(&id) else {
			return Built::Unavailable(format!("the chain has no block {id:?}"), Instant::now())
		};
		log::debug!(target: LOG_TARGET, "block {id:?}: reading its {size} bytes once to hash its sectors");
		let bytes = match self.source.read(id, 0, size).await {
			Ok(bytes) => bytes,
			Err(e) => return Built::Unavailable(format!("{e} (retry in {} s)", RETRY_AFTER.as_secs()), Instant::now()),
		};
		let hashed = tokio::task::spawn_blocking(move || index_of(id, &bytes)).await;
		match hashed {
			Ok(Ok(index)) => Built::Index(Arc::new(index)),
			Ok(Err(reason)) => {
				log::info!(target: LOG_TARGET, "block {id:?} refused for sector reads: {reason}");
				Built::Refused(reason)
			},
			Err(e) => Built::Unavailable(format!("hashing block {id:?} failed: {e}"), Instant::now()),
		}
	}
}

/// Checks that `bytes` are the sealed block `id` names (its header hashes to `id`, the stored
/// form has the length the header implies, the sectors hash to the signed root) and hashes its
/// sectors.
fn index_of(id: DataBlockId, bytes: &[u8]) -> Result<SectorIndex, String> {
	let header = SignedBlockHeader::decode(&mut &bytes[..]).map_err(|e| format!("block {id:?} is not a sealed block ({e}): its owner recorded something else"))?;
	if header.id() != id {
		return Err(format!("block {id:?} holds the header of another block: its owner recorded it wrongly"))
	}
	let layout = header.sector_layout().ok_or_else(|| format!("block {id:?} has a header outside the bounds"))?;
	if layout.stored_len() != bytes.len() as u64 {
		return Err(format!("block {id:?} has {} bytes, its header describes {}: its owner recorded it wrongly", bytes.len(), layout.stored_len()))
	}
	let leaves: Vec<_> = (0..layout.count)
		.map(|i| layout.range(i).map(|r| merkle::leaf_hash(&bytes[r.start as usize..r.end as usize])))
		.collect::<Option<_>>()
		.ok_or_else(|| format!("block {id:?}: sector layout out of range"))?;
	let tree = MerkleTree::new(leaves);
	let root = tree.as_ref().map_or_else(merkle::empty_root, MerkleTree::root);
	if root != header.header.merkle_root {
		return Err(format!("block {id:?}'s sectors do not hash to its signed root: its writer sealed it wrongly"))
	}
	Ok(SectorIndex { header, layout, tree })
}

#[cfg(test)]
mod tests {
	use std::sync::atomic::{AtomicUsize, Ordering};

	use blocktree_client::sectors::check_sector_read;
	use blocktree_primitives::{
		cap::KnownPrincipals,
		crypto::{seal_block, KeyScheme, PrincipalKeys, SealedBlock, WriteRequest},
		path::BlockPath,
	};

	use super::*;

	/// Blocks in memory, counting the bytes read.
	#[derive(Default)]
	struct Fake {
		blocks: HashMap<DataBlockId, Vec<u8>>,
		reads: AtomicUsize,
		bytes: AtomicUsize,
	}

	impl BlockSource for Arc<Fake> {
		fn size(&self, id: &DataBlockId) -> Option<u64> {
			self.blocks.get(id).map(|b| b.len() as u64)
		}

		fn read(&self, id: DataBlockId, offset: u64, len: u64) -> impl Future<Output = Result<Vec<u8>, String>> + Send {
			let this = self.clone();
			async move {
				// Give concurrent callers a chance to pile up.
				tokio::time::sleep(Duration::from_millis(20)).await;
				let block = this.blocks.get(&id).ok_or("unknown block")?;
				let end = (offset.saturating_add(len)).min(block.len() as u64) as usize;
				let bytes = block.get(offset as usize..end).ok_or("past the end")?.to_vec();
				this.reads.fetch_add(1, Ordering::SeqCst);
				this.bytes.fetch_add(bytes.len(), Ordering::SeqCst);
				Ok(bytes)
			}
		}
	}

	fn sealed(len: usize, sector_size: u32, seed: u8) -> SealedBlock {
		let alice = PrincipalKeys::from_seed(KeyScheme::Sr25519, [seed; 32]);
		let ctx = KnownPrincipals::at(1_800_000_000_000).on_chain(sp_core::H256([0xc4; 32])).with(alice.principal());
		let path = BlockPath::root_of(&alice.id()).join("file.bin").unwrap();
		let plain: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
		let request = WriteRequest { path: &path, version: 1, write_caps: Default::default(), readers: &[], sector_size };
		seal_block(&alice, request, &plain, &ctx).unwrap().0
	}

	fn serving(blocks: &[&SealedBlock]) -> Arc<Fake> {
		Arc::new(Fake { blocks: blocks.iter().map(|b| (b.header.id(), b.to_bytes())).collect(), ..Default::default() })
	}

	#[tokio::test]
	async fn sectors_are_served_with_proofs_that_check_and_the_block_is_read_once() {
		let block = sealed(40 * 512 + 9, 512, 1);
		let id = block.header.id();
		let fake = serving(&[&block]);
		let sectors = Sectors::new(fake.clone());
		for (first, count) in [(0u64, 1u64), (3, 10), (39, 5), (40, 1), (0, 41)] {
			let read = sectors.read(id, first, count).await.unwrap();
			let checked = check_sector_read(id, first, count, read).unwrap();
			for (j, (sector, proof)) in checked.sectors.iter().enumerate() {
				let i = first + j as u64;
				assert_eq!(sector, &block.sectors[i as usize]);
				assert_eq!(proof, &block.sector_proof(i).unwrap());
			}
		}
		assert_eq!(fake.reads.load(Ordering::SeqCst), 1 + 5, "one whole read for the tree, then one range read per call");
		assert!(sectors.read(id, 41, 1).await.unwrap_err().contains("has 41 sectors"));
		assert!(sectors.read(sp_core::H256::repeat_byte(9), 0, 1).await.unwrap_err().contains("no block"));
	}

	#[tokio::test]
	async fn a_block_that_is_not_what_its_header_says_is_read_once_not_per_request() {
		let block = sealed(8 * 512, 512, 1);
		let id = block.header.id();
		let mut bytes = block.to_bytes();
		let at = bytes.len() - 100;
		bytes[at] ^= 1; // a sector that does not hash to the signed root
		let fake = Arc::new(Fake { blocks: [(id, bytes)].into(), ..Default::default() });
		let sectors = Arc::new(Sectors::new(fake.clone()));
		let calls = (0..10).map(|_| {
			let sectors = sectors.clone();
			async move { sectors.read(id, 0, 1).await }
		});
		for result in futures::future::join_all(calls).await {
			assert!(result.unwrap_err().contains("signed root"));
		}
		assert!(sectors.read(id, 2, 1).await.is_err());
		assert!(sectors.read(id, 0, 0).await.is_err(), "nor is its header served");
		assert_eq!(fake.reads.load(Ordering::SeqCst), 1, "one whole read for eleven requests");
	}

	#[tokio::test]
	async fn a_header_alone_reads_only_the_blocks_first_bytes() {
		let block = sealed(64 * 1024, 512, 1);
		let id = block.header.id();
		let fake = serving(&[&block]);
		let sectors = Sectors::new(fake.clone());
		let read = sectors.read(id, 0, 0).await.unwrap();
		let checked = check_sector_read(id, 0, 0, read).unwrap();
		assert_eq!(checked.header, block.header);
		assert!(fake.bytes.load(Ordering::SeqCst) as u64 <= SignedBlockHeader::max_encoded_len() as u64 + 10);
	}

	#[tokio::test]
	async fn huge_counts_are_refused_before_any_per_sector_work() {
		let block = sealed(3000 * 512, 512, 1);
		let id = block.header.id();
		let sectors = Sectors::new(serving(&[&block]));
		let err = sectors.read(id, 0, u64::MAX).await.unwrap_err();
		assert!(err.contains("ask for at most 1024 sectors"), "{err}");
		assert_eq!(sectors.read(id, u64::MAX, u64::MAX).await.unwrap_err(), format!("block {id:?} has 3000 sectors: the first one asked for must be below that"));
		assert_eq!(check_sector_read(id, 2000, 1024, sectors.read(id, 2000, 1024).await.unwrap()).unwrap().sectors.len(), 1000);
	}

	#[tokio::test]
	async fn a_hot_tree_survives_colder_ones_and_the_count_stays_exact() {
		let blocks: Vec<_> = (1..=3).map(|s| sealed(4 * 512, 512, s)).collect();
		let fake = serving(&blocks.iter().collect::<Vec<_>>());
		let ids: Vec<_> = blocks.iter().map(|b| b.header.id()).collect();
		let sectors = Sectors::with_bounds(fake.clone(), usize::MAX, 2);
		sectors.read(ids[0], 0, 1).await.unwrap();
		sectors.read(ids[1], 0, 1).await.unwrap();
		sectors.read(ids[0], 1, 1).await.unwrap(); // A is used again: B is now the oldest
		sectors.read(ids[2], 0, 1).await.unwrap();
		let reads = fake.reads.load(Ordering::SeqCst);
		sectors.read(ids[0], 2, 1).await.unwrap();
		assert_eq!(fake.reads.load(Ordering::SeqCst), reads + 1, "A's tree was kept: one range read, no rebuild");
		let trees = sectors.trees.lock().unwrap();
		assert!(!trees.entries.contains_key(&ids[1]), "B, the least recently used, went");
		let counted: usize = trees.entries.values().filter_map(|e| e.counted).sum();
		assert_eq!(trees.bytes, counted);
	}

	#[test]
	fn builds_under_way_are_never_evicted() {
		let mut cache = TreeCache::new(0, 1);
		let pending = cache.cell(sp_core::H256::repeat_byte(1));
		let _other = cache.cell(sp_core::H256::repeat_byte(2));
		cache.evict();
		assert_eq!(cache.entries.len(), 2, "both builds still run: nothing to evict");
		assert!(pending.get().is_none());
		assert_eq!(cache.bytes, 0);
	}
}
