//! A principal's tree of files and directories, over any [`BlockStore`]: the `blocktree`
//! CLI's `ls`/`mkdir`/`rm`/`mv` and the FUSE mount share it.
//!
//! - A directory is the newest block at its path ([`crate::dir_format`]); a file is the block
//!   its directory entry pins, one data block or a manifest and parts
//!   ([`crate::file_format`]).
//! - Every change is a new version: a file write publishes the file's block(s), then a new
//!   version of its directory listing them. A reader sees either the old or the new file,
//!   never a mix.
//! - Concurrent writers: a directory change is read-modify-write. After publishing, the
//!   writer asks which version the chain now calls newest; if it is not its own (another
//!   writer's change landed first), it reads that one, applies its change again on top and
//!   publishes the next version. The last write the chain knows of wins; nothing is torn.
//! - Blocks a change made obsolete are removed from the chain one change later (a reader
//!   halfway through the old version can finish), and all of them by
//!   [`Tree::remove_retired`], so a path never piles up the chain's maximum of versions.

use std::{
	collections::{BTreeMap, HashMap},
	os::unix::fs::FileExt,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use blocktree_primitives::path::BlockPath;
use sp_core::H256;

use crate::{
	dir_format::{Directory, Entry, EntryKind, FileVersion, DEFAULT_DIR_MODE},
	file_format::{self, FileBlock},
};

/// Why a tree operation failed; each maps to one errno in the FUSE mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
	/// No such file or directory (`ENOENT`).
	NotFound(String),
	/// A file where a directory is needed (`ENOTDIR`).
	NotADirectory(String),
	/// A directory where a file is needed (`EISDIR`).
	IsADirectory(String),
	/// The name is taken (`EEXIST`).
	Exists(String),
	/// The directory has entries (`ENOTEMPTY`).
	NotEmpty(String),
	/// The name or the move is not allowed (`EINVAL`).
	Invalid(String),
	/// No authority: no write cap on the path, or no read cap for the block (`EACCES`).
	Denied(String),
	/// The node's contracts have no room for the block (`ENOSPC`).
	NoSpace(String),
	/// The node cannot be reached or failed; retry later (`EIO`).
	Unavailable(String),
	/// What the node served failed its checks (`EIO`).
	Corrupt(String),
	/// Bigger than the tree takes (`EFBIG`).
	TooBig(String),
}

impl std::fmt::Display for TreeError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let (what, why) = match self {
			TreeError::NotFound(w) => ("not found", w),
			TreeError::NotADirectory(w) => ("not a directory", w),
			TreeError::IsADirectory(w) => ("is a directory", w),
			TreeError::Exists(w) => ("exists", w),
			TreeError::NotEmpty(w) => ("directory not empty", w),
			TreeError::Invalid(w) => ("invalid", w),
			TreeError::Denied(w) => ("permission denied", w),
			TreeError::NoSpace(w) => ("no space", w),
			TreeError::Unavailable(w) => ("node unavailable", w),
			TreeError::Corrupt(w) => ("bad data", w),
			TreeError::TooBig(w) => ("too big", w),
		};
		write!(f, "{what}: {why}")
	}
}

/// Where blocks are kept: the node's RPC ([`crate::tree_rpc::RpcStore`]) or memory
/// ([`MemStore`], for tests). Every block is by the store's one writer.
#[allow(async_fn_in_trait)]
pub trait BlockStore: Send + Sync {
	/// The newest block at `path` (id, version), if any.
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError>;
	/// Seals `plaintext` as `version` of `path` and stores it; returns the block's id.
	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>) -> Result<H256, TreeError>;
	/// The whole plaintext of block `block`, checked to be the writer's.
	async fn read_all(&self, block: H256) -> Result<Vec<u8>, TreeError>;
	/// Plaintext bytes `offset .. offset + len` of `block` (fewer at its end).
	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError>;
	/// Removes `block` from the chain (and its fragments from providers).
	async fn remove(&self, block: H256) -> Result<(), TreeError>;
}

