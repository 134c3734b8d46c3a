//! `blocktree principal ...`: a principal's keys on the client side. Creates a root key
//! kept in a password-protected key file (Argon2id + XChaCha20-Poly1305), exports and imports
//! password-protected backups, shows a principal, and issues write caps.
//!
//! A write cap is signed for one chain (its genesis hash, the cap's chain tag) and verifies on
//! no other: `issue-cap` takes the genesis hash (`--genesis`) or asks a node (`--rpc-url`);
//! `approve` asks the node it submits to.
//!
//! Passwords come from `--password-file`, else the environment (`BLOCKTREE_PASSWORD`,
//! `BLOCKTREE_BACKUP_PASSWORD`), else a prompt on the terminal.

use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
	time::{SystemTime, UNIX_EPOCH},
};

use blocktree_primitives::{
	cap::{ChainTag, SignedWriteCap, WriteCap, WriteCapChain, MAX_CAP_CHAIN},
	crypto::{open_key_file, seal_key_file, KdfParams, KeyScheme, PrincipalKeys},
	path::BlockPath,
	principal::{PrincipalId, SigningKey},
};
use codec::{Decode, Encode};

use crate::{
	chain::ChainClient,
	principal_chain::{self, block_on},
};

/// Log target of these commands.
const LOG_TARGET: &str = "blocktree::principal";

/// Signature scheme of a new principal.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemeArg {
	/// sr25519 (Schnorrkel), the Substrate default.
	Sr25519,
	/// ed25519.
	Ed25519,
}

/// Where a password comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct PasswordArgs {
	/// Read the key file's password from this file (first line).
	#[arg(long)]
	pub password_file: Option<PathBuf>,
}

/// Which node to talk to and which account signs and pays.
#[derive(Debug, Clone, clap::Args)]
pub struct ChainArgs {
	/// The node's JSON-RPC WebSocket address.
	#[arg(long, env = "BLOCKTREE_RPC_URL", default_value = crate::chain::DEFAULT_RPC_URL)]
	pub rpc_url: String,
	/// The account that signs and pays: a secret URI such as `//Alice` on a dev chain. A real
	/// account's secret does not belong on the command line (shell history, `ps`): use
	/// `--signer-file`, the `BLOCKTREE_SIGNER` environment variable, or the prompt.
	#[arg(long, conflicts_with = "signer_file")]
	pub signer: Option<String>,
	/// A file holding the signing account's secret URI or mnemonic (one line; keep it mode
	/// 0600).
	#[arg(long)]
	pub signer_file: Option<PathBuf>,
}

impl ChainArgs {
	/// The signing account: `--signer`, else `--signer-file`, else `BLOCKTREE_SIGNER`, else a
	/// prompt on the terminal.
	pub fn signer(&self) -> Result<sp_core::sr25519::Pair, String> {
		if let Some(suri) = &self.signer {
			if !suri.starts_with("//") {
				eprintln!("warning: a secret given with --signer shows in `ps` and your shell history: prefer --signer-file or BLOCKTREE_SIGNER");
			}
			return crate::chain::signer_from_suri(suri)
		}
		if let Some(file) = &self.signer_file {
			let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read --signer-file {}: {e}", file.display()))?;
			if std::fs::metadata(file).is_ok_and(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o077 != 0) {
				eprintln!("warning: {} is readable by other users: chmod 600 it", file.display());
			}
			return crate::chain::signer_from_suri(text.trim())
				.map_err(|e| format!("{e} (in {})", file.display()))
		}
		if let Ok(suri) = std::env::var("BLOCKTREE_SIGNER") {
			return crate::chain::signer_from_suri(&suri).map_err(|e| format!("BLOCKTREE_SIGNER: {e}"))
		}
		if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
			let suri = rpassword::prompt_password("secret URI or mnemonic of the signing account: ")
				.map_err(|e| format!("cannot read the secret: {e}"))?;
			return crate::chain::signer_from_suri(suri.trim())
		}
		Err("no account to sign with: pass --signer-file FILE, set BLOCKTREE_SIGNER, or --signer //Alice on a dev chain".into())
	}
}

