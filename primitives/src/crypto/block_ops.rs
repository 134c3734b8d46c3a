//! Sealing a block (encrypt, hash, sign) and opening it (verify, unwrap, decrypt), whole or one
//! sector at a time.
//!
//! Every read path goes through [`block_key_for`], which checks the header's bounds, its
//! signature (for this chain) and the writer's authority to write the path before it hands out
//! the key. Parsing ([`SealedBlock::from_bytes`]) allocates no more than the input holds: the
//! header is decoded and bounded first, then each sector is checked against it before it is
//! read.

use codec::{Compact, Decode, Encode, Error as CodecError, Input};
use sp_runtime::BoundedVec;

use super::{
	decrypt_sector, encrypt_sector, unwrap_block_key, wrap_block_key, BlockError, BlockKey,
	PrincipalKeys,
};
use crate::{
	block::{check_block_bounds, BlockHeader, SignedBlockHeader, AEAD_TAG_LEN, MAX_READ_CAPS},
	cap::{verify_write_access, CapContext, WriteCapChain},
	merkle::{self, MerkleProof},
	path::BlockPath,
	principal::PrincipalId,
};

/// What to write: a path, its new version, the writer's authority and the readers.
pub struct WriteRequest<'a> {
	/// Where.
	pub path: &'a BlockPath,
	/// The new version (greater than the last one written).
	pub version: u64,
	/// The writer's cap chain (empty when writing one's own tree).
	pub write_caps: WriteCapChain,
	/// Who may read, besides the writer (who always can); their keys come from the context.
	pub readers: &'a [PrincipalId],
	/// Plaintext bytes per sector.
	pub sector_size: u32,
}

/// A block as stored: its signed header and its encrypted sectors. Decoding checks the sectors'
/// count and lengths against the (bounded) header as it goes.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct SealedBlock {
	/// The signed header.
	pub header: SignedBlockHeader,
	/// The encrypted sectors, tag included.
	pub sectors: Vec<Vec<u8>>,
}

impl SealedBlock {
	/// The stored form.
	pub fn to_bytes(&self) -> Vec<u8> {
		self.encode()
	}

	/// Parses the stored form and checks its shape against the header: bounds, sector count,
	/// each sector's length (not the signature: see [`open_block`]).
	pub fn from_bytes(mut bytes: &[u8]) -> Result<Self, BlockError> {
		let block = Self::decode_checked(&mut bytes)?;
		if !bytes.is_empty() {
			return Err(BlockError::Malformed);
		}
		Ok(block)
	}

	/// Decodes the header (which bounds its own fields), then the sector count, which must be
	/// the header's, then each sector after checking its declared length against the header.
	/// Nothing is allocated from a length field before it is checked: a sector is at most
	/// 1 MiB + tag, and the next one is read only once the previous one was there.
	fn decode_checked<I: Input>(input: &mut I) -> Result<Self, BlockError> {
		let header = SignedBlockHeader::decode(input).map_err(|_| BlockError::Malformed)?;
		let h = &header.header;
		let expected = h.sector_count();
		let found = u64::from(Compact::<u32>::decode(input).map_err(|_| BlockError::Malformed)?.0);
		if found != expected {
			return Err(BlockError::SectorCountMismatch { expected, found });
		}
		let mut sectors = Vec::new();
		for index in 0..found {
			let len = Compact::<u32>::decode(input).map_err(|_| BlockError::Malformed)?.0;
			let wanted = h.sector_plaintext_len(index).map(|plain| plain + AEAD_TAG_LEN);
			if wanted != Some(len as usize) {
				return Err(BlockError::SectorLengthMismatch { index });
			}
			if input.remaining_len().ok().flatten().is_some_and(|left| left < len as usize) {
				return Err(BlockError::Malformed);
			}
			let mut sector = vec![0u8; len as usize];
			input.read(&mut sector).map_err(|_| BlockError::Malformed)?;
			sectors.push(sector);
		}
		Ok(SealedBlock { header, sectors })
	}

