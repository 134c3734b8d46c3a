//! The tree of files and directories over blocks in memory: every operation, the errors, other
//! writers' changes landing in between, and obsolete versions not piling up.

use std::{
	io::Write,
	sync::{atomic::Ordering, Arc},
	time::Duration,
};

use blocktree_client::{
	dir_format::{Directory, Entry, EntryKind},
	file_format::MIN_PART_SIZE,
	tree::{BlockStore, MemStore, Tree, TreeError},
};
use blocktree_primitives::path::BlockPath;
use sp_core::H256;

fn root() -> BlockPath {
	BlockPath::root_of(&H256::repeat_byte(0x42))
}

fn tree_on(store: Arc<MemStore>) -> Tree<Arc<MemStore>> {
	Tree::new(store, root(), MIN_PART_SIZE, Duration::ZERO)
}

fn at(path: &str) -> BlockPath {
	let mut p = root();
	for c in path.split('/').filter(|c| !c.is_empty()) {
		p = p.join(c).unwrap();
	}
	p
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2] ^ seed).collect()
}

fn temp_with(data: &[u8]) -> std::fs::File {
	let mut file = tempfile::tempfile().unwrap();
	file.write_all(data).unwrap();
	file
}

async fn write(tree: &Tree<Arc<MemStore>>, path: &str, data: &[u8]) -> Entry {
	tree.write_file(&at(path), &temp_with(data), data.len() as u64, None, None).await.unwrap()
}

async fn read_all(tree: &Tree<Arc<MemStore>>, path: &str) -> Vec<u8> {
	let entry = tree.stat(&at(path)).await.unwrap();
	tree.read_file(&entry, 0, u64::MAX).await.unwrap()
}

fn names(dir: &Directory) -> Vec<String> {
	dir.entries().iter().map(|e| e.name.clone()).collect()
}

#[tokio::test]
async fn files_of_every_size_round_trip_and_ranges_read_only_what_they_cover() {
	let tree = tree_on(Arc::new(MemStore::default()));
	let part = MIN_PART_SIZE as usize;
	for (i, len) in [0, 1, 4096, part, part + 1, 3 * part + 17].into_iter().enumerate() {
		let name = format!("f{i}");
		let data = bytes(len, i as u8);
		let entry = write(&tree, &name, &data).await;
		assert_eq!((entry.kind, entry.size, entry.mode), (EntryKind::File, len as u64, 0o644));
		assert_eq!(read_all(&tree, &name).await, data, "{len} bytes");
		// Ranges across part boundaries, at the end, past the end.
		for (offset, want) in [(0u64, 10u64), (part as u64 - 3, 7), (len as u64 / 2, part as u64 + 5), (len as u64, 4), (u64::MAX - 1, 8)] {
			let got = tree.read_file(&entry, offset, want).await.unwrap();
			let from = (offset as usize).min(len);
			let to = (offset.saturating_add(want) as usize).min(len);
			assert_eq!(got, data[from..to], "{len} bytes at {offset}+{want}");
		}
	}
	let listed = tree.list_dir(&root()).await.unwrap();
	assert_eq!(names(&listed), ["f0", "f1", "f2", "f3", "f4", "f5"]);
}