impl<T: BlockStore> BlockStore for Arc<T> {
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError> {
		(**self).latest(path).await
	}
	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>) -> Result<H256, TreeError> {
		(**self).publish(path, version, plaintext).await
	}
	async fn read_all(&self, block: H256) -> Result<Vec<u8>, TreeError> {
		(**self).read_all(block).await
	}
	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		(**self).read_range(block, offset, len).await
	}
	async fn remove(&self, block: H256) -> Result<(), TreeError> {
		(**self).remove(block).await
	}
}

/// How a file's bytes lie in blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Layout {
	/// One data block: file byte `i` is plaintext byte `i + 1`.
	Single(H256),
	/// A manifest's parts, in order.
	Parts(Vec<file_format::Part>),
}

/// A directory as last read, and when.
struct CachedDir {
	block: Option<H256>,
	version: u64,
	dir: Arc<Directory>,
	checked: Instant,
}

/// Layouts kept (a few hundred bytes each; a manifest's parts at most 32 Ki).
const MAX_LAYOUTS: usize = 1024;
/// How often a directory change is retried against other writers' changes.
const MAX_CONFLICT_RETRIES: usize = 8;
/// Parts written at once.
const IN_FLIGHT: usize = 3;

/// A tree rooted at `root`, read and written through a [`BlockStore`].
pub struct Tree<S> {
	store: S,
	root: BlockPath,
	part_size: u64,
	/// How long a directory read stays fresh without asking the chain again.
	ttl: Duration,
	dirs: Mutex<BTreeMap<BlockPath, CachedDir>>,
	layouts: Mutex<HashMap<H256, Arc<Layout>>>,
	/// Blocks made obsolete, by the path whose change made them so: removed at that path's
	/// next change, or by [`Tree::remove_retired`].
	retired: Mutex<BTreeMap<BlockPath, Vec<H256>>>,
}

fn now_ms() -> u64 {
	crate::principal_cmd::now_ms()
}

/// The parent of `path` and the last component's name.
pub fn split(path: &BlockPath) -> Result<(BlockPath, String), TreeError> {
	let components: Vec<&str> = path.components().collect();
	let (name, parent) = components.split_last().expect("a path has a root; qed");
	if parent.is_empty() {
		return Err(TreeError::Invalid(format!("{path} is a tree's root: it has no parent")))
	}
	let parent = BlockPath::from_components(parent.iter().map(|c| c.as_bytes().to_vec()).collect())
		.expect("a prefix of a valid path is valid; qed");
	Ok((parent, name.to_string()))
}

/// `path` with its prefix `from` replaced by `to`.
fn rebase(path: &BlockPath, from: &BlockPath, to: &BlockPath) -> Result<BlockPath, TreeError> {
	let mut components: Vec<Vec<u8>> = to.components().map(|c| c.as_bytes().to_vec()).collect();
	components.extend(path.components().skip(from.depth()).map(|c| c.as_bytes().to_vec()));
	BlockPath::from_components(components).map_err(|e| TreeError::Invalid(format!("moving {path} under {to} makes it too deep or long ({e:?})")))
}

impl<S: BlockStore> Tree<S> {
	/// A tree rooted at `root` (the principal's root, or a directory below it) over `store`;
	/// files larger than `part_size` are stored as parts.
	pub fn new(store: S, root: BlockPath, part_size: u64, ttl: Duration) -> Self {
		let part_size = part_size.clamp(file_format::MIN_PART_SIZE, file_format::MAX_PART_SIZE);
		Tree { store, root, part_size, ttl, dirs: Default::default(), layouts: Default::default(), retired: Default::default() }
	}

	/// The store underneath.
	pub fn store(&self) -> &S {
		&self.store
	}

	/// The tree's root path.
	pub fn root(&self) -> &BlockPath {
		&self.root
	}

	/// `name` under directory `dir`.
	pub fn child(dir: &BlockPath, name: &str) -> Result<BlockPath, TreeError> {
		crate::dir_format::check_name(name).map_err(TreeError::Invalid)?;
		dir.join(name).map_err(|e| TreeError::Invalid(format!("{dir}/{name} is too deep or long ({e:?})")))
	}

