//! Sealing and opening blocks: round trips, tamper detection, wrong keys, sector-local reads,
//! read caps, the writer's authority on every read path, the chain tag, and the key cache.

use std::num::NonZeroUsize;

use blocktree_primitives::{
	block::{BlockHeader, SignedBlockHeader},
	cap::{CapError, ChainTag, KnownPrincipals, SignedWriteCap, WriteCap, WriteCapChain},
	crypto::{
		block_key_for, encrypt_sector, open_block, read_sector, seal_block, wrap_block_key,
		BlockError, BlockKey, BlockKeyCache, KeyScheme, PrincipalKeys, SealedBlock, WriteRequest,
	},
	merkle,
	path::BlockPath,
};
use codec::{Decode, Encode};
use sp_core::H256;
use sp_runtime::BoundedVec;

const NOW: u64 = 1_800_000_000_000;
const SECTOR: u32 = 512;
/// The chain these tests run on (its genesis hash).
const CHAIN: ChainTag = H256([0xc4; 32]);
/// Another network.
const OTHER_CHAIN: ChainTag = H256([0x07; 32]);

fn data(len: usize) -> Vec<u8> {
	(0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn owner() -> PrincipalKeys {
	PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32])
}

/// Everyone these tests know, at time NOW.
fn ctx() -> KnownPrincipals {
	(1u8..=9).fold(KnownPrincipals::at(NOW).on_chain(CHAIN), |c, n| {
		c.with(PrincipalKeys::from_seed(KeyScheme::Sr25519, [n; 32]).principal())
			.with(PrincipalKeys::from_seed(KeyScheme::Ed25519, [n; 32]).principal())
	})
}

fn seal(writer: &PrincipalKeys, readers: &[&PrincipalKeys], plaintext: &[u8]) -> SealedBlock {
	let path = BlockPath::root_of(&writer.id()).join("file.bin").unwrap();
	let readers: Vec<_> = readers.iter().map(|k| k.id()).collect();
	let request = WriteRequest {
		path: &path,
		version: 1,
		write_caps: WriteCapChain::default(),
		readers: &readers,
		sector_size: SECTOR,
	};
	seal_block(writer, request, plaintext, &ctx()).expect("sealing succeeds").0
}

#[test]
fn sealed_blocks_open_to_the_same_bytes() {
	let alice = owner();
	for len in [0, 1, 511, 512, 513, 5 * 512, 5 * 512 + 7] {
		let plain = data(len);
		let block = seal(&alice, &[], &plain);
		assert_eq!(block.sectors.len() as u64, block.header.header.sector_count());
		let bytes = block.to_bytes();
		let parsed = SealedBlock::from_bytes(&bytes).expect("stored form parses");
		assert_eq!(open_block(&parsed, &alice, &ctx()).expect("owner reads"), plain, "len {len}");
	}
}

#[test]
fn ciphertext_does_not_contain_the_plaintext() {
	let plain = b"the quick brown fox jumps over the lazy dog, twice: the quick brown fox".repeat(20);
	let block = seal(&owner(), &[], &plain);
	let stored = block.to_bytes();
	assert!(!stored.windows(16).any(|w| plain.windows(16).any(|p| p == w)));
}

#[test]
fn readers_with_a_read_cap_open_the_block_and_others_cannot() {
	let alice = owner();
	let bob = PrincipalKeys::from_seed(KeyScheme::Ed25519, [2; 32]);
	let eve = PrincipalKeys::from_seed(KeyScheme::Sr25519, [5; 32]);
	let plain = data(2000);
	let block = seal(&alice, &[&bob], &plain);
	assert_eq!(open_block(&block, &bob, &ctx()), Ok(plain));
	assert_eq!(open_block(&block, &eve, &ctx()), Err(BlockError::NoReadCap));
}

