//! `blocktree-fuse`: a principal's tree as an ordinary filesystem ([`fuser`] on `/dev/fuse`).
//!
//! Everything goes through [`blocktree_client::tree::Tree`]: directories and files are sealed
//! and opened here with the principal's keys, and the node (behind
//! [`blocktree_client::tree_rpc::RpcStore`]) sees ciphertext only.
//!
//! - Reads fetch and open only the sectors they touch (the node's sector-range RPC).
//! - Writes go to a private temporary file per open handle (a file opened without
//!   `O_TRUNC` is copied there on its first write) and are published on `fsync`, `flush`
//!   (every `close`) and `release`: a `close` returns once the node stored the blocks and
//!   pushed their fragments. A file created and not yet closed is visible on this mount
//!   only.
//! - Errors map to errnos: `ENOENT`, `EEXIST`, `ENOTEMPTY`, `EACCES` (no write authority or a
//!   read-only mount), `ENOSPC` (the node's contracts have no room), `EIO` with a log line
//!   saying why (the node is gone or served bad data: every call has a timeout, so a dead
//!   node is an error within seconds, never a hang, and the next call connects again).
//! - Attributes and listings are cached for [`ATTR_TTL`] in the kernel and, here, until the
//!   node reports a new version of the listing (`blocktree_subscribeBlocks`; at most
//!   [`WATCHED_DIR_TTL`]), or for [`DIR_TTL`] while the node's reports are not followed: a
//!   change made through another node's mount shows within a block or two.

