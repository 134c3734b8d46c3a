//! Hostile blocks and headers: whatever a peer, a disk or a forging writer hands a reader, the
//! reader answers with an error, never a panic, an abort or an allocation the input cannot
//! back. Covers every read path: `SealedBlock::from_bytes`, `open_block`, and the random-access
//! pair `block_key_for` + `read_sector`.

use blocktree_primitives::{
	block::{
		BlockHeader, SignedBlockHeader, MAX_BLOCK_LEN, MAX_SECTOR_SIZE, MIN_SECTOR_SIZE,
	},
	cap::{ChainTag, KnownPrincipals, WriteCapChain},
	merkle,
	crypto::{
		block_key_for, open_block, read_sector, seal_block, BlockError, KeyScheme, PrincipalKeys,
		SealedBlock, WriteRequest,
	},
	path::BlockPath,
};
use codec::{Compact, Decode, Encode};
use proptest::prelude::*;
use sp_core::H256;

const NOW: u64 = 1_800_000_000_000;
const CHAIN: ChainTag = H256([0xc4; 32]);
const SECTOR: u32 = 512;
/// Plaintext of the block under attack: three sectors, the last one short.
const LEN: usize = 2 * 512 + 300;

fn writer() -> PrincipalKeys {
	PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32])
}

fn ctx() -> KnownPrincipals {
	KnownPrincipals::at(NOW).on_chain(CHAIN).with(writer().principal())
}

/// A valid block of [`LEN`] bytes in the writer's own tree.
fn valid_block() -> SealedBlock {
	let w = writer();
	let path = BlockPath::root_of(&w.id()).join("target.bin").unwrap();
	let request = WriteRequest {
		path: &path,
		version: 1,
		write_caps: WriteCapChain::default(),
		readers: &[],
		sector_size: SECTOR,
	};
	let plain: Vec<u8> = (0..LEN).map(|i| i as u8).collect();
	seal_block(&w, request, &plain, &ctx()).expect("seals").0
}

/// One way to bend a header.
#[derive(Clone, Debug)]
enum Mutation {
	SectorSize(u32),
	PlaintextLen(u64),
	DropReadCaps,
}

fn mutation() -> impl Strategy<Value = Mutation> {
	prop_oneof![
		prop_oneof![
			Just(0u32),
			Just(1),
			Just(MIN_SECTOR_SIZE - 1),
			Just(MAX_SECTOR_SIZE),
			Just(MAX_SECTOR_SIZE + 1),
			Just(u32::MAX),
			any::<u32>(),
		]
		.prop_map(Mutation::SectorSize),
		prop_oneof![
			Just(0u64),
			Just(1),
			Just(MAX_BLOCK_LEN),
			Just(MAX_BLOCK_LEN + 1),
			Just(1u64 << 40),
			Just(u64::MAX),
			any::<u64>(),
		]
		.prop_map(Mutation::PlaintextLen),
		Just(Mutation::DropReadCaps),
	]
}

fn apply(header: &mut BlockHeader, m: &Mutation) {
	match m {
		Mutation::SectorSize(s) => header.sector_size = *s,
		Mutation::PlaintextLen(n) => header.plaintext_len = *n,
		Mutation::DropReadCaps => header.read_caps = Default::default(),
	}
}

