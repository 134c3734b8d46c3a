//! The fragment store: fragments this node holds for others, on disk.
//!
//! - **Crash-safe**: a fragment is written to `tmp/`, fsynced, renamed into place and its
//!   directory fsynced, so after a crash a fragment is either whole or absent. Leftovers in
//!   `tmp/` are removed when the store opens.
//! - **Verified on every read**: each file starts with a header naming the fragment root the
//!   chain recorded; a read recomputes the root over the bytes and returns them only if it
//!   matches. A corrupt fragment is moved to `quarantine/`, forgotten, and reported as
//!   [`StoreError::Corrupt`] so that the worker reports it and the owner repairs it: it is
//!   never returned.
//! - **Quota**: the bytes held never exceed the quota (the capacity the node offers).
//! - **Survives restarts**: the index is rebuilt from the files' headers when the store opens.
//!
//! Layout: `<dir>/<first two hex digits of the block id>/<block id hex>.<fragment index>`.

use std::{
	collections::{BTreeMap, HashMap, HashSet, VecDeque},
	fmt, fs,
	io::{self, Read, Seek, SeekFrom, Write},
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use blocktree_primitives::{
	merkle::{self, MerkleProof},
	storage::{chunks, DataBlockId, PROOF_CHUNK_SIZE},
	Hash,
};

/// Magic at the start of every fragment file (format version 1).
const MAGIC: &[u8; 8] = b"BTFRAG1\0";
/// Header: magic, fragment root, fragment length (little endian).
const HEADER_LEN: usize = 8 + 32 + 8;
/// The largest fragment the chain can record: a 64 MiB block over `k = 2`.
pub const MAX_FRAGMENT_SIZE: u64 = 32 << 20;
/// Bytes of verified chunk hashes kept, so that a read of part of a fragment hashes only the
/// chunks it returns (16 MiB of hashes cover 512 MiB of fragments).
const LEAF_CACHE_BYTES: usize = 16 << 20;

/// One fragment of one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FragmentKey {
	/// The block (its id on chain).
	pub block: DataBlockId,
	/// The fragment's index among the block's `n`.
	pub index: u8,
}

impl fmt::Display for FragmentKey {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		write!(f, "fragment {} of block {:?}", self.index, self.block)
	}
}

/// What the store knows of a fragment it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredFragment {
	/// The root the chain recorded for it.
	pub root: Hash,
	/// Its length in bytes.
	pub len: u64,
}

/// How a [`FragmentStore::put`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
	/// The fragment was written.
	Stored,
	/// The same fragment was already held; nothing was written.
	AlreadyHeld,
}

/// Why a store operation failed; each says what to do.
#[derive(Debug)]
pub enum StoreError {
	/// The disk failed.
	Io { context: String, error: io::Error },
	/// Storing would exceed the quota.
	QuotaExceeded { need: u64, free: u64 },
	/// The bytes do not hash to the root the chain recorded.
	RootMismatch { key: FragmentKey, expected: Hash, found: Hash },
	/// A different fragment is already held under this key.
	Conflict { key: FragmentKey },
	/// The fragment is not held here.
	NotHeld { key: FragmentKey },
	/// The fragment on disk no longer matches its root; it was quarantined and forgotten.
	Corrupt { key: FragmentKey },
	/// The fragment is empty or larger than any the chain records.
	BadSize { len: u64 },
	/// A range or chunk outside the fragment was asked for.
	OutOfRange { key: FragmentKey },
	/// The fragment is being written or removed right now.
	Busy { key: FragmentKey },
}

impl fmt::Display for StoreError {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			StoreError::Io { context, error } =>
				write!(f, "fragment store: {context}: {error} (check the disk and the permissions of the storage directory)"),
			StoreError::QuotaExceeded { need, free } =>
				write!(f, "fragment store is full: {need} bytes needed, {free} free (raise the offered capacity or end contracts)"),
			StoreError::RootMismatch { key, expected, found } =>
				write!(f, "{key}: bytes hash to root {found:?}, the chain recorded {expected:?}: refused"),
			StoreError::Conflict { key } => write!(f, "{key}: a different fragment is already held under this key"),
			StoreError::NotHeld { key } => write!(f, "{key} is not held here"),
			StoreError::Corrupt { key } =>
				write!(f, "{key} is corrupt on disk: quarantined; it must be reported missing and repaired"),
			StoreError::BadSize { len } =>
				write!(f, "a fragment of {len} bytes is refused: fragments are 1..={MAX_FRAGMENT_SIZE} bytes"),
			StoreError::OutOfRange { key } => write!(f, "{key}: the range asked for is outside the fragment"),
			StoreError::Busy { key } => write!(f, "{key} is being written or removed: retry shortly"),
		}
	}
}

