//! `blocktree-node file put | get | status`: store a local file at a tree path and get it back,
//! through a node's `blocktree_*` RPC. The file is sealed (encrypted, hashed, signed) here with
//! the principal's key file and opened here: the node sees ciphertext only.
//!
//! A file is one block for now (up to [`MAX_FILE`]); larger files become a manifest of blocks
//! with the FUSE mount's file format.

use std::{
	io::Write,
	path::PathBuf,
	time::{Duration, Instant},
};

use blocktree_primitives::{
	block::DEFAULT_SECTOR_SIZE,
	cap::KnownPrincipals,
	crypto::{open_block, seal_block, PrincipalKeys, SealedBlock, WriteRequest},
	path::BlockPath,
	principal::{Principal, PrincipalId},
};
use blocktree_runtime::Hash;
use jsonrpsee::rpc_params;
use serde_json::Value;

use crate::{
	chain_client::{ChainClient, DEFAULT_RPC_URL},
	principal_chain::block_on,
	principal_cmd::{load_keys, now_ms, parse_hash, PasswordArgs},
};

/// The largest file stored as one block: the runtime stores blocks up to 64 MiB, and sealing
/// adds a header and 16 bytes per sector.
pub const MAX_FILE: u64 = 63 << 20;

/// Bytes per upload or read request (the node's limit is 4 MiB).
const CHUNK: usize = 4 << 20;

/// Where the node is and whose keys seal and open.
#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
	/// The principal's key file.
	#[arg(long)]
	pub key_file: PathBuf,
	/// The node's JSON-RPC WebSocket address.
	#[arg(long, default_value = DEFAULT_RPC_URL)]
	pub rpc_url: String,
	#[command(flatten)]
	pub password: PasswordArgs,
}

