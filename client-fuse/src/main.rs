//! `blocktree-fuse --rpc-url ws://127.0.0.1:9944 --key-file <key file> [--root <tree path>] <mountpoint>`:
//! mounts a principal's tree. Stays in the foreground until unmounted (`fusermount3 -u
//! <mountpoint>`, Ctrl-C or SIGTERM, which unmount cleanly after publishing open files).

use std::{path::PathBuf, sync::Arc, time::Duration};

use blocktree_client::{
	chain::DEFAULT_RPC_URL,
	principal_cmd::{load_keys, parse_tree_path, PasswordArgs},
	tree::{BlockStore, Tree},
	tree_rpc::{RpcStore, WatchEvent},
};
use blocktree_fuse::{BlocktreeFs, MountOptions, DIR_TTL, LOG_TARGET, WATCHED_DIR_TTL};
use blocktree_primitives::path::BlockPath;
use clap::Parser;
use fuser::{Config, MountOption, Session};

/// Mounts a Blocktree tree as a filesystem: files are sealed and opened here, the node sees
/// ciphertext only.
#[derive(Debug, Parser)]
#[command(name = "blocktree-fuse", version, about)]
struct Args {
	/// Where to mount (an empty directory).
	mountpoint: PathBuf,
	/// The principal's key file.
	#[arg(long)]
	key_file: PathBuf,
	/// The node's JSON-RPC WebSocket address.
	#[arg(long, env = "BLOCKTREE_RPC_URL", default_value = DEFAULT_RPC_URL)]
	rpc_url: String,
	/// The directory to mount (default: the principal's root, `/<principal id>`), e.g.
	/// `/<id>/docs`. In another principal's tree: the path its `blocktree share --read`
	/// printed, mounted read only.
	#[arg(long)]
	root: Option<String>,
	/// Mount read-only: every change fails with `EROFS` (a mount of another principal's tree is
	/// read only anyway, with `EACCES`).
	#[arg(long)]
	read_only: bool,
	/// Fragments of each block that may be lost with the block still readable.
	#[arg(long, default_value_t = 1)]
	tolerance: u8,
	/// Files larger than this are stored as parts of this size plus a manifest.
	#[arg(long, value_parser = blocktree_client::storage_cmd::parse_size, default_value = "32MiB")]
	part_size: u64,
	/// Let other users (root included) use the mount (needs `user_allow_other` in
	/// /etc/fuse.conf unless run as root).
	#[arg(long)]
	allow_other: bool,
	#[command(flatten)]
	password: PasswordArgs,
}

/// Log lines on stderr: `RUST_LOG=debug` for every refused operation.
struct StderrLog(log::LevelFilter);

impl log::Log for StderrLog {
	fn enabled(&self, metadata: &log::Metadata) -> bool {
		metadata.level() <= self.0 && metadata.target().starts_with("blocktree")
	}
	fn log(&self, record: &log::Record) {
		if self.enabled(record.metadata()) {
			eprintln!("{} {} {}", record.level(), record.target(), record.args());
		}
	}
	fn flush(&self) {}
}

