//! The `blocktree_*` JSON-RPC methods: put a sealed block (chunked upload), read a stored
//! block's bytes, a block's storage status, the newest version at a path, and the worker's
//! status. Uploads are unsafe methods (local callers, or `--rpc-methods unsafe`), the Substrate
//! way; reads are safe. The node handles ciphertext only: clients seal and open blocks.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use blocktree_primitives::path::BlockPath;
use blocktree_runtime::Hash;
use jsonrpsee::{
	core::{async_trait, RpcResult, SubscriptionResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
	Extensions, PendingSubscriptionSink, SubscriptionMessage,
};
use blocktree_client::sectors::SectorRead;
use sc_rpc_api::DenyUnsafe;
use sp_core::{crypto::Ss58Codec, Bytes};

use super::{
	notices::covers,
	transfer::PutReport,
	Running,
};

/// The largest block accepted: the runtime's bound on a stored block.
pub const MAX_UPLOAD: u64 = 64 << 20;

/// The largest chunk of an upload or a read: 4 MiB (8 MiB as hex, under the server's default
/// 15 MiB message limit).
pub const MAX_CHUNK: u64 = 4 << 20;

/// Uploads open at once.
const MAX_UPLOADS: usize = 8;

/// An upload with no chunk for this long is dropped (a client sends a 4 MiB chunk in well under
/// a second; an abandoned upload must not hold one of the few slots for long).
const UPLOAD_TTL: Duration = Duration::from_secs(120);

/// Error codes of the `blocktree_*` methods.
mod code {
	/// The parameters are wrong (the message says how).
	pub const INVALID: i32 = 4000;
	/// The node has no storage worker key.
	pub const NO_WORKER: i32 = 4001;
	/// Too many uploads are open: finish or wait for one.
	pub const BUSY: i32 = 4002;
	/// Storing or reading failed (the message says why).
	pub const FAILED: i32 = 4003;
	/// The method is unsafe and this caller may not use it.
	pub const UNSAFE: i32 = -32601;
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// A block's storage as the chain records it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStatus {
	/// The account that recorded it.
	pub owner: String,
	/// The writer principal.
	pub writer: Hash,
	/// The version its header names.
	pub version: u64,
	/// Bytes stored.
	pub size: u64,
	/// Fragments needed to rebuild it.
	pub k: u8,
	/// Fragments stored.
	pub n: u8,
	/// Bytes per fragment.
	pub fragment_size: u64,
	/// Fragments placed on a provider.
	pub placed: u8,
	/// Each fragment's holder, if placed.
	pub holders: Vec<Option<String>>,
	/// Whether it waits in the repair queue (not fully placed).
	pub below_target: bool,
}

/// The storage worker's state.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
	/// The worker account.
	pub account: String,
	/// This node's libp2p peer id.
	pub peer_id: String,
	/// The store's quota (the offered capacity) in bytes.
	pub capacity: u64,
	/// Bytes held.
	pub used: u64,
	/// Fragments held.
	pub fragments: usize,
}

/// The `blocktree_*` methods.
#[rpc(server, namespace = "blocktree")]
pub trait BlocktreeApi {
	/// The storage worker's account, peer id and store usage.
	#[method(name = "storageStatus")]
	fn storage_status(&self) -> RpcResult<WorkerStatus>;

	/// Starts uploading a sealed block of `size` bytes; returns the upload's id. Unsafe.
	#[method(name = "beginPut", with_extensions)]
	fn begin_put(&self, size: u64) -> RpcResult<u64>;

	/// Adds `bytes` (at most 4 MiB) at `offset` to upload `upload`; chunks come in order and a
	/// repeated chunk is accepted again. Returns the bytes received so far. Unsafe.
	#[method(name = "putChunk", with_extensions)]
	fn put_chunk(&self, upload: u64, offset: u64, bytes: Bytes) -> RpcResult<u64>;