#[tokio::test]
async fn directories_nest_and_operations_refuse_what_a_filesystem_refuses() {
	let tree = tree_on(Arc::new(MemStore::default()));
	tree.mkdir(&at("a"), 0o700).await.unwrap();
	tree.mkdir(&at("a/b"), 0o755).await.unwrap();
	write(&tree, "a/b/c.txt", b"hello").await;
	assert_eq!(tree.stat(&at("a")).await.unwrap().mode, 0o700);
	assert_eq!(read_all(&tree, "a/b/c.txt").await, b"hello");

	assert!(matches!(tree.mkdir(&at("a"), 0o755).await, Err(TreeError::Exists(_))));
	assert!(matches!(tree.mkdir(&at("missing/x"), 0o755).await, Err(TreeError::NotFound(_))));
	assert!(matches!(tree.mkdir(&at("a/b/c.txt/x"), 0o755).await, Err(TreeError::NotADirectory(_))));
	assert!(matches!(tree.write_file(&at("a/b"), &temp_with(b"x"), 1, None, None).await, Err(TreeError::IsADirectory(_))));
	assert!(matches!(tree.stat(&at("a/nope")).await, Err(TreeError::NotFound(_))));
	assert!(matches!(tree.list_dir(&at("a/b/c.txt")).await, Err(TreeError::NotADirectory(_))));
	assert!(matches!(tree.remove(&at("a"), true).await, Err(TreeError::NotEmpty(_))));
	assert!(matches!(tree.remove(&at("a"), false).await, Err(TreeError::IsADirectory(_))));
	assert!(matches!(tree.remove(&at("a/b/c.txt"), true).await, Err(TreeError::NotADirectory(_))));
	assert!(matches!(tree.rename(&at("a"), &at("a/b/inside")).await, Err(TreeError::Invalid(_))));
	assert!(matches!(tree.remove(&root(), true).await, Err(TreeError::Invalid(_))));
	assert!(matches!(Tree::<MemStore>::child(&root(), ".."), Err(TreeError::Invalid(_))));

	// Attributes.
	let entry = tree.set_attr(&at("a/b/c.txt"), Some(0o600), Some(1_000)).await.unwrap();
	assert_eq!((entry.mode, entry.mtime_ms, entry.size), (0o600, 1_000, 5));
	// A new version keeps the mode unless told otherwise.
	assert_eq!(write(&tree, "a/b/c.txt", b"hello, again").await.mode, 0o600);

	// Files and directories removed; the tree is empty again.
	tree.remove(&at("a/b/c.txt"), false).await.unwrap();
	tree.remove(&at("a/b"), true).await.unwrap();
	tree.remove(&at("a"), true).await.unwrap();
	assert!(tree.list_dir(&root()).await.unwrap().is_empty());
}

#[tokio::test]
async fn moves_keep_file_blocks_and_carry_whole_directories() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	tree.mkdir(&at("src"), 0o755).await.unwrap();
	tree.mkdir(&at("src/deep"), 0o755).await.unwrap();
	tree.mkdir(&at("dst"), 0o755).await.unwrap();
	let data = bytes(3 * MIN_PART_SIZE as usize, 9);
	let before = write(&tree, "src/deep/big", &data).await;
	write(&tree, "src/small", b"small").await;

	// A file moves between directories with its blocks.
	tree.rename(&at("src/small"), &at("dst/renamed")).await.unwrap();
	assert_eq!(read_all(&tree, "dst/renamed").await, b"small");
	assert!(matches!(tree.stat(&at("src/small")).await, Err(TreeError::NotFound(_))));

	// A directory moves with everything below it; the big file's blocks are the same.
	tree.rename(&at("src"), &at("dst/moved")).await.unwrap();
	let after = tree.stat(&at("dst/moved/deep/big")).await.unwrap();
	assert_eq!(after.file, before.file, "the file was not sealed again");
	assert_eq!(read_all(&tree, "dst/moved/deep/big").await, data);
	assert!(matches!(tree.stat(&at("src")).await, Err(TreeError::NotFound(_))));

	// A move replaces a file; not a non-empty directory.
	write(&tree, "one", b"1").await;
	write(&tree, "two", b"2").await;
	tree.rename(&at("one"), &at("two")).await.unwrap();
	assert_eq!(read_all(&tree, "two").await, b"1");
	assert!(matches!(tree.rename(&at("two"), &at("dst")).await, Err(TreeError::IsADirectory(_))));
	assert!(matches!(tree.rename(&at("dst/moved"), &at("two")).await, Err(TreeError::NotADirectory(_))));
	tree.mkdir(&at("empty"), 0o755).await.unwrap();
	assert!(matches!(tree.rename(&at("empty"), &at("dst")).await, Err(TreeError::NotEmpty(_))));
	tree.rename(&at("dst/moved/deep"), &at("empty")).await.unwrap();
	assert_eq!(read_all(&tree, "empty/big").await, data);
}

/// A store where another writer of the same principal changes a directory just as ours is
/// published, the first `races` times a directory is published: on odd races theirs takes our
/// version first (the chain then refuses ours as stale), on even ones theirs lands on top of
/// ours right after.
struct Racing {
	inner: Arc<MemStore>,
	races: std::sync::atomic::AtomicUsize,
	theirs: String,
}