#[test]
fn a_read_cap_does_not_unwrap_with_the_wrong_key() {
	let alice = owner();
	let bob = PrincipalKeys::from_seed(KeyScheme::Sr25519, [2; 32]);
	let mut block = seal(&alice, &[&bob], &data(100));
	// Give Eve's id to Bob's cap: the header signature breaks first...
	let eve = PrincipalKeys::from_seed(KeyScheme::Sr25519, [5; 32]);
	block.header.header.read_caps[1].reader = eve.id();
	assert_eq!(open_block(&block, &eve, &ctx()), Err(BlockError::BadHeaderSignature));
	// ...and if Alice re-signs that header, Eve still cannot unwrap a key made for Bob.
	block.header.signature = alice.sign(&block.header.header.signing_payload(&CHAIN));
	assert_eq!(open_block(&block, &eve, &ctx()), Err(BlockError::KeyUnwrapFailed));
}

#[test]
fn tampering_with_any_header_byte_is_detected() {
	let alice = owner();
	let block = seal(&alice, &[], &data(1500));
	let header_bytes = block.header.encode();
	for i in 0..header_bytes.len() {
		let mut bytes = header_bytes.clone();
		bytes[i] ^= 0x01;
		let Ok(header) = Decode::decode(&mut &bytes[..]) else { continue };
		let tampered = SealedBlock { header, sectors: block.sectors.clone() };
		assert!(open_block(&tampered, &alice, &ctx()).is_err(), "flipping header byte {i} went unnoticed");
	}
}

#[test]
fn tampering_with_any_sector_byte_is_detected() {
	let alice = owner();
	let block = seal(&alice, &[], &data(3 * 512 + 100));
	let key = block_key_for(&block.header, &alice, &ctx()).unwrap();
	for s in 0..block.sectors.len() {
		let proof = block.sector_proof(s as u64).unwrap();
		for i in 0..block.sectors[s].len() {
			let mut sector = block.sectors[s].clone();
			sector[i] ^= 0x80;
			assert_eq!(
				read_sector(&block.header.header, &key, s as u64, &sector, &proof),
				Err(BlockError::SectorProofMismatch { index: s as u64 })
			);
		}
	}
	let mut whole = block.clone();
	whole.sectors[2][5] ^= 1;
	assert_eq!(open_block(&whole, &alice, &ctx()), Err(BlockError::RootMismatch));
}

#[test]
fn tampering_with_a_merkle_proof_is_detected() {
	let alice = owner();
	let block = seal(&alice, &[], &data(8 * 512));
	let key = block_key_for(&block.header, &alice, &ctx()).unwrap();
	let proof = block.sector_proof(3).unwrap();
	for i in 0..proof.siblings.len() {
		for bit in [0x01u8, 0x80] {
			let mut bad = proof.clone();
			bad.siblings[i].0[0] ^= bit;
			assert_eq!(
				read_sector(&block.header.header, &key, 3, &block.sectors[3], &bad),
				Err(BlockError::SectorProofMismatch { index: 3 })
			);
		}
	}
	// A valid proof for another position does not vouch for this sector.
	let other = block.sector_proof(4).unwrap();
	assert!(read_sector(&block.header.header, &key, 3, &block.sectors[3], &other).is_err());
	// Nor does a truncated proof.
	let mut short = proof.clone();
	short.siblings.pop();
	assert!(read_sector(&block.header.header, &key, 3, &block.sectors[3], &short).is_err());
}

#[test]
fn truncated_blocks_are_detected() {
	let alice = owner();
	let block = seal(&alice, &[], &data(4 * 512));
	let bytes = block.to_bytes();
	for cut in [1, 17, 600, bytes.len() / 2] {
		assert!(SealedBlock::from_bytes(&bytes[..bytes.len() - cut]).is_err(), "cut {cut}");
	}
	let mut fewer = block.clone();
	fewer.sectors.pop();
	assert_eq!(
		SealedBlock::from_bytes(&fewer.to_bytes()),
		Err(BlockError::SectorCountMismatch { expected: 4, found: 3 })
	);
	let mut short_sector = block.clone();
	short_sector.sectors[3].truncate(100);
	assert!(open_block(&short_sector, &alice, &ctx()).is_err());
}

