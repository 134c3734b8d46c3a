//! The FUSE mount on the four-validator `local` network on loopback, every node a storage
//! provider: Alice's tree mounted with `blocktree-fuse` through her node, files of 0 B to 70 MiB
//! copied in and compared, the everyday commands (`mkdir -p`, `mv`, `rm`, `truncate`, `touch`,
//! `stat`, `ls -la`) and the CLI on the same tree; a second mount of the same tree through
//! another node that sees the same bytes and the first mount's changes (and whose own writes
//! that node refuses with `EACCES`: its account does not control Alice's principal); a directory shared with Bob (`blocktree share --read`), which Bob mounts and reads
//! through a third node and cannot write (`EACCES`), while the rest of Alice's tree stays
//! closed to him; and the node under a mount killed: `EIO` within seconds, and the mount works
//! again once the node is back.
//!
//! One network for all of it: starting four nodes is the expensive part.

mod common;

use std::{
	path::{Path, PathBuf},
	process::Command,
	time::{Duration, Instant},
};

use common::{erasure_params, node_key, stderr as err, stdout as out, TempDir, TestNode, NODE_BIN};

const TIMEOUT: Duration = Duration::from_secs(240);
const PASSWORD: &str = "correct horse battery";
/// `EIO` and `EROFS` on Linux.
const EIO: i32 = 5;

/// Runs `blocktree <args>` with key files opened by [`PASSWORD`]; fails the test if it fails.
fn blocktree(args: &[&str]) -> String {
	let o = Command::new(common::client_bin())
		.args(args)
		.env("BLOCKTREE_PASSWORD", PASSWORD)
		.env_remove("BLOCKTREE_SIGNER")
		.output()
		.expect("client binary runs");
	assert!(o.status.success(), "blocktree {args:?}: {}\n{}", out(&o), err(&o));
	format!("{}{}", out(&o), err(&o))
}

/// Runs `blocktree <args>` that must fail; returns its stderr.
fn blocktree_fails(args: &[&str]) -> String {
	let o = Command::new(common::client_bin()).args(args).env("BLOCKTREE_PASSWORD", PASSWORD).output().expect("client binary runs");
	assert!(!o.status.success(), "blocktree {args:?} should have failed: {}", out(&o));
	err(&o)
}

/// A `blocktree-fuse` process and its mountpoint; unmounted (SIGTERM, a clean unmount) when
/// dropped.
struct Mount {
	child: std::process::Child,
	dir: PathBuf,
}

impl Mount {
	/// Mounts with `key` through the node at `rpc_url` on `dir` (plus `extra` arguments) and
	/// waits until the mount is there.
	fn start(dir: &Path, key: &Path, rpc_url: &str, extra: &[&str]) -> Mount {
		std::fs::create_dir_all(dir).unwrap();
		let bin = Path::new(NODE_BIN).with_file_name("blocktree-fuse");
		let log = std::fs::File::create(dir.with_extension("log")).unwrap();
		let child = Command::new(&bin)
			.arg(dir)
			.arg("--key-file")
			.arg(key)
			.args(["--rpc-url", rpc_url, "--part-size", "16MiB"])
			.args(extra)
			.env("BLOCKTREE_PASSWORD", PASSWORD)
			.env("RUST_LOG", "info")
			.stderr(log)
			.spawn()
			.unwrap_or_else(|e| panic!("{} runs: {e} (build the workspace)", bin.display()));
		let mut mount = Mount { child, dir: dir.to_path_buf() };
		let started = Instant::now();
		while !mount.mounted() {
			if let Ok(Some(status)) = mount.child.try_wait() {
				panic!("blocktree-fuse ended ({status}) before mounting: {}", mount.log());
			}
			assert!(started.elapsed() < Duration::from_secs(60), "{} was not mounted within 60 s: {}", dir.display(), mount.log());
			std::thread::sleep(Duration::from_millis(200));
		}
		mount
	}