	/// The merkle proof of sector `index`, to send along with that sector alone.
	pub fn sector_proof(&self, index: u64) -> Result<MerkleProof, BlockError> {
		let leaves: Vec<_> = self.sectors.iter().map(|s| merkle::leaf_hash(s)).collect();
		merkle::prove(&leaves, index as usize).ok_or(BlockError::SectorOutOfRange {
			index,
			sectors: self.sectors.len() as u64,
		})
	}
}

/// The stored form decodes only with the checks of [`SealedBlock::from_bytes`] (trailing bytes
/// aside).
impl Decode for SealedBlock {
	fn decode<I: Input>(input: &mut I) -> Result<Self, CodecError> {
		SealedBlock::decode_checked(input).map_err(|_| CodecError::from("invalid sealed block"))
	}
}

/// Encrypts `plaintext` for `request.path`, wraps its key for the writer and the readers, and
/// signs the header. Checks the writer's authority first, so that a client never produces a
/// block the network would reject.
pub fn seal_block(
	writer: &PrincipalKeys,
	request: WriteRequest<'_>,
	plaintext: &[u8],
	ctx: &impl CapContext,
) -> Result<(SealedBlock, BlockKey), BlockError> {
	check_block_bounds(request.sector_size, plaintext.len() as u64)?;
	if request.readers.len() + 1 > MAX_READ_CAPS as usize {
		return Err(BlockError::TooManyReaders);
	}
	verify_write_access(&writer.id(), request.path, &request.write_caps, ctx)
		.map_err(BlockError::NotAuthorized)?;

	let key = BlockKey::generate();
	let mut nonce_prefix = [0u8; 16];
	getrandom::getrandom(&mut nonce_prefix).expect("the OS random source is available; qed");

	let sectors: Vec<Vec<u8>> = plaintext
		.chunks(request.sector_size as usize)
		.enumerate()
		.map(|(i, chunk)| {
			encrypt_sector(&key, &nonce_prefix, request.path, request.version, i as u64, chunk)
		})
		.collect();
	let leaves: Vec<_> = sectors.iter().map(|s| merkle::leaf_hash(s)).collect();

	let me = writer.principal();
	let mut read_caps = vec![wrap_block_key(&key, writer.id(), &me, request.path, request.version)];
	for reader in request.readers.iter().filter(|r| **r != writer.id()) {
		let keys = ctx.principal(reader).ok_or(BlockError::UnknownReader)?;
		read_caps.push(wrap_block_key(&key, *reader, &keys, request.path, request.version));
	}

	let header = BlockHeader {
		path: request.path.clone(),
		version: request.version,
		writer: writer.id(),
		write_caps: request.write_caps,
		read_caps: BoundedVec::try_from(read_caps).map_err(|_| BlockError::TooManyReaders)?,
		sector_size: request.sector_size,
		plaintext_len: plaintext.len() as u64,
		nonce_prefix,
		merkle_root: merkle::root(&leaves),
	};
	let signature = writer.sign(&header.signing_payload(&ctx.chain_tag()));
	Ok((SealedBlock { header: SignedBlockHeader { header, signature }, sectors }, key))
}

/// Checks what a reader must know before trusting a header: its bounds, its signature (by the
/// writer's current keys from `ctx`, for `ctx`'s chain) and the writer's authority to write its
/// path (write-cap chain, revocations, expiry as `ctx` knows them).
fn verify_header(header: &SignedBlockHeader, ctx: &impl CapContext) -> Result<(), BlockError> {
	let h = &header.header;
	h.check_bounds()?;
	let writer = ctx.principal(&h.writer).ok_or(BlockError::UnknownWriter)?;
	if !header.signature_is_valid(&writer, &ctx.chain_tag()) {
		return Err(BlockError::BadHeaderSignature);
	}
	verify_write_access(&h.writer, &h.path, &h.write_caps, ctx).map_err(BlockError::NotAuthorized)
}

