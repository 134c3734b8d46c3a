//! `blocktree-fuse --rpc-url ws://127.0.0.1:9944 --key-file <key file> [--root <tree path>] <mountpoint>`:
//! mounts a principal's tree. Stays in the foreground until unmounted (`fusermount3 -u
//! <mountpoint>`, Ctrl-C or SIGTERM, which unmount cleanly after publishing open files).

use std::{path::PathBuf, time::Duration};

use blocktree_client::{
	chain::DEFAULT_RPC_URL,
	principal_cmd::{load_keys, parse_tree_path, PasswordArgs},
	tree::Tree,
	tree_rpc::RpcStore,
};
use blocktree_fuse::{BlocktreeFs, MountOptions, DIR_TTL, LOG_TARGET};
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
	/// The tree path to mount (default: the principal's root, `/<principal id>`).
	#[arg(long)]
	root: Option<String>,
	/// Mount read-only: every change fails with `EROFS` (a principal without write authority
	/// gets `EACCES` from the node's refusal instead).
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
	if root.root() != keys.id() {
		return Err(format!("{root} is in another principal's tree; mounting shared trees is not offered yet: mount your own (/{:?})", keys.id()))
	}
	let meta = std::fs::metadata(&args.mountpoint).map_err(|e| format!("cannot use {} as a mountpoint: {e}", args.mountpoint.display()))?;
	if !meta.is_dir() {
		return Err(format!("{} is not a directory: mount on an empty directory", args.mountpoint.display()))
	}
	let store = RpcStore::new(&args.rpc_url, keys, args.tolerance);
	let tree = Tree::new(store, root.clone(), args.part_size, DIR_TTL);
	// SAFETY: getuid/getgid cannot fail.
	let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
	let fs = BlocktreeFs::new(tree, MountOptions { read_only: args.read_only, uid, gid }).map_err(|e| format!("cannot start: {e}"))?;
	// Checked before mounting: the node answers and the root is a directory.
	let checked = fs.check();
	checked.map_err(|e| format!("{e}: is the node at {} running with a storage worker?", args.rpc_url))?;

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
