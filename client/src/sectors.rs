//! Random access to a stored block: read some of its sectors through a node's
//! `blocktree_readSectors` and open only those, each checked against the writer's signed
//! merkle root with its proof, so a reader of a few bytes of a large block fetches and
//! decrypts a few sectors, and a node cannot serve bytes the writer did not seal.
//!
//! [`SectorRead`] is the method's wire form (the node serves it, this module checks it);
//! [`BlockReader`] opens a block's header once (signature, the writer's authority, the reader's
//! key) and then reads plaintext byte ranges of it.

use std::{future::Future, ops::Range};

use blocktree_primitives::{
	block::{BlockHeader, SignedBlockHeader, AEAD_TAG_LEN},
	cap::CapContext,
	crypto::{block_key_for, read_sector, BlockError, BlockKey, PrincipalKeys},
	merkle::MerkleProof,
};
use blocktree_runtime::Hash;
use codec::Decode;
use jsonrpsee::rpc_params;
use sp_core::Bytes;

use crate::chain::ChainClient;

/// The most ciphertext one `blocktree_readSectors` call returns (the node's limit).
pub const MAX_SECTORS_BYTES: u64 = 4 << 20;
/// The most sectors one `blocktree_readSectors` call returns (the node's limit: with a proof
/// each, small sectors would otherwise swell the answer past the RPC's message limit).
pub const MAX_SECTORS_PER_READ: u64 = 1024;

/// How many sectors of `sector_size` plaintext bytes one call may ask for.
pub fn sectors_per_read(sector_size: u32) -> u64 {
	(MAX_SECTORS_BYTES / (sector_size as u64 + AEAD_TAG_LEN as u64)).clamp(1, MAX_SECTORS_PER_READ)
}

/// A range of a block's sectors as `blocktree_readSectors` returns it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SectorRead {
	/// The block's signed header, SCALE-encoded: its hash is the block id, and its merkle root
	/// is what every proof leads to.
	pub header: Bytes,
	/// How many sectors the block has.
	pub sector_count: u64,
	/// The first sector returned.
	pub first: u64,
	/// The sectors' ciphertext (tag included), from `first` on.
	pub sectors: Vec<Bytes>,
	/// Each sector's merkle proof, in the same order.
	pub proofs: Vec<SectorProof>,
}

/// A sector's merkle proof: `blocktree_primitives::merkle::MerkleProof` as JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SectorProof {
	/// The sector's index.
	pub index: u32,
	/// The block's sector count.
	pub leaf_count: u32,
	/// Sibling hashes from the leaf upwards.
	pub siblings: Vec<Hash>,
}

impl From<MerkleProof> for SectorProof {
	fn from(proof: MerkleProof) -> Self {
		SectorProof { index: proof.index, leaf_count: proof.leaf_count, siblings: proof.siblings.into_inner() }
	}
}

/// Sectors as a reader received them: checked to belong to the block asked for, each still to
/// be checked against the root with its proof when opened ([`read_sector`] does).
#[derive(Clone, Debug)]
pub struct Sectors {
	/// The block's signed header (its hash is the block id asked for).
	pub header: SignedBlockHeader,
	/// The first sector.
	pub first: u64,
	/// Each sector's ciphertext and proof, from `first` on.
	pub sectors: Vec<(Vec<u8>, MerkleProof)>,
}

/// Checks what a node answered to `blocktree_readSectors(block, first, count)`: the header is
/// that block's (its hash is the id), and the node returned the sectors asked for (all of them,
/// up to the block's end) and a proof for each. The proofs themselves are checked when the
/// sectors are opened.
pub fn check_sector_read(block: Hash, first: u64, count: u64, read: SectorRead) -> Result<Sectors, String> {
	let mut bytes = &read.header[..];
	let header = SignedBlockHeader::decode(&mut bytes).map_err(|e| format!("the node served a malformed header for block {block:?}: {e}"))?;
	if !bytes.is_empty() || header.id() != block {
		return Err(format!("the node served another block's header in place of {block:?}: {OTHER_NODE}"))
	}
	let sector_count = header.header.sector_count();
	if read.sector_count != sector_count || read.first != first {
		return Err(format!("the node's answer for block {block:?} does not describe its header or the sectors asked for: {OTHER_NODE}"))
	}
	let wanted = if first >= sector_count { 0 } else { count.min(sector_count - first) };
	if read.sectors.len() as u64 != wanted || read.proofs.len() as u64 != wanted {
		return Err(format!(
			"the node returned {} sectors and {} proofs of block {block:?} at {first}, {wanted} were asked for: {OTHER_NODE}",
			read.sectors.len(),
			read.proofs.len()
		))
	}
	let sectors = read
		.sectors
		.into_iter()
		.zip(read.proofs)
		.map(|(sector, p)| {
			let siblings = p.siblings.try_into().map_err(|_| format!("the node served an overlong proof for block {block:?}"))?;
			Ok((sector.0, MerkleProof { index: p.index, leaf_count: p.leaf_count, siblings }))
		})
		.collect::<Result<_, String>>()?;
	Ok(Sectors { header, first, sectors })
}