	/// The directory at `path` (a directory's path, known to be one), at most `ttl` old;
	/// `fresh` asks the chain whatever the age.
	async fn load_dir(&self, path: &BlockPath, fresh: bool) -> Result<(Option<H256>, u64, Arc<Directory>), TreeError> {
		if !fresh {
			let dirs = self.dirs.lock().expect("no panics under the lock; qed");
			if let Some(c) = dirs.get(path).filter(|c| c.checked.elapsed() < self.ttl) {
				return Ok((c.block, c.version, c.dir.clone()))
			}
		}
		let latest = self.store.latest(path).await?;
		let cached = {
			let mut dirs = self.dirs.lock().expect("no panics under the lock; qed");
			match dirs.get_mut(path) {
				Some(c) if c.block == latest.map(|l| l.0) => {
					c.checked = Instant::now();
					Some((c.block, c.version, c.dir.clone()))
				},
				_ => None,
			}
		};
		if let Some(hit) = cached {
			return Ok(hit)
		}
		let (block, version, dir) = match latest {
			// A directory no block lists yet is empty (a tree's root before its first write).
			None => (None, 0, Directory::default()),
			Some((block, version)) => {
				let plaintext = self.store.read_all(block).await?;
				let dir = Directory::from_plaintext(&plaintext).map_err(|e| match plaintext.first() {
					Some(&file_format::DATA) | Some(&file_format::MANIFEST) => TreeError::NotADirectory(format!("{path} is a file")),
					_ => TreeError::Corrupt(format!("{path}: {e}")),
				})?;
				(Some(block), version, dir)
			},
		};
		let dir = Arc::new(dir);
		self.dirs
			.lock()
			.expect("no panics under the lock; qed")
			.insert(path.clone(), CachedDir { block, version, dir: dir.clone(), checked: Instant::now() });
		Ok((block, version, dir))
	}

	/// Forgets what was read of directory `path`: the next read asks the chain (the mount
	/// calls this when the node reports a change there).
	pub fn invalidate(&self, path: &BlockPath) {
		self.dirs.lock().expect("no panics under the lock; qed").remove(path);
	}

	/// The entry at `path`; the tree's root is a directory without a block entry.
	pub async fn stat(&self, path: &BlockPath) -> Result<Entry, TreeError> {
		if path == &self.root {
			return Ok(Entry::directory(path.components().last().unwrap_or_default(), 0, DEFAULT_DIR_MODE))
		}
		if !path.starts_with(&self.root) {
			return Err(TreeError::Invalid(format!("{path} is outside the tree {}", self.root)))
		}
		let (parent, name) = split(path)?;
		let dir = self.list_dir(&parent).await.map_err(|e| match e {
			TreeError::NotFound(_) => TreeError::NotFound(format!("{path}: no such file or directory")),
			e => e,
		})?;
		dir.get(&name).cloned().ok_or_else(|| TreeError::NotFound(format!("{path}: no such file or directory")))
	}

	/// The directory at `path`.
	pub async fn list_dir(&self, path: &BlockPath) -> Result<Arc<Directory>, TreeError> {
		if path != &self.root {
			let entry = Box::pin(self.stat(path)).await?;
			if !entry.is_dir() {
				return Err(TreeError::NotADirectory(format!("{path} is a file")))
			}
		}
		Ok(self.load_dir(path, false).await?.2)
	}

