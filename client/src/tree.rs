//! A principal's tree of files and directories, over any [`BlockStore`]: the `blocktree`
//! CLI's `ls`/`mkdir`/`rm`/`mv` and the FUSE mount share it.
//!
//! - A directory is the newest block at its stored path ([`crate::dir_format`]); a file is the
//!   block its directory entry pins, one data block or a manifest and parts
//!   ([`crate::file_format`]).
//! - Paths given to the tree name things (`/<id>/docs/a.txt`); blocks are stored at paths of
//!   slots instead (`/<id>/<32 hex>/<32 hex>`, see [`crate::dir_format::Slot`]), found through
//!   the listings, so names never reach a block header. The tree's root is a stored path.
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

use blocktree_primitives::{path::BlockPath, principal::PrincipalId};
use sp_core::H256;

use crate::{
	dir_format::{Directory, Entry, EntryKind, FileVersion, Slot, DEFAULT_DIR_MODE, SEQUENTIAL_SECTOR_SIZE},
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
	/// The writer has this version or a newer one at the path already (another writer of the
	/// same principal got there first): build on the newest and try again.
	Stale(String),
	/// A move between directories shared with different principals (`EXDEV`): `mv` copies
	/// instead, sealing the copy for the new place's readers.
	CrossShare(String),
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
			TreeError::Stale(w) => ("changed meanwhile", w),
			TreeError::CrossShare(w) => ("shared differently", w),
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
	/// Seals `plaintext` as `version` of `path` in sectors of `sector_size` bytes, readable
	/// by the writer and `readers`, and stores it; returns the block's id. A version not
	/// above the writer's newest at the path is [`TreeError::Stale`].
	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>, readers: &[PrincipalId], sector_size: u32) -> Result<H256, TreeError>;
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
	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>, readers: &[PrincipalId], sector_size: u32) -> Result<H256, TreeError> {
		(**self).publish(path, version, plaintext, readers, sector_size).await
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
	/// Where its listing is stored.
	stored: BlockPath,
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
/// Blocks removed at once.
const REMOVALS_IN_FLIGHT: usize = 8;

/// A tree rooted at `root`, read and written through a [`BlockStore`].
pub struct Tree<S> {
	store: S,
	root: BlockPath,
	part_size: u64,
	/// How long a directory read stays fresh without asking the chain again (ms).
	ttl_ms: std::sync::atomic::AtomicU64,
	dirs: Mutex<BTreeMap<BlockPath, CachedDir>>,
	layouts: Mutex<HashMap<H256, Arc<Layout>>>,
	/// Blocks made obsolete, by the path whose change made them so: removed at that path's
	/// next change, or by [`Tree::remove_retired`].
	retired: Mutex<BTreeMap<BlockPath, Vec<H256>>>,
	/// Held while directories change, so that this tree's own changes (a mount's many
	/// threads) do not race each other; other writers are handled by read-modify-write.
	changing: tokio::sync::Mutex<()>,
	/// Files' blocks being read through open handles, by count: removing one waits until
	/// the last reader is done ([`Tree::pin`]).
	pinned: Mutex<HashMap<H256, usize>>,
	/// Obsolete blocks whose removal waits for their readers.
	deferred: Mutex<Vec<H256>>,
	/// Whether removals wait for [`Tree::remove_obsolete`].
	remove_later: std::sync::atomic::AtomicBool,
	/// Blocks to remove at the next [`Tree::remove_obsolete`].
	obsolete: Mutex<Vec<H256>>,
}

/// What a file's upload gives: the block and version a directory entry pins.
type Published = Result<FileVersion, TreeError>;

/// The version after `newest` (node-supplied: checked, never wrapped).
fn next_version(newest: Option<(H256, u64)>) -> Result<u64, TreeError> {
	match newest {
		None => Ok(1),
		Some((block, version)) => version
			.checked_add(1)
			.ok_or_else(|| TreeError::Corrupt(format!("block {block:?} claims the last possible version"))),
	}
}

/// Whether a failed change surely did not land (so blocks uploaded for it can go): an error
/// from a node that did not answer leaves it unknown.
fn surely_failed(e: &TreeError) -> bool {
	!matches!(e, TreeError::Unavailable(_))
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

impl<S: BlockStore> Tree<S> {
	/// A tree rooted at `root` (the principal's root, or a directory below it) over `store`;
	/// files larger than `part_size` are stored as parts.
	pub fn new(store: S, root: BlockPath, part_size: u64, ttl: Duration) -> Self {
		let part_size = part_size.clamp(file_format::MIN_PART_SIZE, file_format::MAX_PART_SIZE);
		Tree {
			store,
			root,
			part_size,
			ttl_ms: (ttl.as_millis() as u64).into(),
			dirs: Default::default(),
			layouts: Default::default(),
			retired: Default::default(),
			changing: Default::default(),
			pinned: Default::default(),
			deferred: Default::default(),
			remove_later: Default::default(),
			obsolete: Default::default(),
		}
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

	/// Where the blocks of `path` (a directory, or a file's versions) are stored: its
	/// directory's stored path and its entry's slot, down from the root.
	pub async fn stored(&self, path: &BlockPath) -> Result<BlockPath, TreeError> {
		if path == &self.root {
			return Ok(self.root.clone())
		}
		if !path.starts_with(&self.root) {
			return Err(TreeError::Invalid(format!("{path} is outside the tree {}", self.root)))
		}
		let (parent, name) = split(path)?;
		let (stored, _, _, dir) = Box::pin(self.load_dir(&parent, false)).await?;
		let entry = dir.get(&name).ok_or_else(|| TreeError::NotFound(format!("{path}: no such file or directory")))?;
		Self::child_stored(&stored, entry.slot)
	}

	/// Where an entry at `slot` of a directory stored at `stored` keeps its blocks.
	fn child_stored(stored: &BlockPath, slot: Slot) -> Result<BlockPath, TreeError> {
		stored.join(&slot.component()).map_err(|e| TreeError::TooBig(format!("{stored} is as deep or long as a path can be ({e:?})")))
	}

	/// The directory at `path` (a directory's path, known to be one), at most `ttl` old;
	/// `fresh` asks the chain whatever the age. Returns its stored path, its block and
	/// version (none yet: an empty root), and the listing.
	async fn load_dir(&self, path: &BlockPath, fresh: bool) -> Result<(BlockPath, Option<H256>, u64, Arc<Directory>), TreeError> {
		if !fresh {
			let dirs = self.dirs.lock().expect("no panics under the lock; qed");
			let ttl = Duration::from_millis(self.ttl_ms.load(std::sync::atomic::Ordering::Relaxed));
			if let Some(c) = dirs.get(path).filter(|c| c.checked.elapsed() < ttl) {
				return Ok((c.stored.clone(), c.block, c.version, c.dir.clone()))
			}
		}
		let stored = self.stored(path).await?;
		let latest = self.store.latest(&stored).await?;
		let cached = {
			let mut dirs = self.dirs.lock().expect("no panics under the lock; qed");
			match dirs.get_mut(path) {
				Some(c) if c.block == latest.map(|l| l.0) && c.stored == stored => {
					c.checked = Instant::now();
					Some((c.stored.clone(), c.block, c.version, c.dir.clone()))
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
			.insert(path.clone(), CachedDir { stored: stored.clone(), block, version, dir: dir.clone(), checked: Instant::now() });
		Ok((stored, block, version, dir))
	}

	/// Forgets what was read of directory `path` and those below it: the next read asks the
	/// chain.
	pub fn invalidate(&self, path: &BlockPath) {
		self.dirs.lock().expect("no panics under the lock; qed").retain(|p, _| !p.starts_with(path));
	}

	/// Forgets the directory whose listing is stored at `stored` (the mount calls this when
	/// the node reports a new version there).
	pub fn invalidate_stored(&self, stored: &BlockPath) {
		self.dirs.lock().expect("no panics under the lock; qed").retain(|_, c| &c.stored != stored);
	}

	/// How long a directory read stays fresh from now on: long while the node reports every
	/// change, short while it does not.
	pub fn set_ttl(&self, ttl: Duration) {
		self.ttl_ms.store(ttl.as_millis() as u64, std::sync::atomic::Ordering::Relaxed);
	}

	/// The entry at `path`; the tree's root is a directory without a block entry.
	pub async fn stat(&self, path: &BlockPath) -> Result<Entry, TreeError> {
		if path == &self.root {
			return Ok(Entry::directory(path.components().last().unwrap_or_default(), 0, DEFAULT_DIR_MODE, Slot([0; 16])))
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
		Ok(self.load_dir(path, false).await?.3)
	}

	/// Applies `change` to the newest version of directory `path` and publishes the result,
	/// again on top of any other writer's version that wins meanwhile. Returns what `change`
	/// returned on the version that won.
	async fn change_dir<R>(&self, path: &BlockPath, mut change: impl FnMut(&mut Directory) -> Result<R, TreeError>) -> Result<R, TreeError> {
		for _ in 0..MAX_CONFLICT_RETRIES {
			let (stored, old, version, dir) = self.load_dir(path, true).await?;
			let mut dir = (*dir).clone();
			let result = change(&mut dir)?;
			let version = next_version(old.map(|o| (o, version)))?;
			let block = match self.store.publish(&stored, version, dir.to_plaintext(), dir.readers(), SEQUENTIAL_SECTOR_SIZE).await {
				Ok(block) => block,
				Err(TreeError::Stale(why)) => {
					log::info!(target: "blocktree::tree", "{path}: another writer took the version first ({why}); applying the change on theirs");
					continue
				},
				Err(e) => return Err(e),
			};
			let newest = self.store.latest(&stored).await?;
			if newest.map(|n| n.0) == Some(block) {
				self.dirs
					.lock()
					.expect("no panics under the lock; qed")
					.insert(path.clone(), CachedDir { stored, block: Some(block), version, dir: Arc::new(dir), checked: Instant::now() });
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
		if self.remove_later.load(std::sync::atomic::Ordering::Relaxed) {
			self.obsolete.lock().expect("no panics under the lock; qed").extend(older);
		} else {
			self.remove_blocks(older).await;
		}
	}

	/// Removes every block marked obsolete (at the end of a command, at unmount), but those
	/// still being read.
	pub async fn remove_retired(&self) {
		let mut all: Vec<H256> = std::mem::take(&mut *self.retired.lock().expect("no panics under the lock; qed")).into_values().flatten().collect();
		all.append(&mut self.deferred.lock().expect("no panics under the lock; qed"));
		all.append(&mut self.obsolete.lock().expect("no panics under the lock; qed"));
		self.remove_blocks(all).await;
	}

	/// From now on, blocks a change makes removable are left for [`Tree::remove_obsolete`]
	/// (which the mount runs in the background) instead of being removed before the change
	/// returns: a write then waits for its own blocks only, not for removal transactions.
	pub fn remove_in_background(&self) {
		self.remove_later.store(true, std::sync::atomic::Ordering::Relaxed);
	}

	/// Removes the blocks changes made removable since the last call (see
	/// [`Tree::remove_in_background`]).
	pub async fn remove_obsolete(&self) {
		let obsolete = std::mem::take(&mut *self.obsolete.lock().expect("no panics under the lock; qed"));
		self.remove_blocks(obsolete).await;
	}

	/// Removes `blocks` (and their parts), several at a time: the node signs their removals
	/// with consecutive nonces, so they land in the same chain block or two.
	async fn remove_blocks(&self, blocks: Vec<H256>) {
		use futures::StreamExt;
		futures::stream::iter(blocks).for_each_concurrent(REMOVALS_IN_FLIGHT, |block| self.remove_file_blocks(block)).await;
	}

	/// Keeps file block `block` (a file version an open handle reads) from being removed
	/// until [`Tree::unpin`]: a reader that opened a version reads it to the end, however
	/// often the file is rewritten meanwhile.
	pub fn pin(&self, block: H256) {
		*self.pinned.lock().expect("no panics under the lock; qed").entry(block).or_default() += 1;
	}

	/// Ends one [`Tree::pin`] of `block`; the last one removes it if it became obsolete
	/// meanwhile.
	pub async fn unpin(&self, block: H256) {
		let last = {
			let mut pinned = self.pinned.lock().expect("no panics under the lock; qed");
			match pinned.get_mut(&block) {
				Some(n) if *n > 1 => {
					*n -= 1;
					false
				},
				Some(_) => pinned.remove(&block).is_some(),
				None => false,
			}
		};
		let waiting = last && {
			let mut deferred = self.deferred.lock().expect("no panics under the lock; qed");
			let before = deferred.len();
			deferred.retain(|b| *b != block);
			deferred.len() != before
		};
		if waiting {
			self.remove_file_blocks(block).await;
		}
	}

	/// Removes `block` and, if it is a manifest, its parts (later if it is pinned). Failures
	/// are logged: a block left behind costs its deposit until removed, and loses nothing.
	async fn remove_file_blocks(&self, block: H256) {
		if self.pinned.lock().expect("no panics under the lock; qed").contains_key(&block) {
			self.deferred.lock().expect("no panics under the lock; qed").push(block);
			return
		}
		if let Ok(layout) = self.layout(block).await {
			if let Layout::Parts(parts) = &*layout {
				use futures::StreamExt;
				futures::stream::iter(parts)
					.for_each_concurrent(REMOVALS_IN_FLIGHT, |part| async move {
						if let Err(e) = self.store.remove(part.block).await {
							log::warn!(target: "blocktree::tree", "could not remove part block {:?}: {e}", part.block);
						}
					})
					.await;
			}
		}
		if let Err(e) = self.store.remove(block).await {
			log::warn!(target: "blocktree::tree", "could not remove block {block:?}: {e}");
		}
		self.layouts.lock().expect("no panics under the lock; qed").remove(&block);
	}

	/// Publishes `plaintext()` as the next version at `path`, sealed for `readers`: the
	/// version after the newest the chain has, and the one after that if another writer takes
	/// it first. Returns the block and its version.
	async fn publish_next(
		&self,
		path: &BlockPath,
		readers: &[PrincipalId],
		sector_size: u32,
		plaintext: impl Fn() -> Result<Vec<u8>, TreeError>,
	) -> Result<(H256, u64), TreeError> {
		for _ in 0..MAX_CONFLICT_RETRIES {
			let version = next_version(self.store.latest(path).await?)?;
			match self.store.publish(path, version, plaintext()?, readers, sector_size).await {
				Err(TreeError::Stale(_)) => continue,
				published => return published.map(|block| (block, version)),
			}
		}
		Err(TreeError::Unavailable(format!("{path} keeps changing under other writers: try again")))
	}

	/// Creates directory `path` (its parent must exist), shared with whom its parent is.
	pub async fn mkdir(&self, path: &BlockPath, mode: u16) -> Result<Entry, TreeError> {
		let (parent, name) = split(path)?;
		Self::child(&parent, &name)?;
		let _changing = self.changing.lock().await;
		let siblings = self.list_dir(&parent).await?;
		if siblings.get(&name).is_some() {
			return Err(TreeError::Exists(format!("{path} exists")))
		}
		// The (empty) listing first, then the parent's entry: a listed directory always has one.
		let listing = Directory::shared_with(siblings.readers());
		let slot = Slot::random();
		let stored = Self::child_stored(&self.stored(&parent).await?, slot)?;
		let (block, _) = self.publish_next(&stored, listing.readers(), SEQUENTIAL_SECTOR_SIZE, || Ok(listing.to_plaintext())).await?;
		let entry = Entry::directory(&name, now_ms(), mode, slot);
		let added = self
			.change_dir(&parent, |dir| {
				if dir.get(&name).is_some() {
					return Err(TreeError::Exists(format!("{path} exists")))
				}
				dir.insert(entry.clone()).map_err(TreeError::TooBig)
			})
			.await;
		if let Err(e) = added {
			if surely_failed(&e) {
				let _ = self.store.remove(block).await;
			}
			return Err(e)
		}
		self.invalidate(path);
		Ok(entry)
	}

	/// Stores `len` bytes of `source` as the new version of file `path` (created if absent,
	/// its parent must exist) and lists it in its directory. `mode` and `mtime_ms` default
	/// to the old entry's mode (or 0o644) and now; the sector size is the old entry's (or
	/// sequential).
	pub async fn write_file(&self, path: &BlockPath, source: &std::fs::File, len: u64, mode: Option<u16>, mtime_ms: Option<u64>) -> Result<Entry, TreeError> {
		self.write_file_sized(path, source, len, mode, mtime_ms, None).await
	}

	/// [`Tree::write_file`] with the sector size chosen: `Some` for how the file was written
	/// (see [`crate::dir_format::RANDOM_SECTOR_SIZE`]), `None` to keep the old entry's.
	pub async fn write_file_sized(
		&self,
		path: &BlockPath,
		source: &std::fs::File,
		len: u64,
		mode: Option<u16>,
		mtime_ms: Option<u64>,
		sector_size: Option<u32>,
	) -> Result<Entry, TreeError> {
		let (parent, name) = split(path)?;
		Self::child(&parent, &name)?;
		let mut siblings = self.list_dir(&parent).await?;
		for _ in 0..MAX_CONFLICT_RETRIES {
			if siblings.get(&name).is_some_and(Entry::is_dir) {
				return Err(TreeError::IsADirectory(format!("{path} is a directory")))
			}
			let readers = siblings.readers().to_vec();
			let slot = siblings.get(&name).map_or_else(Slot::random, |e| e.slot);
			let sector = sector_size.or(siblings.get(&name).map(|e| e.sector_size)).unwrap_or(SEQUENTIAL_SECTOR_SIZE);
			let stored = Self::child_stored(&self.stored(&parent).await?, slot)?;
			let file = self.publish_file(&stored, source, len, &readers, sector).await?;
			let mtime = mtime_ms.unwrap_or_else(now_ms);
			let _changing = self.changing.lock().await;
			let replaced = self
				.change_dir(&parent, |dir| {
					if dir.readers() != readers.as_slice() {
						return Err(TreeError::Stale(format!("{parent} was shared with others meanwhile")))
					}
					let old = dir.get(&name);
					if old.is_some_and(Entry::is_dir) {
						return Err(TreeError::IsADirectory(format!("{path} became a directory meanwhile")))
					}
					let mode = mode.or(old.map(|e| e.mode)).unwrap_or(crate::dir_format::DEFAULT_FILE_MODE);
					// Another writer's new entry of that name may have another slot: no two share one.
					let slot = old.map_or(slot, |e| e.slot);
					if old.is_none() && dir.entries().iter().any(|e| e.slot == slot) {
						return Err(TreeError::Stale(format!("{parent}: slot taken meanwhile")))
					}
					dir.insert(Entry::file(&name, len, mtime, mode, file, slot).with_sector_size(sector)).map_err(TreeError::TooBig)
				})
				.await;
			let replaced = match replaced {
				Ok(replaced) => replaced,
				Err(e) => {
					if surely_failed(&e) {
						self.remove_file_blocks(file.block).await;
					}
					if matches!(e, TreeError::Stale(_)) {
						// Sealed for readers the directory no longer has: again, for the new ones.
						siblings = self.load_dir(&parent, true).await?.3;
						continue
					}
					return Err(e)
				},
			};
			if let Some(old) = replaced.and_then(|e| e.file).filter(|old| old.block != file.block) {
				self.retire(path, vec![old.block]).await;
			}
			drop(_changing);
			return self.stat(path).await
		}
		Err(TreeError::Unavailable(format!("{parent} keeps changing under other writers: try again")))
	}

	/// Publishes `len` bytes of `source` as the next version at stored path `path`, sealed for
	/// `readers`: one data block, or parts (several at a time) and then their manifest.
	async fn publish_file(&self, path: &BlockPath, source: &std::fs::File, len: u64, readers: &[PrincipalId], sector_size: u32) -> Published {
		use futures::{StreamExt, TryStreamExt};
		let parts = len.div_ceil(self.part_size).max(1);
		if parts > file_format::MAX_PARTS {
			return Err(TreeError::TooBig(format!("{len} bytes is more than {} parts of {} bytes", file_format::MAX_PARTS, self.part_size)))
		}
		let read = |offset: u64, len: u64| -> Result<Vec<u8>, TreeError> {
			let mut plaintext = vec![0u8; len as usize + 1];
			plaintext[0] = file_format::DATA;
			source
				.read_exact_at(&mut plaintext[1..], offset)
				.map_err(|e| TreeError::Unavailable(format!("cannot read the data to store at byte {offset}: {e}")))?;
			Ok(plaintext)
		};
		if parts == 1 {
			let (block, version) = self.publish_next(path, readers, sector_size, || read(0, len)).await?;
			self.remember_layout(block, Layout::Single(block));
			return Ok(FileVersion { block, version })
		}
		let lengths: Vec<u64> = (0..parts).map(|i| self.part_size.min(len - i * self.part_size)).collect();
		for _ in 0..MAX_CONFLICT_RETRIES {
			let version = next_version(self.store.latest(path).await?)?;
			let blocks: Vec<H256> = futures::stream::iter(lengths.iter().enumerate())
				.map(|(i, part_len)| {
					let read = &read;
					async move {
						let part = file_format::part_path(path, version, i as u64).map_err(TreeError::Invalid)?;
						Ok::<_, TreeError>(self.publish_next(&part, readers, sector_size, || read(i as u64 * self.part_size, *part_len)).await?.0)
					}
				})
				.buffered(IN_FLIGHT)
				.try_collect()
				.await?;
			let parts: Vec<file_format::Part> = blocks.iter().zip(&lengths).map(|(block, len)| file_format::Part { block: *block, len: *len }).collect();
			let manifest = file_format::Manifest { size: len, parts: parts.clone() };
			match self.store.publish(path, version, file_format::manifest_plaintext(&manifest), readers, SEQUENTIAL_SECTOR_SIZE).await {
				Ok(block) => {
					self.remember_layout(block, Layout::Parts(parts));
					return Ok(FileVersion { block, version })
				},
				// Another writer took this version at the path: the parts go, and all again.
				Err(TreeError::Stale(_)) =>
					for block in blocks {
						let _ = self.store.remove(block).await;
					},
				Err(e) => return Err(e),
			}
		}
		Err(TreeError::Unavailable(format!("{path} keeps changing under other writers: try again")))
	}

	fn remember_layout(&self, block: H256, layout: Layout) -> Arc<Layout> {
		let layout = Arc::new(layout);
		let mut layouts = self.layouts.lock().expect("no panics under the lock; qed");
		if layouts.len() >= MAX_LAYOUTS {
			layouts.clear();
		}
		layouts.insert(block, layout.clone());
		layout
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
		Ok(self.remember_layout(block, layout))
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
		let _changing = self.changing.lock().await;
		let entry = self.stat(path).await?;
		match (entry.is_dir(), dir) {
			(true, false) => return Err(TreeError::IsADirectory(format!("{path} is a directory: remove it as one"))),
			(false, true) => return Err(TreeError::NotADirectory(format!("{path} is a file"))),
			(true, true) =>
				if !self.load_dir(path, true).await?.3.is_empty() {
					return Err(TreeError::NotEmpty(format!("{path} is not empty")))
				},
			(false, false) => {},
		}
		let stored = self.stored(path).await?;
		let removed = self
			.change_dir(&parent, |d| d.remove(&name).ok_or_else(|| TreeError::NotFound(format!("{path} was removed meanwhile"))))
			.await?;
		let mut obsolete = Vec::new();
		if let Some(file) = removed.file {
			obsolete.push(file.block);
		} else if let Some((block, _)) = self.store.latest(&stored).await? {
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
		let _changing = self.changing.lock().await;
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
		let _changing = self.changing.lock().await;
		let entry = self.stat(from).await?;
		if entry.is_dir() && to.starts_with(from) {
			return Err(TreeError::Invalid(format!("cannot move {from} into itself ({to})")))
		}
		let to_listing = self.list_dir(&to_parent).await?;
		if self.list_dir(&from_parent).await?.readers() != to_listing.readers() {
			return Err(TreeError::CrossShare(format!(
				"{from_parent} and {to_parent} are shared with different principals: copy {from} (its copy is sealed for the new place's readers) and remove the original"
			)))
		}
		let mut obsolete = Vec::new();
		if let Ok(target) = self.stat(to).await {
			match (entry.is_dir(), target.is_dir()) {
				(false, true) => return Err(TreeError::IsADirectory(format!("{to} is a directory"))),
				(true, false) => return Err(TreeError::NotADirectory(format!("{to} is a file"))),
				(true, true) => {
					let (_, block, _, listing) = self.load_dir(to, true).await?;
					if !listing.is_empty() {
						return Err(TreeError::NotEmpty(format!("{to} is not empty")))
					}
					// The empty directory replaced there: its listing goes.
					obsolete.extend(block);
				},
				(false, false) => {},
			}
		}
		let mut moved = entry.clone();
		moved.name = to_name.clone();
		if from_parent != to_parent {
			// A fresh slot in the new directory (where the directory's listings are published
			// again, and the file's next versions go); a file's current blocks stay where they are.
			moved.slot = Slot::random();
			if entry.is_dir() {
				let target = Self::child_stored(&self.stored(&to_parent).await?, moved.slot)?;
				obsolete.extend(self.copy_listings(from, target).await?);
			}
		}
		let replace = |dir: &mut Directory| -> Result<Option<Entry>, TreeError> {
			if dir.get(&to_name).is_some_and(|t| t.is_dir() != moved.is_dir()) {
				return Err(TreeError::Exists(format!("{to} changed kind meanwhile")))
			}
			if dir.entries().iter().any(|e| e.slot == moved.slot && e.name != to_name && e.name != from_name) {
				return Err(TreeError::Stale(format!("{to_parent}: slot taken meanwhile")))
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
			if let Err(e) = self.change_dir(&from_parent, |dir| Ok(dir.remove(&from_name))).await {
				// Not listed twice: the new place gets back what it had, if nobody changed it since.
				let undone = self
					.change_dir(&to_parent, |dir| {
						if dir.get(&to_name) == Some(&moved) {
							match replaced.clone() {
								Some(old) => dir.insert(old).map(|_| ()).map_err(TreeError::TooBig)?,
								None => drop(dir.remove(&to_name)),
							}
						}
						Ok(())
					})
					.await;
				if let Err(undo) = undone {
					log::warn!(target: "blocktree::tree", "{from} is now listed at {to} too: moving it failed ({e}) and so did undoing ({undo})");
				}
				return Err(e)
			}
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

	/// Shares directory `dir` and everything under it with `reader`: each file is read back
	/// and sealed again for the directory's readers and `reader` (a new version), then each
	/// listing; from then on new entries there inherit the readers. A directory already shared
	/// with `reader` keeps its files as they are. `progress` hears of each file before it is
	/// sealed again. Returns the files and bytes sealed again.
	pub async fn share(&self, dir: &BlockPath, reader: PrincipalId, progress: &(dyn Fn(&BlockPath, u64) + Sync)) -> Result<(u64, u64), TreeError> {
		if !self.stat(dir).await?.is_dir() {
			return Err(TreeError::NotADirectory(format!("{dir} is a file: share the directory that holds it")))
		}
		let _changing = self.changing.lock().await;
		let (mut files, mut bytes) = (0, 0);
		let mut stack = vec![dir.clone()];
		while let Some(path) = stack.pop() {
			let (stored, _, _, listing) = self.load_dir(&path, true).await?;
			for entry in listing.entries().iter().filter(|e| e.is_dir()) {
				stack.push(Self::child(&path, &entry.name)?);
			}
			let mut shared = Directory::shared_with(listing.readers());
			if !shared.add_reader(reader).map_err(TreeError::TooBig)? {
				continue
			}
			let mut resealed = Vec::new();
			for entry in listing.entries().iter().filter(|e| !e.is_dir()) {
				let child = Self::child(&path, &entry.name)?;
				progress(&child, entry.size);
				let local = tempfile::tempfile().map_err(|e| TreeError::Unavailable(format!("cannot make a temporary copy of {child}: {e}")))?;
				self.copy_file_to(entry, &local).await?;
				match self.publish_file(&Self::child_stored(&stored, entry.slot)?, &local, entry.size, shared.readers(), entry.sector_size).await {
					Ok(new) => resealed.push((child, entry.file, new)),
					Err(e) => {
						for (_, _, new) in resealed {
							self.remove_file_blocks(new.block).await;
						}
						return Err(e)
					},
				}
				(files, bytes) = (files + 1, bytes + entry.size);
			}
			let changed = self
				.change_dir(&path, |d| {
					d.add_reader(reader).map_err(TreeError::TooBig)?;
					let (mut kept, mut unused) = (Vec::new(), Vec::new());
					for (child, old, new) in &resealed {
						let name = child.components().last().unwrap_or_default();
						match d.get(name).filter(|e| e.file == *old).cloned() {
							Some(mut e) => {
								e.file = Some(*new);
								d.insert(e).map_err(TreeError::TooBig)?;
								kept.push((child.clone(), old.map(|o| o.block)));
							},
							// Changed meanwhile: that writer's version stays, the copy goes.
							None => unused.push(new.block),
						}
					}
					Ok((kept, unused))
				})
				.await;
			let (kept, unused) = match changed {
				Ok(outcome) => outcome,
				Err(e) => {
					if surely_failed(&e) {
						for (_, _, new) in resealed {
							self.remove_file_blocks(new.block).await;
						}
					}
					return Err(e)
				},
			};
			for block in unused {
				self.remove_file_blocks(block).await;
			}
			for (child, old) in kept {
				self.retire(&child, old.into_iter().collect()).await;
			}
		}
		Ok((files, bytes))
	}

	/// Publishes the listings of directory `from` and every directory below it again below
	/// stored path `to` (each at its slot under its parent's new place); returns the old
	/// listings' blocks.
	async fn copy_listings(&self, from: &BlockPath, to: BlockPath) -> Result<Vec<H256>, TreeError> {
		let mut old_blocks = Vec::new();
		let mut stack = vec![(from.clone(), to)];
		while let Some((dir_path, target)) = stack.pop() {
			let (_, block, _, dir) = self.load_dir(&dir_path, true).await?;
			self.publish_next(&target, dir.readers(), SEQUENTIAL_SECTOR_SIZE, || Ok(dir.to_plaintext())).await?;
			old_blocks.extend(block);
			for entry in dir.entries().iter().filter(|e| e.kind == EntryKind::Directory) {
				stack.push((Self::child(&dir_path, &entry.name)?, Self::child_stored(&target, entry.slot)?));
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
	/// Whom each block was sealed for, besides the writer.
	readers: Mutex<HashMap<H256, Vec<PrincipalId>>>,
	/// Each block's sector size.
	sector_sizes: Mutex<HashMap<H256, u32>>,
}

impl MemStore {
	fn online(&self) -> Result<(), TreeError> {
		if self.offline.load(std::sync::atomic::Ordering::Relaxed) {
			return Err(TreeError::Unavailable("the node is offline".into()))
		}
		Ok(())
	}

	/// Whom block `block` was sealed for, besides the writer (`None`: no such block).
	pub fn readers_of(&self, block: &H256) -> Option<Vec<PrincipalId>> {
		let readers = self.readers.lock().expect("no panics under the lock; qed").get(block).cloned();
		readers.filter(|_| self.blocks.lock().expect("no panics under the lock; qed").contains_key(block))
	}

	/// The sector size block `block` was sealed with.
	pub fn sector_size_of(&self, block: &H256) -> Option<u32> {
		self.sector_sizes.lock().expect("no panics under the lock; qed").get(block).copied()
	}

	/// Every block stored, with its path.
	pub fn blocks(&self) -> Vec<(H256, BlockPath)> {
		self.blocks.lock().expect("no panics under the lock; qed").iter().map(|(id, b)| (*id, b.0.clone())).collect()
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

	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>, readers: &[PrincipalId], sector_size: u32) -> Result<H256, TreeError> {
		self.online()?;
		blocktree_primitives::block::check_block_bounds(sector_size, plaintext.len() as u64).map_err(|e| TreeError::Invalid(e.to_string()))?;
		let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
		let id = <sp_core::Blake2Hasher as sp_core::Hasher>::hash(&codec::Encode::encode(&(path, version, n)));
		let mut blocks = self.blocks.lock().expect("no panics under the lock; qed");
		// The chain's rule: a new version is above every version the writer has at the path.
		if let Some(newest) = blocks.values().filter(|b| &b.0 == path).map(|b| b.1).max().filter(|newest| version <= *newest) {
			return Err(TreeError::Stale(format!("{path} has version {newest} already")))
		}
		blocks.insert(id, (path.clone(), version, Arc::new(plaintext)));
		self.readers.lock().expect("no panics under the lock; qed").insert(id, readers.to_vec());
		self.sector_sizes.lock().expect("no panics under the lock; qed").insert(id, sector_size);
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