/// Sectors `first .. first + count` of block `block` from the node behind `client`, checked by
/// [`check_sector_read`]. `count` 0 fetches the header alone.
pub async fn read_sectors(client: &ChainClient, block: Hash, first: u64, count: u64) -> Result<Sectors, String> {
	let read: SectorRead = client.call("blocktree_readSectors", rpc_params![block, first, count]).await?;
	check_sector_read(block, first, count, read)
}

/// Advice for a reader whose node served something wrong.
const OTHER_NODE: &str = "read through another node (--rpc-url or BLOCKTREE_RPC_URL)";

/// An opened block: its header verified (signature, the writer's authority to write its path)
/// and its key unwrapped for the reader, ready for reads of any byte range.
pub struct BlockReader {
	block: Hash,
	header: SignedBlockHeader,
	key: BlockKey,
	/// Sector 0's plaintext once read (it holds a file block's kind byte, read first).
	head: std::sync::Mutex<Option<Vec<u8>>>,
	/// Sectors fetched and opened so far.
	opened: std::sync::atomic::AtomicU64,
}

impl BlockReader {
	/// Fetches block `block`'s header from the node, verifies it against `ctx` (the writer's
	/// keys and caps as the chain has them) and unwraps its key with the reader's `keys`.
	pub async fn open(client: &ChainClient, block: Hash, keys: &PrincipalKeys, ctx: &impl CapContext) -> Result<Self, String> {
		let header = read_sectors(client, block, 0, 0).await?.header;
		Self::from_header(block, header, keys, ctx)
	}

	/// Opens a header already at hand, which must be block `block`'s.
	pub fn from_header(block: Hash, header: SignedBlockHeader, keys: &PrincipalKeys, ctx: &impl CapContext) -> Result<Self, String> {
		if header.id() != block {
			return Err(format!("the header given is not block {block:?}'s: {OTHER_NODE}"))
		}
		let key = block_key_for(&header, keys, ctx).map_err(|e| match e {
			BlockError::NoReadCap =>
				format!("you hold no read cap for block {block:?} ({}): ask its writer to share it with you", header.header.path),
			e => format!("cannot open block {block:?} ({}): {e}", header.header.path),
		})?;
		Ok(BlockReader { block, header, key, head: Default::default(), opened: Default::default() })
	}

	/// The block's id.
	pub fn block(&self) -> Hash {
		self.block
	}

	/// Its verified header.
	pub fn header(&self) -> &BlockHeader {
		&self.header.header
	}

	/// Sectors fetched and opened so far.
	pub fn sectors_opened(&self) -> u64 {
		self.opened.load(std::sync::atomic::Ordering::Relaxed)
	}

	/// The block's plaintext length.
	pub fn len(&self) -> u64 {
		self.header.header.plaintext_len
	}

	/// Whether the block holds no plaintext.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// Which sectors hold plaintext bytes `range` (clipped to the block).
	pub fn sectors_of(&self, range: Range<u64>) -> Range<u64> {
		let size = self.header.header.sector_size.max(1) as u64;
		let end = range.end.min(self.len());
		if range.start >= end {
			return 0..0
		}
		range.start / size..(end - 1) / size + 1
	}

	/// Plaintext bytes `offset .. offset + len` (fewer at the block's end), read through the
	/// node behind `client`: only the sectors they touch are fetched and opened.
	pub async fn read(&self, client: &ChainClient, offset: u64, len: u64) -> Result<Vec<u8>, String> {
		self.read_with(offset, len, |first, count| read_sectors(client, self.block, first, count)).await
	}