	/// Applies `change` to the newest version of directory `path` and publishes the result,
	/// again on top of any other writer's version that wins meanwhile. Returns what `change`
	/// returned on the version that won.
	async fn change_dir<R>(&self, path: &BlockPath, mut change: impl FnMut(&mut Directory) -> Result<R, TreeError>) -> Result<R, TreeError> {
		for _ in 0..MAX_CONFLICT_RETRIES {
			let (old, version, dir) = self.load_dir(path, true).await?;
			let mut dir = (*dir).clone();
			let result = change(&mut dir)?;
			let block = self.store.publish(path, version + 1, dir.to_plaintext()).await?;
			let newest = self.store.latest(path).await?;
			if newest.map(|n| n.0) == Some(block) {
				self.dirs
					.lock()
					.expect("no panics under the lock; qed")
					.insert(path.clone(), CachedDir { block: Some(block), version: version + 1, dir: Arc::new(dir), checked: Instant::now() });
				if let Some(old) = old {
					self.retire(path, vec![old]).await;
				}
				return Ok(result)
			}
			// Another writer's version won: ours is dropped and the change applied on theirs.
			log::info!(target: "blocktree::tree", "{path}: another writer changed it meanwhile; applying the change again on top");
			let _ = self.store.remove(block).await;
		}
		Err(TreeError::Unavailable(format!("{path} keeps changing under other writers: try again")))
	}

	/// Marks `blocks` obsolete because of a change at `path`; the ones an earlier change
	/// there made obsolete are removed now.
	async fn retire(&self, path: &BlockPath, blocks: Vec<H256>) {
		let older = {
			let mut retired = self.retired.lock().expect("no panics under the lock; qed");
			std::mem::replace(retired.entry(path.clone()).or_default(), blocks)
		};
		for block in older {
			self.remove_file_blocks(block).await;
		}
	}

	/// Removes every block marked obsolete (at the end of a command, at unmount).
	pub async fn remove_retired(&self) {
		let all: Vec<H256> = std::mem::take(&mut *self.retired.lock().expect("no panics under the lock; qed")).into_values().flatten().collect();
		for block in all {
			self.remove_file_blocks(block).await;
		}
	}

	/// Removes `block` and, if it is a manifest, its parts. Failures are logged: a block
	/// left behind costs its deposit until removed, and loses nothing.
	async fn remove_file_blocks(&self, block: H256) {
		if let Ok(layout) = self.layout(block).await {
			if let Layout::Parts(parts) = &*layout {
				for part in parts {
					if let Err(e) = self.store.remove(part.block).await {
						log::warn!(target: "blocktree::tree", "could not remove part block {:?}: {e}", part.block);
					}
				}
			}
		}
		if let Err(e) = self.store.remove(block).await {
			log::warn!(target: "blocktree::tree", "could not remove block {block:?}: {e}");
		}
		self.layouts.lock().expect("no panics under the lock; qed").remove(&block);
	}

	/// Creates directory `path` (its parent must exist).
	pub async fn mkdir(&self, path: &BlockPath, mode: u16) -> Result<Entry, TreeError> {
		let (parent, name) = split(path)?;
		Self::child(&parent, &name)?;
		let siblings = self.list_dir(&parent).await?;
		if siblings.get(&name).is_some() {
			return Err(TreeError::Exists(format!("{path} exists")))
		}
		// The (empty) listing first, then the parent's entry: a listed directory always has one.
		let version = self.store.latest(path).await?.map_or(1, |l| l.1 + 1);
		let block = self.store.publish(path, version, Directory::default().to_plaintext()).await?;
		let entry = Entry::directory(&name, now_ms(), mode);
		let added = self
			.change_dir(&parent, |dir| {
				if dir.get(&name).is_some() {
					return Err(TreeError::Exists(format!("{path} exists")))
				}
				dir.insert(entry.clone()).map_err(TreeError::TooBig)
			})
			.await;
		if let Err(e) = added {
			let _ = self.store.remove(block).await;
			return Err(e)
		}
		self.invalidate(path);
		Ok(entry)
	}