/// Which chain an offline command signs for: its genesis hash, given or asked of a node.
#[derive(Debug, Clone, clap::Args)]
pub struct GenesisArgs {
	/// The chain's genesis hash (0x + 64 hex digits; `chain_getBlockHash` of block 0 on any of
	/// its nodes). The cap is signed for this chain and verifies on no other.
	#[arg(long, conflicts_with = "rpc_url")]
	pub genesis: Option<String>,
	/// Instead of `--genesis`: ask the node at this JSON-RPC WebSocket address for it.
	#[arg(long)]
	pub rpc_url: Option<String>,
}

/// The cap being issued: its lifetime, the issuer's own chain, where the result goes.
#[derive(Debug, Clone, clap::Args)]
pub struct CapArgs {
	/// Lifetime of the cap in days.
	#[arg(long, default_value_t = 30)]
	pub days: u64,
	/// The issuer's own cap chain (hex SCALE from an earlier `issue-cap` or `approve`), when the
	/// issuer does not own the tree.
	#[arg(long)]
	pub chain_file: Option<PathBuf>,
	/// Write the new chain here (a new file) instead of stdout.
	#[arg(long)]
	pub out: Option<PathBuf>,
}

/// Principal key management and the principal's life on chain.
#[derive(Debug, clap::Subcommand)]
pub enum PrincipalCmd {
	/// Create a new principal (a root key) and store it in an encrypted key file.
	Create {
		/// Where to write the key file; refuses to overwrite one.
		#[arg(long)]
		key_file: PathBuf,
		/// Signature scheme.
		#[arg(long, value_enum, default_value = "sr25519")]
		scheme: SchemeArg,
		#[command(flatten)]
		password: PasswordArgs,
	},
	/// Show the principal in a key file: id, keys, root path.
	Show {
		#[arg(long)]
		key_file: PathBuf,
		#[command(flatten)]
		password: PasswordArgs,
	},
	/// Write a password-protected backup of a key file (stronger Argon2id parameters; the
	/// backup password comes from `BLOCKTREE_BACKUP_PASSWORD` or a prompt).
	ExportBackup {
		#[arg(long)]
		key_file: PathBuf,
		/// Where to write the backup; refuses to overwrite one.
		#[arg(long)]
		out: PathBuf,
		#[command(flatten)]
		password: PasswordArgs,
	},
	/// Restore a backup into a new key file under a new password.
	ImportBackup {
		/// The backup written by `export-backup`.
		#[arg(long)]
		backup: PathBuf,
		/// Where to write the key file; refuses to overwrite one.
		#[arg(long)]
		key_file: PathBuf,
		#[command(flatten)]
		password: PasswordArgs,
	},
	/// Issue a write cap: let `subject` write below `prefix` until it expires, on the chain
	/// named by `--genesis` (or the chain of the node at `--rpc-url`). Prints the cap chain (the
	/// issuer's own chain, if given, followed by the new cap) as hex SCALE, which the subject
	/// presents when writing.
	IssueCap {
		#[arg(long)]
		key_file: PathBuf,
		/// The principal receiving the cap (64 hex digits).
		#[arg(long)]
		subject: String,
		/// The subtree, e.g. `/<root id>/photos`.
		#[arg(long)]
		prefix: String,
		#[command(flatten)]
		cap: CapArgs,
		#[command(flatten)]
		network: GenesisArgs,
		#[command(flatten)]
		password: PasswordArgs,
	},
	/// Register the principal of a key file on chain, controlled by the signing account (holds
	/// the principal deposit).
	Register {
		#[arg(long)]
		key_file: PathBuf,
		#[command(flatten)]
		password: PasswordArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Claim the tree of the signer's principal (holds the root deposit).
	ClaimRoot {
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Ask a tree's owner for write access below `prefix`; prints the request id.
	Request {
		/// The subtree, e.g. `/<root id>/photos`.
		#[arg(long)]
		prefix: String,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// List the pending write requests for a tree.
	Requests {
		/// The tree's owner (64 hex digits).
		#[arg(long)]
		owner: String,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Approve a pending request: issue the cap with the key file and publish it on chain.
	/// Prints the requester's new cap chain (hex SCALE) for it to write with.
	Approve {
		#[arg(long)]
		key_file: PathBuf,
		/// The tree's owner; default: the key file's principal.
		#[arg(long)]
		owner: Option<String>,
		/// The request id (from `requests`).
		#[arg(long)]
		request: u64,
		#[command(flatten)]
		cap: CapArgs,
		#[command(flatten)]
		password: PasswordArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Reject a pending request to the signer's tree (the requester's deposit is returned).
	Reject {
		/// The tree's owner (64 hex digits).
		#[arg(long)]
		owner: String,
		#[arg(long)]
		request: u64,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Ask the chain whether `writer` may write `path` with the cap chain in `chain_file`
	/// (none: only the tree's owner may). Exits non-zero with the broken rule if not.
	MayWrite {
		/// The writing principal (64 hex digits).
		#[arg(long)]
		writer: String,
		#[arg(long)]
		path: String,
		#[arg(long)]
		chain_file: Option<PathBuf>,
		#[command(flatten)]
		chain: ChainArgs,
	},
}

fn read_password(args: &PasswordArgs, env: &str, prompt: &str) -> Result<String, String> {
	if let Some(file) = &args.password_file {
		let text = fs::read_to_string(file)
			.map_err(|e| format!("cannot read password file {}: {e}", file.display()))?;
		return Ok(text.lines().next().unwrap_or_default().to_string());
	}
	if let Ok(p) = std::env::var(env) {
		return Ok(p);
	}
	rpassword::prompt_password(prompt).map_err(|e| {
		format!("cannot read a password ({e}): pass --password-file or set {env}")
	})
}

fn new_password(args: &PasswordArgs, env: &str, what: &str) -> Result<String, String> {
	let password = read_password(args, env, &format!("New {what} password: "))?;
	if password.len() < 8 {
		return Err(format!("the {what} password must have at least 8 characters"));
	}
	if args.password_file.is_none() && std::env::var(env).is_err() {
		let again = rpassword::prompt_password(format!("Repeat the {what} password: "))
			.map_err(|e| format!("cannot read a password: {e}"))?;
		if again != password {
			return Err("the passwords differ".into());
		}
	}
	Ok(password)
}

fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
	let mut options = fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let mut file = options.open(path).map_err(|e| {
		if e.kind() == std::io::ErrorKind::AlreadyExists {
			format!("{} exists: choose another path (nothing was overwritten)", path.display())
		} else {
			format!("cannot create {}: {e}", path.display())
		}
	})?;
	file.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Opens the key file at `path` with its password (from `--password-file`, the
/// `BLOCKTREE_PASSWORD` environment variable, or a prompt).
pub fn load_keys(path: &Path, password: &PasswordArgs) -> Result<PrincipalKeys, String> {
	let bytes = fs::read(path).map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
	let password = read_password(password, "BLOCKTREE_PASSWORD", "Key file password: ")?;
	open_key_file(&bytes, password.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

/// 32 bytes given as 64 hex digits (with or without `0x`); `what` names them in the error.
pub(crate) fn parse_hash(s: &str, what: &str) -> Result<sp_core::H256, String> {
	let hex = s.trim_start_matches("0x");
	let bytes = sp_core::bytes::from_hex(hex).map_err(|_| format!("'{s}' is not hex"))?;
	let bytes: [u8; 32] =
		bytes.try_into().map_err(|_| format!("'{s}' is not {what} (64 hex digits)"))?;
	Ok(sp_core::H256::from(bytes))
}

/// Parses a tree path, `/<root principal id>/<name>/...`; the root id may be written with or
/// without `0x` (as `principal show` prints ids), and is stored without.
pub fn parse_tree_path(path: &str) -> Result<BlockPath, String> {
	let plain = match path.strip_prefix("/0x") {
		Some(rest) => format!("/{rest}"),
		None => path.to_string(),
	};
	BlockPath::parse(&plain).map_err(|e| format!("'{path}' is not a tree path ({e}): write /<root principal id, 64 hex digits>/<name>/..."))
}

fn parse_principal_id(s: &str) -> Result<PrincipalId, String> {
	parse_hash(s, "a principal id")
}

/// The chain tag an offline command signs for: `--genesis`, else the genesis hash of the node
/// at `--rpc-url`.
fn chain_tag(network: &GenesisArgs) -> Result<ChainTag, String> {
	match (&network.genesis, &network.rpc_url) {
		(Some(genesis), _) =>
			parse_hash(genesis, "a genesis hash").map_err(|e| format!("--genesis: {e}")),
		(None, Some(url)) => block_on(async { Ok(ChainClient::connect(url).await?.genesis()) }),
		(None, None) => Err("a write cap is signed for one chain: pass --genesis 0x<genesis hash> \
		                     (chain_getBlockHash 0 on a node of that chain) or --rpc-url of such a \
		                     node"
			.into()),
	}
}

pub(crate) fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn describe(keys: &PrincipalKeys) -> String {
	let p = keys.principal();
	let signing = match p.signing {
		SigningKey::Sr25519(k) => format!("sr25519 {}", hex_of(k.as_ref())),
		SigningKey::Ed25519(k) => format!("ed25519 {}", hex_of(k.as_ref())),
	};
	format!(
		"principal: {}\nsigning key: {signing}\nencryption key (x25519): {}\nroot: {}",
		hex_of(keys.id().as_bytes()),
		hex_of(&p.encryption),
		BlockPath::root_of(&keys.id()),
	)
}

/// `0x`-prefixed hex of every byte.
pub(crate) fn hex_of(bytes: &[u8]) -> String {
	sp_core::bytes::to_hex(bytes, false)
}

/// Reads a cap chain written by `issue-cap` or `approve` (hex SCALE); none means empty.
fn read_chain_file(path: Option<&Path>) -> Result<WriteCapChain, String> {
	let Some(f) = path else { return Ok(WriteCapChain::default()) };
	let text = fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
	let bytes =
		sp_core::bytes::from_hex(text.trim()).map_err(|_| format!("{} is not hex", f.display()))?;
	WriteCapChain::decode(&mut &bytes[..])
		.map_err(|_| format!("{} is not a write-cap chain", f.display()))
}

/// Writes a cap chain as hex SCALE to `out` (a new file) or stdout.
fn emit_chain(chain: Vec<SignedWriteCap>, out: Option<&Path>) -> Result<(), String> {
	let chain = WriteCapChain::try_from(chain).map_err(|_| "chain too long".to_string())?;
	let text = format!("{}\n", hex_of(&chain.encode()));
	match out {
		Some(path) => write_new_file(path, text.as_bytes()),
		None => {
			print!("{text}");
			Ok(())
		},
	}
}

/// Signs a cap letting `subject` write below `prefix` for `days`, on the strength of the
/// issuer's own `chain` (empty when the issuer owns the tree), for the chain `tag` (its genesis
/// hash). Returns the cap and the chain it extends, after checking locally what the chain would
/// check.
fn issue_cap(
	keys: &PrincipalKeys,
	subject: PrincipalId,
	prefix: BlockPath,
	days: u64,
	chain: WriteCapChain,
	tag: &ChainTag,
) -> Result<(SignedWriteCap, WriteCapChain), String> {
	if chain.len() >= MAX_CAP_CHAIN as usize {
		return Err(format!("the chain already has {MAX_CAP_CHAIN} links: it cannot grow"));
	}
	if chain.is_empty() && prefix.root() != keys.id() {
		return Err("this principal does not own the tree of the prefix: pass its own cap chain \
		            with --chain-file"
			.into());
	}
	if let Some(last) = chain.last() {
		if last.cap.subject != keys.id() {
			return Err("the chain in --chain-file was not granted to this principal".into());
		}
		if !prefix.starts_with(&last.cap.prefix) {
			return Err(format!("the prefix lies outside the issuer's own cap ({})", last.cap.prefix));
		}
	}
	let mut nonce = [0u8; 8];
	getrandom::getrandom(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
	let cap = WriteCap {
		issuer: keys.id(),
		subject,
		prefix,
		expires_at: now_ms().saturating_add(days.saturating_mul(86_400_000)),
		nonce: u64::from_le_bytes(nonce),
	};
	let signature = keys.sign(&cap.signing_payload(tag));
	Ok((SignedWriteCap { cap, signature }, chain))
}

impl PrincipalCmd {
	/// Runs the command; errors say what to do next.
	pub fn run(&self) -> Result<(), String> {
		match self {
			PrincipalCmd::Create { key_file, scheme, password } => {
				if key_file.exists() {
					return Err(format!("{} exists: choose another path", key_file.display()));
				}
				let password = new_password(password, "BLOCKTREE_PASSWORD", "key file")?;
				let scheme = match scheme {
					SchemeArg::Sr25519 => KeyScheme::Sr25519,
					SchemeArg::Ed25519 => KeyScheme::Ed25519,
				};
				let keys = PrincipalKeys::generate(scheme);
				eprintln!("[{LOG_TARGET}] deriving the key-file key (Argon2id, 64 MiB)...");
				let file = seal_key_file(&keys, password.as_bytes(), KdfParams::INTERACTIVE)
					.map_err(|e| e.to_string())?;
				write_new_file(key_file, &file)?;
				println!("{}", describe(&keys));
				Ok(())
			},
			PrincipalCmd::Show { key_file, password } => {
				println!("{}", describe(&load_keys(key_file, password)?));
				Ok(())
			},
			PrincipalCmd::ExportBackup { key_file, out, password } => {
				let keys = load_keys(key_file, password)?;
				let backup_password =
					new_password(&PasswordArgs { password_file: None }, "BLOCKTREE_BACKUP_PASSWORD", "backup")?;
				eprintln!("[{LOG_TARGET}] deriving the backup key (Argon2id, 256 MiB)...");
				let file = seal_key_file(&keys, backup_password.as_bytes(), KdfParams::BACKUP)
					.map_err(|e| e.to_string())?;
				write_new_file(out, &file)?;
				println!("backup of principal {} written to {}", hex_of(keys.id().as_bytes()), out.display());
				Ok(())
			},
			PrincipalCmd::ImportBackup { backup, key_file, password } => {
				let bytes = fs::read(backup)
					.map_err(|e| format!("cannot read backup {}: {e}", backup.display()))?;
				let backup_password = read_password(
					&PasswordArgs { password_file: None },
					"BLOCKTREE_BACKUP_PASSWORD",
					"Backup password: ",
				)?;
				let keys = open_key_file(&bytes, backup_password.as_bytes())
					.map_err(|e| format!("{}: {e}", backup.display()))?;
				let password = new_password(password, "BLOCKTREE_PASSWORD", "key file")?;
				let file = seal_key_file(&keys, password.as_bytes(), KdfParams::INTERACTIVE)
					.map_err(|e| e.to_string())?;
				write_new_file(key_file, &file)?;
				println!("{}", describe(&keys));
				Ok(())
			},
			PrincipalCmd::IssueCap { key_file, subject, prefix, cap, network, password } => {
				let subject = parse_principal_id(subject)?;
				let prefix = parse_tree_path(prefix).map_err(|e| format!("--prefix: {e}"))?;
				let chain = read_chain_file(cap.chain_file.as_deref())?;
				let tag = chain_tag(network)?;
				let keys = load_keys(key_file, password)?;
				let (new_cap, chain) = issue_cap(&keys, subject, prefix, cap.days, chain, &tag)?;
				let mut full = chain.into_inner();
				full.push(new_cap);
				emit_chain(full, cap.out.as_deref())
			},
			PrincipalCmd::Register { key_file, password, chain } => {
				let signer = chain.signer()?;
				let keys = load_keys(key_file, password)?;
				block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					principal_chain::register(&client, &signer, &keys).await
				})
				.map(|done| println!("{done}"))
			},
			PrincipalCmd::ClaimRoot { chain } => {
				let signer = chain.signer()?;
				block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					principal_chain::claim_root(&client, &signer).await
				})
				.map(|done| println!("{done}"))
			},
			PrincipalCmd::Request { prefix, chain } => {
				let prefix = parse_tree_path(prefix).map_err(|e| format!("--prefix: {e}"))?;
				let signer = chain.signer()?;
				block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					principal_chain::request(&client, &signer, prefix).await
				})
				.map(|id| println!("request {id}"))
			},
			PrincipalCmd::Requests { owner, chain } => {
				let owner = parse_principal_id(owner)?;
				block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					principal_chain::pending(&client, owner).await
				})
				.map(|pending| print!("{}", principal_chain::describe_pending(&pending)))
			},
			PrincipalCmd::Approve { key_file, owner, request, cap: cap_args, password, chain } => {
				let signer = chain.signer()?;
				let issuer_chain = read_chain_file(cap_args.chain_file.as_deref())?;
				let keys = load_keys(key_file, password)?;
				let owner = match owner {
					Some(owner) => parse_principal_id(owner)?,
					None => keys.id(),
				};
				let full = block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					let pending = principal_chain::pending(&client, owner).await?;
					let (_, wanted) = pending.into_iter().find(|(id, _)| id == request).ok_or_else(|| {
						format!("no pending request {request} for this tree: list them with `principal requests`")
					})?;
					// Signed for the chain the cap is published on.
					let (cap, issuer_chain) = issue_cap(
						&keys,
						wanted.requester,
						wanted.prefix,
						cap_args.days,
						issuer_chain,
						&client.genesis(),
					)?;
					let done = principal_chain::approve(&client, &signer, owner, *request, cap.clone(), issuer_chain.clone()).await?;
					eprintln!("[{LOG_TARGET}] {done}");
					let mut full = issuer_chain.into_inner();
					full.push(cap);
					Ok(full)
				})?;
				emit_chain(full, cap_args.out.as_deref())
			},
			PrincipalCmd::Reject { owner, request, chain } => {
				let owner = parse_principal_id(owner)?;
				let signer = chain.signer()?;
				block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					principal_chain::reject(&client, &signer, owner, *request).await
				})
				.map(|done| println!("{done}"))
			},
			PrincipalCmd::MayWrite { writer, path, chain_file, chain } => {
				let writer = parse_principal_id(writer)?;
				let path = parse_tree_path(path).map_err(|e| format!("--path: {e}"))?;
				let caps = WriteCapChain::try_from(read_chain_file(chain_file.as_deref())?.into_inner())
					.map_err(|_| "chain too long".to_string())?;
				let verdict = block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					principal_chain::may_write(&client, writer, path.clone(), caps).await
				})?;
				match verdict {
					Ok(()) => {
						println!("allowed: {} may write {path}", hex_of(writer.as_bytes()));
						Ok(())
					},
					Err(rule) => Err(format!("not allowed to write {path}: {rule:?}")),
				}
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tree_paths_take_the_root_id_with_or_without_0x_and_bad_ones_say_how() {
		let id = "ab".repeat(32);
		let plain = parse_tree_path(&format!("/{id}/photos/a.jpg")).unwrap();
		assert_eq!(parse_tree_path(&format!("/0x{id}/photos/a.jpg")).unwrap(), plain);
		assert_eq!(plain.to_string(), format!("/{id}/photos/a.jpg"));
		for bad in ["photos", "/", "/abc/photos", &format!("/0x0x{id}/x")] {
			let err = parse_tree_path(bad).unwrap_err();
			assert!(err.contains("is not a tree path") && err.contains("64 hex digits"), "{bad}: {err}");
		}
	}
}