	/// [`Self::read`] over any source of sectors (`fetch(first, count)`).
	pub async fn read_with<F, Fut>(&self, offset: u64, len: u64, mut fetch: F) -> Result<Vec<u8>, String>
	where
		F: FnMut(u64, u64) -> Fut,
		Fut: Future<Output = Result<Sectors, String>>,
	{
		let h = &self.header.header;
		let end = offset.saturating_add(len).min(self.len());
		let sectors = self.sectors_of(offset..end);
		let per_call = sectors_per_read(h.sector_size);
		let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
		let take = |out: &mut Vec<u8>, index: u64, plain: &[u8]| {
			let start = index * h.sector_size as u64;
			let from = offset.max(start) - start;
			let to = end.min(start + plain.len() as u64) - start;
			out.extend_from_slice(&plain[from as usize..to as usize]);
		};
		let mut next = sectors.start;
		if next == 0 && next < sectors.end {
			if let Some(head) = self.head.lock().expect("no panics under the lock; qed").as_deref() {
				take(&mut out, 0, head);
				next = 1;
			}
		}
		while next < sectors.end {
			let count = per_call.min(sectors.end - next);
			let got = fetch(next, count).await?;
			if got.header != self.header || got.first != next || got.sectors.len() as u64 != count {
				return Err(format!("the node answered for other sectors than {next}..{} of block {:?}: {OTHER_NODE}", next + count, self.block))
			}
			for (j, (ciphertext, proof)) in got.sectors.iter().enumerate() {
				let index = next + j as u64;
				let plain = read_sector(h, &self.key, index, ciphertext, proof)
					.map_err(|e| format!("sector {index} of block {:?} failed its check ({e}): the node serves bad data; {OTHER_NODE}", self.block))?;
				self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
				take(&mut out, index, &plain);
				if index == 0 {
					*self.head.lock().expect("no panics under the lock; qed") = Some(plain);
				}
			}
			next += count;
		}
		Ok(out)
	}
}

#[cfg(test)]
mod tests {
	use blocktree_primitives::{
		cap::KnownPrincipals,
		crypto::{seal_block, KeyScheme, SealedBlock, WriteRequest},
		path::BlockPath,
	};
	use codec::Encode;

	use super::*;

	const CHAIN: Hash = sp_core::H256([0xc4; 32]);