	/// Stores `len` bytes of `source` as the new version of file `path` (created if absent,
	/// its parent must exist) and lists it in its directory. `mode` and `mtime_ms` default
	/// to the old entry's mode (or 0o644) and now.
	pub async fn write_file(&self, path: &BlockPath, source: &std::fs::File, len: u64, mode: Option<u16>, mtime_ms: Option<u64>) -> Result<Entry, TreeError> {
		let (parent, name) = split(path)?;
		Self::child(&parent, &name)?;
		let siblings = self.list_dir(&parent).await?;
		if siblings.get(&name).is_some_and(Entry::is_dir) {
			return Err(TreeError::IsADirectory(format!("{path} is a directory")))
		}
		let file = self.publish_file(path, source, len).await?;
		let mtime = mtime_ms.unwrap_or_else(now_ms);
		let replaced = self
			.change_dir(&parent, |dir| {
				let old = dir.get(&name);
				if old.is_some_and(Entry::is_dir) {
					return Err(TreeError::IsADirectory(format!("{path} became a directory meanwhile")))
				}
				let mode = mode.or(old.map(|e| e.mode)).unwrap_or(crate::dir_format::DEFAULT_FILE_MODE);
				dir.insert(Entry::file(&name, len, mtime, mode, file)).map_err(TreeError::TooBig)
			})
			.await;
		let replaced = match replaced {
			Ok(replaced) => replaced,
			Err(e) => {
				self.remove_file_blocks(file.block).await;
				return Err(e)
			},
		};
		if let Some(old) = replaced.and_then(|e| e.file).filter(|old| old.block != file.block) {
			self.retire(path, vec![old.block]).await;
		}
		self.stat(path).await
	}

	/// Publishes `len` bytes of `source` as the next version at `path`: one data block, or
	/// parts (several at a time) and then their manifest.
	async fn publish_file(&self, path: &BlockPath, source: &std::fs::File, len: u64) -> Result<FileVersion, TreeError> {
		use futures::{StreamExt, TryStreamExt};
		let parts = len.div_ceil(self.part_size).max(1);
		if parts > file_format::MAX_PARTS {
			return Err(TreeError::TooBig(format!("{len} bytes is more than {} parts of {} bytes", file_format::MAX_PARTS, self.part_size)))
		}
		let version = self.store.latest(path).await?.map_or(1, |l| l.1 + 1);
		let read = |offset: u64, len: u64| -> Result<Vec<u8>, TreeError> {
			let mut plaintext = vec![0u8; len as usize + 1];
			plaintext[0] = file_format::DATA;
			source
				.read_exact_at(&mut plaintext[1..], offset)
				.map_err(|e| TreeError::Unavailable(format!("cannot read the data to store at byte {offset}: {e}")))?;
			Ok(plaintext)
		};
		if parts == 1 {
			let block = self.store.publish(path, version, read(0, len)?).await?;
			self.remember_layout(block, Layout::Single(block));
			return Ok(FileVersion { block, version })
		}
		let lengths: Vec<u64> = (0..parts).map(|i| self.part_size.min(len - i * self.part_size)).collect();
		let blocks: Vec<H256> = futures::stream::iter(lengths.iter().enumerate())
			.map(|(i, part_len)| {
				let read = &read;
				async move {
					let part = file_format::part_path(path, version, i as u64).map_err(TreeError::Invalid)?;
					let part_version = self.store.latest(&part).await?.map_or(1, |l| l.1 + 1);
					self.store.publish(&part, part_version, read(i as u64 * self.part_size, *part_len)?).await
				}
			})
			.buffered(IN_FLIGHT)
			.try_collect()
			.await?;
		let parts: Vec<file_format::Part> = blocks.iter().zip(&lengths).map(|(block, len)| file_format::Part { block: *block, len: *len }).collect();
		let manifest = file_format::Manifest { size: len, parts: parts.clone() };
		let block = self.store.publish(path, version, file_format::manifest_plaintext(&manifest)).await?;
		self.remember_layout(block, Layout::Parts(parts));
		Ok(FileVersion { block, version })
	}

	fn remember_layout(&self, block: H256, layout: Layout) {
		let mut layouts = self.layouts.lock().expect("no panics under the lock; qed");
		if layouts.len() >= MAX_LAYOUTS {
			layouts.clear();
		}
		layouts.insert(block, Arc::new(layout));
	}