	/// Completes upload `upload`: checks the sealed block, records it on chain with loss
	/// tolerance `tolerance` and pushes its fragments to providers; returns where they went.
	/// Unsafe.
	#[method(name = "finishPut", with_extensions)]
	async fn finish_put(&self, upload: u64, tolerance: u8) -> RpcResult<PutReport>;

	/// Bytes `offset .. offset + len` (len at most 4 MiB) of stored block `block`, fetched from
	/// its holders and verified against the chain.
	#[method(name = "readBlock")]
	async fn read_block(&self, block: Hash, offset: u64, len: u64) -> RpcResult<Bytes>;

	/// Sectors `first .. first + count` of stored block `block` (fewer at its end; at most
	/// 4 MiB of ciphertext), each with its merkle proof, and the block's signed header: a
	/// client checks each sector against the header's signed root and opens only what it
	/// needs. `count` 0 returns the header alone. The first such read of a block on a node
	/// reads the whole block once to hash its sectors.
	#[method(name = "readSectors")]
	async fn read_sectors(&self, block: Hash, first: u64, count: u64) -> RpcResult<SectorRead>;

	/// Fetches fragment `index` of block `block` from its holder and verifies it against the
	/// chain: whether the holder serves it. Returns the holder and the fragment's size. Unsafe
	/// (it moves up to a whole fragment over the network).
	#[method(name = "checkFragment", with_extensions)]
	async fn check_fragment(&self, block: Hash, index: u8) -> RpcResult<(String, u64)>;

	/// Block `block`'s storage: shape, holders, repair state; `null` if not recorded.
	#[method(name = "blockStatus")]
	fn block_status(&self, block: Hash) -> RpcResult<Option<BlockStatus>>;

	/// Notices of blocks recorded on chain at or below `prefix` (a tree path such as
	/// `/<owner hex>/docs`), as this node imports the chain's best blocks: `{ block, path,
	/// version, writer, at, number }`. A subscriber too slow for 256 notices is dropped.
	#[subscription(name = "subscribeBlocks" => "block", unsubscribe = "unsubscribeBlocks", item = super::notices::BlockNotice)]
	async fn subscribe_blocks(&self, prefix: String) -> SubscriptionResult;

	/// Removes block `block` from the chain for its writer: `signature` is the writer
	/// principal's signature (SCALE, hex) over `"blocktree:remove-block:v1" ++ genesis ++ block`.
	/// The block must have been recorded by this node's account. Returns the chain block the
	/// removal is in. Unsafe (it spends the worker account's fees).
	#[method(name = "removeBlock", with_extensions)]
	async fn remove_block(&self, block: Hash, signature: Bytes) -> RpcResult<Hash>;

	/// The newest version `writer` recorded at `path` (e.g. `/<owner hex>/docs/a.txt`): its
	/// block id and version; `null` if none.
	#[method(name = "latestAtPath")]
	fn latest_at_path(&self, path: String, writer: Hash) -> RpcResult<Option<(Hash, u64)>>;
}

struct Upload {
	bytes: Vec<u8>,
	size: u64,
	touched: Instant,
}

/// Implements [`BlocktreeApiServer`]. Create once and clone: the RPC builder runs twice.
#[derive(Clone)]
pub struct BlocktreeRpc {
	running: Option<Arc<Running>>,
	uploads: Arc<Mutex<(u64, HashMap<u64, Upload>)>>,
}

impl BlocktreeRpc {
	/// The methods over the running worker, if any.
	pub fn new(running: Option<Arc<Running>>) -> Self {
		BlocktreeRpc { running, uploads: Arc::new(Mutex::new((0, HashMap::new()))) }
	}

	fn running(&self) -> RpcResult<&Arc<Running>> {
		self.running.as_ref().ok_or_else(|| {
			error(
				code::NO_WORKER,
				"this node has no storage worker key: insert one with `blocktree-node key insert --key-type btsw` and restart",
			)
		})
	}
}