	fn sealed(len: usize, sector_size: u32) -> (PrincipalKeys, KnownPrincipals, SealedBlock, Vec<u8>) {
		let alice = PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32]);
		let ctx = KnownPrincipals::at(1_800_000_000_000).on_chain(CHAIN).with(alice.principal());
		let path = BlockPath::root_of(&alice.id()).join("file.bin").unwrap();
		let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
		let request = WriteRequest { path: &path, version: 1, write_caps: Default::default(), readers: &[], sector_size };
		let block = seal_block(&alice, request, &plain, &ctx).unwrap().0;
		(alice, ctx, block, plain)
	}

	/// What an honest node answers.
	fn serve(block: &SealedBlock, first: u64, count: u64) -> SectorRead {
		let end = (first + count).min(block.sectors.len() as u64);
		SectorRead {
			header: Bytes(block.header.encode()),
			sector_count: block.sectors.len() as u64,
			first,
			sectors: (first..end).map(|i| Bytes(block.sectors[i as usize].clone())).collect(),
			proofs: (first..end).map(|i| block.sector_proof(i).unwrap().into()).collect(),
		}
	}

	#[test]
	fn any_byte_range_reads_only_its_sectors_and_matches_the_plaintext() {
		let (alice, ctx, block, plain) = sealed(10 * 512 + 77, 512);
		let id = block.header.id();
		for (offset, len) in [(0u64, 1u64), (0, 512), (511, 2), (1000, 3000), (5 * 512, 512), (10 * 512, 77), (10 * 512 + 76, 100), (0, u64::MAX), (99_999, 5)] {
			let reader = BlockReader::from_header(id, block.header.clone(), &alice, &ctx).unwrap();
			let asked = std::cell::RefCell::new(Vec::new());
			let got = futures::executor::block_on(reader.read_with(offset, len, |first, count| {
				asked.borrow_mut().push((first, count));
				let read = serve(&block, first, count);
				async move { check_sector_read(id, first, count, read) }
			}))
			.unwrap();
			let start = (offset as usize).min(plain.len());
			let end = offset.saturating_add(len).min(plain.len() as u64) as usize;
			assert_eq!(got, plain[start..end], "{offset}+{len}");
			let fetched: u64 = asked.borrow().iter().map(|(_, c)| c).sum();
			assert_eq!(fetched, reader.sectors_of(offset..offset.saturating_add(len)).count() as u64, "{offset}+{len}: only the sectors touched");
		}
	}

	#[test]
	fn a_node_cannot_serve_other_or_altered_sectors() {
		let (alice, ctx, block, _) = sealed(8 * 512, 512);
		let (_, _, other, _) = sealed(8 * 512 + 1, 512);
		let id = block.header.id();
		// Another block's header, or the right one with sectors missing, extra or shifted.
		assert!(check_sector_read(id, 0, 2, serve(&other, 0, 2)).unwrap_err().contains("another block"));
		let mut short = serve(&block, 2, 3);
		short.sectors.pop();
		assert!(check_sector_read(id, 2, 3, short).is_err());
		assert!(check_sector_read(id, 2, 3, serve(&block, 3, 3)).is_err());
		assert!(check_sector_read(id, 2, 2, serve(&block, 2, 3)).is_err());
		let mut lying = serve(&block, 0, 1);
		lying.sector_count = 9;
		assert!(check_sector_read(id, 0, 1, lying).is_err());
		assert!(check_sector_read(id, 0, 0, SectorRead { header: Bytes(vec![1, 2, 3]), ..serve(&block, 0, 0) }).unwrap_err().contains("malformed"));

		// A flipped byte, or a sector served with another sector's proof, fails when opened.
		let reader = BlockReader::from_header(id, block.header.clone(), &alice, &ctx).unwrap();
		let read_altered = |alter: fn(&mut SectorRead)| {
			futures::executor::block_on(reader.read_with(1024, 512, |first, count| {
				let mut read = serve(&block, first, count);
				alter(&mut read);
				async move { check_sector_read(id, first, count, read) }
			}))
		};
		assert!(read_altered(|_| {}).is_ok());
		assert!(read_altered(|r| r.sectors[0].0[5] ^= 1).unwrap_err().contains("failed its check"));
		assert!(read_altered(|r| r.proofs[0].siblings[0].0[0] ^= 1).unwrap_err().contains("failed its check"));
		assert!(read_altered(|r| r.proofs[0].index ^= 1).unwrap_err().contains("failed its check"));
	}

	#[test]
	fn a_reader_without_a_read_cap_cannot_open_the_header() {
		let (_, ctx, block, _) = sealed(100, 512);
		let bob = PrincipalKeys::from_seed(KeyScheme::Sr25519, [2; 32]);
		let err = BlockReader::from_header(block.header.id(), block.header.clone(), &bob, &ctx).err().expect("bob has no read cap");
		assert!(err.contains("you hold no read cap"), "{err}");
	}

	#[test]
	fn a_header_opens_only_as_the_block_it_is_and_sector_0_is_fetched_once() {
		let (alice, ctx, block, plain) = sealed(3 * 512, 512);
		let (_, _, other, _) = sealed(3 * 512 + 1, 512);
		let id = block.header.id();
		assert!(BlockReader::from_header(other.header.id(), block.header.clone(), &alice, &ctx).err().unwrap().contains("not block"));
		let reader = BlockReader::from_header(id, block.header.clone(), &alice, &ctx).unwrap();
		let fetches = std::cell::Cell::new(0);
		let read = |offset, len| {
			futures::executor::block_on(reader.read_with(offset, len, |first, count| {
				fetches.set(fetches.get() + count);
				let read = serve(&block, first, count);
				async move { check_sector_read(id, first, count, read) }
			}))
			.unwrap()
		};
		assert_eq!(read(0, 1), plain[..1]);
		assert_eq!(read(1, 600), plain[1..601]);
		assert_eq!((fetches.get(), reader.sectors_opened()), (2, 2), "sector 0 once, then sector 1");
		// A node answering with another (valid) block's sectors is caught.
		let other_id = other.header.id();
		let wrong = futures::executor::block_on(reader.read_with(700, 10, |first, count| {
			let read = serve(&other, first, count);
			async move { check_sector_read(other_id, first, count, read) }
		}));
		assert!(wrong.unwrap_err().contains("other sectors"));
	}
}