	/// How the file whose version is block `block` lies in blocks.
	async fn layout(&self, block: H256) -> Result<Arc<Layout>, TreeError> {
		if let Some(layout) = self.layouts.lock().expect("no panics under the lock; qed").get(&block) {
			return Ok(layout.clone())
		}
		let kind = self.store.read_range(block, 0, 1).await?;
		let layout = match kind.first() {
			Some(&file_format::DATA) => Layout::Single(block),
			Some(&file_format::MANIFEST) => match file_format::parse(&self.store.read_all(block).await?) {
				Ok(FileBlock::Manifest(manifest)) => Layout::Parts(manifest.parts),
				Ok(FileBlock::Data(_)) => Layout::Single(block),
				Err(e) => return Err(TreeError::Corrupt(format!("block {block:?}: {e}"))),
			},
			_ => return Err(TreeError::Corrupt(format!("block {block:?} is not a file"))),
		};
		self.remember_layout(block, layout);
		Ok(self.layouts.lock().expect("no panics under the lock; qed").get(&block).cloned().expect("just inserted; qed"))
	}

	/// Bytes `offset .. offset + len` of the file `entry` lists (fewer at its end): only the
	/// blocks, and the sectors of them, that hold the range are read.
	pub async fn read_file(&self, entry: &Entry, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		let file = entry.file.ok_or_else(|| TreeError::IsADirectory(format!("{} is a directory", entry.name)))?;
		let len = len.min(entry.size.saturating_sub(offset));
		if len == 0 {
			return Ok(Vec::new())
		}
		let layout = self.layout(file.block).await?;
		let mut out = Vec::with_capacity(len as usize);
		let lengths: Vec<u64> = match &*layout {
			Layout::Single(_) => vec![entry.size],
			Layout::Parts(parts) => parts.iter().map(|p| p.len).collect(),
		};
		if lengths.iter().sum::<u64>() != entry.size {
			return Err(TreeError::Corrupt(format!("{}: the directory lists {} bytes, its blocks hold another size", entry.name, entry.size)))
		}
		for (i, from, to) in crate::file_cmd::spans(&lengths, offset, len) {
			let block = match &*layout {
				Layout::Single(block) => *block,
				Layout::Parts(parts) => parts[i].block,
			};
			let bytes = self.store.read_range(block, from + 1, to - from).await?;
			if bytes.len() as u64 != to - from {
				return Err(TreeError::Corrupt(format!("{}: block {block:?} is shorter than its directory says", entry.name)))
			}
			out.extend_from_slice(&bytes);
		}
		Ok(out)
	}

	/// Copies the whole file `entry` lists into `out` (a local temporary file), a few MiB at a
	/// time.
	pub async fn copy_file_to(&self, entry: &Entry, out: &std::fs::File) -> Result<(), TreeError> {
		const STEP: u64 = 4 << 20;
		let mut offset = 0;
		while offset < entry.size {
			let bytes = self.read_file(entry, offset, STEP).await?;
			if bytes.is_empty() {
				return Err(TreeError::Corrupt(format!("{} ends before its listed size", entry.name)))
			}
			out.write_all_at(&bytes, offset).map_err(|e| TreeError::Unavailable(format!("cannot write a local copy: {e}")))?;
			offset += bytes.len() as u64;
		}
		out.set_len(entry.size).map_err(|e| TreeError::Unavailable(format!("cannot write a local copy: {e}")))
	}

	/// Removes file (`dir` false) or empty directory (`dir` true) `path`.
	pub async fn remove(&self, path: &BlockPath, dir: bool) -> Result<(), TreeError> {
		let (parent, name) = split(path)?;
		let entry = self.stat(path).await?;
		match (entry.is_dir(), dir) {
			(true, false) => return Err(TreeError::IsADirectory(format!("{path} is a directory: remove it as one"))),
			(false, true) => return Err(TreeError::NotADirectory(format!("{path} is a file"))),
			(true, true) =>
				if !self.load_dir(path, true).await?.2.is_empty() {
					return Err(TreeError::NotEmpty(format!("{path} is not empty")))
				},
			(false, false) => {},
		}
		let removed = self
			.change_dir(&parent, |d| d.remove(&name).ok_or_else(|| TreeError::NotFound(format!("{path} was removed meanwhile"))))
			.await?;
		let mut obsolete = Vec::new();
		if let Some(file) = removed.file {
			obsolete.push(file.block);
		} else if let Some((block, _)) = self.store.latest(path).await? {
			obsolete.push(block);
		}
		self.invalidate(path);
		self.retire(path, obsolete).await;
		Ok(())
	}

