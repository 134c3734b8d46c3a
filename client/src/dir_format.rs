//! How a directory is laid out in a block.
//!
//! A directory is the block at its own path whose plaintext starts with the kind byte
//! [`DIRECTORY`] followed by a SCALE-encoded [`Directory`]: its entries sorted by name, each
//! with its kind, size, modification time and permission bits. It is sealed like any block, so
//! names, sizes, times and modes are visible to readers only.
//!
//! **Names stay out of paths.** Block headers carry their path in the clear, so an entry's
//! blocks are not stored at a path named after it: each entry has a random [`Slot`], and its
//! blocks live at its directory's stored path plus the slot's 32 hex digits
//! (`/<id>/3f2a…/91c0…`). A reader of the listing finds an entry's blocks from the slot; a
//! storage node or a chain observer sees the tree's shape (depth, how many entries, sizes,
//! when each changes), never a name. An entry keeps its slot across versions and renames within
//! its directory.
//!
//! A file entry pins the block holding the file's version (a data block or a manifest, see
//! [`crate::file_format`]) by id: a reader of the directory reads exactly the version the
//! directory lists, with the size it lists, and a file moves between directories without being
//! sealed again. A subdirectory entry pins nothing: the subdirectory is the newest block at its
//! own path, so a change deep in the tree publishes two blocks (the file and its directory),
//! not one per level.

use blocktree_primitives::{path::BlockPath, principal::PrincipalId};
use codec::{Decode, Encode};
use sp_core::H256;

/// Kind byte of a block that lists a directory (after [`crate::file_format::DATA`] and
/// [`crate::file_format::MANIFEST`]).
pub const DIRECTORY: u8 = 2;

/// The most entries a directory holds: at about 100 bytes an entry, a full directory stays
/// a few MiB, well under the 64 MiB block limit, and is still read in one go.
pub const MAX_ENTRIES: usize = 65_536;

/// Sector size of a file read mostly in order (what `cp` writes): 64 KiB, few proofs and
/// round trips per MiB, and a random read costs at most 64 KiB fetched and opened.
pub const SEQUENTIAL_SECTOR_SIZE: u32 = 64 * 1024;
/// Sector size of a file written (so likely read) at random offsets, such as a database or a
/// disk image: 4 KiB, so a 4 KiB read fetches and opens 4 KiB, not 64.
pub const RANDOM_SECTOR_SIZE: u32 = 4 * 1024;

/// Permission bits a new file gets unless told otherwise.
pub const DEFAULT_FILE_MODE: u16 = 0o644;
/// Permission bits a new directory gets unless told otherwise.
pub const DEFAULT_DIR_MODE: u16 = 0o755;

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum EntryKind {
	/// A file: [`Entry::block`] holds its version.
	File,
	/// A directory: the newest block at its path lists it.
	Directory,
}

/// Where an entry's blocks are, below its directory's stored path: 16 random bytes, written as
/// one path component of 32 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
pub struct Slot(pub [u8; 16]);

impl Slot {
	/// A fresh slot from the operating system's random source.
	pub fn random() -> Self {
		let mut bytes = [0u8; 16];
		getrandom::getrandom(&mut bytes).expect("the operating system's random source works; qed");
		Slot(bytes)
	}

	/// The path component.
	pub fn component(&self) -> String {
		self.0.iter().map(|b| format!("{b:02x}")).collect()
	}
}

/// The block holding a file's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct FileVersion {
	/// The block's id (a data block or a manifest).
	pub block: H256,
	/// The version its header names (at the path it was written to).
	pub version: u64,
}

/// One name in a directory.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Entry {
	/// The name: one valid path component (no `/`, not `.` or `..`, at most 255 bytes).
	pub name: String,
	/// File or directory.
	pub kind: EntryKind,
	/// A file's size in bytes; 0 for a directory.
	pub size: u64,
	/// Last modification, in milliseconds since the Unix epoch (the writer's clock).
	pub mtime_ms: u64,
	/// Permission bits (`0o7777` at most).
	pub mode: u16,
	/// For a file, the block holding the version this directory lists; `None` for a directory.
	pub file: Option<FileVersion>,
	/// Where the entry's blocks are stored, below the directory's stored path.
	pub slot: Slot,
	/// A file's sector size ([`SEQUENTIAL_SECTOR_SIZE`] or [`RANDOM_SECTOR_SIZE`], chosen by
	/// how it was written and kept by its next versions); 0 for a directory.
	pub sector_size: u32,
}

