//! The block format: a signed header followed by encrypted sectors.
//!
//! ```text
//! SignedBlockHeader { header: BlockHeader, signature }   signed by the writer
//!   BlockHeader { path, version, writer, write_caps, read_caps, sector_size,
//!                 plaintext_len, nonce_prefix, merkle_root }
//! sector 0 | sector 1 | ... | sector n-1                  AEAD ciphertext, tag included
//! ```
//!
//! The merkle root covers the ciphertext sectors, and the signature covers the root, so a
//! reader verifies any one sector with its merkle proof and the signed header alone. A block's
//! id is the hash of its signed header: a content hash, since the header commits to the
//! ciphertext. The cryptographic operations on this format live in `crate::crypto` (std).
//!
//! Decoding a [`BlockHeader`] re-checks its bounds (sector size, plaintext length), so that a
//! header from the network or disk never makes a reader allocate or loop more than the limits
//! allow.

use codec::{Compact, Decode, DecodeWithMemTracking, Encode, Error as CodecError, Input, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};
use sp_runtime::BoundedVec;

use crate::{
	cap::{ChainTag, WriteCapChain},
	path::BlockPath,
	principal::{Principal, PrincipalId, Signature},
};

/// A block's id: `blake2_256` of its encoded signed header.
pub type BlockId = H256;

/// Most readers one block version can have.
pub const MAX_READ_CAPS: u32 = 64;
/// Smallest sector.
pub const MIN_SECTOR_SIZE: u32 = 512;
/// Largest sector.
pub const MAX_SECTOR_SIZE: u32 = 1 << 20;
/// The sector size clients use unless told otherwise.
pub const DEFAULT_SECTOR_SIZE: u32 = 64 * 1024;
/// Largest block (plaintext): 1 GiB. Larger files span several blocks.
pub const MAX_BLOCK_LEN: u64 = 1 << 30;
/// Authentication tag added to every encrypted sector.
pub const AEAD_TAG_LEN: usize = 16;
/// A wrapped 32-byte block key with its tag.
pub const WRAPPED_KEY_LEN: usize = 32 + AEAD_TAG_LEN;

/// A block key wrapped for one reader: X25519 agreement between an ephemeral key and the
/// reader's encryption key, HKDF-SHA256 to a key-encryption key, XChaCha20-Poly1305.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ReadCap {
	/// Who can unwrap it.
	pub reader: PrincipalId,
	/// The writer's ephemeral X25519 public key for this cap.
	pub ephemeral: [u8; 32],
	/// The block key, encrypted and authenticated.
	pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// Everything about a block version that its writer signs. Decoding checks its bounds (see
/// [`BlockHeader::check_bounds`]).
#[derive(Clone, Debug, PartialEq, Eq, Encode, TypeInfo, MaxEncodedLen)]
pub struct BlockHeader {
	/// Where the block sits.
	pub path: BlockPath,
	/// Increases with every write of the path.
	pub version: u64,
	/// Who wrote this version. The signature is checked against this principal's current
	/// keys (see [`crate::cap::CapContext`]).
	pub writer: PrincipalId,
	/// The writer's authority: empty if the writer owns the tree.
	pub write_caps: WriteCapChain,
	/// The block key wrapped for each reader.
	pub read_caps: BoundedVec<ReadCap, ConstU32<MAX_READ_CAPS>>,
	/// Plaintext bytes per sector (the last sector may be shorter).
	pub sector_size: u32,
	/// Plaintext length of the whole block.
	pub plaintext_len: u64,
	/// Random per version; with the sector index it makes each sector's nonce.
	pub nonce_prefix: [u8; 16],
	/// Merkle root over the ciphertext sectors.
	pub merkle_root: H256,
}

/// Domain tag prefixed to what a writer signs.
const BLOCK_HEADER_DOMAIN: &[u8] = b"blocktree:block-header:v1";

