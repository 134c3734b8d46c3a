//! The `principal` subcommands of the real binary: create a key file, show it, back it up and
//! restore it, issue a write cap; bad passwords and bad input fail with clear messages and
//! overwrite nothing.

mod common;

use std::process::{Command, Output};

use codec::Decode;
use common::{stderr, stdout, TempDir, NODE_BIN};

fn run(args: &[&str], password: &str, backup_password: &str) -> Output {
	Command::new(NODE_BIN)
		.arg("principal")
		.args(args)
		.env("BLOCKTREE_PASSWORD", password)
		.env("BLOCKTREE_BACKUP_PASSWORD", backup_password)
		.output()
		.expect("node binary runs")
}

fn field(text: &str, name: &str) -> String {
	text.lines()
		.find_map(|l| l.strip_prefix(&format!("{name}: ")))
		.unwrap_or_else(|| panic!("no '{name}' in:\n{text}"))
		.to_string()
}

#[test]
fn create_show_backup_restore_and_issue_a_write_cap() {
	let dir = TempDir::new("principal-cli");
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

	// Issue a write cap over the principal's own tree to another principal.
	let bob = "0x".to_string() + &"ab".repeat(32);
	let prefix = format!("/{}/photos", &id[2..]);
	let issued = run(
		&["issue-cap", "--key-file", key_s, "--subject", &bob, "--prefix", &prefix, "--days", "7"],
		"alice password",
		"",
	);
	assert!(issued.status.success(), "{}", stderr(&issued));
	let hex = stdout(&issued).trim().to_string();
	let bytes = sp_core::bytes::from_hex(&hex).expect("hex output");
	let chain = blocktree_primitives::cap::WriteCapChain::decode(&mut &bytes[..]).expect("a chain");
	assert_eq!(chain.len(), 1);
	assert_eq!(format!("{:?}", chain[0].cap.issuer), id);
	assert_eq!(chain[0].cap.prefix.to_string(), prefix);

	// Bad input is refused with a reason.
	let outside = run(
		&["issue-cap", "--key-file", key_s, "--subject", &bob, "--prefix", &format!("/{}/x", "cd".repeat(32))],
		"alice password",
		"",
	);
	assert!(!outside.status.success());
	assert!(stderr(&outside).contains("does not own the tree"), "{}", stderr(&outside));
	let dots = run(
		&["issue-cap", "--key-file", key_s, "--subject", &bob, "--prefix", &format!("/{}/../x", &id[2..])],
		"alice password",
		"",
	);
	assert!(!dots.status.success());
	assert!(stderr(&dots).contains("'.' and '..' are not allowed"), "{}", stderr(&dots));
	let short = run(&["create", "--key-file", dir.path().join("x.key").to_str().unwrap()], "short", "");
	assert!(!short.status.success());
	assert!(stderr(&short).contains("at least 8 characters"), "{}", stderr(&short));
}