impl Racing {
	/// Their directory: the one ours was based on plus a file of theirs.
	async fn theirs(&self, path: &BlockPath, base: Vec<u8>, version: u64) -> Result<(), TreeError> {
		let mut dir = Directory::from_plaintext(&base).unwrap();
		let name = format!("{}-{}", self.theirs, self.races.load(Ordering::SeqCst));
		let file = self.inner.publish(&path.join(&name).unwrap(), 1, vec![0, b'x'], &[], 4096).await?;
		let pinned = blocktree_client::dir_format::FileVersion { block: file, version: 1 };
		dir.insert(Entry::file(&name, 1, 0, 0o644, pinned, blocktree_client::dir_format::Slot::random())).unwrap();
		self.inner.publish(path, version, dir.to_plaintext(), &[], 4096).await?;
		Ok(())
	}
}

impl BlockStore for Racing {
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError> {
		self.inner.latest(path).await
	}
	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>, readers: &[H256], sector_size: u32) -> Result<H256, TreeError> {
		let is_dir = plaintext.first() == Some(&blocktree_client::dir_format::DIRECTORY);
		let race = if is_dir { self.races.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)) } else { Err(0) };
		let Ok(race) = race else { return self.inner.publish(path, version, plaintext, readers, sector_size).await };
		let base = match self.inner.latest(path).await? {
			Some((block, _)) => self.inner.read_all(block).await?,
			None => Directory::default().to_plaintext(),
		};
		if race % 2 == 1 {
			self.theirs(path, base, version).await?;
			self.inner.publish(path, version, plaintext, readers, sector_size).await
		} else {
			let ours = self.inner.publish(path, version, plaintext, readers, sector_size).await?;
			self.theirs(path, base, version + 1).await?;
			Ok(ours)
		}
	}
	async fn read_all(&self, block: H256) -> Result<Vec<u8>, TreeError> {
		self.inner.read_all(block).await
	}
	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		self.inner.read_range(block, offset, len).await
	}
	async fn remove(&self, block: H256) -> Result<(), TreeError> {
		self.inner.remove(block).await
	}
}

#[tokio::test]
async fn another_writers_change_in_between_is_kept_and_ours_applied_on_top() {
	let inner = Arc::new(MemStore::default());
	let racing = Racing { inner: inner.clone(), races: 2.into(), theirs: "theirs".into() };
	let tree = Tree::new(racing, root(), MIN_PART_SIZE, Duration::from_secs(60));
	tree.write_file(&at("mine"), &temp_with(b"mine"), 4, None, None).await.unwrap();
	// Both of the other writer's files and ours are listed: nothing was lost either way.
	let plain = Tree::new(inner, root(), MIN_PART_SIZE, Duration::ZERO);
	let listed = names(&*plain.list_dir(&root()).await.unwrap());
	assert!(listed.contains(&"mine".to_string()), "{listed:?}");
	assert_eq!(listed.iter().filter(|n| n.starts_with("theirs")).count(), 2, "{listed:?}");
	assert_eq!(plain.read_file(&plain.stat(&at("mine")).await.unwrap(), 0, 10).await.unwrap(), b"mine");
}

#[tokio::test]
async fn two_trees_on_one_store_see_each_others_changes() {
	let store = Arc::new(MemStore::default());
	let (a, b) = (tree_on(store.clone()), tree_on(store.clone()));
	write(&a, "from-a", b"a").await;
	write(&b, "from-b", b"b").await;
	assert_eq!(names(&*a.list_dir(&root()).await.unwrap()), ["from-a", "from-b"]);
	assert_eq!(read_all(&a, "from-b").await, b"b");
	b.remove(&at("from-a"), false).await.unwrap();
	assert!(matches!(a.stat(&at("from-a")).await, Err(TreeError::NotFound(_))));
}

#[tokio::test]
async fn obsolete_versions_are_removed_so_a_path_never_fills_up() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	// 40 writes of one file (the chain keeps at most 16 versions of a path per writer), a
	// large one among them (parts).
	for i in 0..40u8 {
		let data = if i == 20 { bytes(2 * MIN_PART_SIZE as usize + 1, i) } else { vec![i; 10] };
		write(&tree, "f", &data).await;
		// The directory, the file, and at most one obsolete version of each (and parts).
		assert!(store.block_count() <= 8, "{} blocks after {i} writes", store.block_count());
	}
	tree.remove_retired().await;
	assert_eq!(store.block_count(), 2, "the root directory and the file's newest version");
	assert_eq!(read_all(&tree, "f").await, vec![39u8; 10]);
	tree.remove(&at("f"), false).await.unwrap();
	tree.remove_retired().await;
	assert_eq!(store.block_count(), 1, "the root directory alone");
}