/// A header field outside the bounds every block obeys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderBoundsError {
	/// The sector size is outside [`MIN_SECTOR_SIZE`] ..= [`MAX_SECTOR_SIZE`].
	BadSectorSize(u32),
	/// The plaintext length is over [`MAX_BLOCK_LEN`].
	BlockTooLarge(u64),
}

impl HeaderBoundsError {
	/// What was wrong, for a decoding error.
	pub fn as_str(&self) -> &'static str {
		match self {
			HeaderBoundsError::BadSectorSize(_) =>
				"block header: sector size outside 512 B ..= 1 MiB",
			HeaderBoundsError::BlockTooLarge(_) => "block header: plaintext length over 1 GiB",
		}
	}
}

impl core::fmt::Display for HeaderBoundsError {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		match self {
			HeaderBoundsError::BadSectorSize(s) =>
				write!(f, "sector size {s} is outside 512 B ..= 1 MiB"),
			HeaderBoundsError::BlockTooLarge(n) =>
				write!(f, "block of {n} bytes is over 1 GiB: split it into several blocks"),
		}
	}
}

/// Checks a block's shape: sector size within [`MIN_SECTOR_SIZE`] ..= [`MAX_SECTOR_SIZE`],
/// plaintext at most [`MAX_BLOCK_LEN`]. Within these, a block has at most
/// `MAX_BLOCK_LEN / MIN_SECTOR_SIZE` (2^21) sectors of at most 1 MiB each.
pub fn check_block_bounds(sector_size: u32, plaintext_len: u64) -> Result<(), HeaderBoundsError> {
	if !(MIN_SECTOR_SIZE..=MAX_SECTOR_SIZE).contains(&sector_size) {
		return Err(HeaderBoundsError::BadSectorSize(sector_size));
	}
	if plaintext_len > MAX_BLOCK_LEN {
		return Err(HeaderBoundsError::BlockTooLarge(plaintext_len));
	}
	Ok(())
}

impl BlockHeader {
	/// Checks the sector size and the plaintext length against the limits (decoding does; a
	/// header built in memory may not obey them).
	pub fn check_bounds(&self) -> Result<(), HeaderBoundsError> {
		check_block_bounds(self.sector_size, self.plaintext_len)
	}

	/// Number of sectors the block has (0 for a sector size of 0).
	pub fn sector_count(&self) -> u64 {
		if self.sector_size == 0 {
			return 0;
		}
		self.plaintext_len.div_ceil(self.sector_size as u64)
	}

	/// Plaintext length of sector `index` (the last one may be short); `None` past the end.
	/// Never overflows, whatever the header's fields.
	pub fn sector_plaintext_len(&self, index: u64) -> Option<usize> {
		if index >= self.sector_count() {
			return None;
		}
		let start = index.checked_mul(self.sector_size as u64)?;
		let rest = self.plaintext_len.checked_sub(start)?;
		usize::try_from(core::cmp::min(self.sector_size as u64, rest)).ok()
	}

	/// The bytes the writer signs: the domain tag, the chain's tag (genesis hash) and the
	/// header.
	pub fn signing_payload(&self, chain: &ChainTag) -> alloc::vec::Vec<u8> {
		(BLOCK_HEADER_DOMAIN, chain, self).encode()
	}
}

/// Decoding re-validates: a header that arrives from the network or disk obeys the same bounds
/// as one a client seals, before anything is allocated for its sectors.
impl Decode for BlockHeader {
	fn decode<I: Input>(input: &mut I) -> Result<Self, CodecError> {
		// Fields in declaration order (the order `Encode` writes them).
		let header = BlockHeader {
			path: Decode::decode(input)?,
			version: Decode::decode(input)?,
			writer: Decode::decode(input)?,
			write_caps: Decode::decode(input)?,
			read_caps: Decode::decode(input)?,
			sector_size: Decode::decode(input)?,
			plaintext_len: Decode::decode(input)?,
			nonce_prefix: Decode::decode(input)?,
			merkle_root: Decode::decode(input)?,
		};
		header.check_bounds().map_err(|e| CodecError::from(e.as_str()))?;
		Ok(header)
	}
}