fn main() {
	let args = Args::parse();
	let level = std::env::var("RUST_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(log::LevelFilter::Info);
	let _ = log::set_boxed_logger(Box::new(StderrLog(level))).map(|()| log::set_max_level(level));
	if let Err(e) = run(args) {
		eprintln!("error: {e}");
		std::process::exit(1);
	}
}

fn run(args: Args) -> Result<(), String> {
	// Before any thread starts, so that every thread inherits it: SIGINT and SIGTERM wait
	// for the signal thread below, which unmounts cleanly.
	let signals = [libc::SIGINT, libc::SIGTERM];
	block_signals(&signals);
	let keys = load_keys(&args.key_file, &args.password)?;
	let root = match &args.root {
		Some(root) => parse_tree_path(root)?,
		None => BlockPath::root_of(&keys.id()),
	};
	// Another principal's tree: what it shared with this key file's principal, read only.
	let shared = root.root() != keys.id();
	if shared {
		log::info!(target: LOG_TARGET, "{root} is {:?}'s tree: mounting what it shared with you, read only (writes give EACCES)", root.root());
	}
	let meta = std::fs::metadata(&args.mountpoint).map_err(|e| format!("cannot use {} as a mountpoint: {e}", args.mountpoint.display()))?;
	if !meta.is_dir() {
		return Err(format!("{} is not a directory: mount on an empty directory", args.mountpoint.display()))
	}
	let store = Arc::new(RpcStore::of_tree(&args.rpc_url, keys, root.root(), args.tolerance));
	let stored = locate_root(&store, &root, shared, args.part_size).map_err(|e| format!("{e}: is the node at {} running?", args.rpc_url))?;
	let tree = Tree::new(store.clone(), stored.clone(), args.part_size, DIR_TTL);
	// SAFETY: getuid/getgid cannot fail.
	let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
	let fs = BlocktreeFs::new(tree, MountOptions { read_only: args.read_only || shared, uid, gid }).map_err(|e| format!("cannot start: {e}"))?;
	// Checked before mounting: the node answers and the root is a directory.
	let checked = fs.check();
	checked.map_err(|e| format!("{e}: is the node at {} running with a storage worker?", args.rpc_url))?;
	// Replaced versions are removed in the background, every few seconds, so that a close
	// waits for its own blocks only.
	let tree = fs.tree();
	tree.remove_in_background();
	fs.spawn(async move {
		loop {
			tokio::time::sleep(Duration::from_secs(5)).await;
			tree.remove_obsolete().await;
		}
	});
	// The node's reports of new versions under the mount drop cached listings at once.
	let tree = fs.tree();
	fs.spawn(async move {
		store
			.watch(&stored, Duration::from_secs(2), |event| match event {
				WatchEvent::Watching => {
					tree.invalidate(tree.root());
					tree.set_ttl(WATCHED_DIR_TTL);
				},
				WatchEvent::Changed(path) => tree.invalidate_stored(&path),
				WatchEvent::Lost(why) => {
					log::info!(target: LOG_TARGET, "the node's change reports stopped ({why}): listings are asked for again every {}s", DIR_TTL.as_secs());
					tree.set_ttl(DIR_TTL);
					tree.invalidate(tree.root());
				},
			})
			.await
	});

	let mut config = Config::default();
	config.mount_options = vec![MountOption::FSName(format!("blocktree:{root}")), MountOption::Subtype("blocktree".into()), MountOption::DefaultPermissions];
	if args.read_only {
		config.mount_options.push(MountOption::RO);
	}
	if args.allow_other {
		config.acl = fuser::SessionACL::All;
	}
	config.n_threads = Some(4);
	let mut session = Session::new(fs, &args.mountpoint, &config).map_err(|e| {
		format!("cannot mount on {}: {e} (is /dev/fuse there and fusermount3 installed? Debian: apt install fuse3)", args.mountpoint.display())
	})?;
	let mut unmounter = session.unmount_callable();
	let mountpoint = args.mountpoint.clone();
	std::thread::spawn(move || {
		if wait_for_signal(&signals) {
			log::info!(target: LOG_TARGET, "unmounting {}", mountpoint.display());
			if let Err(e) = unmounter.unmount() {
				log::error!(target: LOG_TARGET, "cannot unmount {}: {e} (close what uses it, then fusermount3 -u)", mountpoint.display());
			}
		}
	});
	log::info!(target: LOG_TARGET, "mounted {root} on {} (node {})", args.mountpoint.display(), args.rpc_url);
	session.run().map_err(|e| format!("the mount ended with an error: {e}"))?;
	log::info!(target: LOG_TARGET, "unmounted");
	std::thread::sleep(Duration::from_millis(10));
	Ok(())
}

/// Where the directory to mount is stored. In your own tree `root` names it (`/<id>/docs`) and
/// is found through the listings; in another's, `root` is the stored path its owner's
/// `blocktree share` printed (names are not in paths, and the listings above are not yours
/// to read), and must hold a listing.
fn locate_root(store: &Arc<RpcStore>, root: &BlockPath, shared: bool, part_size: u64) -> Result<BlockPath, String> {
	let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start: {e}"))?;
	rt.block_on(async {
		if shared {
			return match store.latest(root).await.map_err(|e| e.to_string())? {
				Some(_) => Ok(root.clone()),
				None => Err(format!(
					"nothing is stored at {root}: use the path `blocktree share` printed for you (/<owner id>/<32 hex digits>/...), not the directory's name"
				)),
			}
		}
		let own = Tree::new(store.clone(), BlockPath::root_of(&root.root()), part_size, DIR_TTL);
		if !own.stat(root).await.map_err(|e| e.to_string())?.is_dir() {
			return Err(format!("{root} is a file: mount a directory"))
		}
		own.stored(root).await.map_err(|e| e.to_string())
	})
}

fn signal_set(signals: &[libc::c_int]) -> libc::sigset_t {
	// SAFETY: plain libc signal-set calls on a local set.
	unsafe {
		let mut set: libc::sigset_t = std::mem::zeroed();
		libc::sigemptyset(&mut set);
		for s in signals {
			libc::sigaddset(&mut set, *s);
		}
		set
	}
}

/// Blocks `signals` in this thread (and the threads it starts).
fn block_signals(signals: &[libc::c_int]) {
	let set = signal_set(signals);
	// SAFETY: a valid set; no old mask is asked for.
	unsafe {
		libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
	}
}

/// Waits for one of `signals` (blocked beforehand); false if waiting failed.
fn wait_for_signal(signals: &[libc::c_int]) -> bool {
	let set = signal_set(signals);
	let mut got: libc::c_int = 0;
	// SAFETY: a valid set and a valid out-pointer.
	unsafe { libc::sigwait(&set, &mut got) == 0 }
}
