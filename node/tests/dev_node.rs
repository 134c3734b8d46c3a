//! End to end: the real `blocktree-node --dev` binary, spoken to over JSON-RPC.

mod common;

use std::time::Duration;

use codec::Encode;
use common::{TempDir, TestNode};
use serde_json::Value;
use sp_keyring::Sr25519Keyring;
use sp_runtime::MultiSignature;

const TIMEOUT: Duration = Duration::from_secs(120);

async fn dev_node(label: &str, dir: &TempDir) -> TestNode {
	let base = dir.path().join("base");
	TestNode::start(label, dir.path(), &["--dev", "--base-path", base.to_str().unwrap()]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_authors_and_finalizes_blocks_and_answers_standard_rpc() {
	let dir = TempDir::new("dev-rpc");
	let base = dir.path().join("base");
	let prometheus = common::free_port().to_string();
	let mut node = TestNode::start(
		"dev",
		dir.path(),
		&["--dev", "--base-path", base.to_str().unwrap(), "--prometheus-port", &prometheus],
	)
	.await;

	let (finalized, _) = node.wait_finalized(2, TIMEOUT).await;
	assert!(finalized >= 2);

	// Prometheus metrics catch up with the finalized height RPC reports (the node refreshes
	// them every few seconds).
	let port: u16 = prometheus.parse().unwrap();
	let finalized_in_metrics = || -> Option<u64> {
		let metrics = common::http_get(port, "/metrics").ok()?;
		metrics
			.lines()
			.find(|l| l.starts_with("substrate_block_height{status=\"finalized\""))
			.and_then(|l| l.rsplit(' ').next())
			.and_then(|n| n.parse::<u64>().ok())
	};
	let start = std::time::Instant::now();
	while finalized_in_metrics().unwrap_or(0) < finalized {
		assert!(
			start.elapsed() < Duration::from_secs(30),
			"metrics report finalized {:?}, RPC reported {finalized}",
			finalized_in_metrics()
		);
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	assert!(node.log_contains("Blocktree node"), "the node logs its own start line");

	let health = node.rpc("system_health", vec![]).await.expect("system_health answers");
	assert_eq!(health["isSyncing"], Value::Bool(false), "a lone dev node is not syncing: {health}");
	assert_eq!(health["shouldHavePeers"], Value::Bool(false), "a dev chain needs no peers");

	let head = node.rpc("chain_getFinalizedHead", vec![]).await.expect("finalized head");
	assert!(head.as_str().is_some_and(|h| h.starts_with("0x") && h.len() == 66), "hash: {head}");

	let version = node.rpc("state_getRuntimeVersion", vec![]).await.expect("runtime version");
	assert_eq!(version["specName"], "blocktree");
	assert_eq!(version["specVersion"], blocktree_runtime::VERSION.spec_version);

	let metadata = node.rpc("state_getMetadata", vec![]).await.expect("metadata");
	let metadata = metadata.as_str().expect("metadata is a hex string");
	// SCALE-encoded RuntimeMetadataPrefixed starts with the magic "meta" (0x6d657461).
	assert!(metadata.starts_with("0x6d657461"), "metadata magic: {}", &metadata[..12]);
	assert!(metadata.len() > 10_000, "metadata is suspiciously small: {} chars", metadata.len());

	let properties = node.rpc("system_properties", vec![]).await.expect("properties");
	assert_eq!(properties["tokenSymbol"], "BKT");
	assert_eq!(properties["tokenDecimals"], 12);

	// The extra RPC families that wallets need.
	let alice = Sr25519Keyring::Alice.to_account_id().to_string();
	let nonce = node.rpc("system_accountNextIndex", vec![alice.into()]).await.expect("nonce");
	assert_eq!(nonce, 0, "Alice has sent nothing yet");
	let methods = node.rpc("rpc_methods", vec![]).await.expect("rpc_methods");
	let methods = methods["methods"].as_array().expect("method list");
	for wanted in ["payment_queryInfo", "system_accountNextIndex", "author_submitAndWatchExtrinsic"] {
		assert!(methods.iter().any(|m| m == wanted), "{wanted} is not served");
	}
}

/// A signed transfer whose signature was made by the wrong key.
fn transfer_with_bad_signature(genesis: sp_core::H256) -> Vec<u8> {
	use blocktree_runtime::{BalancesCall, RuntimeCall, SignedPayload, UncheckedExtrinsic};
	let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
		dest: Sr25519Keyring::Bob.to_account_id().into(),
		value: 1_000,
	});
	let tx_ext = blocktree_runtime::tx_extension(0, sp_runtime::generic::Era::Immortal);
	let implicit = (
		(),
		blocktree_runtime::VERSION.spec_version,
		blocktree_runtime::VERSION.transaction_version,
		genesis,
		genesis,
		(),
		(),
		(),
		None,
	);
	let payload = SignedPayload::from_raw(call.clone(), tx_ext.clone(), implicit);
	// Eve signs, but the transaction claims to come from Alice.
	let signature = payload.using_encoded(|p| Sr25519Keyring::Eve.sign(p));
	UncheckedExtrinsic::new_signed(
		call,
		Sr25519Keyring::Alice.to_account_id().into(),
		MultiSignature::Sr25519(signature),
		tx_ext,
	)
	.encode()
}

fn error_code(err: &jsonrpsee::core::ClientError) -> Option<i32> {
	match err {
		jsonrpsee::core::ClientError::Call(obj) => Some(obj.code()),
		_ => None,
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_extrinsics_are_rejected_with_clear_errors_and_the_node_keeps_producing() {
	let dir = TempDir::new("dev-bad-xt");
	let mut node = dev_node("dev-bad-xt", &dir).await;
	node.wait_best(1, TIMEOUT).await;

	// Bytes that do not decode as an extrinsic at all.
	let err = node
		.rpc("author_submitExtrinsic", vec!["0xdeadbeef".into()])
		.await
		.expect_err("garbage is not an extrinsic");
	// The author API answers undecodable bytes with its "client error" code and the decoder's
	// reason.
	assert_eq!(error_code(&err), Some(1040), "bad format error code: {err}");
	assert!(err.to_string().contains("Could not decode"), "message says what is wrong: {err}");

	// Not even hex.
	let err = node
		.rpc("author_submitExtrinsic", vec!["not hex".into()])
		.await
		.expect_err("a non-hex string is refused");
	assert!(error_code(&err).is_some(), "a JSON-RPC error, not a transport failure: {err}");

	// Well-formed, but signed by the wrong key.
	let genesis = node.block_hash(0).await.expect("genesis hash");
	let genesis: sp_core::H256 = genesis.parse().expect("genesis hash parses");
	let bad = transfer_with_bad_signature(genesis);
	let hex = format!("0x{}", bad.iter().map(|b| format!("{b:02x}")).collect::<String>());
	let err = node
		.rpc("author_submitExtrinsic", vec![hex.into()])
		.await
		.expect_err("a forged signature is refused");
	assert_eq!(error_code(&err), Some(1010), "invalid transaction error code: {err}");
	assert!(err.to_string().to_lowercase().contains("bad signature"), "says why: {err}");

	// The node carries on authoring and finalizing.
	let best = node.best_number().await.expect("best block");
	node.wait_best(best + 2, TIMEOUT).await;
	node.wait_finalized(best + 1, TIMEOUT).await;
	let pending = node.rpc("author_pendingExtrinsics", vec![]).await.expect("pending");
	assert_eq!(pending, Value::Array(vec![]), "nothing invalid entered the pool");
}