#[tokio::test]
async fn a_node_that_is_gone_is_an_error_and_the_tree_works_again_after() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	write(&tree, "f", b"data").await;
	store.offline.store(true, Ordering::Relaxed);
	assert!(matches!(tree.stat(&at("f")).await, Err(TreeError::Unavailable(_))));
	assert!(matches!(tree.write_file(&at("g"), &temp_with(b"x"), 1, None, None).await, Err(TreeError::Unavailable(_))));
	store.offline.store(false, Ordering::Relaxed);
	assert_eq!(read_all(&tree, "f").await, b"data");
	assert!(matches!(tree.stat(&at("g")).await, Err(TreeError::NotFound(_))), "the failed write left nothing behind");
}

#[tokio::test]
async fn a_corrupt_directory_is_an_error_not_a_guess() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	tree.mkdir(&at("d"), 0o755).await.unwrap();
	let stored = tree.stored(&at("d")).await.unwrap();
	store.publish(&stored, 99, vec![blocktree_client::dir_format::DIRECTORY, 0xff, 0xff], &[], 4096).await.unwrap();
	assert!(matches!(tree.list_dir(&at("d")).await, Err(TreeError::Corrupt(_))));
	store.publish(&stored, 100, vec![blocktree_client::file_format::DATA, 1], &[], 4096).await.unwrap();
	assert!(matches!(tree.list_dir(&at("d")).await, Err(TreeError::NotADirectory(_))));
}

/// A store whose every call lets other tasks run first a varying number of times (from seed
/// `.1`), so that two trees' changes interleave the way two mounts' do, in many alignments.
struct Yielding(Arc<MemStore>, std::sync::atomic::AtomicUsize);

impl Yielding {
	async fn pause(&self) {
		let n = self.1.fetch_add(7, Ordering::Relaxed);
		for _ in 0..(n * 2_654_435_761) % 5 {
			tokio::task::yield_now().await;
		}
	}
}

impl BlockStore for Yielding {
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError> {
		self.pause().await;
		self.0.latest(path).await
	}
	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>, readers: &[H256], sector_size: u32) -> Result<H256, TreeError> {
		self.pause().await;
		self.0.publish(path, version, plaintext, readers, sector_size).await
	}
	async fn read_all(&self, block: H256) -> Result<Vec<u8>, TreeError> {
		self.pause().await;
		self.0.read_all(block).await
	}
	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		self.0.read_range(block, offset, len).await
	}
	async fn remove(&self, block: H256) -> Result<(), TreeError> {
		self.0.remove(block).await
	}
}

#[tokio::test]
async fn two_writers_racing_for_the_same_version_lose_nothing() {
	let store = Arc::new(MemStore::default());
	let on = |seed: usize| Tree::new(Yielding(store.clone(), seed.into()), root(), MIN_PART_SIZE, Duration::ZERO);
	let (a, b) = (on(1), on(2));
	let write = |tree: &'static Tree<Yielding>, name: String| async move { tree.write_file(&at(&name), &temp_with(name.as_bytes()), name.len() as u64, None, None).await };
	let (a, b): (&'static _, &'static _) = (Box::leak(Box::new(a)), Box::leak(Box::new(b)));
	for i in 0..50 {
		// Both read the same directory version and publish the next one at the same time.
		let (x, y) = tokio::join!(write(a, format!("a{i}")), write(b, format!("b{i}")));
		x.unwrap();
		y.unwrap();
	}
	let listed = names(&*tree_on(store).list_dir(&root()).await.unwrap());
	assert_eq!(listed.len(), 100, "every write of both is listed: {listed:?}");
}

