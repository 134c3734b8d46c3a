//! Four validators of the `local` chain on loopback: they finalize together, finality survives
//! the loss of one of them (GRANDPA needs 3 of 4), and a restarted validator catches up.

mod common;

use std::{path::Path, process::Command, time::Duration};

use common::{TempDir, TestNode, NODE_BIN};

const TIMEOUT: Duration = Duration::from_secs(240);

/// Writes a node key (ed25519 secret, hex) and asks the node binary for its peer id.
fn node_key(dir: &Path, index: u8) -> (String, String) {
	let secret = format!("{:064x}", index as u128 + 1);
	let file = dir.join(format!("node-key-{index}"));
	std::fs::write(&file, &secret).expect("key file is writable");
	let out = Command::new(NODE_BIN)
		.args(["key", "inspect-node-key", "--file"])
		.arg(&file)
		.output()
		.expect("node binary runs");
	assert!(out.status.success(), "inspect-node-key failed: {}", String::from_utf8_lossy(&out.stderr));
	let peer_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
	(secret, peer_id)
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_finalize_survive_one_failure_and_a_restarted_one_catches_up() {
	let tmp = TempDir::new("local-net");
	let names = ["alice", "bob", "charlie", "dave"];

	let p2p_ports: Vec<u16> = names.iter().map(|_| common::free_port()).collect();
	let keys: Vec<(String, String)> = (0..4).map(|i| node_key(tmp.path(), i as u8)).collect();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", p2p_ports[0], keys[0].1);

	let mut nodes = Vec::new();
	for (i, name) in names.iter().enumerate() {
		let base = tmp.path().join(name);
		let args: Vec<String> = vec![
			"--chain".into(),
			"local".into(),
			format!("--{name}"),
			"--base-path".into(),
			base.display().to_string(),
			"--node-key".into(),
			keys[i].0.clone(),
			"--bootnodes".into(),
			bootnode.clone(),
		];
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		let node =
			TestNode::start_on(name, tmp.path(), &args, common::free_port(), p2p_ports[i]).await;
		nodes.push(node);
	}

	// 1. All four finalize, and agree on what they finalized.
	let mut finalized = Vec::new();
	for node in nodes.iter_mut() {
		finalized.push(node.wait_finalized(3, TIMEOUT).await.0);
	}
	let common_height = *finalized.iter().min().expect("four nodes");
	let reference = nodes[0].block_hash(common_height).await.expect("alice has the block");
	for node in &nodes {
		assert_eq!(
			node.block_hash(common_height).await.as_deref(),
			Some(reference.as_str()),
			"{} finalized a different block #{common_height}",
			node.name
		);
	}
	let health = nodes[0].rpc("system_health", vec![]).await.expect("health");
	assert!(health["peers"].as_u64().unwrap_or(0) >= 3, "alice sees the others: {health}");

	// 2. Dave dies; the other three (3 of 4 GRANDPA voters) keep finalizing.
	nodes[3].kill();
	let (before, _) = nodes[0].finalized().await.expect("alice answers");
	let (after, _) = nodes[0].wait_finalized(before + 3, TIMEOUT).await;
	eprintln!("with dave down, finality moved from #{before} to #{after}");

	// 3. Dave comes back with his database and catches up to the others' finalized head.
	nodes[3].restart().await;
	let (target, target_hash) = nodes[0].finalized().await.expect("alice answers");
	let (caught_up, _) = nodes[3].wait_finalized(target, TIMEOUT).await;
	assert_eq!(
		nodes[3].block_hash(target).await.as_deref(),
		Some(target_hash.as_str()),
		"dave's block #{target} is the one the others finalized"
	);
	eprintln!("dave caught up to #{caught_up} (others at #{target})");

	// And the network still finalizes with all four.
	let (now, _) = nodes[0].finalized().await.expect("alice answers");
	for node in nodes.iter_mut() {
		node.wait_finalized(now + 2, TIMEOUT).await;
	}
}