/// `blocktree-node file ...`
#[derive(Debug, clap::Subcommand)]
pub enum FileCmd {
	/// Seal a local file and store it at a tree path (a new version of the path). The node's
	/// storage worker account must control the key file's principal.
	Put {
		/// The local file.
		local: PathBuf,
		/// The tree path, e.g. `/<principal hex>/docs/report.pdf`.
		path: String,
		/// Fragments that may be lost with the file still readable.
		#[arg(long, default_value_t = 1)]
		tolerance: u8,
		/// Return once the fragments are on providers, without waiting for the chain to
		/// record every placement.
		#[arg(long)]
		no_wait: bool,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Fetch the newest version at a tree path, open it and write it to a local file.
	Get {
		/// The tree path.
		path: String,
		/// The local file to write (must not exist).
		local: PathBuf,
		/// Whose version to read (64 hex digits); default: the key file's principal.
		#[arg(long)]
		writer: Option<String>,
		#[command(flatten)]
		args: FileArgs,
	},
	/// Show where the newest version at a tree path is stored.
	Status {
		/// The tree path.
		path: String,
		/// Whose version (64 hex digits); default: the key file's principal.
		#[arg(long)]
		writer: Option<String>,
		#[command(flatten)]
		args: FileArgs,
	},
}

fn progress(what: &str, done: u64, total: u64, started: Instant) {
	let secs = started.elapsed().as_secs_f64().max(1e-3);
	eprint!("\r{what}: {} / {} MiB ({:.0} MiB/s)   ", done >> 20, total >> 20, done as f64 / secs / (1 << 20) as f64);
	if done >= total {
		eprintln!();
	}
	let _ = std::io::stderr().flush();
}

/// What opening a block needs to know: the writer's keys as the chain has them now.
async fn context(client: &ChainClient, writer: PrincipalId, own: &PrincipalKeys) -> Result<KnownPrincipals, String> {
	let mut ctx = KnownPrincipals::default().with(own.principal()).on_chain(client.genesis());
	if writer != own.id() {
		let keys: Option<Principal> = client.runtime_call("PrincipalsApi_principal", writer).await?;
		let keys = keys.ok_or_else(|| format!("principal {writer:?} is not registered on this chain"))?;
		ctx.set_principal(writer, keys);
	}
	ctx.set_now(now_ms());
	Ok(ctx)
}

async fn latest(client: &ChainClient, path: &BlockPath, writer: PrincipalId) -> Result<Option<(Hash, u64)>, String> {
	client.call("blocktree_latestAtPath", rpc_params![path.to_string(), writer]).await
}

impl FileCmd {
	/// Runs the command.
	pub fn run(&self) -> Result<(), String> {
		block_on(async {
			match self {
				FileCmd::Put { local, path, tolerance, no_wait, args } => put(local, path, *tolerance, *no_wait, args).await,
				FileCmd::Get { path, local, writer, args } => get(path, local, writer.as_deref(), args).await,
				FileCmd::Status { path, writer, args } => status(path, writer.as_deref(), args).await,
			}
		})
	}
}

fn parse_path(path: &str) -> Result<BlockPath, String> {
	BlockPath::parse(path).map_err(|e| format!("'{path}' is not a tree path ({e:?}): write /<principal hex>/<name>/..."))
}

fn writer_or_own(writer: Option<&str>, keys: &PrincipalKeys) -> Result<PrincipalId, String> {
	writer.map(|w| parse_hash(w, "a principal id").map_err(|e| format!("--writer: {e}"))).unwrap_or(Ok(keys.id()))
}

async fn put(local: &PathBuf, path: &str, tolerance: u8, no_wait: bool, args: &FileArgs) -> Result<(), String> {
	let path = parse_path(path)?;
	let keys = load_keys(&args.key_file, &args.password)?;
	let len = std::fs::metadata(local).map_err(|e| format!("cannot read {}: {e}", local.display()))?.len();
	if len > MAX_FILE {
		return Err(format!("{} has {len} bytes; files up to {MAX_FILE} bytes are stored as one block for now", local.display()))
	}
	let plaintext = std::fs::read(local).map_err(|e| format!("cannot read {}: {e}", local.display()))?;
	let client = ChainClient::connect(&args.rpc_url).await?;
	let version = latest(&client, &path, keys.id()).await?.map_or(1, |(_, v)| v + 1);
	let ctx = context(&client, keys.id(), &keys).await?;
	let started = Instant::now();
	let request = WriteRequest { path: &path, version, write_caps: Default::default(), readers: &[], sector_size: DEFAULT_SECTOR_SIZE };
	let (sealed, _) = seal_block(&keys, request, &plaintext, &ctx).map_err(|e| format!("cannot seal {}: {e:?}", local.display()))?;
	drop(plaintext);
	let bytes = sealed.to_bytes();
	println!("time: seal {:.3}s", started.elapsed().as_secs_f64());
	eprintln!("sealed {} ({len} bytes) as version {version}: {} bytes", local.display(), bytes.len());
	let upload: u64 = client.call("blocktree_beginPut", rpc_params![bytes.len() as u64]).await?;
	let started = Instant::now();
	for (i, chunk) in bytes.chunks(CHUNK).enumerate() {
		let offset = (i * CHUNK) as u64;
		let _: u64 = client
			.call("blocktree_putChunk", rpc_params![upload, offset, sp_core::Bytes(chunk.to_vec())])
			.await?;
		progress("upload", offset + chunk.len() as u64, bytes.len() as u64, started);
	}
	println!("time: upload {:.3}s", started.elapsed().as_secs_f64());
	eprintln!("encoding, recording on chain and pushing fragments to providers...");
	let started = Instant::now();
	let report: Value = client.call("blocktree_finishPut", rpc_params![upload, tolerance]).await?;
	println!("time: encode, record and push {:.3}s", started.elapsed().as_secs_f64());
	let block = report["block"].as_str().unwrap_or_default().to_string();
	let failed = report["failed"].as_array().map(Vec::len).unwrap_or(0);
	println!("block: {block}");
	println!(
		"{} of {} fragments stored ({} needed to read), {} bytes each",
		report["stored"].as_array().map(Vec::len).unwrap_or(0),
		report["n"],
		report["k"],
		report["fragmentSize"]
	);
	if failed > 0 {
		return Err(format!("{failed} fragments found no provider: {}; the node retries them as repairs", report["failed"]))
	}
	if no_wait {
		return Ok(())
	}
	let n = report["n"].as_u64().unwrap_or(0);
	let started = Instant::now();
	let deadline = started + Duration::from_secs(120);
	loop {
		let status: Value = client.call("blocktree_blockStatus", rpc_params![block.clone()]).await?;
		let placed = status["placed"].as_u64().unwrap_or(0);
		eprint!("\rplacements on chain: {placed} of {n}   ");
		if placed >= n {
			eprintln!();
			println!("time: placements on chain {:.3}s", started.elapsed().as_secs_f64());
			println!("placed: {placed} of {n}");
			return Ok(())
		}
		if Instant::now() > deadline {
			eprintln!();
			return Err(format!("only {placed} of {n} placements on chain after 120s: check `file status` later"))
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

async fn get(path: &str, local: &PathBuf, writer: Option<&str>, args: &FileArgs) -> Result<(), String> {
	let path = parse_path(path)?;
	let keys = load_keys(&args.key_file, &args.password)?;
	let writer = writer_or_own(writer, &keys)?;
	if local.exists() {
		return Err(format!("{} exists: choose another path (nothing was overwritten)", local.display()))
	}
	let client = ChainClient::connect(&args.rpc_url).await?;
	let (block, version) = latest(&client, &path, writer).await?.ok_or_else(|| format!("nothing stored at {path} by {writer:?}"))?;
	let status: Value = client.call("blocktree_blockStatus", rpc_params![block]).await?;
	let size = status["size"].as_u64().ok_or_else(|| format!("the node knows no block {block:?}"))?;
	let started = Instant::now();
	let mut bytes = Vec::with_capacity(size as usize);
	while (bytes.len() as u64) < size {
		let len = (size - bytes.len() as u64).min(CHUNK as u64);
		let part: sp_core::Bytes = client.call("blocktree_readBlock", rpc_params![block, bytes.len() as u64, len]).await?;
		if part.is_empty() {
			return Err(format!("the node returned no bytes at {} of {size}", bytes.len()))
		}
		bytes.extend_from_slice(&part);
		progress("download", bytes.len() as u64, size, started);
	}
	println!("time: download {:.3}s", started.elapsed().as_secs_f64());
	let started = Instant::now();
	let sealed = SealedBlock::from_bytes(&bytes).map_err(|e| format!("the stored block is malformed: {e:?}"))?;
	let ctx = context(&client, writer, &keys).await?;
	let plaintext = open_block(&sealed, &keys, &ctx).map_err(|e| format!("cannot open version {version} of {path}: {e:?}"))?;
	println!("time: open {:.3}s", started.elapsed().as_secs_f64());
	std::fs::write(local, &plaintext).map_err(|e| format!("cannot write {}: {e}", local.display()))?;
	println!("wrote {} ({} bytes, version {version})", local.display(), plaintext.len());
	Ok(())
}

async fn status(path: &str, writer: Option<&str>, args: &FileArgs) -> Result<(), String> {
	let path = parse_path(path)?;
	let keys = load_keys(&args.key_file, &args.password)?;
	let writer = writer_or_own(writer, &keys)?;
	let client = ChainClient::connect(&args.rpc_url).await?;
	let (block, version) = latest(&client, &path, writer).await?.ok_or_else(|| format!("nothing stored at {path} by {writer:?}"))?;
	let status: Value = client.call("blocktree_blockStatus", rpc_params![block]).await?;
	println!("path: {path}\nversion: {version}\nblock: {block:?}");
	println!("size: {} bytes as {} of {} fragments of {} bytes", status["size"], status["k"], status["n"], status["fragmentSize"]);
	println!("placed: {} of {}", status["placed"], status["n"]);
	for (i, holder) in status["holders"].as_array().into_iter().flatten().enumerate() {
		println!("  fragment {i}: {}", holder.as_str().unwrap_or("(unplaced: waiting for repair)"));
	}
	Ok(())
}