fn check_unsafe(ext: &Extensions) -> RpcResult<()> {
	match ext.get::<DenyUnsafe>() {
		Some(DenyUnsafe::No) => Ok(()),
		_ => Err(error(code::UNSAFE, "this method is unsafe: call it on a local connection or start the node with --rpc-methods unsafe")),
	}
}

#[async_trait]
impl BlocktreeApiServer for BlocktreeRpc {
	fn storage_status(&self) -> RpcResult<WorkerStatus> {
		let r = self.running()?;
		Ok(WorkerStatus {
			account: r.account.to_ss58check(),
			peer_id: r.peer_id.clone(),
			capacity: r.store.quota(),
			used: r.store.used(),
			fragments: r.store.list().len(),
		})
	}

	fn begin_put(&self, ext: &Extensions, size: u64) -> RpcResult<u64> {
		check_unsafe(ext)?;
		self.running()?;
		if size == 0 || size > MAX_UPLOAD {
			return Err(error(code::INVALID, format!("a block is 1..={MAX_UPLOAD} bytes, not {size}")))
		}
		let mut guard = self.uploads.lock().expect("no panics under the lock; qed");
		let (next, uploads) = &mut *guard;
		uploads.retain(|_, u| u.touched.elapsed() < UPLOAD_TTL);
		if uploads.len() >= MAX_UPLOADS {
			return Err(error(code::BUSY, format!("{MAX_UPLOADS} uploads are open: finish one or retry in a while")))
		}
		// Unguessable ids: another caller cannot add to or finish this upload.
		let mut id = [0u8; 8];
		getrandom::getrandom(&mut id).map_err(|e| error(code::FAILED, format!("no randomness for an upload id: {e}")))?;
		let id = u64::from_le_bytes(id) >> 11; // exact in JSON numbers (53 bits)
		*next += 1;
		// Grows as chunks arrive: nothing is held for bytes not yet sent.
		uploads.insert(id, Upload { bytes: Vec::new(), size, touched: Instant::now() });
		Ok(id)
	}

	fn put_chunk(&self, ext: &Extensions, upload: u64, offset: u64, bytes: Bytes) -> RpcResult<u64> {
		check_unsafe(ext)?;
		if bytes.is_empty() || bytes.len() as u64 > MAX_CHUNK {
			return Err(error(code::INVALID, format!("a chunk is 1..={MAX_CHUNK} bytes, not {}", bytes.len())))
		}
		let mut guard = self.uploads.lock().expect("no panics under the lock; qed");
		guard.1.retain(|_, u| u.touched.elapsed() < UPLOAD_TTL);
		let u = guard.1.get_mut(&upload).ok_or_else(|| error(code::INVALID, format!("no upload {upload}: it finished, expired or never began")))?;
		let received = u.bytes.len() as u64;
		let end = offset.checked_add(bytes.len() as u64).filter(|e| *e <= u.size);
		let Some(end) = end else {
			return Err(error(code::INVALID, format!("the chunk at {offset} runs past the declared size {}", u.size)))
		};
		if offset == received {
			u.bytes.extend_from_slice(&bytes);
		} else if end <= received && u.bytes[offset as usize..end as usize] == bytes[..] {
			// A retried chunk: already here.
		} else {
			return Err(error(code::INVALID, format!("chunk out of order: the next chunk starts at {received}")))
		}
		u.touched = Instant::now();
		Ok(u.bytes.len() as u64)
	}

