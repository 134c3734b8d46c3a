//! The `blocktree` client against a real `--dev` node.
//!
//! The principals pallet end to end, through its `principal` subcommands: Alice registers and claims her tree, Bob registers and asks for write
//! access to `/<alice>/photos`, Alice lists and approves it, and the chain then lets Bob write
//! below the prefix (and nowhere else); Bob passes part of it on with a cap signed for this
//! chain (a cap signed for another chain is refused); a second request is rejected; refused
//! transactions report the pallet error by name.
//!
//! The storage market through its `storage` subcommands: Charlie lists an offer and raises its
//! price, Dave sees it, is not bound above his price cap, opens a contract on its terms, lists
//! and ends it; a contract against one's own offer, an unknown offer and a bad size are
//! refused with the reason.

mod common;

use std::{
	path::Path,
	process::Output,
};

use common::{stderr as err, stdout as out, TempDir, TestNode};

const PASSWORD: &str = "correct horse battery";

/// Runs `principal <args>` as a separate process (as a user would), off the async runtime.
async fn principal(mut args: Vec<String>) -> Output {
	args.insert(0, "principal".to_string());
	common::run_cli(args, PASSWORD).await
}

fn args(list: &[&str]) -> Vec<String> {
	list.iter().map(|s| s.to_string()).collect()
}

