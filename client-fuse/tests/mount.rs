//! The filesystem on a real `/dev/fuse` mount, over blocks in memory (the node's RPC is
//! tested end to end in node/tests): what `cp`, `ls`, `mv`, `rm`, `mkdir -p`, `truncate`,
//! `touch`, `chmod` and `cmp` do, two mounts of one tree, a read-only mount, a node that goes
//! away and comes back, and a few thousand random operations against a model.

use std::{
	collections::BTreeMap,
	fs::{self, OpenOptions},
	io::{Read, Seek, SeekFrom, Write},
	os::unix::fs::{MetadataExt, PermissionsExt},
	path::{Path, PathBuf},
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant, SystemTime},
};

use blocktree_client::{file_format::MIN_PART_SIZE, tree::{MemStore, Tree}};
use blocktree_fuse::{BlocktreeFs, MountOptions, DIR_TTL};
use blocktree_primitives::path::BlockPath;
use rand::{rngs::SmallRng, Rng, SeedableRng};

/// A mounted tree; unmounted when dropped (the session goes first, then the directory).
struct Mounted {
	session: Option<fuser::BackgroundSession>,
	dir: tempfile::TempDir,
}

impl Mounted {
	fn path(&self, rel: &str) -> PathBuf {
		self.dir.path().join(rel)
	}
}

impl Drop for Mounted {
	fn drop(&mut self) {
		if let Some(session) = self.session.take() {
			session.umount_and_join().expect("unmounts cleanly");
		}
	}
}

fn root() -> BlockPath {
	BlockPath::root_of(&blocktree_primitives::principal::PrincipalId::repeat_byte(0x42))
}

fn mount(store: Arc<MemStore>, read_only: bool) -> Mounted {
	let dir = tempfile::tempdir().unwrap();
	let tree = Tree::new(store, root(), MIN_PART_SIZE, DIR_TTL);
	// SAFETY: getuid/getgid cannot fail.
	let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
	let fs = BlocktreeFs::new(tree, MountOptions { read_only, uid, gid }).unwrap();
	let mut config = fuser::Config::default();
	config.mount_options = vec![fuser::MountOption::FSName("blocktree-test".into()), fuser::MountOption::DefaultPermissions];
	config.n_threads = Some(2);
	let session = fuser::spawn_mount(fs, dir.path(), &config).expect("mounts on /dev/fuse (needs fuse3 and /dev/fuse)");
	Mounted { session: Some(session), dir }
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2] ^ seed).collect()
}

fn errno(e: &std::io::Error) -> i32 {
	e.raw_os_error().unwrap_or(-1)
}

fn names(dir: &Path) -> Vec<String> {
	let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
	names.sort();
	names
}

/// Waits until `check` holds (changes through another mount show within the caches' TTLs).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
	let deadline = Instant::now() + Duration::from_secs(15);
	while !check() {
		assert!(Instant::now() < deadline, "{what} did not happen within 15 s");
		std::thread::sleep(Duration::from_millis(200));
	}
}