#[test]
fn a_wrong_block_key_fails_cleanly() {
	let alice = owner();
	let block = seal(&alice, &[], &data(700));
	let other = seal(&alice, &[], &data(700));
	let wrong_key = block_key_for(&other.header, &alice, &ctx()).unwrap();
	let proof = block.sector_proof(0).unwrap();
	assert_eq!(
		read_sector(&block.header.header, &wrong_key, 0, &block.sectors[0], &proof),
		Err(BlockError::DecryptionFailed { index: 0 })
	);
}

#[test]
fn reading_sector_k_needs_only_sector_k() {
	let alice = owner();
	let plain = data(6 * 512 + 33);
	let block = seal(&alice, &[], &plain);
	let key = block_key_for(&block.header, &alice, &ctx()).unwrap();
	let header: &BlockHeader = &block.header.header;
	for k in 0..block.sectors.len() {
		// Only sector k's bytes and its proof are handed over: the other sectors do not exist
		// for this read.
		let sector_k = block.sectors[k].clone();
		let proof = block.sector_proof(k as u64).unwrap();
		let got = read_sector(header, &key, k as u64, &sector_k, &proof).expect("sector reads");
		let start = k * SECTOR as usize;
		let end = (start + SECTOR as usize).min(plain.len());
		assert_eq!(got, plain[start..end]);
	}
	// A sector moved to another position fails (nonce and associated data bind the index).
	let proof0 = block.sector_proof(0).unwrap();
	assert!(read_sector(header, &key, 0, &block.sectors[1], &proof0).is_err());
	assert_eq!(
		read_sector(header, &key, 99, &block.sectors[0], &proof0),
		Err(BlockError::SectorOutOfRange { index: 99, sectors: 7 })
	);
}

#[test]
fn unauthorized_writers_cannot_seal() {
	let alice = owner();
	let mallory = PrincipalKeys::from_seed(KeyScheme::Sr25519, [9; 32]);
	let path = BlockPath::root_of(&alice.id()).join("x").unwrap();
	let request = WriteRequest {
		path: &path,
		version: 1,
		write_caps: WriteCapChain::default(),
		readers: &[],
		sector_size: SECTOR,
	};
	assert_eq!(
		seal_block(&mallory, request, b"hi", &ctx()).map(|_| ()),
		Err(BlockError::NotAuthorized(CapError::NoCapability))
	);
}

#[test]
fn bad_sector_sizes_are_refused() {
	let alice = owner();
	let path = BlockPath::root_of(&alice.id()).join("x").unwrap();
	for size in [0, 511, (1 << 20) + 1] {
		let request = WriteRequest {
			path: &path,
			version: 1,
			write_caps: WriteCapChain::default(),
			readers: &[],
			sector_size: size,
		};
		assert_eq!(
			seal_block(&alice, request, b"hi", &ctx()).map(|_| ()),
			Err(BlockError::BadSectorSize(size))
		);
	}
}

#[test]
fn the_key_cache_is_bounded_and_least_recently_used() {
	let alice = owner();
	let cache = BlockKeyCache::new(NonZeroUsize::new(2).unwrap());
	let blocks: Vec<SealedBlock> = (0..3).map(|i| seal(&alice, &[], &data(10 + i))).collect();
	let mut unwraps = 0;
	for b in &blocks[..2] {
		cache
			.get_or_unwrap(b.header.id(), || {
				unwraps += 1;
				block_key_for(&b.header, &alice, &ctx())
			})
			.unwrap();
	}
	assert_eq!((cache.len(), unwraps), (2, 2));
	// A hit does not unwrap again, and marks block 0 recently used.
	cache.get_or_unwrap(blocks[0].header.id(), || -> Result<_, BlockError> { panic!("cached") }).unwrap();
	cache.insert(blocks[2].header.id(), block_key_for(&blocks[2].header, &alice, &ctx()).unwrap());
	assert_eq!(cache.len(), 2);
	assert!(cache.get(&blocks[1].header.id()).is_none(), "block 1 was least recently used");
	assert!(cache.get(&blocks[0].header.id()).is_some());
	cache.clear();
	assert!(cache.is_empty());
}