impl std::error::Error for StoreError {}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError {
	let context = context.into();
	move |error| StoreError::Io { context, error }
}

/// Verified chunk hashes of recently read fragments, bounded in bytes.
#[derive(Default)]
struct LeafCache {
	order: VecDeque<FragmentKey>,
	entries: HashMap<FragmentKey, Arc<Vec<Hash>>>,
	bytes: usize,
}

impl LeafCache {
	fn insert(&mut self, key: FragmentKey, leaves: Arc<Vec<Hash>>) {
		if let Some(old) = self.entries.insert(key, leaves.clone()) {
			self.bytes -= old.len() * 32;
		} else {
			self.order.push_back(key);
		}
		self.bytes += leaves.len() * 32;
		while self.bytes > LEAF_CACHE_BYTES {
			let Some(old) = self.order.pop_front() else { break };
			if let Some(l) = self.entries.remove(&old) {
				self.bytes -= l.len() * 32;
			}
		}
	}

	fn remove(&mut self, key: &FragmentKey) {
		if let Some(l) = self.entries.remove(key) {
			self.bytes -= l.len() * 32;
			self.order.retain(|k| k != key);
		}
	}
}

struct State {
	index: BTreeMap<FragmentKey, StoredFragment>,
	/// When each fragment was written, or found when the store opened.
	since: HashMap<FragmentKey, Instant>,
	/// Keys being written or removed: no second writer or remover meanwhile.
	busy: HashSet<FragmentKey>,
	leaves: LeafCache,
	/// Bytes held plus bytes being written.
	used: u64,
	quota: u64,
}

/// Fragments on disk, verified against their roots. Cheap to share behind an `Arc`; every
/// method takes `&self`.
pub struct FragmentStore {
	dir: PathBuf,
	state: Mutex<State>,
}

/// The chunk hashes of a fragment: what its root and its chunk proofs are computed from.
fn leaves(fragment: &[u8]) -> Vec<Hash> {
	chunks(fragment).into_iter().map(merkle::leaf_hash).collect()
}

