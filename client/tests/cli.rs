//! The `blocktree` binary without a node: it names its commands, and bad input or a missing
//! node fails with a message that says what to do.

mod common;

use std::process::{Command, Output};

use common::{stderr, stdout, CLIENT_BIN};

fn run(args: &[&str]) -> Output {
	Command::new(CLIENT_BIN).args(args).env_remove("BLOCKTREE_SIGNER").output().expect("client binary runs")
}

#[test]
fn help_names_the_commands() {
	let help = run(&["--help"]);
	assert!(help.status.success());
	for command in ["principal", "file", "storage"] {
		assert!(stdout(&help).contains(command), "{command} missing from:\n{}", stdout(&help));
	}
	let storage = run(&["storage", "--help"]);
	for command in ["offer", "offers", "contract", "contracts", "settle", "end"] {
		assert!(stdout(&storage).contains(command), "{command} missing from:\n{}", stdout(&storage));
	}
}

#[test]
fn a_missing_node_and_bad_input_fail_with_advice() {
	let dead = run(&["storage", "offers", "--rpc-url", "ws://127.0.0.1:1"]);
	assert!(!dead.status.success());
	assert!(stderr(&dead).contains("cannot reach a node at ws://127.0.0.1:1"), "{}", stderr(&dead));

	let bad = run(&["storage", "offer", "--capacity", "10GB", "--price", "1", "--collateral", "1"]);
	assert!(!bad.status.success());
	assert!(stderr(&bad).contains("use B, KiB, MiB, GiB or TiB"), "{}", stderr(&bad));

	let unsigned = run(&["storage", "offer", "--capacity", "10GiB", "--price", "1", "--collateral", "1"]);
	assert!(!unsigned.status.success());
	assert!(stderr(&unsigned).contains("pass --signer"), "{}", stderr(&unsigned));

	let path = format!("/{}/x", "00".repeat(32));
	let no_key = run(&["file", "get", &path, "/tmp/x", "--key-file", "/nonexistent/key", "--rpc-url", "ws://127.0.0.1:1"]);
	assert!(!no_key.status.success());
	assert!(stderr(&no_key).contains("/nonexistent/key"), "{}", stderr(&no_key));
}
