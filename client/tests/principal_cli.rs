//! The `principal` subcommands of the real binary: create a key file, show it, back it up and
//! restore it, issue a write cap for one chain; bad passwords and bad input fail with clear
//! messages and overwrite nothing.

mod common;

use std::process::{Command, Output};

use blocktree_primitives::principal::SigningKey;
use codec::Decode;
use common::{stderr, stdout, CLIENT_BIN};

/// The genesis hash of the chain the offline tests issue caps for (no node runs here).
const GENESIS: &str = "0xc4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4";

fn run(args: &[&str], password: &str, backup_password: &str) -> Output {
	Command::new(CLIENT_BIN)
		.arg("principal")
		.args(args)
		.env("BLOCKTREE_PASSWORD", password)
		.env("BLOCKTREE_BACKUP_PASSWORD", backup_password)
		.output()
		.expect("client binary runs")
}

fn field(text: &str, name: &str) -> String {
	text.lines()
		.find_map(|l| l.strip_prefix(&format!("{name}: ")))
		.unwrap_or_else(|| panic!("no '{name}' in:\n{text}"))
		.to_string()
}

#[test]
fn create_show_backup_restore_and_issue_a_write_cap() {
	let dir = tempfile::Builder::new().prefix("blocktree-principal-cli").tempdir().expect("temp dir is writable");
	let key = dir.path().join("alice.key");
	let key_s = key.to_str().unwrap();

	let created = run(&["create", "--key-file", key_s], "alice password", "");
	assert!(created.status.success(), "create failed: {}", stderr(&created));
	let id = field(&stdout(&created), "principal");
	assert_eq!(id.len(), 66, "0x + 64 hex digits: {id}");
	assert!(stdout(&created).contains(&format!("root: /{}", &id[2..])));

	// Show with the right password; the wrong one fails cleanly.
	let shown = run(&["show", "--key-file", key_s], "alice password", "");
	assert!(shown.status.success(), "{}", stderr(&shown));
	assert_eq!(field(&stdout(&shown), "principal"), id);
	let wrong = run(&["show", "--key-file", key_s], "not the password", "");
	assert!(!wrong.status.success());
	assert!(stderr(&wrong).contains("wrong password"), "{}", stderr(&wrong));

	// Create refuses to overwrite.
	let again = run(&["create", "--key-file", key_s], "alice password", "");
	assert!(!again.status.success());
	assert!(stderr(&again).contains("exists"), "{}", stderr(&again));

	// Backup under another password, restore into a new key file under a third.
	let backup = dir.path().join("alice.backup");
	let exported = run(
		&["export-backup", "--key-file", key_s, "--out", backup.to_str().unwrap()],
		"alice password",
		"backup password",
	);
	assert!(exported.status.success(), "{}", stderr(&exported));
	let restored_key = dir.path().join("restored.key");
	let bad_restore = run(
		&["import-backup", "--backup", backup.to_str().unwrap(), "--key-file", restored_key.to_str().unwrap()],
		"new password",
		"wrong backup password",
	);
	assert!(!bad_restore.status.success());
	assert!(!restored_key.exists(), "a failed restore writes nothing");
	let restored = run(
		&["import-backup", "--backup", backup.to_str().unwrap(), "--key-file", restored_key.to_str().unwrap()],
		"new password",
		"backup password",
	);
	assert!(restored.status.success(), "{}", stderr(&restored));
	assert_eq!(field(&stdout(&restored), "principal"), id);

	// Issue a write cap over the principal's own tree to another principal, for one chain.
	let bob = "0x".to_string() + &"ab".repeat(32);
	let prefix = format!("/{}/photos", &id[2..]);
	let issue_at = |prefix: &str, extra: &[&str]| {
		let mut a = vec!["issue-cap", "--key-file", key_s, "--subject", bob.as_str()];
		a.extend_from_slice(&["--prefix", prefix]);
		a.extend_from_slice(extra);
		run(&a, "alice password", "")
	};
	let issue = |extra: &[&str]| issue_at(&prefix, extra);
	let issued = issue(&["--days", "7", "--genesis", GENESIS]);
	assert!(issued.status.success(), "{}", stderr(&issued));
	let hex = stdout(&issued).trim().to_string();
	let bytes = sp_core::bytes::from_hex(&hex).expect("hex output");
	let chain = blocktree_primitives::cap::WriteCapChain::decode(&mut &bytes[..]).expect("a chain");
	assert_eq!(chain.len(), 1);
	assert_eq!(format!("{:?}", chain[0].cap.issuer), id);
	assert_eq!(chain[0].cap.prefix.to_string(), prefix);

	// The cap is signed for that chain and for no other.
	let signing = field(&stdout(&shown), "signing key");
	let public = signing.strip_prefix("sr25519 ").expect("sr25519 is the default scheme");
	let public: [u8; 32] = sp_core::bytes::from_hex(public).unwrap().try_into().unwrap();
	let key = SigningKey::Sr25519(sp_core::sr25519::Public::from_raw(public));
	let genesis = sp_core::H256::from_slice(&sp_core::bytes::from_hex(GENESIS).unwrap());
	let (cap, signature) = (&chain[0].cap, &chain[0].signature);
	assert!(key.verify(&cap.signing_payload(&genesis), signature), "signed for --genesis");
	let other = sp_core::H256::repeat_byte(0x07);
	assert!(!key.verify(&cap.signing_payload(&other), signature), "replayable on another chain");

	// Without a chain to sign for, or with a malformed one, nothing is issued.
	let unnamed = issue(&[]);
	assert!(!unnamed.status.success());
	let why = stderr(&unnamed);
	assert!(why.contains("signed for one chain: pass --genesis"), "{why}");
	let bad = issue(&["--genesis", "0x1234"]);
	assert!(!bad.status.success());
	assert!(stderr(&bad).contains("--genesis"), "{}", stderr(&bad));
	let both = issue(&["--genesis", GENESIS, "--rpc-url", "ws://127.0.0.1:1"]);
	assert!(!both.status.success(), "--genesis and --rpc-url exclude each other");

	// Bad input is refused with a reason.
	let outside = issue_at(&format!("/{}/x", "cd".repeat(32)), &["--genesis", GENESIS]);
	assert!(!outside.status.success());
	assert!(stderr(&outside).contains("does not own the tree"), "{}", stderr(&outside));
	let dots = issue_at(&format!("/{}/../x", &id[2..]), &["--genesis", GENESIS]);
	assert!(!dots.status.success());
	assert!(stderr(&dots).contains("'.' and '..' are not allowed"), "{}", stderr(&dots));
	let short = run(&["create", "--key-file", dir.path().join("x.key").to_str().unwrap()], "short", "");
	assert!(!short.status.success());
	assert!(stderr(&short).contains("at least 8 characters"), "{}", stderr(&short));
}
