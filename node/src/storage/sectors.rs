//! Serving a range of a block's sectors with their merkle proofs, so that a client reads and
//! opens only the sectors it needs (random access, the FUSE mount) and checks each one against
//! the writer's signed root with the header alone.
//!
//! A proof needs every sector's hash. The first range read of a block on this node therefore
//! reads the whole block once (through the fragment read path, which verifies every fragment
//! against the chain), checks it hashes to the signed root, and keeps its merkle tree; later
//! reads fetch only the fragments their range touches. Trees are kept in a cache bounded in
//! bytes, and one build per block runs at a time however many readers ask.

use std::{
	collections::{HashMap, VecDeque},
	sync::{Arc, Mutex},
};

use blocktree_primitives::{
	block::SignedBlockHeader,
	crypto::SealedBlock,
	merkle::{self, MerkleTree},
	storage::DataBlockId,
};
use blocktree_client::sectors::{sectors_per_read, SectorRead, MAX_SECTORS_BYTES, MAX_SECTORS_PER_READ};
use codec::Encode;
use sp_core::Bytes;
use tokio::sync::OnceCell;

use super::{transfer::Transfers, LOG_TARGET};

/// Bytes of merkle trees kept (a tree takes about 64 bytes a sector: 8 MiB for a 64 MiB block
/// of 512-byte sectors, 64 KiB for one of 64 KiB sectors).
const TREE_CACHE_BYTES: usize = 64 << 20;
/// Blocks whose trees are kept or being built, at most.
const TREE_CACHE_BLOCKS: usize = 4096;

/// What this node knows of a block's layout: its header and its sectors' merkle tree.
struct SectorIndex {
	header: SignedBlockHeader,
	/// `None` for a block without sectors (empty plaintext).
	tree: Option<MerkleTree>,
}

impl SectorIndex {
	fn bytes(&self) -> usize {
		// Leaves plus inner nodes: at most twice the leaves.
		self.tree.as_ref().map_or(0, |t| t.leaves().len() * 64) + 1024
	}
}

type Cell = Arc<OnceCell<Arc<SectorIndex>>>;

#[derive(Default)]
struct TreeCache {
	order: VecDeque<DataBlockId>,
	cells: HashMap<DataBlockId, Cell>,
}

impl TreeCache {
	fn cell(&mut self, id: DataBlockId) -> Cell {
		if let Some(cell) = self.cells.get(&id) {
			return cell.clone()
		}
		let cell = Cell::default();
		self.cells.insert(id, cell.clone());
		self.order.push_back(id);
		self.evict();
		cell
	}

	/// Drops `cell` of block `id` (a failed build, or a tree found stale), unless another
	/// cell took its place meanwhile.
	fn forget(&mut self, id: &DataBlockId, cell: &Cell) {
		if self.cells.get(id).is_some_and(|c| Arc::ptr_eq(c, cell)) {
			self.cells.remove(id);
			self.order.retain(|o| o != id);
		}
	}

	/// Drops the oldest trees while the cache is over its bounds (the newest always stays).
	fn evict(&mut self) {
		let mut bytes: usize = self.cells.values().filter_map(|c| c.get()).map(|i| i.bytes()).sum();
		while (bytes > TREE_CACHE_BYTES || self.cells.len() > TREE_CACHE_BLOCKS) && self.order.len() > 1 {
			let Some(old) = self.order.pop_front() else { break };
			if let Some(cell) = self.cells.remove(&old) {
				bytes -= cell.get().map_or(0, |i| i.bytes());
			}
		}
	}
}

/// Reads of sector ranges, over the node's block reads.
pub struct Sectors {
	transfers: Arc<Transfers>,
	trees: Mutex<TreeCache>,
}

impl Sectors {
	/// Sector reads through `transfers`.
	pub fn new(transfers: Arc<Transfers>) -> Self {
		Sectors { transfers, trees: Mutex::new(TreeCache::default()) }
	}