	/// Sets the permission bits and/or the modification time of `path`.
	pub async fn set_attr(&self, path: &BlockPath, mode: Option<u16>, mtime_ms: Option<u64>) -> Result<Entry, TreeError> {
		if path == &self.root {
			return self.stat(path).await
		}
		let (parent, name) = split(path)?;
		self.change_dir(&parent, |dir| {
			let mut entry = dir.get(&name).cloned().ok_or_else(|| TreeError::NotFound(format!("{path}: no such file or directory")))?;
			if let Some(mode) = mode {
				entry.mode = mode & 0o7777;
			}
			if let Some(mtime) = mtime_ms {
				entry.mtime_ms = mtime;
			}
			dir.insert(entry.clone()).map_err(TreeError::TooBig)?;
			Ok(entry)
		})
		.await
	}

	/// Moves `from` to `to`, replacing a file or an empty directory there. A file keeps its
	/// blocks (only directories change); a directory's listings are published again at their
	/// new paths.
	pub async fn rename(&self, from: &BlockPath, to: &BlockPath) -> Result<(), TreeError> {
		if from == to {
			return Ok(())
		}
		let (from_parent, from_name) = split(from)?;
		let (to_parent, to_name) = split(to)?;
		Self::child(&to_parent, &to_name)?;
		let entry = self.stat(from).await?;
		if entry.is_dir() && to.starts_with(from) {
			return Err(TreeError::Invalid(format!("cannot move {from} into itself ({to})")))
		}
		self.list_dir(&to_parent).await?;
		if let Ok(target) = self.stat(to).await {
			match (entry.is_dir(), target.is_dir()) {
				(false, true) => return Err(TreeError::IsADirectory(format!("{to} is a directory"))),
				(true, false) => return Err(TreeError::NotADirectory(format!("{to} is a file"))),
				(true, true) => {
					let (_, _, listing) = self.load_dir(to, true).await?;
					if !listing.is_empty() {
						return Err(TreeError::NotEmpty(format!("{to} is not empty")))
					}
				},
				(false, false) => {},
			}
		}
		let mut obsolete = Vec::new();
		if entry.is_dir() {
			obsolete = self.copy_listings(from, to).await?;
		}
		let mut moved = entry.clone();
		moved.name = to_name.clone();
		let replace = |dir: &mut Directory| -> Result<Option<Entry>, TreeError> {
			if dir.get(&to_name).is_some_and(|t| t.is_dir() != moved.is_dir()) {
				return Err(TreeError::Exists(format!("{to} changed kind meanwhile")))
			}
			dir.insert(moved.clone()).map_err(TreeError::TooBig)
		};
		let replaced = if from_parent == to_parent {
			self.change_dir(&from_parent, |dir| {
				dir.remove(&from_name).ok_or_else(|| TreeError::NotFound(format!("{from} was removed meanwhile")))?;
				replace(dir)
			})
			.await?
		} else {
			// Listed at the new place first, then removed from the old: never lost on the way.
			let replaced = self.change_dir(&to_parent, &replace).await?;
			self.change_dir(&from_parent, |dir| Ok(dir.remove(&from_name))).await?;
			replaced
		};
		if let Some(old) = replaced {
			match old.file {
				Some(file) if Some(file) != entry.file => obsolete.push(file.block),
				Some(_) => {},
				None => {},
			}
		}
		self.invalidate(from);
		self.invalidate(to);
		self.retire(from, obsolete).await;
		Ok(())
	}

