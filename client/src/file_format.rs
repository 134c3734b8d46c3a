//! How a file is laid out in blocks.
//!
//! Every block of a file starts its plaintext with one kind byte:
//! - [`DATA`]: the rest is file bytes. A file up to the part size is one such block at its path.
//! - [`MANIFEST`]: the rest is a SCALE-encoded [`Manifest`]: the file's size and its parts, in
//!   order, each a data block recorded at [`part_path`] (a child of the file's path). The
//!   manifest is the block at the file's path, written last, so a reader never sees a version
//!   whose parts are not all recorded.
//!
//! Everything, the manifest included, is sealed with the writer's keys: storage nodes see part
//! sizes, never contents. Block ids in the manifest commit to each part's signed header and
//! sectors, and a reader checks every block it fetches against the id it asked for, the
//! writer, the part's path and length, so a node cannot swap a part (not even for another
//! version of the same part by the same writer).

use blocktree_primitives::path::BlockPath;
use codec::{Decode, Encode};
use sp_core::H256;

/// Kind byte of a block that holds file bytes.
pub const DATA: u8 = 0;
/// Kind byte of a block that lists a file's parts.
pub const MANIFEST: u8 = 1;

/// Plaintext bytes per part by default: several parts are sealed, uploaded and recorded at
/// once, and each part's block stays well under the chain's 64 MiB block limit.
pub const DEFAULT_PART_SIZE: u64 = 32 << 20;
/// The largest part: a part's block (kind byte, sealing overhead) must fit the node's 64 MiB.
pub const MAX_PART_SIZE: u64 = 60 << 20;
/// The smallest part (smaller parts only multiply blocks and deposits).
pub const MIN_PART_SIZE: u64 = 64 << 10;
/// The most parts a file may have: 32 Ki parts of 32 MiB is 1 TiB, and the manifest stays
/// about a megabyte.
pub const MAX_PARTS: u64 = 32 << 10;

/// One part of a file: its block and plaintext length.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Part {
	/// The part's block id.
	pub block: H256,
	/// Its file bytes.
	pub len: u64,
}

/// A file stored as several blocks.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Manifest {
	/// The file's size in bytes (the sum of the parts' lengths).
	pub size: u64,
	/// The parts, in file order.
	pub parts: Vec<Part>,
}

/// What a file block holds.
#[derive(Debug, PartialEq, Eq)]
pub enum FileBlock<'a> {
	/// File bytes.
	Data(&'a [u8]),
	/// A list of parts.
	Manifest(Manifest),
}

/// Where part `index` of `version` of the file at `path` is recorded: `<path>/~part-<version>-<index>`.
pub fn part_path(path: &BlockPath, version: u64, index: u64) -> Result<BlockPath, String> {
	path.join(&format!("~part-{version}-{index}"))
		.map_err(|e| format!("{path} is too deep or long to hold the parts of a large file ({e:?}): use a shorter path"))
}

/// The plaintext of a manifest block.
pub fn manifest_plaintext(manifest: &Manifest) -> Vec<u8> {
	let mut plaintext = vec![MANIFEST];
	manifest.encode_to(&mut plaintext);
	plaintext
}

/// Reads a file block's plaintext; a malformed one is an error, never a guess.
pub fn parse(plaintext: &[u8]) -> Result<FileBlock<'_>, String> {
	match plaintext.split_first() {
		Some((&DATA, rest)) => Ok(FileBlock::Data(rest)),
		Some((&MANIFEST, mut rest)) => {
			let manifest = Manifest::decode(&mut rest).map_err(|e| format!("the file's manifest is malformed: {e}"))?;
			if !rest.is_empty() {
				return Err("the file's manifest has trailing bytes".into())
			}
			if manifest.parts.len() as u64 > MAX_PARTS {
				return Err(format!("the file's manifest lists {} parts, more than {MAX_PARTS}", manifest.parts.len()))
			}
			let sum = manifest.parts.iter().try_fold(0u64, |acc, p| acc.checked_add(p.len));
			if sum != Some(manifest.size) || manifest.parts.iter().any(|p| p.len == 0 || p.len > MAX_PART_SIZE) {
				return Err("the file's manifest does not add up (part lengths against the size)".into())
			}
			Ok(FileBlock::Manifest(manifest))
		},
		Some((kind, _)) => Err(format!("this block is not a file (kind {kind}): was it written by another tool?")),
		None => Err("this block is empty: not a file".into()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn data_and_manifests_round_trip_and_malformed_blocks_are_refused() {
		assert_eq!(parse(&[DATA, 1, 2, 3]), Ok(FileBlock::Data(&[1, 2, 3][..])));
		assert_eq!(parse(&[DATA]), Ok(FileBlock::Data(&[][..])));

		let manifest = Manifest { size: 5, parts: vec![Part { block: H256::repeat_byte(1), len: 3 }, Part { block: H256::repeat_byte(2), len: 2 }] };
		assert_eq!(parse(&manifest_plaintext(&manifest)), Ok(FileBlock::Manifest(manifest.clone())));

		let mut trailing = manifest_plaintext(&manifest);
		trailing.push(0);
		assert!(parse(&trailing).unwrap_err().contains("trailing"));
		let wrong_size = Manifest { size: 6, ..manifest.clone() };
		assert!(parse(&manifest_plaintext(&wrong_size)).unwrap_err().contains("does not add up"));
		let empty_part = Manifest { size: 3, parts: vec![Part { block: H256::zero(), len: 0 }, Part { block: H256::zero(), len: 3 }] };
		assert!(parse(&manifest_plaintext(&empty_part)).unwrap_err().contains("does not add up"));
		let overflow = Manifest { size: 1, parts: vec![Part { block: H256::zero(), len: u64::MAX }, Part { block: H256::zero(), len: 2 }] };
		assert!(parse(&manifest_plaintext(&overflow)).unwrap_err().contains("does not add up"));
		assert!(parse(&[MANIFEST, 0xff]).unwrap_err().contains("malformed"));
		assert!(parse(&[7, 1]).unwrap_err().contains("not a file"));
		assert!(parse(&[]).unwrap_err().contains("empty"));
	}

	#[test]
	fn parts_live_under_the_file_path() {
		let root = BlockPath::root_of(&H256::repeat_byte(0xab));
		let file = root.join("big.iso").unwrap();
		assert_eq!(part_path(&file, 3, 17).unwrap(), file.join("~part-3-17").unwrap());
		let mut deep = root.clone();
		for _ in 0..31 {
			deep = deep.join("d").unwrap();
		}
		assert!(part_path(&deep, 1, 0).unwrap_err().contains("use a shorter path"));
	}
}