impl DecodeWithMemTracking for BlockHeader {}

/// A header with its writer's signature.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct SignedBlockHeader {
	/// The header.
	pub header: BlockHeader,
	/// The writer's signature over [`BlockHeader::signing_payload`].
	pub signature: Signature,
}

/// Where a block's sectors lie in its stored form: every sector but the last is full (the same
/// length prefix and length), so sector `i` starts at `data_start + i * (prefix + full)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectorLayout {
	/// Where sector 0's length prefix begins (after the header and the sector count).
	pub data_start: u64,
	/// Number of sectors.
	pub count: u64,
	/// Ciphertext bytes of a full sector (sector size plus tag).
	pub full: u64,
	/// Bytes of a full sector's length prefix.
	pub full_prefix: u64,
	/// Ciphertext bytes of the last sector.
	pub last: u64,
	/// Bytes of the last sector's length prefix.
	pub last_prefix: u64,
}

impl SectorLayout {
	/// Sector `index`'s ciphertext: `start .. end` in the stored form; `None` past the end.
	pub fn range(&self, index: u64) -> Option<core::ops::Range<u64>> {
		if index >= self.count {
			return None;
		}
		let (len, prefix) = if index + 1 == self.count { (self.last, self.last_prefix) } else { (self.full, self.full_prefix) };
		let start = self.data_start.checked_add(index.checked_mul(self.full_prefix + self.full)?)?.checked_add(prefix)?;
		Some(start..start.checked_add(len)?)
	}

	/// Bytes of ciphertext in sectors `first ..= last` (both below the count), without their
	/// length prefixes.
	pub fn ciphertext_len(&self, first: u64, last: u64) -> u64 {
		let tail = if last + 1 == self.count { self.last } else { self.full };
		(last - first) * self.full + tail
	}

	/// The length of the whole stored form.
	pub fn stored_len(&self) -> u64 {
		match self.count.checked_sub(1).and_then(|last| self.range(last)) {
			Some(range) => range.end,
			None => self.data_start,
		}
	}
}

impl SignedBlockHeader {
	/// The block's id.
	pub fn id(&self) -> BlockId {
		H256(sp_crypto_hashing::blake2_256(&self.encode()))
	}

	/// Where each sector's ciphertext lies in the block's stored form (the encoded signed
	/// header, the sector count, then each sector with its length), computed from the header
	/// alone; `None` if the header is outside the bounds every block obeys.
	pub fn sector_layout(&self) -> Option<SectorLayout> {
		let h = &self.header;
		h.check_bounds().ok()?;
		let count = h.sector_count();
		let prefix = |bytes: u64| u32::try_from(bytes).ok().map(|b| Compact(b).encoded_size() as u64);
		let full = h.sector_size as u64 + AEAD_TAG_LEN as u64;
		let last = match count.checked_sub(1) {
			Some(last) => h.sector_plaintext_len(last)? as u64 + AEAD_TAG_LEN as u64,
			None => 0,
		};
		Some(SectorLayout {
			data_start: self.encoded_size() as u64 + prefix(count)?,
			count,
			full,
			full_prefix: prefix(full)?,
			last,
			last_prefix: prefix(last)?,
		})
	}

	/// Where sector `index`'s ciphertext lies in the block's stored form; `None` past the last
	/// sector (see [`Self::sector_layout`]).
	pub fn sector_ciphertext_range(&self, index: u64) -> Option<core::ops::Range<u64>> {
		self.sector_layout()?.range(index)
	}

	/// Whether the signature is by `writer_keys` (the writer's current keys), for `chain`.
	pub fn signature_is_valid(&self, writer_keys: &Principal, chain: &ChainTag) -> bool {
		writer_keys.signing.verify(&self.header.signing_payload(chain), &self.signature)
	}
}