	async fn finish_put(&self, ext: &Extensions, upload: u64, tolerance: u8) -> RpcResult<PutReport> {
		check_unsafe(ext)?;
		let running = self.running()?.clone();
		let bytes = {
			let mut guard = self.uploads.lock().expect("no panics under the lock; qed");
			let u = guard.1.get(&upload).ok_or_else(|| error(code::INVALID, format!("no upload {upload}")))?;
			if u.bytes.len() as u64 != u.size {
				return Err(error(code::INVALID, format!("upload {upload} has {} of {} bytes: send the rest first", u.bytes.len(), u.size)))
			}
			guard.1.remove(&upload).expect("checked; qed").bytes
		};
		running
			.transfers
			.put(bytes, tolerance)
			.await
			.map_err(|e| error(code::FAILED, format!("{e} (the upload is closed: begin a new one to retry)")))
	}

	async fn read_block(&self, block: Hash, offset: u64, len: u64) -> RpcResult<Bytes> {
		if len == 0 || len > MAX_CHUNK {
			return Err(error(code::INVALID, format!("read 1..={MAX_CHUNK} bytes at a time, not {len}")))
		}
		let running = self.running()?.clone();
		running.transfers.read(block, offset, len).await.map(Bytes).map_err(|e| error(code::FAILED, e))
	}

	async fn read_sectors(&self, block: Hash, first: u64, count: u64) -> RpcResult<SectorRead> {
		let running = self.running()?.clone();
		running.sectors.read(block, first, count).await.map_err(|e| error(code::FAILED, e))
	}

	async fn check_fragment(&self, ext: &Extensions, block: Hash, index: u8) -> RpcResult<(String, u64)> {
		check_unsafe(ext)?;
		let running = self.running()?.clone();
		let (holder, len) = running.transfers.check_fragment(block, index).await.map_err(|e| error(code::FAILED, e))?;
		Ok((holder.to_ss58check(), len))
	}

	fn block_status(&self, block: Hash) -> RpcResult<Option<BlockStatus>> {
		let r = self.running()?;
		Ok(r.chain.block(&block).map(|record| BlockStatus {
			owner: record.owner.to_ss58check(),
			writer: record.writer,
			version: record.version,
			size: record.size,
			k: record.k,
			n: record.n,
			fragment_size: record.fragment_size,
			placed: record.placed(),
			holders: record.fragments.iter().map(|f| f.holder.as_ref().map(|h| h.provider.to_ss58check())).collect(),
			below_target: record.placed() < record.n,
		}))
	}

	async fn subscribe_blocks(&self, pending: PendingSubscriptionSink, prefix: String) -> SubscriptionResult {
		if let Err(e) = BlockPath::parse(&prefix) {
			pending.reject(error(code::INVALID, format!("'{prefix}' is not a tree path: {e:?}"))).await;
			return Ok(())
		}
		let Some(running) = self.running.clone() else {
			pending.reject(error(code::NO_WORKER, "this node has no storage worker key")).await;
			return Ok(())
		};
		let mut notices = running.notices.subscribe();
		let sink = pending.accept().await?;
		loop {
			tokio::select! {
				_ = sink.closed() => return Ok(()),
				notice = notices.recv() => match notice {
					Ok(notice) if covers(&prefix, &notice.path) => sink.send(SubscriptionMessage::from_json(&notice)?).await?,
					Ok(_) => {},
					Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) =>
						return Err(format!("the subscriber missed {missed} notices: subscribe again and re-read the paths").into()),
					Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
				},
			}
		}
	}

	async fn remove_block(&self, ext: &Extensions, block: Hash, signature: Bytes) -> RpcResult<Hash> {
		check_unsafe(ext)?;
		let running = self.running()?.clone();
		running.transfers.remove(block, &signature).await.map_err(|e| error(code::FAILED, e))
	}

	fn latest_at_path(&self, path: String, writer: Hash) -> RpcResult<Option<(Hash, u64)>> {
		let r = self.running()?;
		let path = BlockPath::parse(&path).map_err(|e| error(code::INVALID, format!("'{path}' is not a block path: {e:?}")))?;
		Ok(r.chain.blocks_at_path_by(path.hash(), writer).into_iter().map(|(id, b)| (id, b.version)).max_by_key(|(_, v)| *v))
	}
}