impl Entry {
	/// A new, empty directory entry whose listing is at `slot`.
	pub fn directory(name: &str, mtime_ms: u64, mode: u16, slot: Slot) -> Self {
		Entry { name: name.into(), kind: EntryKind::Directory, size: 0, mtime_ms, mode: mode & 0o7777, file: None, slot, sector_size: 0 }
	}

	/// A file entry listing `file`, whose versions are stored at `slot` in sectors of
	/// [`SEQUENTIAL_SECTOR_SIZE`] (see [`Entry::with_sector_size`]).
	pub fn file(name: &str, size: u64, mtime_ms: u64, mode: u16, file: FileVersion, slot: Slot) -> Self {
		let sector_size = SEQUENTIAL_SECTOR_SIZE;
		Entry { name: name.into(), kind: EntryKind::File, size, mtime_ms, mode: mode & 0o7777, file: Some(file), slot, sector_size }
	}

	/// The entry with its file's blocks in sectors of `sector_size` bytes.
	pub fn with_sector_size(mut self, sector_size: u32) -> Self {
		self.sector_size = sector_size;
		self
	}

	/// Whether this is a directory.
	pub fn is_dir(&self) -> bool {
		self.kind == EntryKind::Directory
	}
}

/// The most principals a directory is shared with (a block's header wraps its key for each,
/// and for the writer, within the chain's `MAX_READ_CAPS`).
pub const MAX_READERS: usize = blocktree_primitives::block::MAX_READ_CAPS as usize - 1;

/// A directory's entries, sorted by name, names unique, and whom it is shared with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct Directory {
	entries: Vec<Entry>,
	/// The principals besides the writer who may read this directory and everything in it
	/// (sorted, unique): its listing, its files' blocks and its subdirectories are sealed for
	/// them, and a new entry inherits them (`blocktree share --read`).
	readers: Vec<PrincipalId>,
}

impl Directory {
	/// The entries, by name.
	pub fn entries(&self) -> &[Entry] {
		&self.entries
	}

	/// The entry called `name`.
	pub fn get(&self, name: &str) -> Option<&Entry> {
		self.entries.binary_search_by(|e| e.name.as_str().cmp(name)).ok().map(|i| &self.entries[i])
	}

	/// Adds `entry` or replaces the one of the same name; returns the replaced one.
	pub fn insert(&mut self, entry: Entry) -> Result<Option<Entry>, String> {
		check_name(&entry.name)?;
		match self.entries.binary_search_by(|e| e.name.cmp(&entry.name)) {
			Ok(i) => Ok(Some(std::mem::replace(&mut self.entries[i], entry))),
			Err(i) => {
				if self.entries.len() >= MAX_ENTRIES {
					return Err(format!("the directory has {MAX_ENTRIES} entries, the most a directory holds: use a subdirectory"))
				}
				self.entries.insert(i, entry);
				Ok(None)
			},
		}
	}

	/// Removes the entry called `name`.
	pub fn remove(&mut self, name: &str) -> Option<Entry> {
		self.entries.binary_search_by(|e| e.name.as_str().cmp(name)).ok().map(|i| self.entries.remove(i))
	}

	/// Whether the directory has no entries.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	/// Whom the directory is shared with, besides its writer.
	pub fn readers(&self) -> &[PrincipalId] {
		&self.readers
	}

	/// An empty directory shared with `readers` (a new subdirectory inherits its parent's).
	pub fn shared_with(readers: &[PrincipalId]) -> Self {
		let mut readers = readers.to_vec();
		readers.sort();
		readers.dedup();
		Directory { entries: Vec::new(), readers }
	}

	/// Shares the directory with `reader` too; false if it already was.
	pub fn add_reader(&mut self, reader: PrincipalId) -> Result<bool, String> {
		match self.readers.binary_search(&reader) {
			Ok(_) => Ok(false),
			Err(_) if self.readers.len() >= MAX_READERS =>
				Err(format!("the directory is shared with {MAX_READERS} principals, the most a block's header holds")),
			Err(i) => {
				self.readers.insert(i, reader);
				Ok(true)
			},
		}
	}

	/// The plaintext of a directory block.
	pub fn to_plaintext(&self) -> Vec<u8> {
		let mut plaintext = vec![DIRECTORY];
		self.encode_to(&mut plaintext);
		plaintext
	}