#[test]
fn files_and_directories_through_a_real_mount_and_a_second_mount_of_the_same_tree() {
	let store = Arc::new(MemStore::default());
	let a = mount(store.clone(), false);

	// cp in and cmp back: 0 B, 1 B, 4 KiB, 1 MiB + 1 (parts of 64 KiB and a manifest).
	let sizes = [0usize, 1, 4096, (1 << 20) + 1];
	for (i, len) in sizes.iter().enumerate() {
		let data = bytes(*len, i as u8);
		fs::write(a.path(&format!("f{len}")), &data).unwrap();
		assert_eq!(fs::read(a.path(&format!("f{len}"))).unwrap(), data, "{len} bytes");
		assert_eq!(fs::metadata(a.path(&format!("f{len}"))).unwrap().len(), *len as u64);
	}
	// A random-access read touches only its range.
	let mut file = fs::File::open(a.path("f1048577")).unwrap();
	file.seek(SeekFrom::Start(700_000)).unwrap();
	let mut middle = vec![0u8; 100];
	file.read_exact(&mut middle).unwrap();
	assert_eq!(middle, bytes((1 << 20) + 1, 3)[700_000..700_100]);
	drop(file);

	// mkdir -p, ls, mv, rm, truncate, touch, chmod, stat.
	fs::create_dir_all(a.path("x/y/z")).unwrap();
	assert!(fs::metadata(a.path("x/y/z")).unwrap().is_dir());
	assert_eq!(names(&a.path("x")), ["y"]);
	fs::rename(a.path("f4096"), a.path("x/y/moved")).unwrap();
	assert_eq!(fs::read(a.path("x/y/moved")).unwrap(), bytes(4096, 2));
	assert_eq!(errno(&fs::metadata(a.path("f4096")).unwrap_err()), libc::ENOENT);
	fs::rename(a.path("x/y"), a.path("x/w")).unwrap();
	assert_eq!(names(&a.path("x/w")), ["moved", "z"]);
	fs::remove_file(a.path("f1")).unwrap();
	assert_eq!(errno(&fs::remove_dir(a.path("x")).unwrap_err()), libc::ENOTEMPTY);
	fs::remove_dir(a.path("x/w/z")).unwrap();

	let truncated = OpenOptions::new().write(true).open(a.path("f1048577")).unwrap();
	truncated.set_len(10).unwrap();
	drop(truncated);
	assert_eq!(fs::read(a.path("f1048577")).unwrap(), bytes((1 << 20) + 1, 3)[..10]);
	let grown = OpenOptions::new().write(true).open(a.path("f0")).unwrap();
	grown.set_len(5).unwrap();
	drop(grown);
	assert_eq!(fs::read(a.path("f0")).unwrap(), [0u8; 5]);

	fs::File::create(a.path("touched")).unwrap();
	let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
	fs::File::options().write(true).open(a.path("touched")).unwrap().set_modified(when).unwrap();
	fs::set_permissions(a.path("touched"), fs::Permissions::from_mode(0o600)).unwrap();
	let meta = fs::metadata(a.path("touched")).unwrap();
	assert_eq!((meta.len(), meta.mode() & 0o7777, meta.mtime()), (0, 0o600, 1_600_000_000));
	assert_eq!(names(a.dir.path()), ["f0", "f1048577", "touched", "x"]);

	// Errors a filesystem gives.
	assert_eq!(errno(&fs::create_dir(a.path("x")).unwrap_err()), libc::EEXIST);
	assert_eq!(errno(&fs::read(a.path("nope")).unwrap_err()), libc::ENOENT);
	assert_eq!(errno(&fs::write(a.path("x/w/moved/below"), b"x").unwrap_err()), libc::ENOTDIR);
	assert_eq!(errno(&fs::remove_file(a.path("x")).unwrap_err()), libc::EISDIR);

	// A second mount of the same tree (another node, in the real thing) sees the same bytes,
	// and a change on either shows on the other.
	let b = mount(store.clone(), false);
	assert_eq!(names(b.dir.path()), ["f0", "f1048577", "touched", "x"]);
	assert_eq!(fs::read(b.path("x/w/moved")).unwrap(), bytes(4096, 2));
	fs::write(b.path("from-b"), b"written on b").unwrap();
	eventually("b's new file on a", || fs::read(a.path("from-b")).is_ok_and(|d| d == b"written on b"));
	fs::write(a.path("from-b"), b"changed on a").unwrap();
	eventually("a's change on b", || fs::read(b.path("from-b")).is_ok_and(|d| d == b"changed on a"));
	fs::remove_file(a.path("from-b")).unwrap();
	eventually("a's removal on b", || fs::metadata(b.path("from-b")).is_err());
}

#[test]
fn a_read_only_mount_refuses_every_change_with_eacces() {
	let store = Arc::new(MemStore::default());
	{
		let rw = mount(store.clone(), false);
		fs::write(rw.path("kept"), b"kept").unwrap();
		fs::create_dir(rw.path("d")).unwrap();
	}
	let ro = mount(store, true);
	assert_eq!(fs::read(ro.path("kept")).unwrap(), b"kept");
	assert_eq!(errno(&fs::write(ro.path("new"), b"x").unwrap_err()), libc::EACCES);
	assert_eq!(errno(&OpenOptions::new().append(true).open(ro.path("kept")).unwrap_err()), libc::EACCES);
	assert_eq!(errno(&fs::remove_file(ro.path("kept")).unwrap_err()), libc::EACCES);
	assert_eq!(errno(&fs::create_dir(ro.path("e")).unwrap_err()), libc::EACCES);
	assert_eq!(errno(&fs::rename(ro.path("kept"), ro.path("d/kept")).unwrap_err()), libc::EACCES);
	assert_eq!(fs::read(ro.path("kept")).unwrap(), b"kept", "nothing changed");
}

