//! Four validators of the `local` chain on loopback (litep2p, the default network backend) and
//! a fifth, storing-only node on libp2p, each a storage provider: the validators finalize together; a 20 MiB file written through Alice's
//! node becomes fragments on the other four, placed on chain and proven, and reads back
//! byte-identical from any node; a fragment corrupted on disk is never served, is reported and
//! repaired elsewhere; finality and the file both survive the loss of one node (GRANDPA needs 3
//! of 4, the file 3 of 4 fragments); a restarted node catches up and still holds and serves its
//! fragment. Then proofs over at least 30 challenge rounds with several blocks stored: no
//! honest holder misses one; Eve vanishes with her fragments, misses her challenges, and the
//! blocks she held are repaired onto other providers.
//!
//! One network for all of it: starting four nodes is the expensive part.

mod common;

use std::{
	path::Path,
	process::{Command, Output},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use common::{erasure_params, node_key, stderr as err, stdout as out, TempDir, TestNode, NODE_BIN};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(240);

const PASSWORD: &str = "correct horse battery";

/// Runs `blocktree <args>` (the client) as a user would, off the async runtime.
async fn cli(args: Vec<String>) -> Output {
	common::run_cli(args, PASSWORD).await
}

fn strings(list: &[&str]) -> Vec<String> {
	list.iter().map(|s| s.to_string()).collect()
}

async fn block_status(node: &TestNode, block: &str) -> Value {
	node.rpc("blocktree_blockStatus", vec![json!(block)]).await.expect("blockStatus answers")
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_finalize_store_a_file_and_survive_one_failure() {
	let tmp = TempDir::new("local-net");
	// Four validators, and Eve: a full node that only stores (a fifth provider, so that a lost
	// fragment of a small block has somewhere new to go).
	let names = ["alice", "bob", "charlie", "dave", "eve"];

	let p2p_ports: Vec<u16> = names.iter().map(|_| common::free_port()).collect();
	let keys: Vec<(String, String)> = (0..names.len()).map(|i| node_key(tmp.path(), i as u8)).collect();
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
			// Storage: every node offers 256 MiB, opens a 64 MiB contract with every other
			// offer, and registers its loopback address as its endpoint.
			"--storage-capacity".into(),
			"256MiB".into(),
			"--storage-auto-contract".into(),
			"64MiB".into(),
			"--public-addr".into(),
			format!("/ip4/127.0.0.1/tcp/{}", p2p_ports[i]),
			// The proof check at the end reads the events of every block since the first
			// challenge round, more than the default 256 blocks of state.
			"--state-pruning".into(),
			"archive-canonical".into(),
		];
		let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
		if *name == "eve" {
			// The fragment exchange on sc-network's other backend: Eve runs libp2p, the
			// validators litep2p (the default), and they push and fetch fragments across.
			args.extend(["--network-backend", "libp2p"]);
		}
		let node =
			TestNode::start_on(name, tmp.path(), &args, common::free_port(), p2p_ports[i]).await;
		nodes.push(node);
	}

	// 1. All four finalize, and agree on what they finalized.
	let mut finalized = Vec::new();
	for node in nodes.iter_mut().take(4) {
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
	assert!(health["peers"].as_u64().unwrap_or(0) >= 4, "alice sees the others: {health}");

	// 2. Storage. The workers register endpoints, offers and contracts by themselves; Alice's
	// account then has four providers: a 20 MiB block at tolerance 1 becomes 3 of 4 fragments.
	let started = Instant::now();
	let size = 20u64 << 20;
	loop {
		match erasure_params(&nodes[0], size).await {
			Ok(params) if params.1 == 4 => {
				eprintln!("storage market ready after {:.0}s: {params:?}", started.elapsed().as_secs_f64());
				break
			},
			Ok(params) if started.elapsed() < TIMEOUT => {
				eprintln!("{params:?} so far: waiting for the fourth provider");
				tokio::time::sleep(Duration::from_secs(3)).await
			},
			Err(e) if started.elapsed() < TIMEOUT => {
				if started.elapsed().as_secs() % 30 == 0 {
					eprintln!("waiting for the storage market: {e}");
				}
				tokio::time::sleep(Duration::from_secs(3)).await
			},
			other => panic!("the workers did not set up contracts: {other:?}"),
		}
	}
	for node in &nodes {
		let status = node.rpc("blocktree_storageStatus", vec![]).await.expect("storageStatus answers");
		assert_eq!(status["capacity"], json!(256u64 << 20), "{}: {status}", node.name);
	}

	// Alice's principal, registered by the account her node's worker signs with.
	let key_file = tmp.path().join("alice.key");
	let key = key_file.to_str().unwrap().to_string();
	let created = cli(strings(&["principal", "create", "--key-file", &key])).await;
	assert!(created.status.success(), "create: {}", err(&created));
	let principal = out(&created).lines().find_map(|l| l.strip_prefix("principal: ")).expect("create prints the id").to_string();
	let alice_rpc = nodes[0].ws_url();
	for step in ["register", "claim-root"] {
		let mut args = strings(&["principal", step, "--rpc-url", &alice_rpc, "--signer", "//Alice"]);
		if step == "register" {
			args.extend(strings(&["--key-file", &key]));
		}
		let done = cli(args).await;
		assert!(done.status.success(), "{step}: {}", err(&done));
	}

	// A 20 MiB file written through Alice's node.
	let original: Vec<u8> = (0..size as usize).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2]).collect();
	let local = tmp.path().join("big.bin");
	std::fs::write(&local, &original).unwrap();
	let tree_path = format!("/{}/big.bin", principal.trim_start_matches("0x"));
	let file = |verb: &str, rest: &[&str], node: &TestNode| {
		let mut args = strings(&["file", verb]);
		args.extend(strings(rest));
		args.extend(strings(&["--key-file", &key, "--rpc-url", &node.ws_url()]));
		args
	};
	let put_started = Instant::now();
	let put = cli(file("put", &[local.to_str().unwrap(), &tree_path], &nodes[0])).await;
	assert!(put.status.success(), "put: {}\n{}", out(&put), err(&put));
	eprintln!("put of 20 MiB, placements on chain: {:.1}s\n{}", put_started.elapsed().as_secs_f64(), out(&put));
	assert!(out(&put).contains("placed: 4 of 4"), "{}", out(&put));
	let block = out(&put).lines().find_map(|l| l.strip_prefix("block: ")).expect("put prints the block").to_string();

	// Its fragments are on the four other nodes, one each, and on chain.
	let status = block_status(&nodes[0], &block).await;
	assert_eq!((status["k"].as_u64(), status["n"].as_u64(), status["placed"].as_u64()), (Some(3), Some(4), Some(4)), "{status}");
	let alice_ss58 = sp_keyring::Sr25519Keyring::Alice.to_account_id().to_string();
	let holders: Vec<String> = status["holders"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()).collect();
	assert!(!holders.contains(&alice_ss58), "the owner holds nothing of its own block: {holders:?}");
	for node in &nodes[1..] {
		let s = node.rpc("blocktree_storageStatus", vec![]).await.unwrap();
		assert_eq!(s["fragments"], json!(1), "{} holds one fragment: {s}", node.name);
		assert!(holders.contains(&s["account"].as_str().unwrap().to_string()), "{} is a holder", node.name);
	}

	// Read back byte-identical from the writer's node and from another one.
	for (i, node) in [(0usize, &nodes[0]), (3, &nodes[3])] {
		let copy = tmp.path().join(format!("copy-{i}.bin"));
		let get = cli(file("get", &[&tree_path, copy.to_str().unwrap()], node)).await;
		assert!(get.status.success(), "get from {}: {}", node.name, err(&get));
		assert!(std::fs::read(&copy).unwrap() == original, "the copy read through {} differs", node.name);
	}

	// A writer without a write cap on Alice's tree is refused, with the cap error's name.
	let bob_key = tmp.path().join("bob.key");
	let created = cli(strings(&["principal", "create", "--key-file", bob_key.to_str().unwrap()])).await;
	assert!(created.status.success(), "create bob: {}", err(&created));
	let intruder = cli(strings(&[
		"file",
		"put",
		local.to_str().unwrap(),
		&format!("/{}/by-bob.bin", principal.trim_start_matches("0x")),
		"--key-file",
		bob_key.to_str().unwrap(),
		"--rpc-url",
		&nodes[1].ws_url(),
	]))
	.await;
	assert!(!intruder.status.success() && err(&intruder).contains("NoCapability"), "{}", err(&intruder));

	// A fragment corrupted on a holder's disk is detected when it is next read, never served,
	// reported by its holder, and repaired onto the provider that held nothing of the block.
	let small: Vec<u8> = original[..1 << 20].to_vec();
	let small_local = tmp.path().join("small.bin");
	std::fs::write(&small_local, &small).unwrap();
	let small_path = format!("/{}/small.bin", principal.trim_start_matches("0x"));
	// Charlie's node tells a subscriber to Alice's tree about the new block (the write went
	// through Alice's node).
	let watcher = jsonrpsee::ws_client::WsClientBuilder::default().build(nodes[2].ws_url()).await.expect("ws connects");
	let tree = format!("/{}", principal.trim_start_matches("0x"));
	let mut notices = jsonrpsee::core::client::SubscriptionClientT::subscribe::<Value, _>(
		&watcher,
		"blocktree_subscribeBlocks",
		jsonrpsee::rpc_params![tree],
		"blocktree_unsubscribeBlocks",
	)
	.await
	.expect("subscribeBlocks");
	let put = cli(file("put", &[small_local.to_str().unwrap(), &small_path], &nodes[0])).await;
	assert!(put.status.success(), "put small: {}", err(&put));
	let small_block = out(&put).lines().find_map(|l| l.strip_prefix("block: ")).expect("put prints the block").to_string();
	let notice = tokio::time::timeout(Duration::from_secs(60), notices.next())
		.await
		.expect("a notice within a minute")
		.expect("the subscription is open")
		.expect("a well-formed notice");
	assert_eq!((notice["block"].as_str(), notice["path"].as_str()), (Some(small_block.as_str()), Some(small_path.as_str())), "{notice}");
	let status = block_status(&nodes[0], &small_block).await;
	assert_eq!((status["k"].as_u64(), status["n"].as_u64(), status["placed"].as_u64()), (Some(2), Some(3), Some(3)), "{status}");
	let small_holders: Vec<String> = status["holders"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()).collect();
	let mut victim = None;
	for (i, node) in nodes.iter().enumerate().skip(1) {
		let account = node.rpc("blocktree_storageStatus", vec![]).await.unwrap()["account"].as_str().unwrap().to_string();
		if let Some(index) = small_holders.iter().position(|h| *h == account) {
			victim = Some((i, index, account));
			break
		}
	}
	let (victim, index, victim_account) = victim.expect("a node holds a fragment of the small block");
	// Alice's node tracks the blocks it recorded, for repair.
	let owned = std::fs::read_to_string(tmp.path().join("alice/chains/blocktree_local/storage/owned-blocks")).unwrap_or_default();
	assert!(owned.contains(&block) && owned.contains(&small_block), "owned blocks: {owned}");
	let store = tmp.path().join(names[victim]).join("chains/blocktree_local/storage");
	let hex = small_block.trim_start_matches("0x");
	let fragment_file = store.join(&hex[..2]).join(format!("{hex}.{index}"));
	let mut raw = std::fs::read(&fragment_file).expect("the holder keeps the fragment in its store");
	raw[48 + 100] ^= 0x5a;
	std::fs::write(&fragment_file, raw).unwrap();
	let reader = if victim == 1 { 2 } else { 1 };
	let checked = nodes[reader].rpc("blocktree_checkFragment", vec![json!(small_block), json!(index)]).await;
	assert!(checked.is_err(), "a corrupt fragment is never served: {checked:?}");
	let repair_started = Instant::now();
	loop {
		let status = block_status(&nodes[0], &small_block).await;
		let holder = status["holders"][index].as_str().map(str::to_string);
		if status["placed"] == json!(3) && holder.as_ref().is_some_and(|h| *h != victim_account) {
			eprintln!("corrupt fragment {index} reported and repaired in {:.0}s: {status}", repair_started.elapsed().as_secs_f64());
			break
		}
		assert!(repair_started.elapsed() < TIMEOUT, "the corrupt fragment was not repaired: {status}");
		tokio::time::sleep(Duration::from_secs(3)).await;
	}
	assert!(nodes[victim].log_contains("reported"), "{} reported its corrupt fragment", names[victim]);
	let copy = tmp.path().join("small-copy.bin");
	let get = cli(file("get", &[&small_path, copy.to_str().unwrap()], &nodes[victim])).await;
	assert!(get.status.success(), "get small after repair: {}", err(&get));
	assert!(std::fs::read(&copy).unwrap() == small, "the repaired small file differs");

	// 3. Dave dies; the other three (3 of 4 GRANDPA voters) keep finalizing, and the file is
	// still readable (from any 3 of its 4 fragments).
	let dave_index = holders.iter().position(|h| *h == sp_keyring::Sr25519Keyring::Dave.to_account_id().to_string()).expect("dave holds one");
	nodes[3].kill();
	let copy = tmp.path().join("copy-without-dave.bin");
	let get = cli(file("get", &[&tree_path, copy.to_str().unwrap()], &nodes[2])).await;
	assert!(get.status.success(), "get with dave down: {}", err(&get));
	assert!(std::fs::read(&copy).unwrap() == original, "the copy read with dave down differs");
	let (before, _) = nodes[0].finalized().await.expect("alice answers");
	let (after, _) = nodes[0].wait_finalized(before + 3, TIMEOUT).await;
	eprintln!("with dave down, finality moved from #{before} to #{after}");

	// 4. Dave comes back with his database and catches up to the others' finalized head.
	nodes[3].restart().await;
	let (target, target_hash) = nodes[0].finalized().await.expect("alice answers");
	let (caught_up, _) = nodes[3].wait_finalized(target, TIMEOUT).await;
	assert_eq!(
		nodes[3].block_hash(target).await.as_deref(),
		Some(target_hash.as_str()),
		"dave's block #{target} is the one the others finalized"
	);
	eprintln!("dave caught up to #{caught_up} (others at #{target})");

	// Dave's fragment survived the crash, and he serves it again.
	let s = nodes[3].rpc("blocktree_storageStatus", vec![]).await.unwrap();
	assert!(s["fragments"].as_u64() >= Some(1), "dave's fragment survived: {s}");
	let checked = nodes[1].rpc("blocktree_checkFragment", vec![json!(block), json!(dave_index)]).await;
	assert!(checked.is_ok(), "dave serves his fragment again: {checked:?}");

	let dave_back = nodes[0].best_number().await.unwrap();

	// 5. A file larger than the part size: stored as three parts and a manifest, each its own
	// block, read back byte-identical through another node, and `status` sees its parts.
	let parted: Vec<u8> = original[..3 << 20].iter().rev().copied().collect();
	let parted_local = tmp.path().join("parted.bin");
	std::fs::write(&parted_local, &parted).unwrap();
	let parted_path = format!("/{}/parted.bin", principal.trim_start_matches("0x"));
	let put = cli(file("put", &[parted_local.to_str().unwrap(), &parted_path, "--part-size", "1MiB"], &nodes[0])).await;
	assert!(put.status.success(), "put in parts: {}", err(&put));
	assert!(out(&put).contains("parts: 3") && out(&put).contains("placed: 12 of 12"), "three parts and a manifest of 3 fragments each: {}", out(&put));
	let mut small_blocks = vec![small_block.clone()];
	small_blocks.extend(out(&put).lines().filter_map(|l| l.strip_prefix("part ").and_then(|l| l.split_once(": ")).map(|(_, b)| b.to_string())));
	small_blocks.push(out(&put).lines().find_map(|l| l.strip_prefix("block: ")).expect("put prints the manifest's block").to_string());
	assert_eq!(small_blocks.len(), 5, "{}", out(&put));
	let copy = tmp.path().join("parted-copy.bin");
	let get = cli(file("get", &[&parted_path, copy.to_str().unwrap()], &nodes[2])).await;
	assert!(get.status.success(), "get in parts: {}", err(&get));
	assert!(std::fs::read(&copy).unwrap() == parted, "the file read back from its parts differs");
	let status = cli(file("status", &[&parted_path], &nodes[1])).await;
	assert!(out(&status).contains(&format!("file: {} bytes in 3 parts; parts' fragments placed: 9 of 9", 3 << 20)), "{}", out(&status));

	// Random access: byte ranges read through another node open only the sectors they touch,
	// each checked against its block's signed root (blocktree_readSectors).
	let ranges = [(&parted_path, &parted, (1u64 << 20) - 1000, 5000u64, "5 sectors of 3 blocks opened"), (&small_path, &small, 70_000, 100, "2 sectors of 1 blocks opened")];
	for (i, (path, local, offset, len, opened)) in ranges.into_iter().enumerate() {
		let copy = tmp.path().join(format!("range-{i}.bin"));
		let (o, l) = (offset.to_string(), len.to_string());
		let read = cli(file("read", &[path, "--offset", &o, "--len", &l, "--out", copy.to_str().unwrap()], &nodes[3])).await;
		assert!(read.status.success() && err(&read).contains(opened), "read {len} bytes at {offset} of {path}: {}", err(&read));
		assert!(std::fs::read(&copy).unwrap() == local[offset as usize..(offset + len) as usize], "the range read of {path} differs");
	}
	let header_only = nodes[3].rpc("blocktree_readSectors", vec![json!(small_block), json!(0), json!(0)]).await.expect("the header alone");
	assert!(header_only["sectors"].as_array().is_some_and(|s| s.is_empty()) && header_only["sectorCount"] == json!(17), "{header_only}");
	let past_the_end = nodes[3].rpc("blocktree_readSectors", vec![json!(small_block), json!(17), json!(1)]).await;
	assert!(past_the_end.is_err_and(|e| e.to_string().contains("has 17 sectors")), "a read past the last sector is refused");
	let unknown = nodes[3].rpc("blocktree_readSectors", vec![json!(format!("0x{}", "ab".repeat(32))), json!(0), json!(1)]).await;
	assert!(unknown.is_err_and(|e| e.to_string().contains("has no block")), "an unknown block is refused");


	// blocktree_removeBlock removes a block only for its writer: a stranger's signature over
	// the same message, or bytes that are no signature, are refused and remove nothing.
	let hash = |hex: &str| blocktree_runtime::Hash::from_slice(&sp_core::bytes::from_hex(hex).expect("hex"));
	let genesis = hash(&nodes[0].block_hash(0).await.expect("genesis"));
	let parsed_small = hash(&small_block);
	let stranger = blocktree_primitives::crypto::PrincipalKeys::generate(blocktree_primitives::crypto::KeyScheme::Sr25519);
	let forged = stranger.sign(&blocktree_client::tree_rpc::remove_block_message(&genesis, &parsed_small));
	let refused = nodes[0].rpc("blocktree_removeBlock", vec![json!(small_block), json!(sp_core::bytes::to_hex(&forged.encode(), false))]).await;
	assert!(refused.is_err_and(|e| e.to_string().contains("not the writer")), "a stranger's removal is refused");
	let garbage = nodes[0].rpc("blocktree_removeBlock", vec![json!(small_block), json!("0x0102")]).await;
	assert!(garbage.is_err_and(|e| e.to_string().contains("not a SCALE-encoded")), "bytes that are no signature are refused");
	assert_eq!(block_status(&nodes[0], &small_block).await["placed"], json!(3), "the block is still there");

	// Then Eve vanishes with her fragments (a provider that lost everything and answers
	// nothing): she misses her challenges, and every small block she held is repaired onto a
	// provider that held nothing of it.
	let eve = sp_keyring::Sr25519Keyring::Eve.to_account_id().to_string();
	let mut eves = Vec::new();
	// Not the block whose corrupted fragment was repaired: its old holder is barred from it
	// for an hour (the placement cooldown), so a fragment it loses now has nowhere to go.
	for b in small_blocks.iter().filter(|b| **b != small_block) {
		let status = block_status(&nodes[0], b).await;
		if status["holders"].as_array().unwrap().iter().any(|h| h.as_str() == Some(eve.as_str())) {
			eves.push(b.clone());
		}
	}
	assert!(!eves.is_empty(), "eve holds a fragment of one of the {} blocks of parted.bin (3 of 4 providers each, the roomiest first)", small_blocks.len() - 1);
	nodes[4].kill();
	let eve_gone = nodes[0].best_number().await.unwrap();
	let repair_started = Instant::now();
	for b in &eves {
		loop {
			let status = block_status(&nodes[0], b).await;
			let holders: Vec<&str> = status["holders"].as_array().unwrap().iter().filter_map(|h| h.as_str()).collect();
			if status["placed"] == json!(3) && !holders.contains(&eve.as_str()) {
				eprintln!("eve's fragment of {b} missed and repaired in {:.0}s: {status}", repair_started.elapsed().as_secs_f64());
				break
			}
			assert!(repair_started.elapsed() < 3 * TIMEOUT, "eve's fragment of {b} was not repaired: {status}");
			tokio::time::sleep(Duration::from_secs(5)).await;
		}
	}

	// 6. Proofs over at least 30 challenge rounds (one every 10 blocks) since the first.
	let (mut rounds, mut scanned) = (std::collections::BTreeSet::new(), 0u64);
	let mut events = Vec::new();
	loop {
		let best = nodes[0].best_number().await.unwrap();
		for (n, event) in fragment_events(&nodes[0], scanned + 1, best).await {
			if let pallet_fragments::Event::ChallengeIssued { .. } = event {
				rounds.insert(n);
			}
			events.push((n, event));
		}
		scanned = best;
		if rounds.len() >= 30 {
			break
		}
		eprintln!("{} challenge rounds by block #{best}", rounds.len());
		// 30 blocks (three rounds) take 180 s, well within the wait's timeout.
		nodes[0].wait_best(best + 30, TIMEOUT).await;
	}
	let [bob, charlie, dave] = [sp_keyring::Sr25519Keyring::Bob, sp_keyring::Sr25519Keyring::Charlie, sp_keyring::Sr25519Keyring::Dave]
		.map(|k| k.to_account_id());
	let corrupted = (small_block.clone(), index as u8);
	let mut accepted = std::collections::BTreeMap::new();
	let mut eve_missed = 0;
	for (n, event) in &events {
		match event {
			pallet_fragments::Event::ProofAccepted { provider, .. } => *accepted.entry(provider.to_string()).or_insert(0u32) += 1,
			pallet_fragments::Event::ProofMissed { block, index, provider, .. } => {
				let key = (format!("{block:?}"), *index);
				if provider.to_string() == eve && *n > eve_gone {
					eve_missed += 1;
				} else if key != corrupted && !(*provider == dave && *n <= dave_back + 25) {
					panic!("an honest holder missed a challenge at #{n}: {event:?}");
				}
			},
			_ => {},
		}
	}
	eprintln!("{} challenge rounds from #{} to #{scanned}; proofs accepted: {accepted:?}; eve missed {eve_missed}", rounds.len(), rounds.first().unwrap());
	for who in [&bob, &charlie, &dave] {
		assert!(accepted.get(&who.to_string()).copied().unwrap_or(0) > 0, "{who} proved nothing: {accepted:?}");
	}
	assert!(eve_missed > 0, "eve answered nothing yet missed nothing");
	let status = block_status(&nodes[0], &block).await;
	let holders: Vec<&str> = status["holders"].as_array().unwrap().iter().filter_map(|h| h.as_str()).collect();
	for who in [&bob, &charlie, &dave] {
		assert!(holders.contains(&who.to_string().as_str()), "{who} kept its placement of the big block: {status}");
	}

	// And the network still finalizes with all four validators.
	let (now, _) = nodes[0].finalized().await.expect("alice answers");
	for node in nodes.iter_mut().take(4) {
		node.wait_finalized(now + 2, TIMEOUT).await;
	}
}

/// The fragments pallet's events in blocks `from..=to` of `node`'s chain, with their block
/// numbers.
async fn fragment_events(node: &TestNode, from: u64, to: u64) -> Vec<(u64, pallet_fragments::Event<blocktree_runtime::Runtime>)> {
	let key = sp_core::bytes::to_hex(&frame_support::storage::storage_prefix(b"System", b"Events"), false);
	let mut found = Vec::new();
	for n in from..=to {
		let hash = node.block_hash(n).await.unwrap_or_else(|| panic!("{} has block #{n}", node.name));
		let raw = node.rpc("state_getStorage", vec![json!(key), json!(hash)]).await.expect("events of a kept block");
		let bytes = sp_core::bytes::from_hex(raw.as_str().unwrap_or("0x")).expect("hex events");
		let records = Vec::<frame_system::EventRecord<blocktree_runtime::RuntimeEvent, blocktree_runtime::Hash>>::decode(&mut &bytes[..])
			.expect("events decode with the runtime's types");
		found.extend(records.into_iter().filter_map(|r| match r.event {
			blocktree_runtime::RuntimeEvent::Fragments(event) => Some((n, event)),
			_ => None,
		}));
	}
	found
}