	fn mounted(&self) -> bool {
		let dir = self.dir.canonicalize().unwrap_or(self.dir.clone());
		std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default().lines().any(|l| l.split(' ').nth(4) == dir.to_str())
	}

	fn log(&self) -> String {
		std::fs::read_to_string(self.dir.with_extension("log")).unwrap_or_default()
	}

	fn path(&self, rel: &str) -> PathBuf {
		self.dir.join(rel)
	}

	/// Runs `script` with `sh` in the mount; fails the test if it fails.
	fn sh(&self, script: &str) -> String {
		let o = Command::new("sh").arg("-c").arg(script).current_dir(&self.dir).output().unwrap();
		assert!(o.status.success(), "{script}: {}\n{}", err(&o), self.log());
		out(&o)
	}

	/// SIGTERM: open files published, replaced versions removed, unmounted, within 90 s.
	fn unmount(mut self) {
		let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
		let started = Instant::now();
		while self.child.try_wait().ok().flatten().is_none() {
			assert!(started.elapsed() < Duration::from_secs(90), "blocktree-fuse did not end within 90 s of SIGTERM: {}", self.log());
			std::thread::sleep(Duration::from_millis(100));
		}
		assert!(!self.mounted(), "SIGTERM unmounted {}", self.dir.display());
		eprintln!("fuse: unmounted {} {:.1}s after SIGTERM (removals included)", self.dir.display(), started.elapsed().as_secs_f64());
	}
}

impl Drop for Mount {
	fn drop(&mut self) {
		let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
		let _ = self.child.wait();
		if self.mounted() {
			let _ = Command::new("fusermount3").arg("-u").arg(&self.dir).status();
		}
		if std::thread::panicking() {
			eprintln!("--- log of the mount on {} ---\n{}", self.dir.display(), self.log());
		}
	}
}