/// Every read path over `block`: `true` if each of them refuses it (parse then open the stored
/// form; open the block in memory; unwrap the key and read sector by sector). None may panic
/// or abort, which is what running them checks.
fn every_read_path_refuses(block: &SealedBlock) -> bool {
	let reader = writer();
	let stored = SealedBlock::from_bytes(&block.to_bytes())
		.and_then(|parsed| open_block(&parsed, &reader, &ctx()));
	let whole = open_block(block, &reader, &ctx());
	let random_access = block_key_for(&block.header, &reader, &ctx()).and_then(|key| {
		// The indexes the header claims and past them: an error or a read, never a panic.
		let proof = block.sector_proof(0)?;
		let claimed = block.header.header.sector_count();
		for index in [claimed.saturating_sub(1), claimed, u64::MAX] {
			let _ = read_sector(&block.header.header, &key, index, &block.sectors[0], &proof);
		}
		for (i, sector) in block.sectors.iter().enumerate() {
			let proof = block.sector_proof(i as u64)?;
			read_sector(&block.header.header, &key, i as u64, sector, &proof)?;
		}
		Ok(())
	});
	stored.is_err() && whole.is_err() && random_access.is_err()
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(400))]

	/// A header field bent in transit (signature left as it was).
	#[test]
	fn hostile_header_cannot_abort_reader(m in mutation()) {
		let original = valid_block();
		let mut block = original.clone();
		apply(&mut block.header.header, &m);
		prop_assume!(block != original);
		prop_assert!(every_read_path_refuses(&block), "{m:?} was accepted");
	}

	/// A hostile writer signs the bent header itself: only the bounds and shape checks stand
	/// between it and the reader's allocator.
	#[test]
	fn hostile_writer_signed_header_cannot_abort_reader(m in mutation()) {
		let original = valid_block();
		let mut block = original.clone();
		apply(&mut block.header.header, &m);
		prop_assume!(block != original);
		block.header.signature = writer().sign(&block.header.header.signing_payload(&CHAIN));
		prop_assert!(every_read_path_refuses(&block), "{m:?} was accepted");
	}

	/// Any byte of the stored form flipped: parsing or opening refuses it.
	#[test]
	fn flipped_stored_byte_cannot_abort_reader(at in any::<prop::sample::Index>(), bit in 0u8..8) {
		let block = valid_block();
		let mut bytes = block.to_bytes();
		let i = at.index(bytes.len());
		bytes[i] ^= 1 << bit;
		if let Ok(parsed) = SealedBlock::from_bytes(&bytes) {
			prop_assert!(open_block(&parsed, &writer(), &ctx()).is_err(), "flip at {i} accepted");
		}
	}

	/// Arbitrary bytes, alone or after a valid header and a hostile sector count, never make
	/// the block decoders panic.
	#[test]
	fn arbitrary_bytes_cannot_abort_block_decoders(
		bytes in proptest::collection::vec(any::<u8>(), 0..4096),
		count in any::<u32>(),
	) {
		let _ = SealedBlock::from_bytes(&bytes);
		let _ = SealedBlock::decode(&mut &bytes[..]);
		let _ = SignedBlockHeader::decode(&mut &bytes[..]);
		let _ = BlockHeader::decode(&mut &bytes[..]);
		let mut after_header = valid_block().header.encode();
		after_header.extend(Compact(count).encode());
		after_header.extend(&bytes);
		let _ = SealedBlock::from_bytes(&after_header);
	}

	/// The header's arithmetic holds for any field values, bounded or not.
	#[test]
	fn header_arithmetic_never_overflows(
		sector_size in any::<u32>(),
		plaintext_len in any::<u64>(),
		index in any::<u64>(),
	) {
		let mut header = valid_block().header.header;
		header.sector_size = sector_size;
		header.plaintext_len = plaintext_len;
		let count = header.sector_count();
		let _ = header.sector_plaintext_len(index);
		let _ = header.sector_plaintext_len(count.saturating_sub(1));
		prop_assert_eq!(header.sector_plaintext_len(count), None);
	}
}

#[test]
fn out_of_bounds_header_is_refused_on_decode() {
	let good = valid_block().header;
	for (size, len, ok) in [
		(MIN_SECTOR_SIZE, 0, true),
		(MAX_SECTOR_SIZE, MAX_BLOCK_LEN, true),
		(0, 0, false),
		(1, 100, false),
		(MIN_SECTOR_SIZE - 1, 100, false),
		(MAX_SECTOR_SIZE + 1, 100, false),
		(u32::MAX, 100, false),
		(SECTOR, MAX_BLOCK_LEN + 1, false),
		(SECTOR, 1 << 40, false),
		(SECTOR, u64::MAX, false),
	] {
		let mut header = good.clone();
		header.header.sector_size = size;
		header.header.plaintext_len = len;
		let bytes = header.encode();
		let unsigned = header.header.encode();
		assert_eq!(BlockHeader::decode(&mut &unsigned[..]).is_ok(), ok, "{size} {len}");
		assert_eq!(SignedBlockHeader::decode(&mut &bytes[..]).is_ok(), ok, "{size} {len}");
	}
}