use std::{
	collections::HashMap,
	ffi::OsStr,
	os::unix::fs::FileExt,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use blocktree_client::{
	dir_format::{Entry, EntryKind, DEFAULT_FILE_MODE},
	tree::{BlockStore, Tree, TreeError},
};
use blocktree_primitives::path::BlockPath;
use fuser::{
	Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner, OpenAccMode, OpenFlags,
	RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite,
	Request, TimeOrNow, WriteFlags,
};

/// Log target of the mount.
pub const LOG_TARGET: &str = "blocktree::fuse";

/// How long the kernel may keep an attribute or a name lookup.
pub const ATTR_TTL: Duration = Duration::from_secs(1);
/// How long a directory listing read from the chain is used without asking again, while the
/// node's change reports are not followed.
pub const DIR_TTL: Duration = Duration::from_secs(2);
/// The same while the node reports every change under the mount (`blocktree_subscribeBlocks`):
/// a reported change drops the listing at once, so this only bounds a missed report.
pub const WATCHED_DIR_TTL: Duration = Duration::from_secs(30);

/// Bytes per block as `stat` counts them.
const BLOCK_SIZE: u32 = 4096;

/// The errno a tree error means; an `EIO` is logged with its reason.
pub fn errno(e: &TreeError) -> Errno {
	match e {
		TreeError::NotFound(_) => Errno::ENOENT,
		TreeError::NotADirectory(_) => Errno::ENOTDIR,
		TreeError::IsADirectory(_) => Errno::EISDIR,
		TreeError::Exists(_) => Errno::EEXIST,
		TreeError::NotEmpty(_) => Errno::ENOTEMPTY,
		TreeError::Invalid(_) => Errno::EINVAL,
		TreeError::Denied(_) => Errno::EACCES,
		TreeError::NoSpace(_) => Errno::ENOSPC,
		TreeError::TooBig(_) => Errno::EFBIG,
		TreeError::CrossShare(_) => Errno::EXDEV,
		TreeError::Unavailable(_) | TreeError::Corrupt(_) | TreeError::Stale(_) => Errno::EIO,
	}
}

/// What a mount needs besides the tree.
#[derive(Clone, Debug)]
pub struct MountOptions {
	/// Refuse every change with `EACCES` (a principal without write authority, or asked).
	pub read_only: bool,
	/// Owner shown for every file.
	pub uid: u32,
	/// Group shown for every file.
	pub gid: u32,
}

/// A write buffer: the handle's version of the file, in a private temporary file.
struct Buffer {
	file: std::fs::File,
	len: u64,
	dirty: bool,
	/// Where the next write lands if the file is written in order.
	next: u64,
	/// Written at an offset other than where the last write ended: a file read at random
	/// too, so stored in small sectors.
	random: bool,
	/// Started empty (created or truncated to 0): if written in order, a sequential file.
	from_empty: bool,
}

impl Buffer {
	/// The sector size its writes call for; `None` keeps the file's.
	fn sector_size(&self) -> Option<u32> {
		use blocktree_client::dir_format::{RANDOM_SECTOR_SIZE, SEQUENTIAL_SECTOR_SIZE};
		match (self.random, self.from_empty) {
			(true, _) => Some(RANDOM_SECTOR_SIZE),
			(false, true) => Some(SEQUENTIAL_SECTOR_SIZE),
			(false, false) => None,
		}
	}
}

/// An open file.
struct Handle {
	path: BlockPath,
	/// The entry when opened (reads of an unchanged handle read this version).
	entry: Option<Entry>,
	/// Set once written or truncated.
	buffer: Option<Buffer>,
	/// Permission bits to publish with (a created file's, or a chmod's while unpublished).
	mode: Option<u16>,
	/// A modification time set while unpublished (`cp -p`, `touch -d` on an open file);
	/// cleared by the next write.
	mtime_ms: Option<u64>,
	/// Unlinked while open: reads and writes go on in the buffer, nothing is published.
	unlinked: bool,
	/// Bytes read ahead for a reader going through the file in order.
	ahead: Option<Ahead>,
	/// The file block this handle reads, kept from removal until release ([`Tree::pin`]).
	pinned: Option<blocktree_primitives::Hash>,
	writable: bool,
}

impl Handle {
	fn new(path: BlockPath, entry: Option<Entry>, mode: Option<u16>, writable: bool) -> Self {
		Handle { path, entry, buffer: None, mode, mtime_ms: None, unlinked: false, ahead: None, pinned: None, writable }
	}
}

/// The most a sequential reader gets read ahead: 4 MiB, what one `blocktree_readSectors` call
/// returns.
const READ_AHEAD: u64 = 4 << 20;

/// File bytes read ahead of a reader.
struct Ahead {
	/// Where `bytes` start in the file.
	offset: u64,
	bytes: Vec<u8>,
	/// Where the reader's next request starts if it reads on in order.
	next: u64,
	/// How much the last fetch asked for.
	window: u64,
}

impl Ahead {
	/// File bytes `from .. to` if they are all here.
	fn take(&mut self, from: u64, to: u64) -> Option<Vec<u8>> {
		let have = self.offset..self.offset + self.bytes.len() as u64;
		if from < have.start || to > have.end || from > to {
			return None
		}
		self.next = to;
		Some(self.bytes[(from - self.offset) as usize..(to - self.offset) as usize].to_vec())
	}
}

/// Inode numbers for paths (1 is the mount's root), kept for the mount's life.
#[derive(Default)]
struct Inodes {
	paths: HashMap<u64, BlockPath>,
	numbers: std::collections::BTreeMap<BlockPath, u64>,
	next: u64,
}

impl Inodes {
	fn number(&mut self, path: &BlockPath) -> u64 {
		if let Some(n) = self.numbers.get(path) {
			return *n
		}
		self.next += 1;
		self.paths.insert(self.next, path.clone());
		self.numbers.insert(path.clone(), self.next);
		self.next
	}

	/// After a rename: `from` and everything below it now live under `to`.
	fn moved(&mut self, from: &BlockPath, to: &BlockPath) {
		let moved: Vec<(BlockPath, u64)> = self.numbers.iter().filter(|(p, _)| p.starts_with(from)).map(|(p, n)| (p.clone(), *n)).collect();
		// Whatever was at the target is gone (replaced).
		let replaced: Vec<BlockPath> = self.numbers.keys().filter(|p| p.starts_with(to)).cloned().collect();
		for p in replaced {
			if let Some(n) = self.numbers.remove(&p) {
				self.paths.remove(&n);
			}
		}
		for (old, n) in moved {
			self.numbers.remove(&old);
			let mut components: Vec<Vec<u8>> = to.components().map(|c| c.as_bytes().to_vec()).collect();
			components.extend(old.components().skip(from.depth()).map(|c| c.as_bytes().to_vec()));
			if let Ok(new) = BlockPath::from_components(components) {
				self.paths.insert(n, new.clone());
				self.numbers.insert(new, n);
			} else {
				self.paths.remove(&n);
			}
		}
	}
}

/// The filesystem: a [`Tree`] over any [`BlockStore`] (the node's RPC, or memory in tests).
pub struct BlocktreeFs<S: BlockStore> {
	rt: tokio::runtime::Runtime,
	tree: Arc<Tree<S>>,
	options: MountOptions,
	inodes: Mutex<Inodes>,
	handles: Mutex<HashMap<u64, Arc<Mutex<Handle>>>>,
	next_handle: AtomicU64,
}

fn time_of(ms: u64) -> SystemTime {
	UNIX_EPOCH + Duration::from_millis(ms)
}

fn ms_of(t: SystemTime) -> u64 {
	t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn now_ms() -> u64 {
	ms_of(SystemTime::now())
}

impl<S: BlockStore + 'static> BlocktreeFs<S> {
	/// A filesystem over `tree`.
	pub fn new(tree: Tree<S>, options: MountOptions) -> std::io::Result<Self> {
		let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().thread_name("blocktree-fuse").build()?;
		let mut inodes = Inodes { next: 1, ..Default::default() };
		inodes.paths.insert(1, tree.root().clone());
		inodes.numbers.insert(tree.root().clone(), 1);
		Ok(BlocktreeFs { rt, tree: Arc::new(tree), options, inodes: Mutex::new(inodes), handles: Default::default(), next_handle: AtomicU64::new(1) })
	}

	/// Whether the node answers and the mount's root is a directory.
	pub fn check(&self) -> Result<(), TreeError> {
		self.rt.block_on(self.tree.list_dir(self.tree.root())).map(|_| ())
	}

	/// The tree underneath.
	pub fn tree(&self) -> Arc<Tree<S>> {
		self.tree.clone()
	}

	/// Runs `work` (a watcher of the node's change reports) on the mount's runtime for as long
	/// as the mount lives.
	pub fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
		self.rt.spawn(work);
	}

	fn path(&self, ino: INodeNo) -> Result<BlockPath, Errno> {
		self.inodes.lock().expect("no panics under the lock; qed").paths.get(&ino.0).cloned().ok_or(Errno::ENOENT)
	}

	fn child(&self, parent: INodeNo, name: &OsStr) -> Result<BlockPath, Errno> {
		let name = name.to_str().ok_or(Errno::EINVAL)?;
		Tree::<S>::child(&self.path(parent)?, name).map_err(|e| {
			if name.len() > 255 {
				Errno::ENAMETOOLONG
			} else {
				errno(&e)
			}
		})
	}

	fn fail(&self, what: &str, e: TreeError) -> Errno {
		let code = errno(&e);
		if code == Errno::EIO {
			log::warn!(target: LOG_TARGET, "{what}: {e}");
		} else {
			log::debug!(target: LOG_TARGET, "{what}: {e}");
		}
		code
	}

	fn attr(&self, path: &BlockPath, entry: &Entry) -> FileAttr {
		let ino = self.inodes.lock().expect("no panics under the lock; qed").number(path);
		let time = time_of(entry.mtime_ms);
		let (kind, nlink) = match entry.kind {
			EntryKind::File => (FileType::RegularFile, 1),
			EntryKind::Directory => (FileType::Directory, 2),
		};
		FileAttr {
			ino: INodeNo(ino),
			size: entry.size,
			blocks: entry.size.div_ceil(512),
			atime: time,
			mtime: time,
			ctime: time,
			crtime: time,
			kind,
			perm: entry.mode,
			nlink,
			uid: self.options.uid,
			gid: self.options.gid,
			rdev: 0,
			blksize: BLOCK_SIZE,
			flags: 0,
		}
	}

	/// The entry at `path` as this mount sees it: an open handle's unpublished changes
	/// (size, a file not yet closed) over the tree's.
	fn stat(&self, path: &BlockPath) -> Result<Entry, TreeError> {
		let open = self.open_version(path);
		if let Some(entry) = open {
			return Ok(entry)
		}
		self.rt.block_on(self.tree.stat(path))
	}

	/// What an open handle at `path` holds that the tree does not have yet.
	fn open_version(&self, path: &BlockPath) -> Option<Entry> {
		let handles: Vec<Arc<Mutex<Handle>>> = self.handles.lock().expect("no panics under the lock; qed").values().cloned().collect();
		for handle in handles {
			let Ok(h) = handle.try_lock() else { continue };
			if &h.path != path || h.unlinked {
				continue
			}
			if let Some(buffer) = h.buffer.as_ref().filter(|b| b.dirty) {
				let name = path.components().last().unwrap_or_default();
				let mut entry = h.entry.clone().unwrap_or_else(|| {
					let slot = blocktree_client::dir_format::Slot([0; 16]);
					Entry { name: name.into(), kind: EntryKind::File, size: 0, mtime_ms: now_ms(), mode: DEFAULT_FILE_MODE, file: None, slot, sector_size: blocktree_client::dir_format::SEQUENTIAL_SECTOR_SIZE }
				});
				entry.size = buffer.len;
				entry.mode = h.mode.unwrap_or(entry.mode);
				entry.mtime_ms = h.mtime_ms.unwrap_or(entry.mtime_ms);
				return Some(entry)
			}
		}
		None
	}

	fn handle(&self, fh: FileHandle) -> Result<Arc<Mutex<Handle>>, Errno> {
		self.handles.lock().expect("no panics under the lock; qed").get(&fh.0).cloned().ok_or(Errno::EBADF)
	}

	fn new_handle(&self, mut handle: Handle) -> FileHandle {
		handle.pinned = handle.entry.as_ref().and_then(|e| e.file).map(|f| f.block);
		if let Some(block) = handle.pinned {
			self.tree.pin(block);
		}
		let fh = self.next_handle.fetch_add(1, Ordering::Relaxed);
		self.handles.lock().expect("no panics under the lock; qed").insert(fh, Arc::new(Mutex::new(handle)));
		FileHandle(fh)
	}

	/// Gives `handle` a write buffer holding the file's current bytes (none if `empty`).
	fn buffer(&self, handle: &mut Handle, empty: bool) -> Result<(), TreeError> {
		if handle.buffer.is_some() {
			return Ok(())
		}
		let file = tempfile::tempfile().map_err(|e| TreeError::Unavailable(format!("cannot create a write buffer: {e}")))?;
		let mut len = 0;
		if let (false, Some(entry)) = (empty, handle.entry.as_ref()) {
			self.rt.block_on(self.tree.copy_file_to(entry, &file))?;
			len = entry.size;
		}
		handle.buffer = Some(Buffer { file, len, dirty: empty, next: len, random: false, from_empty: len == 0 });
		Ok(())
	}

	/// Publishes `handle`'s buffer if it has unpublished changes.
	fn publish(&self, handle: &mut Handle) -> Result<(), TreeError> {
		if handle.unlinked {
			return Ok(())
		}
		let Some(buffer) = handle.buffer.as_mut().filter(|b| b.dirty) else { return Ok(()) };
		let sector_size = buffer.sector_size();
		let entry = self.rt.block_on(self.tree.write_file_sized(&handle.path, &buffer.file, buffer.len, handle.mode, handle.mtime_ms, sector_size))?;
		buffer.dirty = false;
		handle.entry = Some(entry);
		Ok(())
	}

	/// The open handles at `path` or below it.
	fn handles_under(&self, path: &BlockPath) -> Vec<Arc<Mutex<Handle>>> {
		let handles: Vec<Arc<Mutex<Handle>>> = self.handles.lock().expect("no panics under the lock; qed").values().cloned().collect();
		handles.into_iter().filter(|h| h.lock().expect("no panics under the lock; qed").path.starts_with(path)).collect()
	}

	/// Publishes what open handles at `path` or below it have not: before a rename or an
	/// unlink, so that the tree has what this mount shows.
	fn settle(&self, path: &BlockPath) -> Result<(), TreeError> {
		for handle in self.handles_under(path) {
			self.publish(&mut handle.lock().expect("no panics under the lock; qed"))?;
		}
		Ok(())
	}

	fn writable(&self) -> Result<(), Errno> {
		if self.options.read_only {
			return Err(Errno::EACCES)
		}
		Ok(())
	}

	/// Removes what was made obsolete (at unmount).
	pub fn finish(&self) {
		let handles: Vec<Arc<Mutex<Handle>>> = self.handles.lock().expect("no panics under the lock; qed").drain().map(|(_, h)| h).collect();
		for handle in handles {
			let mut h = handle.lock().expect("no panics under the lock; qed");
			if let Err(e) = self.publish(&mut h) {
				log::error!(target: LOG_TARGET, "{}: unmounted with changes the node did not take: {e}", h.path);
			}
			if let Some(block) = h.pinned.take() {
				self.rt.block_on(self.tree.unpin(block));
			}
		}
		self.rt.block_on(self.tree.remove_retired());
	}
}

