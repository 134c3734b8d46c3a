//! A real third-party client: `@polkadot/api` from npm (pinned in
//! `tests/polkadot-js/package-lock.json`) sends a transfer to a running dev node.

mod common;

use std::{path::PathBuf, process::Command};

use common::{TempDir, TestNode};

fn client_dir() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/polkadot-js")
}

#[tokio::test(flavor = "multi_thread")]
async fn polkadot_js_transfers_from_alice_to_bob_and_sees_it_finalized() {
	let dir = client_dir();
	assert!(
		dir.join("node_modules/@polkadot/api").is_dir(),
		"@polkadot/api is not installed in {}: run scripts/setup.sh (it runs `npm ci` there)",
		dir.display()
	);

	let tmp = TempDir::new("polkadot-js");
	let base = tmp.path().join("base");
	let mut node =
		TestNode::start("dev-pjs", tmp.path(), &["--dev", "--base-path", base.to_str().unwrap()])
			.await;
	node.wait_best(1, std::time::Duration::from_secs(120)).await;

	let url = node.ws_url();
	let output = tokio::task::spawn_blocking(move || {
		Command::new("node").arg("transfer.mjs").arg(url).current_dir(dir).output()
	})
	.await
	.expect("the client task ran")
	.expect("`node` (Node.js) is installed: run scripts/setup.sh");

	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(output.status.success(), "client failed ({}):\n{stdout}\n{stderr}", output.status);

	let report: serde_json::Value = stdout
		.lines()
		.rev()
		.find_map(|l| serde_json::from_str(l).ok())
		.unwrap_or_else(|| panic!("no JSON report from the client:\n{stdout}"));
	assert_eq!(report["ok"], true);
	assert_eq!(report["symbol"], "BKT");
	assert_eq!(report["decimals"], 12);
	let fee: u128 = report["fee"].as_str().and_then(|f| f.parse().ok()).expect("fee reported");
	assert!(fee > 0, "a transfer pays a fee");
	eprintln!("polkadot.js transfer: {report}");
}