#[test]
fn a_node_that_goes_away_gives_eio_quickly_and_the_mount_recovers() {
	let store = Arc::new(MemStore::default());
	let m = mount(store.clone(), false);
	fs::write(m.path("f"), b"before").unwrap();
	store.offline.store(true, Ordering::Relaxed);
	std::thread::sleep(DIR_TTL + Duration::from_millis(1100));
	let started = Instant::now();
	assert_eq!(errno(&fs::read(m.path("f")).unwrap_err()), libc::EIO);
	assert_eq!(errno(&fs::write(m.path("g"), b"x").unwrap_err()), libc::EIO);
	assert!(started.elapsed() < Duration::from_secs(5), "errors, not hangs: {:?}", started.elapsed());
	store.offline.store(false, Ordering::Relaxed);
	assert_eq!(fs::read(m.path("f")).unwrap(), b"before");
	fs::write(m.path("g"), b"after").unwrap();
	assert_eq!(fs::read(m.path("g")).unwrap(), b"after");
}

/// Open, seek, read, write, truncate, rename and unlink at random against an in-memory model,
/// with a fixed seed: every read and every listing must match the model.
#[test]
fn random_operations_match_a_model() {
	let store = Arc::new(MemStore::default());
	let m = mount(store, false);
	let mut rng = SmallRng::seed_from_u64(0x5eed_b10c);
	let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
	let files = ["a", "b", "c", "d", "e"];
	for step in 0..2000 {
		let name = files[rng.gen_range(0..files.len())].to_string();
		let path = m.path(&name);
		match rng.gen_range(0..100) {
			// Write a range (creating the file if absent).
			0..=34 => {
				let offset = rng.gen_range(0..200_000u64);
				let data = bytes(rng.gen_range(1..70_000), step as u8);
				let mut f = OpenOptions::new().write(true).create(true).truncate(false).open(&path).unwrap();
				f.seek(SeekFrom::Start(offset)).unwrap();
				f.write_all(&data).unwrap();
				drop(f);
				let content = model.entry(name.clone()).or_default();
				let end = offset as usize + data.len();
				if content.len() < end {
					content.resize(end, 0);
				}
				content[offset as usize..end].copy_from_slice(&data);
			},
			// Read a range.
			35..=64 => match model.get(&name) {
				Some(content) => {
					let offset = rng.gen_range(0..=content.len() as u64 + 10);
					let len = rng.gen_range(0..100_000usize);
					let mut f = fs::File::open(&path).unwrap();
					f.seek(SeekFrom::Start(offset)).unwrap();
					let mut got = Vec::new();
					f.take(len as u64).read_to_end(&mut got).unwrap();
					let from = (offset as usize).min(content.len());
					let to = (offset as usize + len).min(content.len());
					assert_eq!(got, content[from..to], "step {step}: read {name} at {offset}+{len}");
				},
				None => assert_eq!(errno(&fs::File::open(&path).unwrap_err()), libc::ENOENT, "step {step}"),
			},
			// Truncate.
			65..=74 =>
				if let Some(content) = model.get_mut(&name) {
					let len = rng.gen_range(0..150_000usize);
					OpenOptions::new().write(true).open(&path).unwrap().set_len(len as u64).unwrap();
					content.resize(len, 0);
				},
			// Rename over another name.
			75..=87 => {
				let to = files[rng.gen_range(0..files.len())].to_string();
				match model.remove(&name) {
					Some(content) => {
						fs::rename(&path, m.path(&to)).unwrap();
						model.insert(to, content);
					},
					None => assert_eq!(errno(&fs::rename(&path, m.path(&to)).unwrap_err()), libc::ENOENT, "step {step}"),
				}
			},
			// Unlink.
			_ => match model.remove(&name) {
				Some(_) => fs::remove_file(&path).unwrap(),
				None => assert_eq!(errno(&fs::remove_file(&path).unwrap_err()), libc::ENOENT, "step {step}"),
			},
		}
		if step % 100 == 0 {
			let listed = names(m.dir.path());
			assert_eq!(listed, model.keys().cloned().collect::<Vec<_>>(), "step {step}: listing");
			for (name, content) in &model {
				assert_eq!(fs::metadata(m.path(name)).unwrap().len(), content.len() as u64, "step {step}: size of {name}");
			}
		}
	}
	for (name, content) in &model {
		assert_eq!(&fs::read(m.path(name)).unwrap(), content, "final content of {name}");
	}
}