	/// Reads a directory block's plaintext; anything malformed (unsorted or repeated names,
	/// bad names, a file without a block, too many entries) is an error, never a guess.
	pub fn from_plaintext(plaintext: &[u8]) -> Result<Self, String> {
		let mut rest = match plaintext.split_first() {
			Some((&DIRECTORY, rest)) => rest,
			Some((kind, _)) => return Err(format!("this block is not a directory (kind {kind}): a file sits where a directory was expected")),
			None => return Err("this block is empty: not a directory".into()),
		};
		// The entry count is checked before anything is allocated for it.
		let count = codec::Compact::<u32>::decode(&mut &rest[..]).map_err(|e| format!("the directory is malformed: {e}"))?.0;
		if count as usize > MAX_ENTRIES {
			return Err(format!("the directory lists {count} entries, more than {MAX_ENTRIES}"))
		}
		let dir = Directory::decode(&mut rest).map_err(|e| format!("the directory is malformed: {e}"))?;
		if !rest.is_empty() {
			return Err("the directory has trailing bytes".into())
		}
		if dir.readers.len() > MAX_READERS || dir.readers.windows(2).any(|w| w[0] >= w[1]) {
			return Err(format!("the directory's readers are more than {MAX_READERS}, unsorted or repeated"))
		}
		let mut slots: Vec<Slot> = dir.entries.iter().map(|e| e.slot).collect();
		slots.sort();
		if slots.windows(2).any(|w| w[0] == w[1]) {
			return Err("two of the directory's entries share a slot".into())
		}
		for (i, entry) in dir.entries.iter().enumerate() {
			check_name(&entry.name).map_err(|e| format!("the directory lists a bad name: {e}"))?;
			if i > 0 && dir.entries[i - 1].name >= entry.name {
				return Err(format!("the directory's entries are not sorted or repeat '{}'", entry.name))
			}
			let sector_ok = match entry.kind {
				EntryKind::File => blocktree_primitives::block::check_block_bounds(entry.sector_size, 0).is_ok(),
				EntryKind::Directory => entry.sector_size == 0,
			};
			if (entry.kind == EntryKind::File) != entry.file.is_some() || entry.mode > 0o7777 ||
				(entry.kind == EntryKind::Directory && entry.size != 0) || !sector_ok
			{
				return Err(format!("the directory's entry '{}' does not add up (kind, block, size, mode)", entry.name))
			}
		}
		Ok(dir)
	}
}