	/// Publishes the listings of directory `from` and every directory below it again at the
	/// same place under `to`; returns the old listings' blocks.
	async fn copy_listings(&self, from: &BlockPath, to: &BlockPath) -> Result<Vec<H256>, TreeError> {
		let mut old_blocks = Vec::new();
		let mut stack = vec![from.clone()];
		while let Some(dir_path) = stack.pop() {
			let (block, _, dir) = self.load_dir(&dir_path, true).await?;
			let target = rebase(&dir_path, from, to)?;
			let previous = self.store.latest(&target).await?;
			self.store.publish(&target, previous.map_or(1, |l| l.1 + 1), dir.to_plaintext()).await?;
			self.invalidate(&target);
			old_blocks.extend(block);
			// The listing of an empty directory replaced there is obsolete; a file's block
			// there is not (a file moved away keeps its blocks where they were written).
			if let Some((previous, _)) = previous {
				if self.store.read_range(previous, 0, 1).await.is_ok_and(|k| k.first() == Some(&crate::dir_format::DIRECTORY)) {
					old_blocks.push(previous);
				}
			}
			for entry in dir.entries().iter().filter(|e| e.kind == EntryKind::Directory) {
				stack.push(Self::child(&dir_path, &entry.name)?);
			}
		}
		Ok(old_blocks)
	}
}

/// Blocks in memory: a [`BlockStore`] for tests of the tree and the mount, which can be made
/// to fail like a node that is gone.
#[derive(Default)]
pub struct MemStore {
	blocks: Mutex<HashMap<H256, (BlockPath, u64, Arc<Vec<u8>>)>>,
	next: std::sync::atomic::AtomicU64,
	/// While set, every call fails as if the node were unreachable.
	pub offline: std::sync::atomic::AtomicBool,
	/// Blocks removed so far.
	pub removed: std::sync::atomic::AtomicU64,
}

impl MemStore {
	fn online(&self) -> Result<(), TreeError> {
		if self.offline.load(std::sync::atomic::Ordering::Relaxed) {
			return Err(TreeError::Unavailable("the node is offline".into()))
		}
		Ok(())
	}

	/// How many blocks are stored.
	pub fn block_count(&self) -> usize {
		self.blocks.lock().expect("no panics under the lock; qed").len()
	}

	fn get(&self, block: H256) -> Result<Arc<Vec<u8>>, TreeError> {
		self.online()?;
		let blocks = self.blocks.lock().expect("no panics under the lock; qed");
		blocks.get(&block).map(|b| b.2.clone()).ok_or_else(|| TreeError::NotFound(format!("no block {block:?}")))
	}
}

impl BlockStore for MemStore {
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError> {
		self.online()?;
		let blocks = self.blocks.lock().expect("no panics under the lock; qed");
		Ok(blocks.iter().filter(|(_, b)| &b.0 == path).map(|(id, b)| (*id, b.1)).max_by_key(|(id, v)| (*v, *id)))
	}

	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>) -> Result<H256, TreeError> {
		self.online()?;
		let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
		let id = <sp_core::Blake2Hasher as sp_core::Hasher>::hash(&codec::Encode::encode(&(path, version, n)));
		self.blocks.lock().expect("no panics under the lock; qed").insert(id, (path.clone(), version, Arc::new(plaintext)));
		Ok(id)
	}

	async fn read_all(&self, block: H256) -> Result<Vec<u8>, TreeError> {
		Ok(self.get(block)?.to_vec())
	}

	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		let bytes = self.get(block)?;
		let start = offset.min(bytes.len() as u64) as usize;
		let end = offset.saturating_add(len).min(bytes.len() as u64) as usize;
		Ok(bytes[start..end].to_vec())
	}

	async fn remove(&self, block: H256) -> Result<(), TreeError> {
		self.online()?;
		self.blocks
			.lock()
			.expect("no panics under the lock; qed")
			.remove(&block)
			.map(|_| {
				self.removed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
			})
			.ok_or_else(|| TreeError::NotFound(format!("no block {block:?}")))
	}
}