#[tokio::test]
async fn a_shared_directory_seals_everything_under_it_for_the_reader() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	let reader = H256::repeat_byte(0x77);
	tree.mkdir(&at("shared"), 0o755).await.unwrap();
	tree.mkdir(&at("shared/sub"), 0o755).await.unwrap();
	write(&tree, "shared/a", b"a").await;
	write(&tree, "shared/sub/big", &bytes(2 * MIN_PART_SIZE as usize + 5, 1)).await;
	write(&tree, "private", b"p").await;
	let files = std::sync::Mutex::new(Vec::new());
	let progress = |path: &BlockPath, _size: u64| files.lock().unwrap().push(path.to_string());
	let (count, size) = tree.share(&at("shared"), reader, &progress).await.unwrap();
	assert_eq!((count, size), (2, 2 * MIN_PART_SIZE + 6));
	assert_eq!(files.into_inner().unwrap().len(), 2);
	tree.remove_retired().await;

	// Every block under shared/ (listings, files, parts) is sealed for the reader; the root's
	// listing and the private file are not.
	let blocks_under = |stored: &BlockPath| store.blocks().into_iter().filter(|(_, p)| p.starts_with(stored)).map(|(b, _)| b).collect::<Vec<_>>();
	let shared_dir = tree.stored(&at("shared")).await.unwrap();
	assert!(blocks_under(&shared_dir).len() >= 6, "two listings, a file, a manifest and its parts");
	for block in blocks_under(&shared_dir) {
		assert!(store.readers_of(&block).unwrap().contains(&reader), "block {block:?} under shared/");
	}
	for block in blocks_under(&tree.stored(&at("private")).await.unwrap()) {
		assert!(!store.readers_of(&block).unwrap().contains(&reader));
	}
	let (root_block, _) = store.latest(&root()).await.unwrap().unwrap();
	assert!(!store.readers_of(&root_block).unwrap().contains(&reader));
	// The reader's view: a tree rooted at the shared directory's stored path.
	let theirs = Tree::new(store.clone(), shared_dir.clone(), MIN_PART_SIZE, Duration::ZERO);
	assert_eq!(names(&*theirs.list_dir(&shared_dir).await.unwrap()), ["a", "sub"]);
	let big = theirs.stat(&shared_dir.join("sub").unwrap().join("big").unwrap()).await.unwrap();
	assert_eq!(theirs.read_file(&big, 0, 5).await.unwrap(), bytes(5, 1));
	assert_eq!(read_all(&tree, "shared/sub/big").await, bytes(2 * MIN_PART_SIZE as usize + 5, 1), "the same bytes, sealed again");

	// What is written there later inherits the reader; sharing again seals nothing again.
	tree.mkdir(&at("shared/later"), 0o755).await.unwrap();
	write(&tree, "shared/later/new", b"n").await;
	for block in blocks_under(&tree.stored(&at("shared/later")).await.unwrap()) {
		assert!(store.readers_of(&block).unwrap().contains(&reader), "a later block {block:?}");
	}
	assert_eq!(tree.share(&at("shared"), reader, &|_, _| {}).await.unwrap(), (0, 0));
	assert!(matches!(tree.share(&at("private"), reader, &|_, _| {}).await, Err(TreeError::NotADirectory(_))));

	// A move between differently shared directories is a copy (EXDEV), not a silent leak or loss.
	assert!(matches!(tree.rename(&at("private"), &at("shared/private")).await, Err(TreeError::CrossShare(_))));
	assert!(matches!(tree.rename(&at("shared/a"), &at("a")).await, Err(TreeError::CrossShare(_))));
	tree.rename(&at("shared/a"), &at("shared/sub/a")).await.unwrap();
	assert_eq!(read_all(&tree, "shared/sub/a").await, b"a");
}

#[tokio::test]
async fn no_block_path_holds_a_name() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	tree.mkdir(&at("Secret Plans"), 0o755).await.unwrap();
	tree.mkdir(&at("Secret Plans/taxes-2026"), 0o755).await.unwrap();
	write(&tree, "Secret Plans/taxes-2026/divorce.pdf", b"x").await;
	write(&tree, "Secret Plans/big.iso", &bytes(2 * MIN_PART_SIZE as usize + 1, 3)).await;
	tree.rename(&at("Secret Plans/taxes-2026"), &at("moved-away")).await.unwrap();
	tree.rename(&at("moved-away"), &at("renamed-here")).await.unwrap();
	tree.remove_retired().await;
	for (_, path) in store.blocks() {
		let path = path.to_string();
		for name in ["Secret", "Plans", "taxes", "divorce", "big.iso", "moved", "renamed"] {
			assert!(!path.contains(name), "{name} shows in the block path {path}");
		}
		// Below the root: slots, or a manifest's parts below a slot.
		for component in path.split('/').skip(2) {
			assert!(component.len() == 32 && component.bytes().all(|b| b.is_ascii_hexdigit()) || component.starts_with("~part-"), "{path}");
		}
	}
	assert_eq!(read_all(&tree, "renamed-here/divorce.pdf").await, b"x");
	// A rename within a directory moves nothing: the same stored place.
	let before = tree.stored(&at("renamed-here")).await.unwrap();
	tree.rename(&at("renamed-here"), &at("again")).await.unwrap();
	assert_eq!(tree.stored(&at("again")).await.unwrap(), before);
	assert_eq!(read_all(&tree, "again/divorce.pdf").await, b"x");
}