/// Whether `name` can be an entry: one path component (the chain's rules: UTF-8, no `/`, no
/// NUL, not `.` or `..`, 1 to 255 bytes).
pub fn check_name(name: &str) -> Result<(), String> {
	// Any valid root will do: the rules are the component's.
	BlockPath::root_of(&H256::zero())
		.join(name)
		.map(|_| ())
		.map_err(|e| format!("'{}' cannot be a name in the tree ({e:?})", name.escape_debug()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn file(name: &str, size: u64) -> Entry {
		Entry::file(name, size, 1_700_000_000_000, 0o644, FileVersion { block: H256::repeat_byte(7), version: 3 }, Slot::random())
	}

	#[test]
	fn entries_stay_sorted_and_round_trip() {
		let mut dir = Directory::default();
		assert_eq!(dir.insert(file("b.txt", 5)), Ok(None));
		assert_eq!(dir.insert(Entry::directory("a", 1, 0o755, Slot::random())), Ok(None));
		assert_eq!(dir.insert(file("c", 0)), Ok(None));
		let names: Vec<&str> = dir.entries().iter().map(|e| e.name.as_str()).collect();
		assert_eq!(names, ["a", "b.txt", "c"]);
		assert_eq!(dir.insert(file("b.txt", 9)).unwrap().map(|e| e.size), Some(5));
		assert_eq!(dir.get("b.txt").map(|e| e.size), Some(9));
		assert_eq!(Directory::from_plaintext(&dir.to_plaintext()), Ok(dir.clone()));
		assert_eq!(dir.remove("a").map(|e| e.kind), Some(EntryKind::Directory));
		assert_eq!(dir.remove("a"), None);
		assert!(dir.get("a").is_none());
	}

	#[test]
	fn bad_names_are_refused() {
		let mut dir = Directory::default();
		for bad in ["", ".", "..", "a/b", "nul\0", &"x".repeat(256)] {
			assert!(dir.insert(file(bad, 1)).unwrap_err().contains("cannot be a name"), "{bad:?}");
		}
		assert!(dir.insert(file(&"x".repeat(255), 1)).is_ok());
		assert!(dir.insert(file("ünïcödé ✓", 1)).is_ok());
	}

	#[test]
	fn malformed_directories_are_refused() {
		let mut dir = Directory::default();
		dir.insert(file("a", 1)).unwrap();
		dir.insert(file("b", 1)).unwrap();

		// Out of order, repeated, or a bad name: each refused.
		let mut unsorted = dir.clone();
		unsorted.entries.swap(0, 1);
		assert!(Directory::from_plaintext(&unsorted.to_plaintext()).unwrap_err().contains("not sorted"));
		let mut repeated = dir.clone();
		repeated.entries[1].name = "a".into();
		assert!(Directory::from_plaintext(&repeated.to_plaintext()).unwrap_err().contains("not sorted or repeat"));
		let mut slash = dir.clone();
		slash.entries[0].name = "../etc".into();
		assert!(Directory::from_plaintext(&slash.to_plaintext()).unwrap_err().contains("bad name"));
		let mut same_slot = dir.clone();
		same_slot.entries[1].slot = same_slot.entries[0].slot;
		assert!(Directory::from_plaintext(&same_slot.to_plaintext()).unwrap_err().contains("share a slot"));

		// A file without a block, a directory with one, a size on a directory, a wild mode.
		let mut no_block = dir.clone();
		no_block.entries[0].file = None;
		assert!(Directory::from_plaintext(&no_block.to_plaintext()).unwrap_err().contains("does not add up"));
		let mut dir_block = dir.clone();
		dir_block.entries[0].kind = EntryKind::Directory;
		assert!(Directory::from_plaintext(&dir_block.to_plaintext()).unwrap_err().contains("does not add up"));
		let mut mode = dir.clone();
		mode.entries[0].mode = 0o17777;
		assert!(Directory::from_plaintext(&mode.to_plaintext()).unwrap_err().contains("does not add up"));
		let mut sector = dir.clone();
		sector.entries[0].sector_size = 3;
		assert!(Directory::from_plaintext(&sector.to_plaintext()).unwrap_err().contains("does not add up"));

		// Readers unsorted, repeated or too many.
		let mut readers = dir.clone();
		readers.readers = vec![H256::repeat_byte(2), H256::repeat_byte(1)];
		assert!(Directory::from_plaintext(&readers.to_plaintext()).unwrap_err().contains("readers"));
		readers.readers = vec![H256::repeat_byte(1); 2];
		assert!(Directory::from_plaintext(&readers.to_plaintext()).unwrap_err().contains("readers"));
		readers.readers = (0..=MAX_READERS).map(|i| H256::from_low_u64_be(i as u64)).collect();
		assert!(Directory::from_plaintext(&readers.to_plaintext()).unwrap_err().contains("readers"));
		readers.readers.pop();
		assert_eq!(Directory::from_plaintext(&readers.to_plaintext()), Ok(readers.clone()));
		let mut full = readers;
		assert!(full.add_reader(H256::repeat_byte(0xee)).unwrap_err().contains("the most"));
		assert_eq!(full.add_reader(H256::from_low_u64_be(3)), Ok(false), "already a reader");

		// Trailing bytes, truncation, another kind, an empty block.
		let mut trailing = dir.to_plaintext();
		trailing.push(0);
		assert!(Directory::from_plaintext(&trailing).unwrap_err().contains("trailing"));
		let plain = dir.to_plaintext();
		assert!(Directory::from_plaintext(&plain[..plain.len() - 3]).unwrap_err().contains("malformed"));
		assert!(Directory::from_plaintext(&[crate::file_format::DATA, 1]).unwrap_err().contains("not a directory"));
		assert!(Directory::from_plaintext(&[]).unwrap_err().contains("empty"));
	}

	#[test]
	fn an_entry_count_over_the_limit_is_refused_before_allocating() {
		let mut plaintext = vec![DIRECTORY];
		codec::Compact(u32::MAX).encode_to(&mut plaintext);
		assert!(Directory::from_plaintext(&plaintext).unwrap_err().contains("more than"));
		let mut full = Directory::default();
		for i in 0..MAX_ENTRIES {
			full.entries.push(file(&format!("{i:08}"), 1));
		}
		assert_eq!(Slot([0xab; 16]).component(), "ab".repeat(16));
		assert!(full.insert(file("zzz", 1)).unwrap_err().contains("the most a directory holds"));
		assert_eq!(full.insert(file("00000001", 2)).unwrap().map(|e| e.size), Some(1), "replacing is fine when full");
	}
}