impl<S: BlockStore + 'static> Filesystem for BlocktreeFs<S> {
	fn init(&mut self, _req: &Request, config: &mut fuser::KernelConfig) -> std::io::Result<()> {
		// O_TRUNC arrives with open (one publish on close, not an extra empty version first);
		// writes of up to 1 MiB at a time.
		if let Err(missing) = config.add_capabilities(fuser::InitFlags::FUSE_ATOMIC_O_TRUNC | fuser::InitFlags::FUSE_BIG_WRITES) {
			log::warn!(target: LOG_TARGET, "the kernel does not offer {missing:?}: truncating opens publish an empty version first");
		}
		if let Err(max) = config.set_max_write(1 << 20) {
			log::info!(target: LOG_TARGET, "writes arrive {max} bytes at a time at most");
		}
		Ok(())
	}

	fn destroy(&mut self) {
		self.finish();
	}

	fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
		let path = match self.child(parent, name) {
			Ok(p) => p,
			Err(e) => return reply.error(e),
		};
		match self.stat(&path) {
			Ok(entry) => reply.entry(&ATTR_TTL, &self.attr(&path, &entry), Generation(0)),
			Err(e) => reply.error(self.fail("lookup", e)),
		}
	}

	fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
		let result = self.path(ino).and_then(|path| self.stat(&path).map(|e| (path, e)).map_err(|e| self.fail("getattr", e)));
		match result {
			Ok((path, entry)) => reply.attr(&ATTR_TTL, &self.attr(&path, &entry)),
			Err(e) => reply.error(e),
		}
	}

	fn setattr(
		&self,
		_req: &Request,
		ino: INodeNo,
		mode: Option<u32>,
		_uid: Option<u32>,
		_gid: Option<u32>,
		size: Option<u64>,
		_atime: Option<TimeOrNow>,
		mtime: Option<TimeOrNow>,
		_ctime: Option<SystemTime>,
		fh: Option<FileHandle>,
		_crtime: Option<SystemTime>,
		_chgtime: Option<SystemTime>,
		_bkuptime: Option<SystemTime>,
		_flags: Option<fuser::BsdFileFlags>,
		reply: ReplyAttr,
	) {
		let result = (|| -> Result<(BlockPath, Entry), Errno> {
			let path = self.path(ino)?;
			if mode.is_none() && size.is_none() && mtime.is_none() {
				let entry = self.stat(&path).map_err(|e| self.fail("setattr", e))?;
				return Ok((path, entry))
			}
			self.writable()?;
			if let Some(size) = size {
				// A truncate: through the open handle if there is one, else a handle of its own.
				let (handle, own) = match fh.map(|fh| self.handle(fh)) {
					Some(Ok(h)) => (h, false),
					_ => {
						let entry = self.rt.block_on(self.tree.stat(&path)).map_err(|e| self.fail("truncate", e))?;
						if entry.is_dir() {
							return Err(Errno::EISDIR)
						}
						(Arc::new(Mutex::new(Handle::new(path.clone(), Some(entry), None, true))), true)
					},
				};
				let mut h = handle.lock().expect("no panics under the lock; qed");
				self.buffer(&mut h, size == 0).map_err(|e| self.fail("truncate", e))?;
				let buffer = h.buffer.as_mut().expect("just made; qed");
				buffer.file.set_len(size).map_err(|_| Errno::EIO)?;
				buffer.len = size;
				buffer.dirty = true;
				buffer.next = buffer.next.min(size);
				if size == 0 {
					(buffer.random, buffer.from_empty) = (false, true);
				}
				if own {
					self.publish(&mut h).map_err(|e| self.fail("truncate", e))?;
				}
			}
			let mtime_ms = mtime.map(|t| match t {
				TimeOrNow::SpecificTime(t) => ms_of(t),
				TimeOrNow::Now => now_ms(),
			});
			let mode = mode.map(|m| (m & 0o7777) as u16);
			let entry = if (mode.is_some() || mtime_ms.is_some()) && self.open_version(&path).is_none() {
				self.rt.block_on(self.tree.set_attr(&path, mode, mtime_ms)).map_err(|e| self.fail("setattr", e))?
			} else {
				// Unpublished changes are open: the mode and time go with them when published.
				for handle in self.handles_under(&path) {
					let mut h = handle.lock().expect("no panics under the lock; qed");
					if h.path == path {
						h.mode = mode.or(h.mode);
						h.mtime_ms = mtime_ms.or(h.mtime_ms);
					}
				}
				self.stat(&path).map_err(|e| self.fail("setattr", e))?
			};
			Ok((path, entry))
		})();
		match result {
			Ok((path, entry)) => reply.attr(&ATTR_TTL, &self.attr(&path, &entry)),
			Err(e) => reply.error(e),
		}
	}

	fn mkdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, mode: u32, umask: u32, reply: ReplyEntry) {
		let result = self.writable().and_then(|_| self.child(parent, name)).and_then(|path| {
			let mode = (mode & !umask & 0o7777) as u16;
			self.rt.block_on(self.tree.mkdir(&path, mode)).map(|e| (path, e)).map_err(|e| self.fail("mkdir", e))
		});
		match result {
			Ok((path, entry)) => reply.entry(&ATTR_TTL, &self.attr(&path, &entry), Generation(0)),
			Err(e) => reply.error(e),
		}
	}

	fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
		self.remove(parent, name, false, reply)
	}

	fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
		self.remove(parent, name, true, reply)
	}

	fn rename(&self, _req: &Request, parent: INodeNo, name: &OsStr, newparent: INodeNo, newname: &OsStr, flags: RenameFlags, reply: ReplyEmpty) {
		let result = (|| -> Result<(), Errno> {
			self.writable()?;
			if flags.bits() != 0 {
				// RENAME_EXCHANGE / RENAME_NOREPLACE: not offered.
				return Err(Errno::EINVAL)
			}
			let (from, to) = (self.child(parent, name)?, self.child(newparent, newname)?);
			self.settle(&from).map_err(|e| self.fail("rename", e))?;
			self.rt.block_on(self.tree.rename(&from, &to)).map_err(|e| self.fail("rename", e))?;
			self.inodes.lock().expect("no panics under the lock; qed").moved(&from, &to);
			for handle in self.handles_under(&from) {
				let mut h = handle.lock().expect("no panics under the lock; qed");
				let mut components: Vec<Vec<u8>> = to.components().map(|c| c.as_bytes().to_vec()).collect();
				components.extend(h.path.components().skip(from.depth()).map(|c| c.as_bytes().to_vec()));
				if let Ok(p) = BlockPath::from_components(components) {
					h.path = p;
				}
			}
			Ok(())
		})();
		match result {
			Ok(()) => reply.ok(),
			Err(e) => reply.error(e),
		}
	}

	fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
		let result = (|| -> Result<FileHandle, Errno> {
			let path = self.path(ino)?;
			let writable = flags.acc_mode() != OpenAccMode::O_RDONLY;
			if writable {
				self.writable()?;
			}
			// The published version (another handle's unpublished changes are its own until
			// published: a second opener reads the file as stored, never a mix of both).
			let entry = match self.rt.block_on(self.tree.stat(&path)) {
				Ok(entry) => Some(entry),
				// Created here and not closed yet: empty as far as the tree knows.
				Err(TreeError::NotFound(_)) if self.open_version(&path).is_some() => None,
				Err(e) => return Err(self.fail("open", e)),
			};
			if entry.as_ref().is_some_and(Entry::is_dir) {
				return Err(Errno::EISDIR)
			}
			let mut handle = Handle::new(path, entry.filter(|e| e.file.is_some()), None, writable);
			if writable && flags.0 & libc_o_trunc() != 0 {
				self.buffer(&mut handle, true).map_err(|e| self.fail("open", e))?;
			}
			Ok(self.new_handle(handle))
		})();
		match result {
			Ok(fh) => reply.opened(fh, FopenFlags::empty()),
			Err(e) => reply.error(e),
		}
	}

	fn create(&self, _req: &Request, parent: INodeNo, name: &OsStr, mode: u32, umask: u32, flags: i32, reply: ReplyCreate) {
		let result = (|| -> Result<(BlockPath, Entry, FileHandle), Errno> {
			self.writable()?;
			let path = self.child(parent, name)?;
			let parent_path = self.path(parent)?;
			let siblings = self.rt.block_on(self.tree.list_dir(&parent_path)).map_err(|e| self.fail("create", e))?;
			let existing = siblings.get(&path.components().last().unwrap_or_default().to_string()).cloned();
			let existing = existing.or_else(|| self.open_version(&path));
			if let Some(existing) = existing {
				// Made meanwhile elsewhere (this mount's kernel thought it absent).
				if flags & libc::O_EXCL != 0 {
					return Err(Errno::EEXIST)
				}
				if existing.is_dir() {
					return Err(Errno::EISDIR)
				}
				// Opened as it is, as open(2) with O_CREAT does for an existing file.
				let mut handle = Handle::new(path.clone(), existing.file.map(|_| existing.clone()), None, true);
				if flags & libc::O_TRUNC != 0 {
					self.buffer(&mut handle, true).map_err(|e| self.fail("create", e))?;
				}
				let fh = self.new_handle(handle);
				return Ok((path, existing, fh))
			}
			let mode = (mode & !umask & 0o7777) as u16;
			let mut handle = Handle::new(path.clone(), None, Some(mode), true);
			// Empty and unpublished until the first close: visible on this mount meanwhile.
			self.buffer(&mut handle, true).map_err(|e| self.fail("create", e))?;
			let fh = self.new_handle(handle);
			let entry = self.open_version(&path).ok_or(Errno::EIO)?;
			Ok((path, entry, fh))
		})();
		match result {
			Ok((path, entry, fh)) => reply.created(&ATTR_TTL, &self.attr(&path, &entry), Generation(0), fh, FopenFlags::empty()),
			Err(e) => reply.error(e),
		}
	}

	fn read(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: u64, size: u32, _flags: OpenFlags, _lock: Option<LockOwner>, reply: ReplyData) {
		let result = (|| -> Result<Vec<u8>, Errno> {
			let handle = self.handle(fh)?;
			let mut h = handle.lock().expect("no panics under the lock; qed");
			if let Some(buffer) = &h.buffer {
				let len = (size as u64).min(buffer.len.saturating_sub(offset)) as usize;
				let mut bytes = vec![0u8; len];
				buffer.file.read_exact_at(&mut bytes, offset).map_err(|_| Errno::EIO)?;
				return Ok(bytes)
			}
			let Some(entry) = h.entry.clone() else { return Ok(Vec::new()) };
			let (size, end) = (size as u64, offset.saturating_add(size as u64).min(entry.size));
			if let Some(bytes) = h.ahead.as_mut().and_then(|a| a.take(offset, end)) {
				return Ok(bytes)
			}
			// A reader going on where it stopped gets twice as much read ahead each time, up
			// to READ_AHEAD: one node request per few MiB, not per kernel request.
			let window = match &h.ahead {
				Some(a) if a.next == offset => (a.window * 2).clamp(size, READ_AHEAD),
				_ if offset == 0 => (size * 2).min(READ_AHEAD),
				_ => size,
			};
			let bytes = self.rt.block_on(self.tree.read_file(&entry, offset, window.max(size))).map_err(|e| self.fail("read", e))?;
			let mut ahead = Ahead { offset, bytes, next: offset, window };
			let served = ahead.take(offset, end).unwrap_or_default();
			h.ahead = Some(ahead);
			Ok(served)
		})();
		match result {
			Ok(bytes) => reply.data(&bytes),
			Err(e) => reply.error(e),
		}
	}

	fn write(
		&self,
		_req: &Request,
		_ino: INodeNo,
		fh: FileHandle,
		offset: u64,
		data: &[u8],
		_write_flags: WriteFlags,
		_flags: OpenFlags,
		_lock: Option<LockOwner>,
		reply: ReplyWrite,
	) {
		let result = (|| -> Result<u32, Errno> {
			let handle = self.handle(fh)?;
			let mut h = handle.lock().expect("no panics under the lock; qed");
			if !h.writable {
				return Err(Errno::EBADF)
			}
			self.buffer(&mut h, false).map_err(|e| self.fail("write", e))?;
			let buffer = h.buffer.as_mut().expect("just made; qed");
			let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
			buffer.file.write_all_at(data, offset).map_err(|_| Errno::ENOSPC)?;
			buffer.random |= offset != buffer.next;
			buffer.next = end;
			buffer.len = buffer.len.max(end);
			buffer.dirty = true;
			h.mtime_ms = None;
			Ok(data.len() as u32)
		})();
		match result {
			Ok(n) => reply.written(n),
			Err(e) => reply.error(e),
		}
	}

	fn flush(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _lock: LockOwner, reply: ReplyEmpty) {
		self.sync(fh, "close", reply)
	}

	fn fsync(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
		self.sync(fh, "fsync", reply)
	}

	fn release(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _flags: OpenFlags, _lock: Option<LockOwner>, _flush: bool, reply: ReplyEmpty) {
		let handle = self.handles.lock().expect("no panics under the lock; qed").remove(&fh.0);
		let result = match handle {
			Some(handle) => {
				let mut h = handle.lock().expect("no panics under the lock; qed");
				let published = self.publish(&mut h).map_err(|e| self.fail("release", e));
				if let Some(block) = h.pinned.take() {
					self.rt.block_on(self.tree.unpin(block));
				}
				published
			},
			None => Err(Errno::EBADF),
		};
		match result {
			Ok(()) => reply.ok(),
			Err(e) => reply.error(e),
		}
	}

	fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
		let result = (|| -> Result<Vec<(u64, FileType, String)>, Errno> {
			let path = self.path(ino)?;
			let dir = self.rt.block_on(self.tree.list_dir(&path)).map_err(|e| self.fail("readdir", e))?;
			let mut names = vec![(ino.0, FileType::Directory, ".".to_string()), (ino.0, FileType::Directory, "..".to_string())];
			let mut inodes = self.inodes.lock().expect("no panics under the lock; qed");
			for entry in dir.entries() {
				let child = Tree::<S>::child(&path, &entry.name).map_err(|e| self.fail("readdir", e))?;
				let kind = if entry.is_dir() { FileType::Directory } else { FileType::RegularFile };
				names.push((inodes.number(&child), kind, entry.name.clone()));
			}
			drop(inodes);
			// Files created here and not closed yet.
			for handle in self.handles.lock().expect("no panics under the lock; qed").values() {
				if let Ok(h) = handle.try_lock() {
					let name = h.path.components().last().unwrap_or_default().to_string();
					let in_dir = tree_parent(&h.path).as_ref() == Some(&path);
					if in_dir && h.entry.is_none() && !names.iter().any(|(_, _, n)| n == &name) {
						let number = self.inodes.lock().expect("no panics under the lock; qed").number(&h.path);
						names.push((number, FileType::RegularFile, name));
					}
				}
			}
			Ok(names)
		})();
		match result {
			Ok(names) => {
				for (i, (ino, kind, name)) in names.into_iter().enumerate().skip(offset as usize) {
					if reply.add(INodeNo(ino), i as u64 + 1, kind, name) {
						break
					}
				}
				reply.ok()
			},
			Err(e) => reply.error(e),
		}
	}

	fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
		// The room is the node's contracts', which change on chain: report a large, honest-
		// looking capacity; a write beyond the real room fails with ENOSPC.
		let blocks = 1u64 << 32;
		reply.statfs(blocks, blocks, blocks, 1 << 32, 1 << 32, BLOCK_SIZE, 255, BLOCK_SIZE)
	}
}