/// Creates a key file and returns the principal id (0x + 64 hex digits).
async fn create_key(file: &Path) -> String {
	let created = principal(args(&["create", "--key-file", file.to_str().unwrap()])).await;
	assert!(created.status.success(), "create: {}", err(&created));
	out(&created)
		.lines()
		.find_map(|l| l.strip_prefix("principal: "))
		.expect("create prints the id")
		.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn register_claim_request_approve_reject_and_check_write_access() {
	let dir = TempDir::new("principal-chain");
	let base = dir.path().join("base");
	let mut node =
		TestNode::start("dev", dir.path(), &["--dev", "--base-path", base.to_str().unwrap()]).await;
	node.wait_best(1, std::time::Duration::from_secs(60)).await;
	let rpc = node.ws_url();
	let on = |list: &[&str], signer: &str| {
		let mut a = args(list);
		a.extend(["--rpc-url".to_string(), rpc.clone(), "--signer".to_string(), signer.to_string()]);
		a
	};

	let alice_key = dir.path().join("alice.key");
	let bob_key = dir.path().join("bob.key");
	let alice = create_key(&alice_key).await;
	let bob = create_key(&bob_key).await;
	let (alice_key, bob_key) = (alice_key.to_str().unwrap(), bob_key.to_str().unwrap());

	// Register both principals and let Alice claim her tree.
	let reg = principal(on(&["register", "--key-file", alice_key], "//Alice")).await;
	assert!(reg.status.success(), "register alice: {}", err(&reg));
	assert!(out(&reg).contains(&format!("registered principal {alice}")), "{}", out(&reg));
	let reg = principal(on(&["register", "--key-file", bob_key], "//Bob")).await;
	assert!(reg.status.success(), "register bob: {}", err(&reg));

	// Registering the same principal again is refused with the pallet's reason.
	let again = principal(on(&["register", "--key-file", alice_key], "//Charlie")).await;
	assert!(!again.status.success());
	assert!(err(&again).contains("Principals(PrincipalAlreadyRegistered)"), "{}", err(&again));

	let claimed = principal(on(&["claim-root"], "//Alice")).await;
	assert!(claimed.status.success(), "claim-root: {}", err(&claimed));
	assert!(out(&claimed).contains(&format!("claimed root /{}", &alice[2..])), "{}", out(&claimed));

	// Bob asks for /<alice>/photos; asking for his own (unclaimed) tree is refused.
	let photos = format!("/{}/photos", &alice[2..]);
	let asked = principal(on(&["request", "--prefix", &photos], "//Bob")).await;
	assert!(asked.status.success(), "request: {}", err(&asked));
	let request = out(&asked).trim().strip_prefix("request ").expect("request id").to_string();
	let own = principal(on(&["request", "--prefix", &format!("/{}/x", &bob[2..])], "//Bob")).await;
	assert!(!own.status.success());
	assert!(err(&own).contains("Principals(CannotRequestOwnTree)"), "{}", err(&own));

	// Alice sees the request and approves it; the new chain comes out on stdout.
	let listed = principal(on(&["requests", "--owner", &alice], "//Alice")).await;
	assert!(listed.status.success(), "requests: {}", err(&listed));
	assert!(
		out(&listed).contains(&format!("request {request}: {bob} asks for {photos}")),
		"{}",
		out(&listed)
	);
	let chain_file = dir.path().join("bob.chain");
	let approved = principal(on(
		&[
			"approve",
			"--key-file",
			alice_key,
			"--request",
			&request,
			"--out",
			chain_file.to_str().unwrap(),
		],
		"//Alice",
	))
	.await;
	assert!(approved.status.success(), "approve: {}", err(&approved));
	assert!(err(&approved).contains("granted request"), "{}", err(&approved));
	let listed = principal(on(&["requests", "--owner", &alice], "//Alice")).await;
	assert_eq!(out(&listed), "", "the approved request is no longer pending");

	// The chain now lets Bob write below the prefix, and only there, and only with the cap.
	let chain = chain_file.to_str().unwrap();
	let inside = format!("{photos}/2026/beach.jpg");
	let may = principal(on(&["may-write", "--writer", &bob, "--path", &inside, "--chain-file", chain], "//Bob")).await;
	assert!(may.status.success(), "may-write: {}", err(&may));
	assert!(out(&may).contains("allowed"), "{}", out(&may));
	let outside = format!("/{}/music/song.ogg", &alice[2..]);
	let may = principal(on(&["may-write", "--writer", &bob, "--path", &outside, "--chain-file", chain], "//Bob")).await;
	assert!(!may.status.success());
	assert!(err(&may).contains("PathOutsideScope"), "{}", err(&may));
	let may = principal(on(&["may-write", "--writer", &bob, "--path", &inside], "//Bob")).await;
	assert!(!may.status.success());
	assert!(err(&may).contains("NoCapability"), "{}", err(&may));

	// Bob passes /photos/2026 on to Carol (who need not be registered) with a cap signed for
	// this chain, its genesis hash asked of the node; the chain accepts the longer chain.
	let carol = "0x".to_string() + &"ca".repeat(32);
	let year = format!("{photos}/2026");
	let sub_chain = dir.path().join("carol.chain");
	// `issue-cap <network> --out <file>` for Carol below `year`, on the strength of Bob's chain.
	let issue_for_carol = |network: [&str; 2], out_file: &Path| {
		let mut a = args(&["issue-cap", "--key-file", bob_key, "--subject", &carol]);
		a.extend(args(&["--prefix", &year, "--chain-file", chain, network[0], network[1]]));
		a.extend(args(&["--out", out_file.to_str().unwrap()]));
		principal(a)
	};
	let issued = issue_for_carol(["--rpc-url", rpc.as_str()], &sub_chain).await;
	assert!(issued.status.success(), "issue-cap --rpc-url: {}", err(&issued));
	let sub = sub_chain.to_str().unwrap();
	let may = principal(on(&["may-write", "--writer", &carol, "--path", &inside, "--chain-file", sub], "//Bob")).await;
	assert!(may.status.success(), "may-write with a cap for this chain: {}", err(&may));
	// The same cap signed for another network does not verify here.
	let elsewhere_chain = dir.path().join("carol-elsewhere.chain");
	let other_genesis = format!("0x{}", "07".repeat(32));
	let elsewhere = issue_for_carol(["--genesis", other_genesis.as_str()], &elsewhere_chain).await;
	assert!(elsewhere.status.success(), "issue-cap --genesis: {}", err(&elsewhere));
	let other = elsewhere_chain.to_str().unwrap();
	let may = principal(on(&["may-write", "--writer", &carol, "--path", &inside, "--chain-file", other], "//Bob")).await;
	assert!(!may.status.success(), "a cap for another chain must not verify");
	assert!(err(&may).contains("WrongSigner"), "{}", err(&may));

	// A second request is rejected by the owner and disappears.
	let docs = format!("/{}/docs", &alice[2..]);
	let asked = principal(on(&["request", "--prefix", &docs], "//Bob")).await;
	assert!(asked.status.success(), "second request: {}", err(&asked));
	let second = out(&asked).trim().strip_prefix("request ").expect("request id").to_string();
	assert_ne!(second, request);
	let by_bob = principal(on(&["reject", "--owner", &alice, "--request", &second], "//Bob")).await;
	assert!(!by_bob.status.success(), "only the owner rejects");
	assert!(err(&by_bob).contains("Principals(NotTheTreeOwner)"), "{}", err(&by_bob));
	let rejected = principal(on(&["reject", "--owner", &alice, "--request", &second], "//Alice")).await;
	assert!(rejected.status.success(), "reject: {}", err(&rejected));
	let listed = principal(on(&["requests", "--owner", &alice], "//Alice")).await;
	assert_eq!(out(&listed), "");

	// Unreachable node and bad signer fail with advice.
	let mut unreachable = args(&["claim-root", "--rpc-url", "ws://127.0.0.1:1", "--signer", "//Alice"]);
	let dead = principal(std::mem::take(&mut unreachable)).await;
	assert!(!dead.status.success());
	assert!(err(&dead).contains("cannot reach a node"), "{}", err(&dead));
	let nosigner = principal(args(&["claim-root", "--rpc-url", &rpc])).await;
	assert!(!nosigner.status.success());
	assert!(err(&nosigner).contains("pass --signer"), "{}", err(&nosigner));
	// A secret from a file, not the command line: Charlie signs (and has no principal).
	let dir = common::TempDir::new("signer");
	let secret = dir.0.join("charlie.secret");
	std::fs::write(&secret, "//Charlie\n").unwrap();
	let from_file = principal(args(&["claim-root", "--rpc-url", &rpc, "--signer-file", secret.to_str().unwrap()])).await;
	assert!(err(&from_file).contains("NoPrincipalForAccount"), "signed by the file's account: {}", err(&from_file));
	let missing = principal(args(&["claim-root", "--rpc-url", &rpc, "--signer-file", "/nonexistent/secret"])).await;
	assert!(err(&missing).contains("cannot read --signer-file"), "{}", err(&missing));

	storage_market_through_the_cli(&rpc).await;
	node.assert_running();
}

/// Runs `storage <args>` against the node at `rpc`, signed by `signer`.
async fn storage(list: &[&str], rpc: &str, signer: &str) -> Output {
	let mut a = args(&["storage"]);
	a.extend(args(list));
	a.extend(["--rpc-url".to_string(), rpc.to_string()]);
	if !signer.is_empty() {
		a.extend(["--signer".to_string(), signer.to_string()]);
	}
	common::run_cli(a, PASSWORD).await
}

/// The value after `name: ` on a line of `text`.
fn field(text: &str, name: &str) -> String {
	text.lines()
		.find_map(|l| l.strip_prefix(&format!("{name}: ")))
		.unwrap_or_else(|| panic!("no '{name}' in:\n{text}"))
		.to_string()
}

async fn storage_market_through_the_cli(rpc: &str) {
	// SS58 of //Charlie and //Dave (generic Substrate prefix 42).
	const CHARLIE: &str = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y";
	const DAVE: &str = "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy";

	let none = storage(&["offers"], rpc, "").await;
	assert!(none.status.success(), "offers: {}", err(&none));
	assert!(out(&none).contains("no offers"), "{}", out(&none));

	let listed = storage(&["offer", "--capacity", "1GiB", "--price", "1", "--collateral", "1", "--min-size", "1MiB"], rpc, "//Charlie").await;
	assert!(listed.status.success(), "offer: {}", err(&listed));
	let offer = field(&out(&listed), "offer");

	let shown = storage(&["offers"], rpc, "").await;
	assert!(
		out(&shown).contains(&format!("offer {offer}: provider {CHARLIE} capacity {} B price 1", 1u64 << 30)),
		"{}",
		out(&shown)
	);

	let own = storage(&["contract", "--offer", &offer, "--size", "64MiB", "--periods", "2"], rpc, "//Charlie").await;
	assert!(!own.status.success(), "a provider cannot contract with itself");
	assert!(err(&own).contains("StorageContracts(OwnOffer)"), "{}", err(&own));
	let unknown = storage(&["contract", "--offer", "9999", "--size", "64MiB", "--periods", "2"], rpc, "//Dave").await;
	assert!(!unknown.status.success());
	assert!(err(&unknown).contains("there is no offer 9999"), "{}", err(&unknown));
	let bad_size = storage(&["contract", "--offer", &offer, "--size", "64MB", "--periods", "2"], rpc, "//Dave").await;
	assert!(!bad_size.status.success());
	assert!(err(&bad_size).contains("use B, KiB, MiB, GiB or TiB"), "{}", err(&bad_size));

	// A change of price names only the price; the other terms stay. A client that capped the
	// price below the new one is not bound.
	let raised = storage(&["update-offer", &offer, "--price", "2"], rpc, "//Charlie").await;
	assert!(raised.status.success(), "update-offer: {}", err(&raised));
	let shown = storage(&["offers"], rpc, "").await;
	assert!(out(&shown).contains(&format!("capacity {} B price 2 /B/period collateral 1 /B min 1 periods, {} B", 1u64 << 30, 1u64 << 20)), "{}", out(&shown));
	let capped = storage(&["contract", "--offer", &offer, "--size", "64MiB", "--periods", "2", "--max-price", "1"], rpc, "//Dave").await;
	assert!(!capped.status.success(), "a contract above the client's price cap must fail");
	assert!(err(&capped).contains("StorageContracts(PriceAboveLimit)"), "{}", err(&capped));

	let opened = storage(&["contract", "--offer", &offer, "--size", "64MiB", "--periods", "2"], rpc, "//Dave").await;
	assert!(opened.status.success(), "contract: {}", err(&opened));
	let contract = field(&out(&opened), "contract");
	assert!(err(&opened).contains(&format!("{} B for 2 periods", 64u64 << 20)), "the quote is shown: {}", err(&opened));

	let mine = storage(&["contracts"], rpc, "//Dave").await;
	assert!(mine.status.success(), "contracts: {}", err(&mine));
	assert!(
		out(&mine).contains(&format!("contract {contract}: offer {offer} provider {CHARLIE} client {DAVE} bytes {}", 64u64 << 20)),
		"{}",
		out(&mine)
	);
	// The offer's capacity shrank by the contract.
	let shown = storage(&["offers"], rpc, "").await;
	assert!(out(&shown).contains(&format!("capacity {} B", (1u64 << 30) - (64 << 20))), "{}", out(&shown));

	let stranger = storage(&["end", &contract], rpc, "//Eve").await;
	assert!(!stranger.status.success());
	assert!(err(&stranger).contains("StorageContracts(NotAParty)"), "{}", err(&stranger));
	let ended = storage(&["end", &contract], rpc, "//Dave").await;
	assert!(ended.status.success(), "end: {}", err(&ended));
	let after = storage(&["contracts", "--account", DAVE], rpc, "").await;
	assert!(out(&after).contains("has no contracts"), "{}", out(&after));

	let removed = storage(&["remove-offer", &offer], rpc, "//Charlie").await;
	assert!(removed.status.success(), "remove-offer: {}", err(&removed));
	let gone = storage(&["offers"], rpc, "").await;
	assert!(out(&gone).contains("no offers"), "{}", out(&gone));
}
