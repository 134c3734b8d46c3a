//! The README's walk-through, run as written: every ```sh block the README marks with
//! `<!-- tested by node/tests/readme.rs -->` is joined into one bash script and run, with
//! `set -euo pipefail`, against a real `--dev` node, with the built `blocktree` and
//! `blocktree-node` binaries first on `PATH` and `BLOCKTREE_RPC_URL` pointing at the node. A
//! README that drifts from the commands fails here.

mod common;

use std::process::Command;

use common::{stderr as err, stdout as out, TempDir, TestNode};

/// What marks a block as one this test runs.
const MARK: &str = "<!-- tested by node/tests/readme.rs -->";

/// The marked ```sh blocks of `readme`, in order.
fn marked_blocks(readme: &str) -> Vec<String> {
	let mut blocks = Vec::new();
	let mut lines = readme.lines();
	while let Some(line) = lines.next() {
		if line.trim() != MARK {
			continue
		}
		let fence = lines.next().unwrap_or_default();
		assert_eq!(fence.trim(), "```sh", "the line after the mark opens a ```sh block");
		let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
		blocks.push(block.join("\n"));
	}
	blocks
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_walkthrough_runs_as_written() {
	let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md");
	let blocks = marked_blocks(&readme);
	assert!(blocks.len() >= 2, "the README marks its walk-through blocks ({} found)", blocks.len());
	let script = blocks.join("\n");
	for step in ["principal create", "principal register", "claim-root", "principal request", "principal approve", "may-write"] {
		assert!(script.contains(step), "the walk-through shows `{step}`");
	}

	let dir = TempDir::new("readme");
	let base = dir.path().join("base");
	let mut node = TestNode::start("dev", dir.path(), &["--dev", "--base-path", base.to_str().unwrap()]).await;
	node.wait_best(1, std::time::Duration::from_secs(60)).await;
	let bins = common::client_bin().parent().expect("the binaries' directory").to_path_buf();
	let work = dir.path().join("walkthrough");
	std::fs::create_dir_all(&work).unwrap();
	let path = format!("{}:{}", bins.display(), std::env::var("PATH").unwrap_or_default());
	let rpc = node.ws_url();
	let run = tokio::task::spawn_blocking(move || {
		Command::new("bash")
			.args(["-c", &format!("set -euo pipefail\n{script}")])
			.current_dir(&work)
			.env("PATH", path)
			.env("BLOCKTREE_RPC_URL", rpc)
			.env_remove("BLOCKTREE_SIGNER")
			.env_remove("BLOCKTREE_PASSWORD")
			.output()
			.expect("bash runs")
	})
	.await
	.unwrap();
	assert!(run.status.success(), "the walk-through failed:\n--- stdout\n{}\n--- stderr\n{}", out(&run), err(&run));
	assert!(out(&run).contains("allowed: "), "may-write allowed Bob's write:\n{}", out(&run));
	node.assert_running();
}

#[test]
fn only_marked_sh_blocks_are_taken() {
	let readme = format!("text\n```sh\nnot this\n```\n{MARK}\n```sh\na\nb\n```\nmore\n{MARK}\n```sh\nc\n```\n");
	assert_eq!(marked_blocks(&readme), vec!["a\nb".to_string(), "c".to_string()]);
}