#[test]
fn hostile_signed_header_is_refused_by_bounds_before_anything_else() {
	let w = writer();
	for (size, len, expected) in [
		(0, LEN as u64, BlockError::BadSectorSize(0)),
		(u32::MAX, LEN as u64, BlockError::BadSectorSize(u32::MAX)),
		(MAX_SECTOR_SIZE, 1 << 40, BlockError::BlockTooLarge(1 << 40)),
		(SECTOR, u64::MAX, BlockError::BlockTooLarge(u64::MAX)),
	] {
		let mut block = valid_block();
		block.header.header.sector_size = size;
		block.header.header.plaintext_len = len;
		block.header.signature = w.sign(&block.header.header.signing_payload(&CHAIN));
		assert_eq!(SealedBlock::from_bytes(&block.to_bytes()), Err(BlockError::Malformed));
		assert_eq!(open_block(&block, &w, &ctx()), Err(expected.clone()));
		assert_eq!(block_key_for(&block.header, &w, &ctx()).map(|_| ()), Err(expected.clone()));
		let key = block_key_for(&valid_block().header, &w, &ctx()).unwrap();
		let proof = block.sector_proof(0).unwrap();
		assert_eq!(
			read_sector(&block.header.header, &key, 0, &block.sectors[0], &proof),
			Err(expected)
		);
	}
}

#[test]
fn hostile_sector_count_cannot_make_the_parser_allocate() {
	// A header (signature irrelevant to parsing) claiming 1 GiB in 512-byte sectors: 2^21
	// sectors. Its stored form claims them all but holds three bytes.
	let mut block = valid_block();
	block.header.header.plaintext_len = MAX_BLOCK_LEN;
	let sectors = MAX_BLOCK_LEN / SECTOR as u64;
	let mut bytes = block.header.encode();
	bytes.extend(Compact(sectors as u32).encode());
	bytes.extend(Compact(SECTOR + 16).encode());
	bytes.extend([1u8, 2, 3]);
	assert_eq!(SealedBlock::from_bytes(&bytes), Err(BlockError::Malformed));
	// A count that disagrees with the header is refused before any sector is read.
	let mut bytes = block.header.encode();
	bytes.extend(Compact(u32::MAX).encode());
	assert_eq!(
		SealedBlock::from_bytes(&bytes),
		Err(BlockError::SectorCountMismatch { expected: sectors, found: u32::MAX as u64 })
	);
	// A sector whose length field disagrees with the header is refused before it is read.
	let mut bytes = block.header.encode();
	bytes.extend(Compact(sectors as u32).encode());
	bytes.extend(Compact(u32::MAX).encode());
	assert_eq!(SealedBlock::from_bytes(&bytes), Err(BlockError::SectorLengthMismatch { index: 0 }));
}

#[test]
fn hostile_writer_cannot_make_open_block_allocate_a_terabyte() {
	// Everything consistent but the bounds: a sector size of 4 GiB - 1 and 2^40 bytes of
	// plaintext make 257 sectors, supplied (empty) with their true merkle root and a valid
	// signature. A reader that trusted the length would reserve 1 TiB and abort.
	let w = writer();
	let mut block = valid_block();
	let h = &mut block.header.header;
	h.sector_size = u32::MAX;
	h.plaintext_len = 1 << 40;
	let count = h.sector_count();
	assert_eq!(count, 257);
	block.sectors = vec![Vec::new(); count as usize];
	let leaves: Vec<_> = block.sectors.iter().map(|s| merkle::leaf_hash(s)).collect();
	block.header.header.merkle_root = merkle::root(&leaves);
	block.header.signature = w.sign(&block.header.header.signing_payload(&CHAIN));
	assert_eq!(open_block(&block, &w, &ctx()), Err(BlockError::BadSectorSize(u32::MAX)));
	assert_eq!(SealedBlock::from_bytes(&block.to_bytes()), Err(BlockError::Malformed));
}
