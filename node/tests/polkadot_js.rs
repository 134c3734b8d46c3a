//! A real third-party client: `@polkadot/api` from npm (pinned in
//! `tests/polkadot-js/package-lock.json`) against a running dev node: a transfer seen finalized,
//! the storage market (endpoints, offers, contracts, runtime APIs) used from the metadata
//! alone, a block recorded and its storage proven with JavaScript-built merkle proofs, and
//! principals registered and a write cap issued entirely in JavaScript (ids, proofs of
//! possession and cap signatures built as `docs/rpc.md` describes, checked against the chain).

mod common;

use std::{path::PathBuf, process::Command};

use common::{TempDir, TestNode};
use serde_json::Value;

fn client_dir() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/polkadot-js")
}

/// Starts a dev node, runs `node <script> <ws url>` against it and returns the script's JSON
/// report (its last JSON line), failing with its output if it failed.
async fn run_client(label: &str, script: &'static str) -> Value {
	let dir = client_dir();
	assert!(
		dir.join("node_modules/@polkadot/api").is_dir(),
		"@polkadot/api is not installed in {}: run scripts/setup.sh (it runs `npm ci` there)",
		dir.display()
	);
	let tmp = TempDir::new(label);
	let base = tmp.path().join("base");
	let mut node = TestNode::start(label, tmp.path(), &["--dev", "--base-path", base.to_str().unwrap()]).await;
	node.wait_best(1, std::time::Duration::from_secs(120)).await;

	let url = node.ws_url();
	let output = tokio::task::spawn_blocking(move || Command::new("node").arg(script).arg(url).current_dir(dir).output())
		.await
		.expect("the client task ran")
		.expect("`node` (Node.js) is installed: run scripts/setup.sh");
	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(output.status.success(), "{script} failed ({}):\n{stdout}\n{stderr}", output.status);
	node.assert_running();
	let report: Value = stdout
		.lines()
		.rev()
		.find_map(|l| serde_json::from_str(l).ok())
		.unwrap_or_else(|| panic!("no JSON report from {script}:\n{stdout}"));
	assert_eq!(report["ok"], true);
	eprintln!("{script}: {report}");
	report
}

#[tokio::test(flavor = "multi_thread")]
async fn polkadot_js_transfers_from_alice_to_bob_and_sees_it_finalized() {
	let report = run_client("dev-pjs", "transfer.mjs").await;
	assert_eq!(report["symbol"], "BKT");
	assert_eq!(report["decimals"], 12);
	let fee: u128 = report["fee"].as_str().and_then(|f| f.parse().ok()).expect("fee reported");
	assert!(fee > 0, "a transfer pays a fee");
}

#[tokio::test(flavor = "multi_thread")]
async fn polkadot_js_uses_the_storage_market_from_metadata_alone() {
	let report = run_client("dev-pjs-storage", "storage.mjs").await;
	let escrow: u128 = report["escrow"].as_str().and_then(|f| f.parse().ok()).expect("escrow reported");
	assert_eq!(escrow, 2_048_000, "1024 bytes x 1000 per byte x 2 hours");
	let paid: u128 = report["paid"].as_str().and_then(|f| f.parse().ok()).expect("paid reported");
	assert_eq!(paid, 1_024_000, "ending in the first hour pays that hour as notice");
}

#[tokio::test(flavor = "multi_thread")]
async fn polkadot_js_records_places_and_proves_storage_with_js_built_merkle_proofs() {
	let report = run_client("dev-pjs-proofs", "proofs.mjs").await;
	assert_eq!((report["k"].as_u64(), report["n"].as_u64()), (Some(2), Some(3)), "8 KiB, tolerance 1, 3 providers");
	assert_eq!(report["fragmentSize"], 4096);
	assert!(report["answered"].as_u64().unwrap_or(0) >= 1, "at least one challenge was answered");
}

#[tokio::test(flavor = "multi_thread")]
async fn polkadot_js_registers_a_principal_and_issues_a_cap() {
	let report = run_client("dev-pjs-principal", "principal.mjs").await;
	let is_id = |v: &Value| {
		v.as_str().and_then(|s| s.strip_prefix("0x")).is_some_and(|h| {
			h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
		})
	};
	for field in ["alice", "bob", "cap"] {
		assert!(is_id(&report[field]), "{field} is not 0x + 64 hex digits: {}", report[field]);
	}
	assert_ne!(report["alice"], report["bob"]);
	assert_eq!(report["allowed"], true, "Bob may write /<Alice>/photos/a.jpg with the cap");
	assert_eq!(report["refused"], "PathOutsideScope", "but not /<Alice>/docs/a.txt");
	assert_eq!(report["withoutCap"], "NoCapability");
	assert_eq!(report["foreignCap"], "WrongSigner", "a cap signed for another genesis");
	assert_eq!(report["wrongProof"], "principals.InvalidProofOfPossession", "a tag without its length prefix");
	assert_eq!(report["wrongDomain"], "principals.CapWrongSigner", "a cap under a tag without its length prefix");
	assert_eq!(report["wrongGenesis"], "principals.CapWrongSigner", "a cap for another genesis");
}