fn parse_file_name(name: &str) -> Option<FragmentKey> {
	let (hex, index) = name.split_once('.')?;
	if hex.len() != 64 {
		return None
	}
	let mut block = [0u8; 32];
	for (i, byte) in block.iter_mut().enumerate() {
		*byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
	}
	Some(FragmentKey { block: Hash::from(block), index: index.parse().ok()? })
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl FragmentStore {
	/// Opens (creating if needed) the store in `dir` with a quota of `quota` bytes: removes
	/// unfinished writes and rebuilds the index from the fragment files' headers. Files that
	/// are not fragments, or whose header is damaged, are quarantined.
	pub fn open(dir: impl Into<PathBuf>, quota: u64) -> Result<Self, StoreError> {
		let dir = dir.into();
		for sub in ["tmp", "quarantine"] {
			fs::create_dir_all(dir.join(sub)).map_err(io_err(format!("creating {}", dir.join(sub).display())))?;
		}
		for entry in fs::read_dir(dir.join("tmp")).map_err(io_err("listing tmp"))? {
			let path = entry.map_err(io_err("listing tmp"))?.path();
			fs::remove_file(&path).map_err(io_err(format!("removing unfinished write {}", path.display())))?;
		}
		let store = FragmentStore {
			dir: dir.clone(),
			state: Mutex::new(State {
				index: BTreeMap::new(),
				since: HashMap::new(),
				busy: HashSet::new(),
				leaves: LeafCache::default(),
				used: 0,
				quota,
			}),
		};
		let mut index = BTreeMap::new();
		let mut used = 0u64;
		for shard in fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
			let shard = shard.map_err(io_err("listing the store"))?;
			let name = shard.file_name().to_string_lossy().into_owned();
			if name.len() != 2 || !shard.path().is_dir() {
				continue
			}
			for entry in fs::read_dir(shard.path()).map_err(io_err(format!("listing {}", shard.path().display())))? {
				let path = entry.map_err(io_err("listing the store"))?.path();
				let key = path.file_name().and_then(|n| n.to_str()).and_then(parse_file_name);
				match key.map(|key| (key, read_header(&path))) {
					Some((key, Ok(Some(meta)))) => {
						used = used.saturating_add(meta.len);
						index.insert(key, meta);
					},
					// Unreadable (permissions, a disk error): skip it, say so, and start.
					Some((_, Err(e))) => log::warn!(target: "storage", "skipping {}: {e}", path.display()),
					_ => store.quarantine_path(&path)?,
				}
			}
		}
		{
			let mut state = store.state.lock().expect("no panics under the lock; qed");
			let now = Instant::now();
			state.since = index.keys().map(|k| (*k, now)).collect();
			state.index = index;
			state.used = used;
		}
		Ok(store)
	}

	/// The directory the store keeps its files in.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	fn path_of(&self, key: &FragmentKey) -> PathBuf {
		let name = hex(key.block.as_bytes());
		self.dir.join(&name[..2]).join(format!("{name}.{}", key.index))
	}

	fn quarantine_path(&self, path: &Path) -> Result<(), StoreError> {
		let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
		let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
		let target = self.dir.join("quarantine").join(format!("{stamp}-{}-{name}", unique_suffix()));
		log::warn!(target: "storage", "quarantining {} as {}", path.display(), target.display());
		fs::rename(path, &target).map_err(io_err(format!("quarantining {}", path.display())))
	}

	/// Stores `bytes` as fragment `key` if they hash to `root` (the root the chain recorded).
	/// Idempotent: storing a held fragment again does nothing.
	pub fn put(&self, key: FragmentKey, root: Hash, bytes: &[u8]) -> Result<PutOutcome, StoreError> {
		let len = bytes.len() as u64;
		if len == 0 || len > MAX_FRAGMENT_SIZE {
			return Err(StoreError::BadSize { len })
		}
		let found = merkle::root(&leaves(bytes));
		if found != root {
			return Err(StoreError::RootMismatch { key, expected: root, found })
		}
		{
			let mut state = self.state.lock().expect("no panics under the lock; qed");
			if state.busy.contains(&key) {
				return Err(StoreError::Busy { key })
			}
			if let Some(held) = state.index.get(&key) {
				return if held.root == root { Ok(PutOutcome::AlreadyHeld) } else { Err(StoreError::Conflict { key }) }
			}
			let free = state.quota.saturating_sub(state.used);
			if len > free {
				return Err(StoreError::QuotaExceeded { need: len, free })
			}
			state.used += len;
			state.busy.insert(key);
		}
		let written = self.write_file(&key, root, bytes);
		let mut state = self.state.lock().expect("no panics under the lock; qed");
		state.busy.remove(&key);
		match written {
			Ok(()) => {
				state.index.insert(key, StoredFragment { root, len });
				state.since.insert(key, Instant::now());
				state.leaves.remove(&key);
				Ok(PutOutcome::Stored)
			},
			Err(e) => {
				state.used -= len;
				Err(e)
			},
		}
	}

	fn write_file(&self, key: &FragmentKey, root: Hash, bytes: &[u8]) -> Result<(), StoreError> {
		let target = self.path_of(key);
		let shard = target.parent().expect("fragment paths have a shard directory; qed");
		fs::create_dir_all(shard).map_err(io_err(format!("creating {}", shard.display())))?;
		let tmp = self.dir.join("tmp").join(format!(
			"{}.{}.{}",
			hex(key.block.as_bytes()),
			key.index,
			unique_suffix()
		));
		let write = || -> io::Result<()> {
			let mut file = fs::File::create(&tmp)?;
			file.write_all(MAGIC)?;
			file.write_all(root.as_bytes())?;
			file.write_all(&(bytes.len() as u64).to_le_bytes())?;
			file.write_all(bytes)?;
			file.sync_all()?;
			drop(file);
			fs::rename(&tmp, &target)?;
			fs::File::open(shard)?.sync_all()
		};
		write().map_err(|error| {
			let _ = fs::remove_file(&tmp);
			StoreError::Io { context: format!("writing {}", target.display()), error }
		})
	}

	/// Fragment `key`, verified against its root. A corrupt fragment is quarantined and
	/// forgotten, and [`StoreError::Corrupt`] returned.
	pub fn get(&self, key: &FragmentKey) -> Result<Vec<u8>, StoreError> {
		self.get_with_leaves(key).map(|(bytes, _)| bytes)
	}

	fn get_with_leaves(&self, key: &FragmentKey) -> Result<(Vec<u8>, Vec<Hash>), StoreError> {
		let meta = self.meta(key).ok_or(StoreError::NotHeld { key: *key })?;
		let path = self.path_of(key);
		let read = || -> io::Result<Option<Vec<u8>>> {
			let mut file = fs::File::open(&path)?;
			let mut header = [0u8; HEADER_LEN];
			file.read_exact(&mut header)?;
			let mut bytes = Vec::with_capacity(meta.len as usize);
			file.take(meta.len + 1).read_to_end(&mut bytes)?;
			Ok((header[..8] == MAGIC[..] && bytes.len() as u64 == meta.len).then_some(bytes))
		};
		let bytes = match read() {
			Ok(Some(bytes)) => bytes,
			Ok(None) => return Err(self.forget_corrupt(key, &path, meta.root)),
			Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::UnexpectedEof) =>
				return Err(self.forget_corrupt(key, &path, meta.root)),
			Err(error) => return Err(StoreError::Io { context: format!("reading {}", path.display()), error }),
		};
		let leaves = leaves(&bytes);
		if merkle::root(&leaves) != meta.root {
			return Err(self.forget_corrupt(key, &path, meta.root))
		}
		let leaves = Arc::new(leaves);
		let mut state = self.state.lock().expect("no panics under the lock; qed");
		// Only for the fragment still held under this key (not one removed and written anew
		// while this read ran).
		if state.index.get(key).is_some_and(|m| m.root == meta.root) && !state.busy.contains(key) {
			state.leaves.insert(*key, leaves.clone());
		}
		drop(state);
		Ok((bytes, leaves.to_vec()))
	}

	/// The verified chunk hashes of fragment `key`: cached, or computed by reading and
	/// verifying the whole fragment.
	fn verified_leaves(&self, key: &FragmentKey) -> Result<(StoredFragment, Arc<Vec<Hash>>), StoreError> {
		let meta = self.meta(key).ok_or(StoreError::NotHeld { key: *key })?;
		if let Some(leaves) = self.state.lock().expect("no panics under the lock; qed").leaves.entries.get(key).cloned() {
			return Ok((meta, leaves))
		}
		let (_, leaves) = self.get_with_leaves(key)?;
		Ok((meta, Arc::new(leaves)))
	}

	/// Proof chunks `first ..= last` of fragment `key` read from disk, each checked against its
	/// verified hash: what a partial read returns, never unverified.
	fn read_chunks(&self, key: &FragmentKey, meta: &StoredFragment, leaves: &[Hash], first: u64, last: u64) -> Result<Vec<u8>, StoreError> {
		let chunk = PROOF_CHUNK_SIZE as u64;
		let start = first * chunk;
		let end = ((last + 1) * chunk).min(meta.len);
		if start >= end {
			return Err(StoreError::OutOfRange { key: *key })
		}
		let path = self.path_of(key);
		let read = || -> io::Result<Vec<u8>> {
			let mut file = fs::File::open(&path)?;
			file.seek(SeekFrom::Start(HEADER_LEN as u64 + start))?;
			let mut bytes = vec![0u8; (end - start) as usize];
			file.read_exact(&mut bytes)?;
			Ok(bytes)
		};
		let bytes = match read() {
			Ok(bytes) => bytes,
			Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::UnexpectedEof) =>
				return Err(self.forget_corrupt(key, &path, meta.root)),
			Err(error) => return Err(StoreError::Io { context: format!("reading {}", path.display()), error }),
		};
		let intact = bytes
			.chunks(chunk as usize)
			.zip(first..=last)
			.all(|(c, i)| leaves.get(i as usize).is_some_and(|leaf| merkle::leaf_hash(c) == *leaf));
		if !intact {
			return Err(self.forget_corrupt(key, &path, meta.root))
		}
		Ok(bytes)
	}

	/// Quarantines and forgets fragment `key`, found corrupt by a read of the version with
	/// root `root`. If the key now holds another version (removed and written anew meanwhile),
	/// nothing is touched and the read is to be retried.
	fn forget_corrupt(&self, key: &FragmentKey, path: &Path, root: Hash) -> StoreError {
		{
			let mut state = self.state.lock().expect("no panics under the lock; qed");
			if state.busy.contains(key) || state.index.get(key).map(|m| m.root) != Some(root) {
				return StoreError::Busy { key: *key }
			}
			if let Some(meta) = state.index.remove(key) {
				state.used -= meta.len;
			}
			state.since.remove(key);
			state.leaves.remove(key);
			state.busy.insert(*key);
		}
		log::warn!(target: "storage", "{key} failed verification against its root");
		let quarantined = if path.exists() { self.quarantine_path(path) } else { Ok(()) };
		self.state.lock().expect("no panics under the lock; qed").busy.remove(key);
		match quarantined {
			Ok(()) => StoreError::Corrupt { key: *key },
			Err(e) => e,
		}
	}

	/// Whether fragment `key`'s chunk hashes are verified and cached, so that a partial read
	/// costs only the chunks it returns.
	pub fn is_verified(&self, key: &FragmentKey) -> bool {
		self.state.lock().expect("no panics under the lock; qed").leaves.entries.contains_key(key)
	}

	/// Restarts fragment `key`'s grace period (a push of it arrived again).
	pub fn touch(&self, key: &FragmentKey) {
		let mut state = self.state.lock().expect("no panics under the lock; qed");
		if state.index.contains_key(key) {
			state.since.insert(*key, Instant::now());
		}
	}

	/// Whether a file for fragment `key` exists on disk (indexed or not: an unreadable file is
	/// skipped at start but is not lost).
	pub fn on_disk(&self, key: &FragmentKey) -> bool {
		self.path_of(key).exists()
	}

	/// `len` bytes of fragment `key` from `offset` (fewer at its end), and the fragment's
	/// length. The first read of a fragment verifies all of it against its root; later reads
	/// verify the chunks they return against the chunk hashes that check produced.
	pub fn read_range(&self, key: &FragmentKey, offset: u64, len: u64) -> Result<(u64, Vec<u8>), StoreError> {
		let (meta, leaves) = self.verified_leaves(key)?;
		if offset >= meta.len || len == 0 {
			return Err(StoreError::OutOfRange { key: *key })
		}
		let end = offset.saturating_add(len).min(meta.len);
		let chunk = PROOF_CHUNK_SIZE as u64;
		let (first, last) = (offset / chunk, (end - 1) / chunk);
		let bytes = self.read_chunks(key, &meta, &leaves, first, last)?;
		let from = (offset - first * chunk) as usize;
		Ok((meta.len, bytes[from..from + (end - offset) as usize].to_vec()))
	}

	/// Proof chunks `first .. first + count` of fragment `key`, each with its merkle proof
	/// against the fragment root: what a challenge answer or a verified range read needs.
	pub fn prove_chunks(&self, key: &FragmentKey, first: u32, count: u32) -> Result<Vec<(Vec<u8>, MerkleProof)>, StoreError> {
		let (meta, leaves) = self.verified_leaves(key)?;
		let end = first.checked_add(count).filter(|e| count > 0 && *e as usize <= leaves.len());
		let Some(end) = end else { return Err(StoreError::OutOfRange { key: *key }) };
		let bytes = self.read_chunks(key, &meta, &leaves, first as u64, end as u64 - 1)?;
		bytes
			.chunks(PROOF_CHUNK_SIZE as usize)
			.zip(first..end)
			.map(|(chunk, i)| {
				let proof = merkle::prove(&leaves, i as usize).ok_or(StoreError::OutOfRange { key: *key })?;
				Ok((chunk.to_vec(), proof))
			})
			.collect()
	}

	/// How long ago fragment `key` was written (or found when the store opened).
	pub fn age(&self, key: &FragmentKey) -> Option<Duration> {
		self.state.lock().expect("no panics under the lock; qed").since.get(key).map(Instant::elapsed)
	}

	/// The index of a fragment of `block` held here other than `except`, if any.
	pub fn other_fragment_of(&self, block: &DataBlockId, except: u8) -> Option<u8> {
		let state = self.state.lock().expect("no panics under the lock; qed");
		let from = FragmentKey { block: *block, index: 0 };
		let to = FragmentKey { block: *block, index: u8::MAX };
		let found = state.index.range(from..=to).map(|(k, _)| k.index).find(|i| *i != except);
		found.or_else(|| state.busy.iter().filter(|k| k.block == *block && k.index != except).map(|k| k.index).next())
	}

	/// What the store knows of fragment `key`, without reading it.
	pub fn meta(&self, key: &FragmentKey) -> Option<StoredFragment> {
		self.state.lock().expect("no panics under the lock; qed").index.get(key).copied()
	}

	/// Every fragment held.
	pub fn list(&self) -> Vec<(FragmentKey, StoredFragment)> {
		self.state.lock().expect("no panics under the lock; qed").index.iter().map(|(k, m)| (*k, *m)).collect()
	}

	/// Deletes fragment `key`; `false` if it was not held.
	pub fn remove(&self, key: &FragmentKey) -> Result<bool, StoreError> {
		// Forget it first (a reader now finds it not held), then delete the file: a put of the
		// same key meanwhile waits for the removal to finish.
		let meta = {
			let mut state = self.state.lock().expect("no panics under the lock; qed");
			if state.busy.contains(key) {
				return Err(StoreError::Busy { key: *key })
			}
			let Some(meta) = state.index.remove(key) else { return Ok(false) };
			state.since.remove(key);
			state.leaves.remove(key);
			state.busy.insert(*key);
			meta
		};
		let path = self.path_of(key);
		let removed = match fs::remove_file(&path) {
			Ok(()) => Ok(true),
			Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
			Err(error) => Err(StoreError::Io { context: format!("removing {}", path.display()), error }),
		};
		let mut state = self.state.lock().expect("no panics under the lock; qed");
		state.busy.remove(key);
		match removed {
			Ok(_) => state.used -= meta.len,
			// Still on disk: keep it indexed so that the space stays counted.
			Err(_) => {
				state.index.insert(*key, meta);
				state.since.insert(*key, Instant::now());
			},
		}
		removed
	}

	/// Deletes every fragment for which `keep` is false (those the chain no longer has placed
	/// on this node) and returns their keys.
	pub fn retain(&self, mut keep: impl FnMut(&FragmentKey, &StoredFragment) -> bool) -> Result<Vec<FragmentKey>, StoreError> {
		let doomed: Vec<FragmentKey> = self.list().into_iter().filter(|(k, m)| !keep(k, m)).map(|(k, _)| k).collect();
		for key in &doomed {
			self.remove(key)?;
		}
		Ok(doomed)
	}

	/// Bytes held (and being written).
	pub fn used(&self) -> u64 {
		self.state.lock().expect("no panics under the lock; qed").used
	}

	/// The quota in bytes.
	pub fn quota(&self) -> u64 {
		self.state.lock().expect("no panics under the lock; qed").quota
	}

	/// Bytes that can still be stored.
	pub fn free(&self) -> u64 {
		let state = self.state.lock().expect("no panics under the lock; qed");
		state.quota.saturating_sub(state.used)
	}

	/// Changes the quota (when the offered capacity changes). Fragments already held stay.
	pub fn set_quota(&self, quota: u64) {
		self.state.lock().expect("no panics under the lock; qed").quota = quota;
	}
}