#[test]
fn principal_ids_depend_on_both_keys_and_the_seed_restores_them() {
	let a = PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32]);
	let b = PrincipalKeys::from_seed(KeyScheme::Ed25519, [1; 32]);
	assert_ne!(a.id(), b.id());
	let restored = PrincipalKeys::from_seed(KeyScheme::Sr25519, *a.seed());
	assert_eq!(restored.principal(), a.principal());
	let fresh = PrincipalKeys::generate(KeyScheme::Sr25519);
	assert_ne!(fresh.id(), a.id());
}

#[test]
fn header_signed_for_another_chain_is_refused() {
	let alice = owner();
	let block = seal(&alice, &[], &data(700));
	let elsewhere = ctx().on_chain(OTHER_CHAIN);
	assert_eq!(
		block_key_for(&block.header, &alice, &elsewhere),
		Err(BlockError::BadHeaderSignature)
	);
	assert_eq!(open_block(&block, &alice, &elsewhere), Err(BlockError::BadHeaderSignature));
	// On its own chain it reads.
	assert_eq!(open_block(&block, &alice, &ctx()), Ok(data(700)));
}

/// A block built by hand, as a stranger would build it at any `path` (sealing refuses to):
/// encrypted, merkle-rooted, wrapped for `readers` and signed by `writer` for this chain, with
/// `write_caps` as the writer's claimed authority.
fn forge(
	writer: &PrincipalKeys,
	path: &BlockPath,
	write_caps: WriteCapChain,
	plaintext: &[u8],
	readers: &[&PrincipalKeys],
) -> SealedBlock {
	let key = BlockKey::generate();
	let nonce_prefix = [7u8; 16];
	let sectors: Vec<Vec<u8>> = plaintext
		.chunks(SECTOR as usize)
		.enumerate()
		.map(|(i, chunk)| encrypt_sector(&key, &nonce_prefix, path, 1, i as u64, chunk))
		.collect();
	let leaves: Vec<_> = sectors.iter().map(|s| merkle::leaf_hash(s)).collect();
	let read_caps: Vec<_> =
		readers.iter().map(|r| wrap_block_key(&key, r.id(), &r.principal(), path, 1)).collect();
	let header = BlockHeader {
		path: path.clone(),
		version: 1,
		writer: writer.id(),
		write_caps,
		read_caps: BoundedVec::try_from(read_caps).unwrap(),
		sector_size: SECTOR,
		plaintext_len: plaintext.len() as u64,
		nonce_prefix,
		merkle_root: merkle::root(&leaves),
	};
	let signature = writer.sign(&header.signing_payload(&CHAIN));
	SealedBlock { header: SignedBlockHeader { header, signature }, sectors }
}

/// Reads every sector of `block` one at a time, as a random-access reader does.
fn read_each_sector(
	block: &SealedBlock,
	reader: &PrincipalKeys,
	ctx: &KnownPrincipals,
) -> Result<Vec<u8>, BlockError> {
	let key = block_key_for(&block.header, reader, ctx)?;
	let mut out = Vec::new();
	for (i, sector) in block.sectors.iter().enumerate() {
		let proof = block.sector_proof(i as u64)?;
		out.extend(read_sector(&block.header.header, &key, i as u64, sector, &proof)?);
	}
	Ok(out)
}

#[test]
fn forged_block_at_someone_elses_path_is_refused_on_random_access() {
	let alice = owner();
	let mallory = PrincipalKeys::from_seed(KeyScheme::Sr25519, [9; 32]);
	let plain = data(3 * 512 + 5);
	// The forgery is well made: at Mallory's own path the same construction reads back.
	let own_path = BlockPath::root_of(&mallory.id()).join("f").unwrap();
	let own = forge(&mallory, &own_path, WriteCapChain::default(), &plain, &[&alice]);
	assert_eq!(read_each_sector(&own, &alice, &ctx()), Ok(plain.clone()));
	// At Alice's path, signed by Mallory (a registered principal) without a cap: refused by
	// the random-access path and by the whole-block path alike.
	let victim = BlockPath::root_of(&alice.id()).join("file.bin").unwrap();
	let forged = forge(&mallory, &victim, WriteCapChain::default(), &plain, &[&alice]);
	assert_eq!(
		block_key_for(&forged.header, &alice, &ctx()),
		Err(BlockError::NotAuthorized(CapError::NoCapability))
	);
	assert_eq!(
		read_each_sector(&forged, &alice, &ctx()),
		Err(BlockError::NotAuthorized(CapError::NoCapability))
	);
	assert_eq!(
		open_block(&forged, &alice, &ctx()),
		Err(BlockError::NotAuthorized(CapError::NoCapability))
	);
}