	/// Sectors `first .. first + count` of block `id` (fewer at the block's end) with their
	/// proofs; `count` 0 returns the header alone. Their ciphertext is at most 4 MiB.
	pub async fn read(&self, id: DataBlockId, first: u64, count: u64) -> Result<SectorRead, String> {
		let (index, cell) = self.index(id).await?;
		let header = &index.header;
		let sector_count = header.header.sector_count();
		let mut read = SectorRead { header: Bytes(header.encode()), sector_count, first, sectors: Vec::new(), proofs: Vec::new() };
		if count == 0 {
			return Ok(read)
		}
		let tree = index.tree.as_ref().filter(|_| first < sector_count).ok_or_else(|| {
			format!("block {id:?} has {sector_count} sectors: the first one asked for must be below that")
		})?;
		let last = first.saturating_add(count).min(sector_count) - 1;
		let range = |i: u64| header.sector_ciphertext_range(i).expect("i < sector_count; qed");
		let (start, end) = (range(first).start, range(last).end);
		let ciphertext: u64 = (first..=last).map(|i| range(i).end - range(i).start).sum();
		if last - first + 1 > MAX_SECTORS_PER_READ || ciphertext > MAX_SECTORS_BYTES {
			return Err(format!(
				"ask for at most {} sectors of block {id:?} at a time (at most {MAX_SECTORS_PER_READ} sectors and 4 MiB of ciphertext)",
				sectors_per_read(header.header.sector_size)
			))
		}
		let bytes = self.transfers.read(id, start, end - start).await?;
		for i in first..=last {
			let r = range(i);
			let sector = bytes
				.get((r.start - start) as usize..(r.end - start) as usize)
				.ok_or_else(|| format!("block {id:?} ended before sector {i}"))?;
			// The fragments were checked against the chain; this checks the tree built from
			// them still describes them (it always should: a mismatch is a bug, not a guess).
			if merkle::leaf_hash(sector) != tree.leaves()[i as usize] {
				self.trees.lock().expect("no panics under the lock; qed").forget(&id, &cell);
				return Err(format!("sector {i} of block {id:?} does not match the tree this node built: retry"))
			}
			let proof = tree.prove(i as usize).expect("i < sector_count; qed");
			read.sectors.push(Bytes(sector.to_vec()));
			read.proofs.push(proof.into());
		}
		Ok(read)
	}

	/// Block `id`'s header and tree, built once (reading the whole block) and then cached.
	async fn index(&self, id: DataBlockId) -> Result<(Arc<SectorIndex>, Cell), String> {
		let cell = self.trees.lock().expect("no panics under the lock; qed").cell(id);
		let built = cell.get_or_try_init(|| self.build(id)).await.cloned();
		let mut trees = self.trees.lock().expect("no panics under the lock; qed");
		match built {
			Ok(index) => {
				trees.evict();
				Ok((index, cell))
			},
			Err(e) => {
				trees.forget(&id, &cell);
				Err(e)
			},
		}
	}

	async fn build(&self, id: DataBlockId) -> Result<Arc<SectorIndex>, String> {
		let size = self.transfers.block_size(&id).ok_or_else(|| format!("the chain has no block {id:?}"))?;
		log::debug!(target: LOG_TARGET, "block {id:?}: reading its {size} bytes once to hash its sectors");
		let bytes = self.transfers.read(id, 0, size).await?;
		tokio::task::spawn_blocking(move || {
			let block = SealedBlock::from_bytes(&bytes).map_err(|e| format!("block {id:?} is not a sealed block: {e:?}"))?;
			if block.header.id() != id {
				return Err(format!("block {id:?} holds a header with another id: its owner recorded it wrongly"))
			}
			let tree = MerkleTree::new(block.sectors.iter().map(|s| merkle::leaf_hash(s)).collect());
			let root = tree.as_ref().map_or_else(merkle::empty_root, MerkleTree::root);
			if root != block.header.header.merkle_root {
				return Err(format!("block {id:?}'s sectors do not hash to its signed root: its writer sealed it wrongly"))
			}
			Ok(Arc::new(SectorIndex { header: block.header, tree }))
		})
		.await
		.map_err(|e| format!("hashing block {id:?} failed: {e}"))?
	}
}
