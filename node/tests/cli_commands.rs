//! The standard subcommands on the real binary: a chain spec exported to a file runs as
//! `--chain <file>`, `build-spec --raw` works, `purge-chain` removes the database, and a bad
//! `--chain` fails with a message that says what to do.

mod common;

use std::{process::Command, time::Duration};

use common::{TempDir, TestNode, NODE_BIN};

fn node(args: &[&str]) -> std::process::Output {
	Command::new(NODE_BIN).args(args).output().expect("node binary runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exported_chain_spec_runs_from_its_file() {
	let dir = TempDir::new("chain-spec");
	let out = node(&["export-chain-spec", "--chain", "dev"]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON chain spec");
	assert_eq!(spec["name"], "Blocktree Development");
	assert_eq!(spec["id"], "blocktree_dev");
	assert_eq!(spec["properties"]["tokenSymbol"], "BKT");
	assert_eq!(spec["properties"]["tokenDecimals"], 12);
	let file = dir.path().join("dev.json");
	std::fs::write(&file, &out.stdout).unwrap();

	let raw = node(&["build-spec", "--chain", file.to_str().unwrap(), "--raw"]);
	assert!(raw.status.success(), "{}", String::from_utf8_lossy(&raw.stderr));
	let raw: serde_json::Value = serde_json::from_slice(&raw.stdout).expect("raw JSON spec");
	assert!(raw["genesis"]["raw"]["top"].is_object(), "a raw spec carries the genesis storage");

	let base = dir.path().join("base");
	let mut n = TestNode::start(
		"from-file",
		dir.path(),
		&[
			"--chain",
			file.to_str().unwrap(),
			"--alice",
			"--force-authoring",
			"--node-key",
			"0000000000000000000000000000000000000000000000000000000000000007",
			"--base-path",
			base.to_str().unwrap(),
		],
	)
	.await;
	n.wait_finalized(1, Duration::from_secs(120)).await;
	n.kill();

	// purge-chain removes the database the node wrote.
	let db = base.join("chains/blocktree_dev/paritydb");
	assert!(db.exists(), "the node wrote its database to {}", db.display());
	let purged = node(&["purge-chain", "--chain", file.to_str().unwrap(), "--base-path", base.to_str().unwrap(), "-y"]);
	assert!(purged.status.success(), "{}", String::from_utf8_lossy(&purged.stderr));
	assert!(!db.exists(), "purge-chain removed {}", db.display());
}

#[test]
fn a_missing_chain_spec_file_fails_with_advice() {
	let out = node(&["--chain", "/nonexistent/spec.json", "--tmp"]);
	assert!(!out.status.success());
	let err = String::from_utf8_lossy(&out.stderr);
	assert!(err.contains("cannot load chain spec '/nonexistent/spec.json'"), "{err}");
	assert!(err.contains("--chain dev"), "says what to use instead: {err}");
}