#[test]
fn revoked_or_expired_write_cap_is_refused_on_random_access() {
	let alice = owner();
	let bob = PrincipalKeys::from_seed(KeyScheme::Ed25519, [2; 32]);
	let photos = BlockPath::root_of(&alice.id()).join("photos").unwrap();
	let cap = WriteCap {
		issuer: alice.id(),
		subject: bob.id(),
		prefix: photos.clone(),
		expires_at: NOW + 1_000,
		nonce: 1,
	};
	let signature = alice.sign(&cap.signing_payload(&CHAIN));
	let chain =
		WriteCapChain::try_from(vec![SignedWriteCap { cap: cap.clone(), signature }]).unwrap();
	let path = photos.join("beach.jpg").unwrap();
	let request = WriteRequest {
		path: &path,
		version: 1,
		write_caps: chain,
		readers: &[alice.id()],
		sector_size: SECTOR,
	};
	let plain = data(1200);
	let (block, _) = seal_block(&bob, request, &plain, &ctx()).expect("bob holds a cap");
	assert_eq!(read_each_sector(&block, &alice, &ctx()), Ok(plain));

	let mut revoked = ctx();
	revoked.revoke(cap.id());
	assert_eq!(
		block_key_for(&block.header, &alice, &revoked),
		Err(BlockError::NotAuthorized(CapError::Revoked))
	);
	let mut later = ctx();
	later.set_now(NOW + 1_000);
	assert_eq!(
		block_key_for(&block.header, &alice, &later),
		Err(BlockError::NotAuthorized(CapError::Expired))
	);
}

#[test]
fn each_sector_is_found_in_the_stored_form_from_the_header_alone() {
	let alice = owner();
	let path = BlockPath::root_of(&alice.id()).join("file.bin").unwrap();
	// Length prefixes of 1, 2 and 4 bytes; sector counts of 1 and 2 bytes; a short last sector.
	// 16,385 sectors: a count prefix of 4 bytes.
	for (sector_size, len) in [(512u32, 0usize), (512, 1), (512, 512), (512, 5 * 512 + 7), (512, 100 * 512 + 3), (512, 16_384 * 512 + 1), (65536, 3 * 65536 + 40), (65536, 65536)] {
		let request = WriteRequest { path: &path, version: 1, write_caps: WriteCapChain::default(), readers: &[], sector_size };
		let block = seal_block(&alice, request, &data(len), &ctx()).unwrap().0;
		let stored = block.to_bytes();
		for (i, sector) in block.sectors.iter().enumerate() {
			let range = block.header.sector_ciphertext_range(i as u64).expect("a sector");
			assert_eq!(&stored[range.start as usize..range.end as usize], &sector[..], "sector {i} of {len} bytes in {sector_size}-byte sectors");
		}
		assert_eq!(block.header.sector_ciphertext_range(block.sectors.len() as u64), None);
		let layout = block.header.sector_layout().expect("a bounded header");
		assert_eq!(layout.stored_len(), stored.len() as u64, "{len} bytes");
		if let Some(last) = block.sectors.len().checked_sub(1) {
			let all: usize = block.sectors.iter().map(Vec::len).sum();
			assert_eq!(layout.ciphertext_len(0, last as u64), all as u64);
			assert_eq!(layout.ciphertext_len(last as u64, last as u64), block.sectors[last].len() as u64);
		}
		assert_eq!(block.header.sector_ciphertext_range(u64::MAX), None);
	}
}