#[test]
fn open_files_keep_their_changes_through_chmod_utimes_unlink_and_rename() {
	let store = Arc::new(MemStore::default());
	let m = mount(store.clone(), false);

	// cp -p: written, then mode and times set by path while the file is still open and unpublished.
	let mut f = fs::File::create(m.path("kept")).unwrap();
	f.write_all(b"contents").unwrap();
	fs::set_permissions(m.path("kept"), fs::Permissions::from_mode(0o600)).unwrap();
	let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
	fs::File::options().write(true).open(m.path("kept")).unwrap().set_modified(when).unwrap();
	drop(f);
	let meta = fs::metadata(m.path("kept")).unwrap();
	assert_eq!(meta.permissions().mode() & 0o7777, 0o600, "the chmod made while open survived the close");
	assert_eq!(meta.mtime(), 1_500_000_000, "so did the time");
	assert_eq!(fs::read(m.path("kept")).unwrap(), b"contents");

	// Created and not closed: it can be renamed, and unlinked, and an unlinked file is not
	// brought back by its close.
	let mut moving = fs::File::create(m.path("moving")).unwrap();
	moving.write_all(b"m").unwrap();
	fs::rename(m.path("moving"), m.path("moved")).unwrap();
	drop(moving);
	assert_eq!(fs::read(m.path("moved")).unwrap(), b"m");
	assert!(!m.path("moving").exists());
	let mut gone = fs::File::create(m.path("gone")).unwrap();
	gone.write_all(b"g").unwrap();
	fs::remove_file(m.path("gone")).unwrap();
	gone.write_all(b"h").unwrap();
	drop(gone);
	assert!(!m.path("gone").exists(), "the unlinked file stays gone after its close");
	let mut old = fs::File::options().read(true).write(true).open(m.path("kept")).unwrap();
	old.write_all(b"C").unwrap();
	fs::remove_file(m.path("kept")).unwrap();
	drop(old);
	assert_eq!(names(m.dir.path()), ["moved"]);

	// O_CREAT on a file that exists (made through another mount) opens it, without truncating;
	// with O_EXCL it is EEXIST.
	fs::write(m.path("there"), b"keep me").unwrap();
	drop(OpenOptions::new().write(true).create(true).open(m.path("there")).unwrap());
	assert_eq!(fs::read(m.path("there")).unwrap(), b"keep me");
	let excl = OpenOptions::new().write(true).create_new(true).open(m.path("there")).unwrap_err();
	assert_eq!(errno(&excl), libc::EEXIST);
}

#[test]
fn files_written_at_random_get_small_sectors_and_copied_files_large_ones() {
	use blocktree_client::dir_format::{RANDOM_SECTOR_SIZE, SEQUENTIAL_SECTOR_SIZE};
	let store = Arc::new(MemStore::default());
	let m = mount(store.clone(), false);
	let tree = Tree::new(store.clone(), root(), MIN_PART_SIZE, Duration::ZERO);
	let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
	let sector_of = |name: &str| {
		let entry = rt.block_on(tree.stat(&root().join(name).unwrap())).unwrap();
		(entry.sector_size, store.sector_size_of(&entry.file.unwrap().block).unwrap())
	};
	fs::write(m.path("copied"), bytes(300_000, 1)).unwrap();
	assert_eq!(sector_of("copied"), (SEQUENTIAL_SECTOR_SIZE, SEQUENTIAL_SECTOR_SIZE));
	// A database's way: pages written here and there.
	let mut db = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(m.path("db")).unwrap();
	for page in [5u64, 1, 9, 0, 3] {
		db.seek(SeekFrom::Start(page * 4096)).unwrap();
		db.write_all(&bytes(4096, page as u8)).unwrap();
	}
	drop(db);
	assert_eq!(sector_of("db"), (RANDOM_SECTOR_SIZE, RANDOM_SECTOR_SIZE));
	// Appending to it later keeps its small sectors; rewriting it whole in order makes them large.
	OpenOptions::new().append(true).open(m.path("db")).unwrap().write_all(b"tail").unwrap();
	assert_eq!(sector_of("db"), (RANDOM_SECTOR_SIZE, RANDOM_SECTOR_SIZE));
	fs::write(m.path("db"), bytes(10_000, 7)).unwrap();
	assert_eq!(sector_of("db"), (SEQUENTIAL_SECTOR_SIZE, SEQUENTIAL_SECTOR_SIZE));
	assert_eq!(fs::read(m.path("db")).unwrap(), bytes(10_000, 7));
}
