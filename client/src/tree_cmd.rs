//! `blocktree ls | mkdir | rm | mv | share | mount`: the principal's tree of directories and
//! files ([`crate::tree`]), through a node's RPC. Paths are tree paths
//! (`/<principal id>/docs/a.txt`) or relative to the key file's principal's root
//! (`docs/a.txt`); a path in another principal's tree reads what it shared with you.

use std::{path::PathBuf, time::Duration};

use blocktree_primitives::path::BlockPath;

use crate::{
	dir_format::{Entry, DEFAULT_DIR_MODE},
	file_cmd::FileArgs,
	file_format::DEFAULT_PART_SIZE,
	principal_chain::block_on,
	principal_cmd::{load_keys, parse_hash, parse_tree_path},
	tree::{Tree, TreeError},
	tree_rpc::RpcStore,
};

/// Tree commands (top-level: `blocktree ls`, ...).
#[derive(Debug, clap::Subcommand)]
pub enum TreeCmd {
	/// List a directory (`-l`: kind, mode, size, modification time).
	Ls {
		/// The directory (default: your root).
		#[arg(default_value = "")]
		path: String,
		/// One line per entry with its details.
		#[arg(short = 'l', long)]
		long: bool,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Create a directory.
	Mkdir {
		/// The new directory.
		path: String,
		/// Create missing parents too; an existing directory is fine.
		#[arg(short = 'p', long)]
		parents: bool,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Remove a file, or a directory with `-r` (everything below it) or `-d` (empty only).
	Rm {
		/// What to remove.
		path: String,
		/// Remove a directory and everything below it.
		#[arg(short = 'r', long)]
		recursive: bool,
		/// Remove an empty directory.
		#[arg(short = 'd', long)]
		dir: bool,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Move or rename a file or a directory (a file's blocks stay; only directories change).
	Mv {
		/// What to move.
		from: String,
		/// Where to (replaces a file, or an empty directory).
		to: String,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Share a directory and everything under it with another principal to read: its files
	/// are sealed again for them (read back and stored as new versions), and what is written
	/// there later is sealed for them too. They mount it with `--root <the directory's path>`.
	Share {
		/// The principal to share with (64 hex digits, as `blocktree principal show` prints).
		#[arg(long = "read", value_name = "PRINCIPAL")]
		read: String,
		/// The directory.
		path: String,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Mount the tree with `blocktree-fuse` (it stays in the foreground until unmounted).
	Mount {
		/// Where to mount.
		mountpoint: PathBuf,
		/// Arguments passed on to blocktree-fuse (e.g. `--read-only`), after `--`.
		#[arg(last = true)]
		extra: Vec<String>,
		#[command(flatten)]
		args: FileArgs,
	},
}

/// `path` as a tree path: absolute (`/<root>/...`) or below `root`.
pub fn resolve(root: &BlockPath, path: &str) -> Result<BlockPath, String> {
	if path.starts_with('/') {
		return parse_tree_path(path)
	}
	let mut resolved = root.clone();
	for name in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
		resolved = Tree::<RpcStore>::child(&resolved, name).map_err(|e| e.to_string())?;
	}
	Ok(resolved)
}

/// One `ls -l` line: kind and mode, size, modification time (UTC), name.
pub fn long_line(entry: &Entry) -> String {
	let kind = if entry.is_dir() { 'd' } else { '-' };
	let mut mode = String::new();
	for shift in [6, 3, 0] {
		let bits = (entry.mode >> shift) & 7;
		mode.push(if bits & 4 != 0 { 'r' } else { '-' });
		mode.push(if bits & 2 != 0 { 'w' } else { '-' });
		mode.push(if bits & 1 != 0 { 'x' } else { '-' });
	}
	let secs = entry.mtime_ms / 1000;
	let (days, rest) = (secs / 86_400, secs % 86_400);
	let (y, m, d) = civil_from_days(days as i64);
	let suffix = if entry.is_dir() { "/" } else { "" };
	format!("{kind}{mode} {:>12} {y:04}-{m:02}-{d:02} {:02}:{:02} {}{suffix}", entry.size, rest / 3600, rest % 3600 / 60, entry.name)
}

/// Year, month, day of `days` since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
	let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
	(yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn what_next(e: TreeError) -> String {
	match &e {
		TreeError::Unavailable(_) => format!("{e} (is the node running and reachable? check --rpc-url)"),
		TreeError::NoSpace(_) => format!("{e} (open contracts with more providers: `blocktree storage offers`)"),
		TreeError::Denied(_) => format!(
			"{e} (to write, the node's storage worker account must control your principal; to read another's tree, its owner shares it with `blocktree share --read`)"
		),
		_ => e.to_string(),
	}
}

impl TreeCmd {
	/// Runs the command.
	pub fn run(&self) -> Result<(), String> {
		if let TreeCmd::Mount { mountpoint, extra, args } = self {
			return mount(mountpoint, extra, args)
		}
		let (args, first) = match self {
			TreeCmd::Ls { args, path, .. } |
			TreeCmd::Mkdir { args, path, .. } |
			TreeCmd::Rm { args, path, .. } |
			TreeCmd::Share { args, path, .. } |
			TreeCmd::Mv { args, from: path, .. } => (args, path),
			TreeCmd::Mount { .. } => unreachable!("handled above; qed"),
		};
		let keys = load_keys(&args.key_file, &args.password)?;
		let own = BlockPath::root_of(&keys.id());
		// The tree the (first) path is in: yours, or another principal's that shared with you.
		let root = BlockPath::root_of(&resolve(&own, first)?.root());
		let store = RpcStore::of_tree(&args.rpc_url, keys, root.root(), 1);
		let tree = Tree::new(store, root.clone(), DEFAULT_PART_SIZE, Duration::from_secs(2));
		let resolve = |path: &str| resolve(&own, path);
		block_on(async {
			let result = match self {
				TreeCmd::Ls { path, long, .. } => {
					let path = resolve(path)?;
					let entry = tree.stat(&path).await.map_err(what_next)?;
					if *long && entry.is_dir() {
						let readers = tree.list_dir(&path).await.map_err(what_next)?.readers().to_vec();
						if !readers.is_empty() {
							eprintln!("{path} is shared with: {}", readers.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(", "));
						}
					}
					let entries = if entry.is_dir() { tree.list_dir(&path).await.map_err(what_next)?.entries().to_vec() } else { vec![entry] };
					for entry in &entries {
						if *long {
							println!("{}", long_line(entry));
						} else {
							println!("{}{}", entry.name, if entry.is_dir() { "/" } else { "" });
						}
					}
					Ok(())
				},
				TreeCmd::Mkdir { path, parents, .. } => {
					let path = resolve(path)?;
					if *parents {
						let mut at = root.clone();
						for name in path.components().skip(root.depth()) {
							at = Tree::<RpcStore>::child(&at, name).map_err(what_next)?;
							match tree.mkdir(&at, DEFAULT_DIR_MODE).await {
								Ok(_) => eprintln!("created {at}"),
								Err(TreeError::Exists(e)) => {
									if !tree.stat(&at).await.is_ok_and(|e| e.is_dir()) {
										return Err(what_next(TreeError::NotADirectory(format!("{e}, as a file"))))
									}
								},
								Err(e) => return Err(what_next(e)),
							}
						}
					} else {
						tree.mkdir(&path, DEFAULT_DIR_MODE).await.map_err(what_next)?;
						eprintln!("created {path}");
					}
					Ok(())
				},
				TreeCmd::Rm { path, recursive, dir, .. } => {
					let path = resolve(path)?;
					let entry = tree.stat(&path).await.map_err(what_next)?;
					if entry.is_dir() && !recursive && !dir {
						return Err(format!("{path} is a directory: -d removes it if empty, -r with everything below it"))
					}
					if entry.is_dir() && *recursive {
						remove_all(&tree, &path).await?;
					} else {
						tree.remove(&path, entry.is_dir()).await.map_err(what_next)?;
					}
					eprintln!("removed {path}");
					Ok(())
				},
				TreeCmd::Mv { from, to, .. } => {
					let (from, mut to) = (resolve(from)?, resolve(to)?);
					if to.root() != from.root() {
						return Err(format!("{from} and {to} are in different principals' trees: copy instead"))
					}
					// Into an existing directory, as mv does.
					if tree.stat(&to).await.is_ok_and(|e| e.is_dir()) && !tree.stat(&from).await.is_ok_and(|e| e.is_dir()) {
						let name = from.components().last().unwrap_or_default().to_string();
						to = Tree::<RpcStore>::child(&to, &name).map_err(what_next)?;
					}
					tree.rename(&from, &to).await.map_err(what_next)?;
					eprintln!("moved {from} to {to}");
					Ok(())
				},
				TreeCmd::Share { read, path, .. } => {
					let path = resolve(path)?;
					let reader = parse_hash(read, "a principal id").map_err(|e| format!("--read: {e}"))?;
					let progress = |file: &BlockPath, size: u64| eprintln!("sealing {file} ({size} bytes) again for the new reader");
					let (files, bytes) = tree.share(&path, reader, &progress).await.map_err(what_next)?;
					let stored = tree.stored(&path).await.map_err(what_next)?;
					eprintln!("shared {path} with {reader:?} ({files} files, {bytes} bytes sealed again)");
					// The stored path: names are not in paths, and the reader cannot read the
					// listings above to find it.
					println!("root: {stored}");
					eprintln!("they mount it with: blocktree-fuse <mountpoint> --key-file <their key file> --root {stored}");
					Ok(())
				},
				TreeCmd::Mount { .. } => unreachable!("handled above; qed"),
			};
			tree.remove_retired().await;
			result
		})
	}
}

/// Removes directory `path` and everything below it, deepest first, with a line per
/// directory.
async fn remove_all(tree: &Tree<RpcStore>, path: &BlockPath) -> Result<(), String> {
	let dir = tree.list_dir(path).await.map_err(what_next)?;
	for entry in dir.entries() {
		let child = Tree::<RpcStore>::child(path, &entry.name).map_err(what_next)?;
		if entry.is_dir() {
			Box::pin(remove_all(tree, &child)).await?;
		} else {
			tree.remove(&child, false).await.map_err(what_next)?;
		}
	}
	tree.remove(path, true).await.map_err(what_next)?;
	eprintln!("removed {path}/");
	Ok(())
}

/// Runs `blocktree-fuse` (next to this binary, else on `PATH`) in the foreground.
fn mount(mountpoint: &PathBuf, extra: &[String], args: &FileArgs) -> Result<(), String> {
	let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("blocktree-fuse"))).filter(|p| p.exists());
	let program = beside.unwrap_or_else(|| PathBuf::from("blocktree-fuse"));
	let mut command = std::process::Command::new(&program);
	command.arg(mountpoint).arg("--key-file").arg(&args.key_file).arg("--rpc-url").arg(&args.rpc_url);
	if let Some(password_file) = &args.password.password_file {
		command.arg("--password-file").arg(password_file);
	}
	let status = command
		.args(extra)
		.status()
		.map_err(|e| format!("cannot run {}: {e} (build it: cargo build -p blocktree-fuse)", program.display()))?;
	if !status.success() {
		return Err(format!("blocktree-fuse ended with {status}"))
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn relative_paths_resolve_under_the_root() {
		let root = BlockPath::root_of(&sp_core::H256::repeat_byte(0xab));
		assert_eq!(resolve(&root, "").unwrap(), root);
		assert_eq!(resolve(&root, "docs/./a.txt").unwrap(), root.join("docs").unwrap().join("a.txt").unwrap());
		assert_eq!(resolve(&root, &format!("{root}/x")).unwrap(), root.join("x").unwrap());
		assert!(resolve(&root, "a/../b").unwrap_err().contains("cannot be a name"));
	}

	#[test]
	fn long_lines_show_kind_mode_size_and_time() {
		let version = crate::dir_format::FileVersion { block: Default::default(), version: 1 };
		let entry = Entry::file("a.txt", 1234, 1_700_000_000_000, 0o640, version, crate::dir_format::Slot::random());
		assert_eq!(long_line(&entry), "-rw-r-----         1234 2023-11-14 22:13 a.txt");
		assert_eq!(long_line(&Entry::directory("d", 0, 0o755, crate::dir_format::Slot::random())), "drwxr-xr-x            0 1970-01-01 00:00 d/");
	}
}
