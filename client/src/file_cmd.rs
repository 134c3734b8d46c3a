//! `blocktree file put | get | status`: store a local file at a tree path and get it back,
//! through a node's `blocktree_*` RPC. The file is sealed (encrypted, hashed, signed) here with
//! the principal's key file and opened here: the node sees ciphertext only.
//!
//! A file up to the part size (32 MiB by default) is one block; a larger one is stored as
//! parts, several at a time, and a manifest block listing them ([`crate::file_format`]), so
//! memory stays at a few parts whatever the file's size.

use std::{
	io::Write,
	os::unix::fs::{FileExt, OpenOptionsExt},
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use blocktree_primitives::{
	block::{BlockHeader, DEFAULT_SECTOR_SIZE},
	cap::KnownPrincipals,
	crypto::{open_block, seal_block, PrincipalKeys, SealedBlock, WriteRequest},
	path::BlockPath,
	principal::{Principal, PrincipalId},
};
use blocktree_runtime::Hash;
use frame_support::traits::Get;
use sp_core::crypto::Ss58Codec;
use futures::{StreamExt, TryStreamExt};
use jsonrpsee::rpc_params;
use serde_json::Value;

use crate::{
	chain::{ChainClient, DEFAULT_RPC_URL},
	file_format::{self, FileBlock},
	principal_chain::block_on,
	principal_cmd::{load_keys, now_ms, parse_hash, PasswordArgs},
	sectors::BlockReader,
};

/// The largest block the chain records (the runtime's `MaxBlockSize`).
const MAX_BLOCK: u64 = 64 << 20;

/// Bytes per upload or read request (the node's limit is 4 MiB).
const CHUNK: usize = 4 << 20;

/// Where the node is and whose keys seal and open.
#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
	/// The principal's key file.
	#[arg(long)]
	pub key_file: PathBuf,
	/// The node's JSON-RPC WebSocket address.
	#[arg(long, env = "BLOCKTREE_RPC_URL", default_value = DEFAULT_RPC_URL)]
	pub rpc_url: String,
	#[command(flatten)]
	pub password: PasswordArgs,
}

/// `blocktree file ...`
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
		/// Files larger than this are stored as parts of this size (64KiB to 60MiB) plus a
		/// manifest; up to this size, one block.
		#[arg(long, value_parser = crate::storage_cmd::parse_size, default_value = "32MiB")]
		part_size: u64,
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
	/// Read a byte range of the newest version at a tree path: only the sectors it touches
	/// (of the parts it touches, for a large file) are fetched, checked and opened. Writes the
	/// bytes to standard output, or to `--out`.
	Read {
		/// The tree path.
		path: String,
		/// The first byte.
		#[arg(long, default_value_t = 0)]
		offset: u64,
		/// How many bytes (fewer at the end of the file).
		#[arg(long)]
		len: u64,
		/// Whose version to read (64 hex digits); default: the key file's principal.
		#[arg(long)]
		writer: Option<String>,
		/// A local file to write (must not exist) instead of standard output.
		#[arg(long)]
		out: Option<PathBuf>,
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
				FileCmd::Put { local, path, tolerance, no_wait, part_size, args } => put(local, path, *tolerance, *no_wait, *part_size, args).await,
				FileCmd::Get { path, local, writer, args } => get(path, local, writer.as_deref(), args).await,
				FileCmd::Read { path, offset, len, writer, out, args } =>
					read_range(path, *offset, *len, writer.as_deref(), out.as_ref(), args).await,
				FileCmd::Status { path, writer, args } => status(path, writer.as_deref(), args).await,
			}
		})
	}
}

fn parse_path(path: &str) -> Result<BlockPath, String> {
	crate::principal_cmd::parse_tree_path(path)
}

fn writer_or_own(writer: Option<&str>, keys: &PrincipalKeys) -> Result<PrincipalId, String> {
	writer.map(|w| parse_hash(w, "a principal id").map_err(|e| format!("--writer: {e}"))).unwrap_or(Ok(keys.id()))
}

/// Parts sealed, uploaded and recorded at once (on put) or fetched and opened at once (on
/// get): memory stays at a few parts whatever the file's size, while the chain records one
/// part as the next one uploads.
const IN_FLIGHT: usize = 3;

/// A long transfer's progress on stderr: bytes done of a total, and the rate.
struct Progress {
	what: &'static str,
	total: u64,
	done: AtomicU64,
	started: Instant,
}