impl<S: BlockStore + 'static> BlocktreeFs<S> {
	/// `unlink` (`dir` false) or `rmdir`.
	fn remove(&self, parent: INodeNo, name: &OsStr, dir: bool, reply: ReplyEmpty) {
		let what = if dir { "rmdir" } else { "unlink" };
		let result = self.writable().and_then(|_| self.child(parent, name)).and_then(|path| {
			let open: Vec<_> = if dir { Vec::new() } else { self.handles_under(&path) };
			let open: Vec<_> = open.into_iter().filter(|h| h.lock().expect("no panics under the lock; qed").path == path).collect();
			match self.rt.block_on(self.tree.remove(&path, dir)) {
				Ok(()) => {},
				// Created here and not closed yet: not in the tree, only in its handles.
				Err(TreeError::NotFound(_)) if !open.is_empty() => {},
				Err(e) => return Err(self.fail(what, e)),
			}
			// Still open: readable and writable through its handles, never published again.
			for handle in open {
				handle.lock().expect("no panics under the lock; qed").unlinked = true;
			}
			Ok(())
		});
		match result {
			Ok(()) => reply.ok(),
			Err(e) => reply.error(e),
		}
	}

	fn sync(&self, fh: FileHandle, what: &str, reply: ReplyEmpty) {
		let result = self.handle(fh).and_then(|handle| {
			let mut h = handle.lock().expect("no panics under the lock; qed");
			self.publish(&mut h).map_err(|e| self.fail(what, e))
		});
		match result {
			Ok(()) => reply.ok(),
			Err(e) => reply.error(e),
		}
	}
}

/// The directory `path` is in, if it is not a root.
fn tree_parent(path: &BlockPath) -> Option<BlockPath> {
	blocktree_client::tree::split(path).ok().map(|(parent, _)| parent)
}

/// `O_TRUNC` on Linux.
const fn libc_o_trunc() -> i32 {
	0o1000
}