/// Waits until `check` holds: another mount's changes show within its caches' lifetimes.
/// Returns how long it took.
fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Duration {
	let started = Instant::now();
	while !check() {
		assert!(started.elapsed() < Duration::from_secs(60), "{what} did not happen within 60 s");
		std::thread::sleep(Duration::from_millis(500));
	}
	eprintln!("{what}: {:.1}s", started.elapsed().as_secs_f64());
	started.elapsed()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

/// A principal's key file: created, and registered on chain by `signer`'s account.
fn principal(dir: &Path, name: &str, signer: &str, rpc_url: &str, claim_root: bool) -> (PathBuf, String) {
	let key = dir.join(format!("{name}.key"));
	let k = key.to_str().unwrap();
	let created = blocktree(&["principal", "create", "--key-file", k]);
	let id = created.lines().find_map(|l| l.strip_prefix("principal: ")).expect("create prints the id").trim_start_matches("0x").to_string();
	blocktree(&["principal", "register", "--key-file", k, "--rpc-url", rpc_url, "--signer", signer]);
	if claim_root {
		blocktree(&["principal", "claim-root", "--rpc-url", rpc_url, "--signer", signer]);
	}
	(key, id)
}

#[tokio::test(flavor = "multi_thread")]
async fn mounts_across_nodes_sharing_and_a_node_that_dies() {
	let tmp = TempDir::new("fuse-net");
	let names = ["alice", "bob", "charlie", "dave"];
	let p2p_ports: Vec<u16> = names.iter().map(|_| common::free_port()).collect();
	let keys: Vec<(String, String)> = (0..names.len()).map(|i| node_key(tmp.path(), i as u8)).collect();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", p2p_ports[0], keys[0].1);
	let mut nodes = Vec::new();
	for (i, name) in names.iter().enumerate() {
		let base = tmp.path().join(name).display().to_string();
		let public = format!("/ip4/127.0.0.1/tcp/{}", p2p_ports[i]);
		let flag = format!("--{name}");
		let args = [
			"--chain", "local", &flag, "--base-path", &base, "--node-key", &keys[i].0, "--bootnodes", &bootnode,
			// Every node offers 512 MiB and opens a 160 MiB contract with every other offer.
			"--storage-capacity", "512MiB", "--storage-auto-contract", "160MiB", "--public-addr", &public,
		];
		nodes.push(TestNode::start_on(name, tmp.path(), &args, common::free_port(), p2p_ports[i]).await);
	}
	for node in nodes.iter_mut() {
		node.wait_finalized(2, TIMEOUT).await;
	}
	// The storage market: Alice's account has the three other nodes as providers.
	let started = Instant::now();
	loop {
		match erasure_params(&nodes[0], 1 << 20).await {
			Ok((_, n, _)) if n >= 3 => break,
			other => {
				assert!(started.elapsed() < TIMEOUT, "the workers did not open contracts: {other:?}");
				tokio::time::sleep(Duration::from_secs(3)).await
			},
		}
	}
	eprintln!("network and storage market ready after {:.0}s", started.elapsed().as_secs_f64());
	let urls: Vec<String> = nodes.iter().map(TestNode::ws_url).collect();

	// Blocking file operations and processes, off the test's async runtime; node 2 (Charlie)
	// is killed and restarted from here, so the nodes go along.
	let dir = tmp.path().to_path_buf();
	let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
	let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
	let steps = tokio::task::spawn_blocking(move || {
		let (alice_key, alice) = principal(&dir, "alice", "//Alice", &urls[0], true);
		let (bob_key, bob) = principal(&dir, "bob", "//Bob", &urls[1], false);
		let a = Mount::start(&dir.join("mnt-a"), &alice_key, &urls[0], &[]);

		// cp and cmp: 0 B, 1 B, 4 KiB, 1 MiB + 1 and 70 MiB (parts of 16 MiB and a manifest).
		for (i, len) in [0usize, 1, 4096, (1 << 20) + 1, 70 << 20].into_iter().enumerate() {
			let local = dir.join(format!("local-{len}.bin"));
			std::fs::write(&local, pattern(len, i as u8)).unwrap();
			let t = Instant::now();
			let cp = Command::new("cp").arg(&local).arg(a.path(&format!("f{len}"))).output().unwrap();
			assert!(cp.status.success(), "cp of {len} bytes: {}\n{}", err(&cp), a.log());
			eprintln!("fuse: cp of {len} bytes in {:.1}s", t.elapsed().as_secs_f64());
			let cmp = Command::new("cmp").arg(&local).arg(a.path(&format!("f{len}"))).output().unwrap();
			assert!(cmp.status.success(), "cmp of {len} bytes: {}{}", out(&cmp), err(&cmp));
		}
		// mkdir -p, mv, rm, truncate, touch, stat, ls -la.
		let t = Instant::now();
		a.sh("mkdir -p docs/nov && mv f4096 docs/nov/notes && rm f1 && truncate -s 100 f1048577 && touch -d 2020-01-02T03:04:05Z docs/stamp");
		let stat = a.sh("stat -c '%s|%Y|%F' f1048577 docs/stamp docs/nov/notes");
		let fields: Vec<Vec<&str>> = stat.lines().map(|l| l.split('|').collect()).collect();
		assert_eq!((fields[0][0], fields[0][2]), ("100", "regular file"), "truncate: {stat}");
		assert_eq!(fields[1], ["0", "1577934245", "regular empty file"], "touch -d: {stat}");
		assert_eq!((fields[2][0], fields[2][2]), ("4096", "regular file"), "mv: {stat}");
		let listing = a.sh("ls -la");
		for name in ["f0", "f1048577", "f73400320", "docs"] {
			assert!(listing.contains(name), "ls -la shows {name}: {listing}");
		}
		assert!(!listing.contains(" f1\n") && !listing.contains("f4096"), "{listing}");
		assert_eq!(std::fs::read(a.path("docs/nov/notes")).unwrap(), pattern(4096, 2), "mv kept the bytes");
		eprintln!("fuse: the commands took {:.1}s", t.elapsed().as_secs_f64());

		// The CLI on the same tree: ls -l, mkdir -p, mv into a directory, rm -r; the mount sees each.
		let cli = |args: &[&str]| {
			let mut all = args.to_vec();
			all.extend(["--key-file", alice_key.to_str().unwrap(), "--rpc-url", &urls[0]]);
			blocktree(&all)
		};
		let ls = cli(&["ls", "-l", "docs/nov"]);
		assert!(ls.starts_with("-rw-r--r--") && ls.contains(" 4096 ") && ls.trim_end().ends_with(" notes"), "{ls}");
		cli(&["mkdir", "-p", "cli/made"]);
		cli(&["mv", "docs/stamp", "cli/made"]);
		eventually("the CLI's changes on the mount", || a.path("cli/made/stamp").exists() && !a.path("docs/stamp").exists());
		cli(&["rm", "-r", "cli"]);
		eventually("the CLI's rm -r on the mount", || !a.path("cli").exists());

		// The same tree through Dave's node: the same bytes, and changes both ways.
		let b = Mount::start(&dir.join("mnt-b"), &alice_key, &urls[3], &[]);
		let cmp = Command::new("cmp").arg(dir.join(format!("local-{}.bin", 70 << 20))).arg(b.path("f73400320")).output().unwrap();
		assert!(cmp.status.success(), "the 70 MiB file through another node: {}{}", out(&cmp), err(&cmp));
		assert_eq!(std::fs::read(b.path("docs/nov/notes")).unwrap(), pattern(4096, 2));
		std::fs::write(a.path("docs/fresh.txt"), b"written on a").unwrap();
		eventually("a's new file on b", || std::fs::read(b.path("docs/fresh.txt")).is_ok_and(|d| d == b"written on a"));
		// b has just read docs/: its listing would be cached for 30 s, but Dave's node reports
		// the new version and the mount drops it, so the edit shows within a block or two.
		std::fs::write(a.path("docs/fresh.txt"), b"edited on a").unwrap();
		let shown = eventually("a's edit on b", || std::fs::read(b.path("docs/fresh.txt")).is_ok_and(|d| d == b"edited on a"));
		assert!(shown < Duration::from_secs(8), "the change report did not reach b's mount: {:.1}s", shown.as_secs_f64());
		// Dave's node records blocks with Dave's account, which does not control Alice's
		// principal: a write through it is refused when published (fsync, close), with EACCES.
		let mut through_dave = std::fs::File::create(b.path("docs/through-dave.txt")).unwrap();
		std::io::Write::write_all(&mut through_dave, b"x").unwrap();
		let refused = through_dave.sync_all().unwrap_err();
		assert_eq!(refused.kind(), std::io::ErrorKind::PermissionDenied, "{refused}");
		drop(through_dave);
		std::fs::remove_file(a.path("f0")).unwrap();
		eventually("a's removal on b", || !b.path("f0").exists());
		b.unmount();

		// Sharing: Alice shares docs/ with Bob; Bob mounts it through Charlie's node and reads it,
		// cannot write there, and cannot read the rest of Alice's tree.
		let shared = cli(&["share", "--read", &bob, "docs"]);
		assert!(shared.contains("2 files"), "{shared}");
		// Names are not in stored paths: Bob mounts the stored path the share printed.
		let docs = shared.lines().find_map(|l| l.strip_prefix("root: ")).expect("share prints the root to mount").to_string();
		assert!(docs.starts_with(&format!("/{alice}/")) && !docs.contains("docs"), "{docs}");
		let bob_cli = |args: &[&str]| {
			let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
			all.extend(["--key-file".into(), bob_key.display().to_string(), "--rpc-url".into(), urls[2].clone()]);
			blocktree_fails(&all.iter().map(String::as_str).collect::<Vec<_>>())
		};
		let root_denied = bob_cli(&["ls", &format!("/{alice}")]);
		assert!(root_denied.contains("permission denied") && root_denied.contains("no read cap"), "{root_denied}");
		std::fs::create_dir_all(dir.join("mnt-named")).unwrap();
		let named = Command::new(Path::new(NODE_BIN).with_file_name("blocktree-fuse"))
			.arg(dir.join("mnt-named"))
			.arg("--key-file")
			.arg(&bob_key)
			.args(["--rpc-url", &urls[2], "--root", &format!("/{alice}/docs")])
			.env("BLOCKTREE_PASSWORD", PASSWORD)
			.output()
			.unwrap();
		assert!(!named.status.success() && err(&named).contains("the path `blocktree share` printed"), "{}", err(&named));
		let bobs = Mount::start(&dir.join("mnt-bob"), &bob_key, &urls[2], &["--root", &docs]);
		assert_eq!(std::fs::read(bobs.path("nov/notes")).unwrap(), pattern(4096, 2), "Bob reads what was shared");
		assert_eq!(std::fs::read(bobs.path("fresh.txt")).unwrap(), b"edited on a");
		let denied = std::fs::write(bobs.path("nov/mine"), b"x").unwrap_err();
		assert_eq!(denied.kind(), std::io::ErrorKind::PermissionDenied, "writing Alice's tree: {denied}");
		let denied = std::fs::remove_file(bobs.path("fresh.txt")).unwrap_err();
		assert_eq!(denied.kind(), std::io::ErrorKind::PermissionDenied, "removing in Alice's tree: {denied}");
		std::fs::write(a.path("docs/nov/later.txt"), b"after sharing").unwrap();
		eventually("Alice's new file, readable by Bob", || std::fs::read(bobs.path("nov/later.txt")).is_ok_and(|d| d == b"after sharing"));
		let private = bob_cli(&["ls", &format!("/{alice}/f1048577")]);
		assert!(private.contains("permission denied"), "{private}");

		// Charlie's node dies under Bob's mount: EIO within seconds, never a hang; back again,
		// the mount works.
		tx.send("kill").unwrap();
		done_rx.recv().unwrap();
		// The mount learns the node is gone when its change reports stop, and asks again.
		std::thread::sleep(blocktree_fuse_dir_ttl() + Duration::from_millis(500));
		let t = Instant::now();
		let failed = std::fs::read_dir(bobs.path("nov")).and_then(|d| d.collect::<Result<Vec<_>, _>>());
		let e = failed.expect_err("the node is gone");
		assert_eq!(e.raw_os_error(), Some(EIO), "{e}");
		assert!(t.elapsed() < Duration::from_secs(30), "EIO came after {:.1}s", t.elapsed().as_secs_f64());
		eprintln!("fuse: EIO {:.1}s after the node died", t.elapsed().as_secs_f64());
		tx.send("restart").unwrap();
		done_rx.recv().unwrap();
		eventually("Bob's mount working again after the node's restart", || std::fs::read(bobs.path("nov/notes")).is_ok_and(|d| d == pattern(4096, 2)));
		bobs.unmount();
		a.unmount();
	});
	// Carries out the node steps the mount steps ask for.
	let (mut charlie_kill, mut charlie_restart) = (false, false);
	let mut steps = std::pin::pin!(steps);
	loop {
		tokio::select! {
			finished = &mut steps => {
				finished.expect("the mount steps pass");
				break
			},
			_ = tokio::time::sleep(Duration::from_millis(200)) => {
				while let Ok(step) = rx.try_recv() {
					match step {
						"kill" => {
							nodes[2].kill();
							charlie_kill = true;
						},
						_ => {
							nodes[2].restart().await;
							charlie_restart = true;
						},
					}
					done_tx.send(()).unwrap();
				}
			},
		}
	}
	assert!(charlie_kill && charlie_restart);
	// The network went on: Alice's node still finalizes.
	let finalized = nodes[0].finalized().await.expect("alice answers").0;
	nodes[0].wait_finalized(finalized + 1, TIMEOUT).await;
}

/// How long the mount uses a listing without asking the node (blocktree-fuse's `DIR_TTL`).
fn blocktree_fuse_dir_ttl() -> Duration {
	Duration::from_secs(2)
}