/// The header of a fragment file: `Ok(None)` if it is not a fragment file of this format.
fn read_header(path: &Path) -> Result<Option<StoredFragment>, StoreError> {
	let mut file = fs::File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
	let file_len = file.metadata().map_err(io_err(format!("reading {}", path.display())))?.len();
	let mut header = [0u8; HEADER_LEN];
	if file.read_exact(&mut header).is_err() || &header[..8] != MAGIC {
		return Ok(None)
	}
	let root = Hash::from_slice(&header[8..40]);
	let len = u64::from_le_bytes(header[40..48].try_into().expect("8 bytes; qed"));
	Ok((len > 0 && len <= MAX_FRAGMENT_SIZE && file_len == HEADER_LEN as u64 + len).then_some(StoredFragment { root, len }))
}

/// A suffix that makes concurrent temporary file names distinct.
fn unique_suffix() -> u64 {
	use std::sync::atomic::{AtomicU64, Ordering};
	static NEXT: AtomicU64 = AtomicU64::new(0);
	NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
	use super::*;
	use blocktree_primitives::storage::{fragment_root, verify_chunk};

	fn fragment(len: usize, seed: u8) -> Vec<u8> {
		(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
	}

	fn key(b: u8, index: u8) -> FragmentKey {
		FragmentKey { block: Hash::repeat_byte(b), index }
	}

	#[test]
	fn a_stored_fragment_comes_back_and_survives_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		let bytes = fragment(5000, 1);
		let root = fragment_root(&bytes);
		{
			let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
			assert_eq!(store.put(key(1, 3), root, &bytes).unwrap(), PutOutcome::Stored);
			assert_eq!(store.put(key(1, 3), root, &bytes).unwrap(), PutOutcome::AlreadyHeld);
			assert_eq!(store.used(), 5000);
		}
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		assert_eq!(store.get(&key(1, 3)).unwrap(), bytes);
		assert_eq!(store.list(), vec![(key(1, 3), StoredFragment { root, len: 5000 })]);
		assert_eq!(store.used(), 5000);
	}

	#[test]
	fn bytes_that_do_not_match_the_recorded_root_are_refused() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let bytes = fragment(3000, 2);
		let wrong = fragment_root(&fragment(3000, 3));
		assert!(matches!(store.put(key(2, 0), wrong, &bytes), Err(StoreError::RootMismatch { .. })));
		assert!(matches!(store.get(&key(2, 0)), Err(StoreError::NotHeld { .. })));
		assert_eq!(store.used(), 0);
		assert!(matches!(store.put(key(2, 0), fragment_root(&[]), &[]), Err(StoreError::BadSize { len: 0 })));
	}

	#[test]
	fn a_fragment_corrupted_on_disk_is_never_returned_and_is_quarantined() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let bytes = fragment(4096, 4);
		store.put(key(3, 1), fragment_root(&bytes), &bytes).unwrap();
		// Flip one byte of the fragment's data on disk.
		let path = store.path_of(&key(3, 1));
		let mut raw = fs::read(&path).unwrap();
		raw[HEADER_LEN + 100] ^= 1;
		fs::write(&path, raw).unwrap();
		assert!(matches!(store.get(&key(3, 1)), Err(StoreError::Corrupt { .. })));
		// Forgotten: not listed, space freed, not served again, file moved aside.
		assert!(matches!(store.get(&key(3, 1)), Err(StoreError::NotHeld { .. })));
		assert!(matches!(store.prove_chunks(&key(3, 1), 0, 1), Err(StoreError::NotHeld { .. })));
		assert!(store.list().is_empty());
		assert_eq!(store.used(), 0);
		assert!(!path.exists());
		assert_eq!(fs::read_dir(dir.path().join("quarantine")).unwrap().count(), 1);
	}

	#[test]
	fn a_truncated_or_missing_file_is_corrupt_too() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let bytes = fragment(2048, 5);
		store.put(key(4, 0), fragment_root(&bytes), &bytes).unwrap();
		store.put(key(4, 1), fragment_root(&bytes), &bytes).unwrap();
		let path = store.path_of(&key(4, 0));
		let raw = fs::read(&path).unwrap();
		fs::write(&path, &raw[..raw.len() - 1]).unwrap();
		assert!(matches!(store.get(&key(4, 0)), Err(StoreError::Corrupt { .. })));
		fs::remove_file(store.path_of(&key(4, 1))).unwrap();
		assert!(matches!(store.get(&key(4, 1)), Err(StoreError::Corrupt { .. })));
		assert_eq!(store.used(), 0);
	}

	#[test]
	fn damaged_files_and_unfinished_writes_are_cleared_when_the_store_opens() {
		let dir = tempfile::tempdir().unwrap();
		let bytes = fragment(1500, 6);
		let path = {
			let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
			store.put(key(5, 2), fragment_root(&bytes), &bytes).unwrap();
			store.path_of(&key(5, 2))
		};
		// A crash mid-write leaves a temporary file; a damaged header or a stray file are not
		// fragments.
		fs::write(dir.path().join("tmp").join("partial"), b"half").unwrap();
		let raw = fs::read(&path).unwrap();
		fs::write(&path, &raw[..HEADER_LEN + 10]).unwrap();
		fs::write(path.with_file_name("not-a-fragment"), b"x").unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		assert!(store.list().is_empty());
		assert_eq!(store.used(), 0);
		assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
		assert_eq!(fs::read_dir(dir.path().join("quarantine")).unwrap().count(), 2);
	}

	#[test]
	fn the_quota_is_never_exceeded() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 10_000).unwrap();
		let a = fragment(6000, 7);
		let b = fragment(6000, 8);
		store.put(key(6, 0), fragment_root(&a), &a).unwrap();
		assert!(matches!(store.put(key(6, 1), fragment_root(&b), &b), Err(StoreError::QuotaExceeded { need: 6000, free: 4000 })));
		store.set_quota(12_000);
		store.put(key(6, 1), fragment_root(&b), &b).unwrap();
		assert_eq!(store.free(), 0);
		// A lower quota keeps what is held but admits nothing new.
		store.set_quota(1000);
		assert_eq!(store.free(), 0);
		assert_eq!(store.list().len(), 2);
	}

	#[test]
	fn a_different_fragment_under_a_held_key_is_a_conflict() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let a = fragment(2000, 9);
		let b = fragment(2000, 10);
		store.put(key(7, 0), fragment_root(&a), &a).unwrap();
		assert!(matches!(store.put(key(7, 0), fragment_root(&b), &b), Err(StoreError::Conflict { .. })));
		assert_eq!(store.get(&key(7, 0)).unwrap(), a);
	}

	#[test]
	fn retain_deletes_what_the_chain_no_longer_places_here() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let bytes = fragment(1000, 11);
		for i in 0..4 {
			store.put(key(8, i), fragment_root(&bytes), &bytes).unwrap();
		}
		let removed = store.retain(|k, _| k.index % 2 == 0).unwrap();
		assert_eq!(removed, vec![key(8, 1), key(8, 3)]);
		assert_eq!(store.used(), 2000);
		assert!(!store.path_of(&key(8, 1)).exists());
		drop(store);
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		assert_eq!(store.list().iter().map(|(k, _)| k.index).collect::<Vec<_>>(), vec![0, 2]);
		assert!(!store.remove(&key(8, 1)).unwrap());
	}

	#[test]
	fn partial_reads_check_the_chunks_they_return_against_verified_hashes() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let bytes = fragment(8192, 13);
		store.put(key(10, 0), fragment_root(&bytes), &bytes).unwrap();
		// The first read verifies the whole fragment and keeps its chunk hashes.
		assert_eq!(store.read_range(&key(10, 0), 0, 10).unwrap().1, bytes[..10].to_vec());
		// A chunk corrupted afterwards is caught by the next read that touches it.
		let path = store.path_of(&key(10, 0));
		let mut raw = fs::read(&path).unwrap();
		raw[HEADER_LEN + 5000] ^= 1;
		fs::write(&path, raw).unwrap();
		assert_eq!(store.read_range(&key(10, 0), 1024, 100).unwrap().1, bytes[1024..1124].to_vec());
		assert!(matches!(store.read_range(&key(10, 0), 4999, 2), Err(StoreError::Corrupt { .. })));
		assert!(store.meta(&key(10, 0)).is_none());
	}

	#[test]
	fn concurrent_writers_of_one_key_never_count_it_twice() {
		let dir = tempfile::tempdir().unwrap();
		let store = std::sync::Arc::new(FragmentStore::open(dir.path(), 64 << 20).unwrap());
		let bytes = std::sync::Arc::new(fragment(1 << 20, 14));
		let root = fragment_root(&bytes);
		let writers: Vec<_> = (0..8)
			.map(|_| {
				let (store, bytes) = (store.clone(), bytes.clone());
				std::thread::spawn(move || store.put(key(11, 0), root, &bytes))
			})
			.collect();
		for w in writers {
			assert!(matches!(w.join().unwrap(), Ok(_) | Err(StoreError::Busy { .. })));
		}
		assert_eq!(store.used(), 1 << 20);
		assert_eq!(store.list().len(), 1);
		assert!(store.age(&key(11, 0)).is_some());
		assert_eq!(store.other_fragment_of(&Hash::repeat_byte(11), 1), Some(0));
		assert_eq!(store.other_fragment_of(&Hash::repeat_byte(11), 0), None);
	}

	#[test]
	fn ranges_and_chunk_proofs_verify_against_the_root() {
		let dir = tempfile::tempdir().unwrap();
		let store = FragmentStore::open(dir.path(), 1 << 20).unwrap();
		let bytes = fragment(5000, 12);
		let root = fragment_root(&bytes);
		store.put(key(9, 0), root, &bytes).unwrap();
		assert_eq!(store.read_range(&key(9, 0), 4000, 2000).unwrap(), (5000, bytes[4000..].to_vec()));
		assert!(matches!(store.read_range(&key(9, 0), 5000, 1), Err(StoreError::OutOfRange { .. })));
		let proved = store.prove_chunks(&key(9, 0), 2, 3).unwrap();
		assert_eq!(proved.len(), 3);
		for (i, (chunk, proof)) in proved.iter().enumerate() {
			assert!(verify_chunk(&root, 5000, 2 + i as u32, chunk, proof));
		}
		assert_eq!(proved[2].0, bytes[4096..].to_vec());
		for (first, count) in [(4, 2), (5, 1), (0, 0), (u32::MAX, 2)] {
			assert!(matches!(store.prove_chunks(&key(9, 0), first, count), Err(StoreError::OutOfRange { .. })));
		}
	}
}