#[tokio::test]
async fn a_pinned_version_outlives_rewrites_until_unpinned() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	write(&tree, "f", b"first").await;
	let first = tree.stat(&at("f")).await.unwrap();
	tree.pin(first.file.unwrap().block);
	// Two rewrites: the first version is obsolete twice over, and still readable.
	write(&tree, "f", b"second").await;
	write(&tree, "f", b"third").await;
	tree.remove_retired().await;
	assert_eq!(tree.read_file(&first, 0, 10).await.unwrap(), b"first", "an open handle reads its version to the end");
	tree.unpin(first.file.unwrap().block).await;
	assert!(tree.read_file(&first, 0, 10).await.is_err(), "removed once its reader is done");
	assert_eq!(read_all(&tree, "f").await, b"third");
}

#[tokio::test]
async fn a_files_sector_size_is_chosen_per_file_and_kept_by_its_versions() {
	use blocktree_client::dir_format::{RANDOM_SECTOR_SIZE, SEQUENTIAL_SECTOR_SIZE};
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	let sector_of = |entry: &Entry| store.sector_size_of(&entry.file.unwrap().block).unwrap();
	let seq = write(&tree, "video", &bytes(100_000, 1)).await;
	assert_eq!((seq.sector_size, sector_of(&seq)), (SEQUENTIAL_SECTOR_SIZE, SEQUENTIAL_SECTOR_SIZE));
	let data = bytes(2 * MIN_PART_SIZE as usize + 9, 2);
	let db = tree.write_file_sized(&at("db"), &temp_with(&data), data.len() as u64, None, None, Some(RANDOM_SECTOR_SIZE)).await.unwrap();
	assert_eq!(db.sector_size, RANDOM_SECTOR_SIZE);
	// The parts hold the bytes, in small sectors; the manifest is read whole.
	let stored = tree.stored(&at("db")).await.unwrap();
	let parts: Vec<u32> = store.blocks().into_iter().filter(|(_, p)| p.starts_with(&stored) && p != &stored).map(|(b, _)| store.sector_size_of(&b).unwrap()).collect();
	assert_eq!(parts, [RANDOM_SECTOR_SIZE; 3]);
	// A later version without a choice keeps the file's; a share keeps it too.
	let again = write(&tree, "db", b"small now").await;
	assert_eq!((again.sector_size, sector_of(&again)), (RANDOM_SECTOR_SIZE, RANDOM_SECTOR_SIZE));
	tree.share(&root(), H256::repeat_byte(9), &|_, _| {}).await.unwrap();
	let shared = tree.stat(&at("db")).await.unwrap();
	assert_ne!(shared.file, again.file, "sealed again");
	assert_eq!((shared.sector_size, sector_of(&shared)), (RANDOM_SECTOR_SIZE, RANDOM_SECTOR_SIZE));
	assert_eq!(read_all(&tree, "db").await, b"small now");
}

#[tokio::test]
async fn removals_can_wait_for_the_background_and_still_all_happen() {
	let store = Arc::new(MemStore::default());
	let tree = tree_on(store.clone());
	tree.remove_in_background();
	for i in 0..5u8 {
		write(&tree, "f", &[i; 3]).await;
	}
	// Nothing was removed inline: the replaced versions wait.
	assert_eq!(store.removed.load(Ordering::Relaxed), 0);
	assert!(store.block_count() > 2);
	tree.remove_obsolete().await;
	assert!(store.removed.load(Ordering::Relaxed) > 0, "the background pass removes them");
	tree.remove_retired().await;
	assert_eq!(store.block_count(), 2, "the root directory and the file's newest version");
	assert_eq!(read_all(&tree, "f").await, [4u8; 3]);
}