/// Verifies the header (bounds, signature for this chain, the writer's authority over the path)
/// and unwraps the block key for `reader`. Every read path starts here: a header that fails any
/// check yields no key.
pub fn block_key_for(
	header: &SignedBlockHeader,
	reader: &PrincipalKeys,
	ctx: &impl CapContext,
) -> Result<BlockKey, BlockError> {
	verify_header(header, ctx)?;
	let h = &header.header;
	let me = reader.id();
	let cap = h.read_caps.iter().find(|c| c.reader == me).ok_or(BlockError::NoReadCap)?;
	unwrap_block_key(cap, reader, &h.path, h.version).ok_or(BlockError::KeyUnwrapFailed)
}

/// Reads sector `index` given only that sector's ciphertext and its merkle proof: checks the
/// proof against the signed root, then decrypts. The header must already be verified (as
/// [`block_key_for`] does before handing out the key: signature and the writer's authority).
pub fn read_sector(
	header: &BlockHeader,
	key: &BlockKey,
	index: u64,
	ciphertext: &[u8],
	proof: &MerkleProof,
) -> Result<Vec<u8>, BlockError> {
	header.check_bounds()?;
	let sectors = header.sector_count();
	let plain_len = header
		.sector_plaintext_len(index)
		.ok_or(BlockError::SectorOutOfRange { index, sectors })?;
	if proof.index as u64 != index || proof.leaf_count as u64 != sectors {
		return Err(BlockError::SectorProofMismatch { index });
	}
	if !merkle::verify(&header.merkle_root, &merkle::leaf_hash(ciphertext), proof) {
		return Err(BlockError::SectorProofMismatch { index });
	}
	if ciphertext.len() != plain_len + AEAD_TAG_LEN {
		return Err(BlockError::SectorLengthMismatch { index });
	}
	decrypt_sector(key, &header.nonce_prefix, &header.path, header.version, index, ciphertext)
		.ok_or(BlockError::DecryptionFailed { index })
}

/// Verifies and decrypts a whole block for `reader`: the header's signature, the writer's
/// authority (write-cap chain, revocations, expiry as `ctx` knows them), every sector.
pub fn open_block(
	block: &SealedBlock,
	reader: &PrincipalKeys,
	ctx: &impl CapContext,
) -> Result<Vec<u8>, BlockError> {
	// Bounds, signature and authority: checked once, by the entry every read path shares.
	let key = block_key_for(&block.header, reader, ctx)?;
	let h = &block.header.header;
	let expected = h.sector_count();
	if block.sectors.len() as u64 != expected {
		return Err(BlockError::SectorCountMismatch { expected, found: block.sectors.len() as u64 });
	}
	for (i, sector) in block.sectors.iter().enumerate() {
		let index = i as u64;
		let plain_len = h
			.sector_plaintext_len(index)
			.ok_or(BlockError::SectorOutOfRange { index, sectors: expected })?;
		if sector.len() != plain_len + AEAD_TAG_LEN {
			return Err(BlockError::SectorLengthMismatch { index });
		}
	}
	let leaves: Vec<_> = block.sectors.iter().map(|s| merkle::leaf_hash(s)).collect();
	if merkle::root(&leaves) != h.merkle_root {
		return Err(BlockError::RootMismatch);
	}
	// Bounded (at most 1 GiB, checked above) and equal to the bytes the sectors hold, each
	// sector's length having been checked against the header.
	let mut out = Vec::with_capacity(h.plaintext_len as usize);
	for (i, sector) in block.sectors.iter().enumerate() {
		let index = i as u64;
		let plain = decrypt_sector(&key, &h.nonce_prefix, &h.path, h.version, index, sector)
			.ok_or(BlockError::DecryptionFailed { index })?;
		out.extend_from_slice(&plain);
	}
	Ok(out)
}
