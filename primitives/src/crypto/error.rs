//! What can go wrong sealing or opening a block.

use crate::{block::HeaderBoundsError, cap::CapError, path::PathError};

/// Why a block could not be sealed, opened or read. Every variant says what to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockError {
	/// The header's signature is not the writer's: the block was altered or forged.
	BadHeaderSignature,
	/// A reader is not a principal this client knows: look its keys up on chain first.
	UnknownReader,
	/// The writer is not a principal this client knows: look its keys up on chain first.
	UnknownWriter,
	/// The writer's write-cap chain does not allow this write.
	NotAuthorized(CapError),
	/// The path is invalid.
	BadPath(PathError),
	/// This principal holds no read cap for the block: ask the writer to share it.
	NoReadCap,
	/// The read cap did not unwrap with this principal's key: wrong key or altered cap.
	KeyUnwrapFailed,
	/// The sector index is past the end of the block.
	SectorOutOfRange { index: u64, sectors: u64 },
	/// The sector does not match the signed merkle root: altered, truncated or misplaced.
	SectorProofMismatch { index: u64 },
	/// The sectors together do not match the signed merkle root: altered or reordered.
	RootMismatch,
	/// The sector did not decrypt: wrong key or altered ciphertext.
	DecryptionFailed { index: u64 },
	/// The block has a different number of sectors than its header declares.
	SectorCountMismatch { expected: u64, found: u64 },
	/// A sector has the wrong length for its position.
	SectorLengthMismatch { index: u64 },
	/// Sector size outside 512 B ..= 1 MiB.
	BadSectorSize(u32),
	/// Plaintext over 1 GiB: split the file into several blocks.
	BlockTooLarge(u64),
	/// More than 64 readers.
	TooManyReaders,
	/// The bytes are not an encoded block.
	Malformed,
}

impl core::fmt::Display for BlockError {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		match self {
			BlockError::BadHeaderSignature =>
				write!(f, "block header signature is invalid: the block was altered or forged"),
			BlockError::UnknownReader =>
				write!(f, "a reader is unknown: fetch its keys from the chain first"),
			BlockError::UnknownWriter =>
				write!(f, "the block's writer is unknown: fetch its keys from the chain first"),
			BlockError::NotAuthorized(e) => write!(f, "writer is not authorized: {e}"),
			BlockError::BadPath(e) => write!(f, "invalid path: {e}"),
			BlockError::NoReadCap =>
				write!(f, "no read cap for this principal: ask the writer to share the block"),
			BlockError::KeyUnwrapFailed =>
				write!(f, "the read cap does not unwrap with this key (wrong key or altered cap)"),
			BlockError::SectorOutOfRange { index, sectors } =>
				write!(f, "sector {index} is past the end of the block ({sectors} sectors)"),
			BlockError::SectorProofMismatch { index } =>
				write!(f, "sector {index} does not match the signed merkle root (altered or truncated)"),
			BlockError::RootMismatch =>
				write!(f, "the sectors do not match the signed merkle root (altered or reordered)"),
			BlockError::DecryptionFailed { index } =>
				write!(f, "sector {index} did not decrypt (wrong key or altered ciphertext)"),
			BlockError::SectorCountMismatch { expected, found } =>
				write!(f, "block has {found} sectors, its header declares {expected} (truncated?)"),
			BlockError::SectorLengthMismatch { index } =>
				write!(f, "sector {index} has the wrong length (truncated or padded)"),
			BlockError::BadSectorSize(s) =>
				write!(f, "sector size {s} is outside 512 B ..= 1 MiB"),
			BlockError::BlockTooLarge(n) =>
				write!(f, "block of {n} bytes is over 1 GiB: split it into several blocks"),
			BlockError::TooManyReaders => write!(f, "a block can have at most 64 readers"),
			BlockError::Malformed => write!(f, "bytes are not an encoded Blocktree block"),
		}
	}
}

impl std::error::Error for BlockError {}

impl From<HeaderBoundsError> for BlockError {
	fn from(e: HeaderBoundsError) -> Self {
		match e {
			HeaderBoundsError::BadSectorSize(s) => BlockError::BadSectorSize(s),
			HeaderBoundsError::BlockTooLarge(n) => BlockError::BlockTooLarge(n),
		}
	}
}