impl Progress {
	fn new(what: &'static str, total: u64) -> Arc<Self> {
		Arc::new(Progress { what, total, done: AtomicU64::new(0), started: Instant::now() })
	}

	fn add(&self, bytes: u64) {
		let done = self.done.fetch_add(bytes, Ordering::Relaxed) + bytes;
		let secs = self.started.elapsed().as_secs_f64().max(1e-3);
		eprint!("\r{}: {} / {} MiB ({:.0} MiB/s)   ", self.what, done >> 20, self.total >> 20, done as f64 / secs / (1 << 20) as f64);
		if done >= self.total {
			eprintln!();
		}
		let _ = std::io::stderr().flush();
	}
}

/// Time spent in each phase, summed over the blocks of a transfer (phases of different parts
/// overlap, so the sums may exceed the wall-clock time).
#[derive(Default)]
struct Timing(std::sync::Mutex<std::collections::BTreeMap<&'static str, Duration>>);

impl Timing {
	fn add(&self, phase: &'static str, since: Instant) {
		*self.0.lock().expect("no panics under the lock; qed").entry(phase).or_default() += since.elapsed();
	}

	/// One `time: <phase> <seconds>s` line per phase (scripts/bench/storage-e2e.sh reads them).
	fn print(&self) {
		for (phase, spent) in self.0.lock().expect("no panics under the lock; qed").iter() {
			println!("time: {phase} {:.3}s", spent.as_secs_f64());
		}
	}
}

/// A block a node stored on providers, as `blocktree_finishPut` reported it.
pub(crate) struct Stored {
	pub(crate) block: Hash,
	k: u64,
	n: u64,
	fragment_size: u64,
	stored: usize,
	/// Fragments no provider took yet (the node retries them as repairs).
	failed: usize,
}

/// The version after the newest one `writer` wrote at `path` (1 for a new path).
async fn next_version(client: &ChainClient, path: &BlockPath, writer: PrincipalId) -> Result<u64, String> {
	Ok(latest(client, path, writer).await?.map_or(1, |(_, v)| v + 1))
}

/// Reads `len` bytes of `file` at `offset` into a data block's plaintext (kind byte first).
async fn read_part(file: &Arc<std::fs::File>, offset: u64, len: u64) -> Result<Vec<u8>, String> {
	let file = file.clone();
	tokio::task::spawn_blocking(move || {
		let mut plaintext = vec![0u8; len as usize + 1];
		plaintext[0] = file_format::DATA;
		file.read_exact_at(&mut plaintext[1..], offset).map(|_| plaintext)
	})
	.await
	.map_err(|e| format!("reading failed: {e}"))?
	.map_err(|e| format!("cannot read the file at byte {offset}: {e} (did it change while being stored?)"))
}

/// Fails if `file` changed size or modification time since the put began: its blocks would
/// mix two states of it.
fn unchanged(file: &std::fs::File, len: u64, modified: Option<std::time::SystemTime>, local: &std::path::Path) -> Result<(), String> {
	let now = file.metadata().map_err(|e| format!("cannot read {}: {e}", local.display()))?;
	if now.len() != len || now.modified().ok() != modified {
		return Err(format!("{} changed while it was being stored: nothing was published at its path; put it again when it is stable", local.display()))
	}
	Ok(())
}

/// What sealing and storing one block needs, shared by the parts of a file.
struct Writer {
	client: ChainClient,
	keys: PrincipalKeys,
	ctx: KnownPrincipals,
	tolerance: u8,
	progress: Arc<Progress>,
	timing: Timing,
}

impl Writer {
	/// Seals `plaintext` as `version` of `path` here, uploads it to the node, and has the node
	/// encode it, record it on chain and push its fragments to providers.
	/// File bytes count towards the progress; a manifest's (`counted` false) do not.
	async fn store(self: &Arc<Self>, path: BlockPath, version: u64, plaintext: Vec<u8>, counted: bool) -> Result<Stored, String> {
		let started = Instant::now();
		let this = self.clone();
		let file_bytes = if counted { plaintext.len() as u64 - 1 } else { 0 };
		let shown = path.to_string();
		let sealed = tokio::task::spawn_blocking(move || {
			let request = WriteRequest { path: &path, version, write_caps: Default::default(), readers: &[], sector_size: DEFAULT_SECTOR_SIZE };
			seal_block(&this.keys, request, &plaintext, &this.ctx)
				.map(|(sealed, _)| sealed.to_bytes())
				.map_err(|e| format!("cannot seal {path}: {e:?}"))
		})
		.await
		.map_err(|e| format!("sealing failed: {e}"))??;
		self.timing.add("seal", started);

		let started = Instant::now();
		let total = sealed.len() as u64;
		let mut counted_so_far = 0u64;
		let mut finishing = None;
		let stored = put_sealed(&self.client, sealed, self.tolerance, &shown, |sent| {
			// Progress counts file bytes, in proportion to the sealed bytes sent.
			let now = file_bytes * sent / total;
			if counted {
				self.progress.add(now - counted_so_far);
			}
			counted_so_far = now;
		}, || {
			self.timing.add("upload", started);
			finishing = Some(Instant::now());
		})
		.await?;
		self.timing.add("encode, record and push", finishing.unwrap_or(started));
		Ok(stored)
	}
}

/// Uploads sealed block `sealed` to the node behind `client` ([`CHUNK`] bytes a request,
/// `sent` told the sealed bytes sent so far, `uploaded` when all are) and has it encode the
/// block, record it on chain and push its fragments to providers. Fails unless enough
/// fragments found providers to read the block (`shown` names it in errors).
pub(crate) async fn put_sealed(
	client: &ChainClient,
	sealed: Vec<u8>,
	tolerance: u8,
	shown: &str,
	mut sent: impl FnMut(u64),
	uploaded: impl FnOnce(),
) -> Result<Stored, String> {
	let upload: u64 = client.call("blocktree_beginPut", rpc_params![sealed.len() as u64]).await?;
	for (i, chunk) in sealed.chunks(CHUNK).enumerate() {
		let offset = (i * CHUNK) as u64;
		let _: u64 = client.call("blocktree_putChunk", rpc_params![upload, offset, sp_core::Bytes(chunk.to_vec())]).await?;
		sent(offset + chunk.len() as u64);
	}
	drop(sealed);
	uploaded();

	let report: Value = client.call("blocktree_finishPut", rpc_params![upload, tolerance]).await?;
	let block = report["block"].as_str().ok_or("the node reported no block id")?;
	let block = parse_hash(block, "a block id").map_err(|e| format!("the node reported a bad block id: {e}"))?;
	let count = |field: &str| report[field].as_u64().unwrap_or(0);
	let failed = report["failed"].as_array().map(Vec::len).unwrap_or(0);
	let stored = report["stored"].as_array().map(Vec::len).unwrap_or(0);
	if (stored as u64) < count("k") {
		// Recorded, but not readable until repairs find providers.
		return Err(format!(
			"only {stored} fragments of block {block:?} ({shown}) found providers, fewer than the {} needed to read it: {}; open contracts with more providers (`blocktree storage offers`); the node keeps retrying",
			count("k"),
			report["failed"]
		))
	}
	if failed > 0 {
		eprintln!("warning: {failed} fragments of block {block:?} found no provider yet ({}); the node retries them as repairs", report["failed"]);
	}
	Ok(Stored { block, k: count("k"), n: count("n"), fragment_size: count("fragmentSize"), stored, failed })
}

async fn put(local: &PathBuf, path: &str, tolerance: u8, no_wait: bool, part_size: u64, args: &FileArgs) -> Result<(), String> {
	let path = parse_path(path)?;
	if !(file_format::MIN_PART_SIZE..=file_format::MAX_PART_SIZE).contains(&part_size) {
		return Err(format!(
			"--part-size must be {} KiB to {} MiB, not {part_size} bytes",
			file_format::MIN_PART_SIZE >> 10,
			file_format::MAX_PART_SIZE >> 20
		))
	}
	let keys = load_keys(&args.key_file, &args.password)?;
	let file = std::fs::File::open(local).map_err(|e| format!("cannot read {}: {e}", local.display()))?;
	let metadata = file.metadata().map_err(|e| format!("cannot read {}: {e}", local.display()))?;
	let (len, modified) = (metadata.len(), metadata.modified().ok());
	let parts = len.div_ceil(part_size).max(1);
	if parts > file_format::MAX_PARTS {
		return Err(format!("{} has {len} bytes: more than {} parts of {part_size} bytes; raise --part-size", local.display(), file_format::MAX_PARTS))
	}
	let client = ChainClient::connect(&args.rpc_url).await?;
	let version = next_version(&client, &path, keys.id()).await?;
	// The chain keeps a bounded number of versions per path and writer: find out before
	// uploading anything, not after.
	let kept: Vec<(Hash, pallet_fragments::BlockRecordOf<blocktree_runtime::Runtime>)> =
		client.runtime_call("FragmentsApi_blocks_at_path_by", (path.hash(), keys.id())).await?;
	let most: u32 = <blocktree_runtime::Runtime as pallet_fragments::Config>::MaxBlocksPerPath::get();
	let most = most as usize;
	if kept.len() >= most {
		return Err(format!(
			"{path} already has {most} versions by you, the most the chain keeps: remove old ones (fragments.remove_block) or write to another path"
		))
	}
	// Whether the node's account has enough providers under contract, before any upload.
	let status: Value = client.call("blocktree_storageStatus", rpc_params![]).await?;
	let account = status["account"].as_str().ok_or("the node reports no storage worker account")?;
	let account = blocktree_runtime::AccountId::from_ss58check(account).map_err(|e| format!("the node reports a bad worker account: {e:?}"))?;
	let params: Result<(u8, u8, u64), sp_runtime::DispatchError> =
		client.runtime_call("FragmentsApi_erasure_params", (account, len.min(part_size) + 1, tolerance)).await?;
	params.map_err(|e| {
		format!(
			"the node cannot store this: {} (its account needs live contracts with at least tolerance + 2 providers: see `blocktree storage offers`)",
			crate::chain::describe_dispatch_error(e)
		)
	})?;
	let ctx = context(&client, keys.id(), &keys).await?;
	let writer = Arc::new(Writer { client, keys, ctx, tolerance, progress: Progress::new("upload", len), timing: Timing::default() });
	let file = Arc::new(file);
	let started = Instant::now();

	let mut blocks = Vec::new();
	let top = if parts == 1 {
		let plaintext = read_part(&file, 0, len).await?;
		unchanged(&file, len, modified, local)?;
		writer.store(path.clone(), version, plaintext, true).await?
	} else {
		eprintln!("{}: {len} bytes in {parts} parts of up to {} KiB, {IN_FLIGHT} at a time", local.display(), part_size >> 10);
		let lengths: Vec<u64> = (0..parts).map(|i| part_size.min(len - i * part_size)).collect();
		let stored: Vec<Stored> = futures::stream::iter(lengths.iter().copied().enumerate())
			.map(|(i, part_len)| {
				let (writer, file, path) = (writer.clone(), file.clone(), path.clone());
				async move {
					let part = file_format::part_path(&path, version, i as u64)?;
					// A part path is new for each version; an earlier failed put of this version
					// may have recorded it already, so it takes the next version there.
					let part_version = next_version(&writer.client, &part, writer.keys.id()).await?;
					let plaintext = read_part(&file, i as u64 * part_size, part_len).await?;
					writer.store(part, part_version, plaintext, true).await
				}
			})
			.buffered(IN_FLIGHT)
			.try_collect()
			.await?;
		let manifest = file_format::Manifest {
			size: len,
			parts: stored.iter().zip(&lengths).map(|(s, len)| file_format::Part { block: s.block, len: *len }).collect(),
		};
		blocks.extend(stored);
		unchanged(&file, len, modified, local)?;
		// The manifest goes last: a reader never finds a version whose parts are not recorded.
		writer.store(path.clone(), version, file_format::manifest_plaintext(&manifest), false).await?
	};
	writer.timing.print();
	println!("time: stored {:.3}s", started.elapsed().as_secs_f64());
	println!("block: {:?}", top.block);
	println!("{} of {} fragments stored ({} needed to read), {} bytes each", top.stored, top.n, top.k, top.fragment_size);
	if parts > 1 {
		println!("parts: {parts}");
		for (i, part) in blocks.iter().enumerate() {
			println!("part {i}: {:?}", part.block);
		}
	}
	eprintln!("stored {} ({len} bytes) as version {version} of {path}", local.display());
	blocks.push(top);
	if no_wait {
		return Ok(())
	}

	// Fragments that found no provider yet are placed by repairs, later: wait for the others.
	let failed: u64 = blocks.iter().map(|b| b.failed as u64).sum();
	let n: u64 = blocks.iter().map(|b| b.n).sum::<u64>() - failed;
	let started = Instant::now();
	let deadline = started + Duration::from_secs(120 + 2 * blocks.len() as u64);
	loop {
		let mut placed = 0;
		for b in &blocks {
			let status: Value = writer.client.call("blocktree_blockStatus", rpc_params![b.block]).await?;
			placed += status["placed"].as_u64().unwrap_or(0);
		}
		eprint!("\rplacements on chain: {placed} of {n}   ");
		if placed >= n {
			eprintln!();
			println!("time: placements on chain {:.3}s", started.elapsed().as_secs_f64());
			println!("placed: {placed} of {n}");
			if failed > 0 {
				println!("waiting for repair: {failed} fragments (see `blocktree file status`)");
			}
			return Ok(())
		}
		if Instant::now() > deadline {
			eprintln!();
			return Err(format!("only {placed} of {n} placements on chain after {}s: check `file status` later", (deadline - started).as_secs()))
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

/// What reading and opening blocks needs, shared by the parts of a file.
struct Reader {
	client: ChainClient,
	/// Whose blocks are read: every block read must be signed by this principal.
	writer: PrincipalId,
	keys: PrincipalKeys,
	ctx: KnownPrincipals,
	timing: Timing,
}

impl Reader {
	/// Downloads block `block`, checks it is at `path` (and `version`, if given), opens it and
	/// returns its plaintext.
	async fn fetch(self: &Arc<Self>, block: Hash, path: BlockPath, version: Option<u64>) -> Result<Vec<u8>, String> {
		let started = Instant::now();
		let bytes = download(&self.client, block).await?;
		self.timing.add("download", started);
		let started = Instant::now();
		let this = self.clone();
		let plaintext = tokio::task::spawn_blocking(move || {
			open_fetched(&bytes, Expected { block, writer: this.writer, path: &path, version }, &this.keys, &this.ctx)
		})
		.await
		.map_err(|e| format!("opening failed: {e}"))??;
		self.timing.add("open", started);
		Ok(plaintext)
	}
}

/// Downloads stored block `block` (sealed, as the node serves it) in [`CHUNK`]-byte reads.
pub(crate) async fn download(client: &ChainClient, block: Hash) -> Result<Vec<u8>, String> {
	let status: Value = client.call("blocktree_blockStatus", rpc_params![block]).await?;
	let size = status["size"].as_u64().ok_or_else(|| format!("the node knows no block {block:?}"))?;
	// The node's word is checked before it sizes anything here.
	if size == 0 || size > MAX_BLOCK {
		return Err(format!("the node reports block {block:?} as {size} bytes; blocks are 1..={MAX_BLOCK}: is it a Blocktree node?"))
	}
	let mut bytes = Vec::with_capacity(size as usize);
	while (bytes.len() as u64) < size {
		let len = (size - bytes.len() as u64).min(CHUNK as u64);
		let part: sp_core::Bytes = client.call("blocktree_readBlock", rpc_params![block, bytes.len() as u64, len]).await?;
		if part.is_empty() || part.len() as u64 > len {
			return Err(format!("the node returned {} bytes of block {block:?} at {} of {size}, asked for {len}", part.len(), bytes.len()))
		}
		bytes.extend_from_slice(&part);
	}
	Ok(bytes)
}

/// What a fetched block must be.
struct Expected<'a> {
	block: Hash,
	writer: PrincipalId,
	path: &'a BlockPath,
	version: Option<u64>,
}

impl Expected<'_> {
	/// Whether `header` (of the block asked for) is by the writer, at the path (and version)
	/// it was listed as.
	fn check(&self, header: &BlockHeader) -> Result<(), String> {
		let Expected { block, writer, path, version } = self;
		if header.writer != *writer || &header.path != *path || version.is_some_and(|v| v != header.version) {
			return Err(format!("block {block:?} is {} version {} by {:?}, not the {path} it was listed as", header.path, header.version, header.writer))
		}
		Ok(())
	}
}

/// Opens the bytes a node served for `expected.block`: they must be that block (its id commits
/// to the signed header, which commits to the sectors), by the writer, at the path (and
/// version) asked for, so a node cannot serve another block, not even another version of the
/// same path by the same writer.
fn open_fetched(bytes: &[u8], expected: Expected<'_>, keys: &PrincipalKeys, ctx: &KnownPrincipals) -> Result<Vec<u8>, String> {
	let Expected { block, path, .. } = expected;
	let sealed = SealedBlock::from_bytes(bytes).map_err(|e| format!("block {block:?} is malformed: {e:?}"))?;
	if sealed.header.id() != block {
		return Err(format!("the node served another block in place of {block:?}"))
	}
	expected.check(&sealed.header.header)?;
	open_block(&sealed, keys, ctx).map_err(|e| format!("cannot open {path} (block {block:?}): {e:?}"))
}

/// A side file `<local>.partial` (readable by the owner only: it holds plaintext) that
/// [`publish`] links into place when complete: a failed read leaves no half-written file, and
/// a file that appeared at `local` meanwhile is not overwritten. The caller removes the side
/// file either way.
fn create_partial(local: &std::path::Path) -> Result<(PathBuf, std::fs::File), String> {
	if local.exists() {
		return Err(format!("{} exists: choose another path (nothing was overwritten)", local.display()))
	}
	let mut partial = local.as_os_str().to_owned();
	partial.push(".partial");
	let partial = PathBuf::from(partial);
	let out = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(&partial)
		.map_err(|e| match e.kind() {
			std::io::ErrorKind::AlreadyExists => format!("{} exists, probably left by an interrupted read: remove it and retry", partial.display()),
			_ => format!("cannot create {}: {e}", partial.display()),
		})?;
	Ok((partial, out))
}

/// Flushes `out` (written at `partial`) to disk and links it at `local`.
fn publish(out: &std::fs::File, partial: &std::path::Path, local: &std::path::Path) -> Result<(), String> {
	out.sync_all().map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
	std::fs::hard_link(partial, local).map_err(|e| match e.kind() {
		std::io::ErrorKind::AlreadyExists => format!("{} appeared meanwhile: nothing was overwritten", local.display()),
		_ => format!("cannot move {} to {}: {e}", partial.display(), local.display()),
	})
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
	let ctx = context(&client, writer, &keys).await?;
	let reader = Arc::new(Reader { client, writer, keys, ctx, timing: Timing::default() });
	let started = Instant::now();
	let top = reader.fetch(block, path.clone(), Some(version)).await?;

	let (partial, mut out) = create_partial(local)?;
	let written = async {
		let mut size = 0u64;
		match file_format::parse(&top)? {
			FileBlock::Data(bytes) => {
				out.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
				size = bytes.len() as u64;
			},
			FileBlock::Manifest(manifest) => {
				let progress = Progress::new("download", manifest.size);
				eprintln!("{path}: {} bytes in {} parts", manifest.size, manifest.parts.len());
				let mut parts = futures::stream::iter(manifest.parts.iter().enumerate())
					.map(|(i, part)| {
						let (reader, path) = (reader.clone(), path.clone());
						async move {
							let expected = file_format::part_path(&path, version, i as u64)?;
							let plaintext = reader.fetch(part.block, expected, None).await?;
							match file_format::parse(&plaintext)? {
								FileBlock::Data(bytes) if bytes.len() as u64 == part.len => Ok(plaintext),
								_ => Err(format!("part {i} of {path} is not the data its manifest lists")),
							}
						}
					})
					.buffered(IN_FLIGHT);
				while let Some(plaintext) = parts.next().await {
					let bytes = &plaintext?[1..];
					out.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
					size += bytes.len() as u64;
					progress.add(bytes.len() as u64);
				}
			},
		}
		publish(&out, &partial, local)?;
		Ok::<u64, String>(size)
	}
	.await;
	let _ = std::fs::remove_file(&partial);
	let size = written?;
	reader.timing.print();
	println!("time: fetched {:.3}s", started.elapsed().as_secs_f64());
	println!("wrote {} ({size} bytes, version {version})", local.display());
	Ok(())
}

/// Opens block `block` for random access (header only) and checks it is what it was listed as.
async fn open_for_range(client: &ChainClient, expected: Expected<'_>, keys: &PrincipalKeys, ctx: &KnownPrincipals) -> Result<BlockReader, String> {
	let reader = BlockReader::open(client, expected.block, keys, ctx).await?;
	expected.check(reader.header())?;
	Ok(reader)
}

/// Which bytes of which parts (`(part, from, to)`, part-relative) hold file bytes
/// `offset .. offset + len`, for parts of lengths `parts`; nothing for an empty range or one
/// past the end.
pub(crate) fn spans(parts: &[u64], offset: u64, len: u64) -> Vec<(usize, u64, u64)> {
	let end = offset.saturating_add(len);
	let mut spans = Vec::new();
	if end <= offset {
		return spans
	}
	let mut part_start = 0u64;
	for (i, part_len) in parts.iter().enumerate() {
		let part_end = part_start.saturating_add(*part_len);
		if part_end > offset && part_start < end {
			spans.push((i, offset.max(part_start) - part_start, end.min(part_end) - part_start));
		}
		if part_end >= end {
			break
		}
		part_start = part_end;
	}
	spans
}

/// File bytes `from .. to` of a data block (after its kind byte, which must say DATA).
async fn read_data(client: &ChainClient, reader: &BlockReader, from: u64, to: u64) -> Result<Vec<u8>, String> {
	if reader.read(client, 0, 1).await?.first() != Some(&file_format::DATA) {
		return Err(format!("block {:?} ({}) does not hold file bytes", reader.block(), reader.header().path))
	}
	reader.read(client, 1 + from, to - from).await
}

async fn read_range(path: &str, offset: u64, len: u64, writer: Option<&str>, out: Option<&PathBuf>, args: &FileArgs) -> Result<(), String> {
	let path = parse_path(path)?;
	let keys = load_keys(&args.key_file, &args.password)?;
	let writer = writer_or_own(writer, &keys)?;
	let client = ChainClient::connect(&args.rpc_url).await?;
	let (block, version) = latest(&client, &path, writer).await?.ok_or_else(|| format!("nothing stored at {path} by {writer:?}"))?;
	let ctx = context(&client, writer, &keys).await?;
	let top = open_for_range(&client, Expected { block, writer, path: &path, version: Some(version) }, &keys, &ctx).await?;
	// The file's size and the parts (one, the block itself, for a small file) the range
	// touches, each opened as it is reached.
	let (size, manifest) = match top.read(&client, 0, 1).await?.first() {
		Some(&file_format::DATA) => (top.len() - 1, None),
		Some(&file_format::MANIFEST) if top.len() <= MANIFEST_PEEK => match file_format::parse(&top.read(&client, 0, top.len()).await?)? {
			FileBlock::Manifest(manifest) => (manifest.size, Some(manifest)),
			FileBlock::Data(_) => return Err(format!("{path} (block {block:?}) is not a readable file")),
		},
		_ => return Err(format!("{path} (block {block:?}) is not a readable file")),
	};
	let lens: Vec<u64> = manifest.as_ref().map_or_else(|| vec![size], |m| m.parts.iter().map(|p| p.len).collect());
	let (partial, mut file) = match out {
		Some(out) => {
			let (partial, file) = create_partial(out)?;
			(Some(partial), Some(file))
		},
		None => (None, None),
	};
	let mut stdout = std::io::stdout().lock();
	let (mut written, mut blocks, mut sectors) = (0u64, 1, top.sectors_opened());
	let copied = async {
		for (i, from, to) in spans(&lens, offset, len) {
			let bytes = match &manifest {
				None => read_data(&client, &top, from, to).await?,
				Some(manifest) => {
					let part = &manifest.parts[i];
					let part_path = file_format::part_path(&path, version, i as u64)?;
					let expected = Expected { block: part.block, writer, path: &part_path, version: None };
					let reader = open_for_range(&client, expected, &keys, &ctx).await?;
					if reader.len() != part.len + 1 {
						return Err(format!("part {i} of {path} is not the data its manifest lists"))
					}
					let bytes = read_data(&client, &reader, from, to).await?;
					(blocks, sectors) = (blocks + 1, sectors + reader.sectors_opened());
					bytes
				},
			};
			written += bytes.len() as u64;
			let sink: &mut dyn Write = match file.as_mut() {
				Some(file) => file,
				None => &mut stdout,
			};
			sink.write_all(&bytes).map_err(|e| format!("cannot write the bytes read: {e}"))?;
		}
		if manifest.is_none() {
			sectors = top.sectors_opened();
		}
		match (&file, &partial, out) {
			(Some(file), Some(partial), Some(out)) => publish(file, partial, out),
			_ => stdout.flush().map_err(|e| format!("cannot write the bytes read: {e}")),
		}
	}
	.await;
	if let Some(partial) = &partial {
		let _ = std::fs::remove_file(partial);
	}
	copied.map_err(|e| if out.is_some() { format!("{e} (nothing was written)") } else { e })?;
	eprintln!("read {written} bytes at {offset} of {path} ({size} bytes, version {version}): {sectors} sectors of {blocks} blocks opened");
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
	// A manifest is small: open it (a small file too, which costs as little) to report on
	// the parts of a large file.
	if status["size"].as_u64().is_some_and(|size| size <= MANIFEST_PEEK) {
		let ctx = context(&client, writer, &keys).await?;
		let reader = Arc::new(Reader { client, writer, keys, ctx, timing: Timing::default() });
		let plaintext = match reader.fetch(block, path.clone(), Some(version)).await {
			Ok(plaintext) => plaintext,
			Err(e) => {
				println!("file: cannot open the block to list parts ({e})");
				return Ok(())
			},
		};
		if let Ok(FileBlock::Manifest(manifest)) = file_format::parse(&plaintext) {
			let (mut placed, mut n, mut short) = (0, 0, 0);
			for part in &manifest.parts {
				let status: Value = reader.client.call("blocktree_blockStatus", rpc_params![part.block]).await?;
				let (p, of) = (status["placed"].as_u64().unwrap_or(0), status["n"].as_u64().unwrap_or(0));
				(placed, n) = (placed + p, n + of);
				short += usize::from(p < of);
			}
			println!("file: {} bytes in {} parts; parts' fragments placed: {placed} of {n}; parts waiting for repair: {short}", manifest.size, manifest.parts.len());
		}
	}
	Ok(())
}

/// Blocks up to this size are opened by `status` to see whether they are a manifest.
const MANIFEST_PEEK: u64 = 2 << 20;

#[cfg(test)]
mod tests {
	use blocktree_primitives::crypto::KeyScheme;

	use super::*;

	#[test]
	fn ranges_map_onto_the_parts_they_touch_and_nothing_past_the_end() {
		let parts = [100u64, 100, 50];
		assert_eq!(spans(&parts, 0, 10), vec![(0, 0, 10)]);
		assert_eq!(spans(&parts, 95, 10), vec![(0, 95, 100), (1, 0, 5)]);
		assert_eq!(spans(&parts, 100, 100), vec![(1, 0, 100)], "exactly one part, from its first byte to its last");
		assert_eq!(spans(&parts, 99, 102), vec![(0, 99, 100), (1, 0, 100), (2, 0, 1)], "across three parts");
		assert_eq!(spans(&parts, 240, 1000), vec![(2, 40, 50)], "clipped at the end");
		assert_eq!(spans(&parts, 250, 10), vec![], "past the end");
		assert_eq!(spans(&parts, 10, 0), vec![], "nothing asked");
		assert_eq!(spans(&parts, u64::MAX, u64::MAX), vec![], "no overflow");
		assert_eq!(spans(&[0], 0, 10), vec![], "an empty file");
	}

	#[test]
	fn a_node_cannot_serve_another_block_for_the_one_asked_for() {
		let alice = PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32]);
		let bob = PrincipalKeys::from_seed(KeyScheme::Sr25519, [2; 32]);
		let ctx = KnownPrincipals::at(now_ms()).on_chain(Hash::repeat_byte(0xc4)).with(alice.principal()).with(bob.principal());
		let file = BlockPath::root_of(&alice.id()).join("big.iso").unwrap();
		let part = file_format::part_path(&file, 1, 0).unwrap();
		let seal = |writer: &PrincipalKeys, path: &BlockPath, version: u64, plaintext: &[u8]| {
			let request = WriteRequest { path, version, write_caps: Default::default(), readers: &[], sector_size: DEFAULT_SECTOR_SIZE };
			let sealed = seal_block(writer, request, plaintext, &ctx).expect("sealing succeeds").0;
			(sealed.header.id(), sealed.to_bytes())
		};
		let (v1, v1_bytes) = seal(&alice, &part, 1, b"\0first");
		let (_, v2_bytes) = seal(&alice, &part, 2, b"\0second");
		let (_, other_path) = seal(&alice, &file, 1, b"\0elsewhere");
		let expect = |version| Expected { block: v1, writer: alice.id(), path: &part, version };

		assert_eq!(open_fetched(&v1_bytes, expect(None), &alice, &ctx), Ok(b"\0first".to_vec()));
		assert_eq!(open_fetched(&v1_bytes, expect(Some(1)), &alice, &ctx), Ok(b"\0first".to_vec()));
		// Another version of the same part by the same writer, or another path: refused.
		assert!(open_fetched(&v2_bytes, expect(None), &alice, &ctx).unwrap_err().contains("served another block"));
		assert!(open_fetched(&other_path, expect(None), &alice, &ctx).unwrap_err().contains("served another block"));
		// The right block, but not what the reader was looking for.
		let wrong_writer = Expected { writer: bob.id(), ..expect(None) };
		assert!(open_fetched(&v1_bytes, wrong_writer, &alice, &ctx).unwrap_err().contains("not the"));
		assert!(open_fetched(&v1_bytes, expect(Some(2)), &alice, &ctx).unwrap_err().contains("not the"));
		assert!(open_fetched(&v1_bytes, Expected { path: &file, ..expect(None) }, &alice, &ctx).unwrap_err().contains("not the"));
		// Garbage is an error, not a panic.
		assert!(open_fetched(&v1_bytes[..v1_bytes.len() / 2], expect(None), &alice, &ctx).unwrap_err().contains("malformed"));
	}
}
