//! The tree's blocks through a node's `blocktree_*` JSON-RPC: [`RpcStore`]. Blocks are sealed
//! and opened here with the principal's keys; the node sees ciphertext only. A connection the
//! node dropped (it stopped or restarted) is made again at the next call, and no call waits
//! longer than its timeout: a node that is gone is an error within seconds, never a hang.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::Duration,
};

use blocktree_primitives::{
	cap::KnownPrincipals,
	crypto::{open_block, seal_block, PrincipalKeys, SealedBlock, WriteRequest},
	path::BlockPath,
	principal::{Principal, PrincipalId},
};
use codec::Encode;
use jsonrpsee::rpc_params;
use sp_core::H256;

use crate::{
	chain::ChainClient,
	file_cmd::put_sealed,
	sectors::BlockReader,
	tree::{BlockStore, TreeError},
};

/// Domain tag of a writer's request to remove one of its blocks (`blocktree_removeBlock`).
pub const REMOVE_BLOCK_DOMAIN: &[u8] = b"blocktree:remove-block:v1";

/// What the writer signs to have a node remove block `block` on chain `genesis`:
/// `REMOVE_BLOCK_DOMAIN ++ genesis ++ block` (SCALE: 1 + 25 + 32 + 32 bytes).
pub fn remove_block_message(genesis: &H256, block: &H256) -> Vec<u8> {
	(REMOVE_BLOCK_DOMAIN, genesis, block).encode()
}

/// Block readers kept (each holds a verified header and an unwrapped key).
const MAX_READERS: usize = 256;

/// How long a short call (a lookup, a sector read) may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long storing a block may take (seal, upload, encode, record, push).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(300);

/// A [`BlockStore`] on a node's RPC: one principal's tree (the owner's), read with the keys
/// of the principal using it, who writes it only if it is the owner.
pub struct RpcStore {
	url: String,
	client: tokio::sync::Mutex<Option<Arc<ChainClient>>>,
	keys: Arc<PrincipalKeys>,
	/// Whose tree: every block read must be by this principal.
	owner: PrincipalId,
	tolerance: u8,
	readers: Mutex<HashMap<H256, Arc<BlockReader>>>,
	/// Other principals' public keys as the chain has them (the owner's, readers'), each
	/// looked up once.
	principals: Mutex<HashMap<PrincipalId, Principal>>,
	/// The path and version the node said each block it called newest has: a block read whole
	/// must be that one (a node cannot pass off another listing of the owner's as this path's).
	claimed: Mutex<HashMap<H256, (BlockPath, u64)>>,
}

/// Sorts a node's error message into the [`TreeError`] it means.
pub fn classify(message: String) -> TreeError {
	let m = message.to_lowercase();
	if m.contains("versionnotnewer") {
		TreeError::Stale(message)
	} else if m.contains("notenoughproviders") || m.contains("contractfull") || m.contains("no room") || m.contains("fewer than the") {
		TreeError::NoSpace(message)
	} else if ["no read cap", "noreadcap", "nocapability", "notwriterscontroller", "notauthorized", "not authorized", "does not control"].iter().any(|w| m.contains(w)) {
		TreeError::Denied(message)
	} else if m.contains("failed its check") || m.contains("malformed") || m.contains("another block") || m.contains("bad data") {
		TreeError::Corrupt(message)
	} else if m.contains("toomanyversions") {
		TreeError::NoSpace(format!("{message} (the path has the most versions the chain keeps)"))
	} else {
		TreeError::Unavailable(message)
	}
}

/// How long a read waits for a block just recorded to have its fragments placed on chain.
const PLACEMENT_WAIT: Duration = Duration::from_secs(30);

/// Runs `read` again while the node answers that the block's fragments are not placed yet:
/// a block read right after it was recorded (another mount's change, reported at once) has
/// its holders confirmed on chain within a block or two. Up to [`PLACEMENT_WAIT`].
async fn after_placement<T, Fut: std::future::Future<Output = Result<T, TreeError>>>(mut read: impl FnMut() -> Fut) -> Result<T, TreeError> {
	let started = std::time::Instant::now();
	loop {
		match read().await {
			Err(TreeError::Unavailable(why)) if why.contains("is not placed") && started.elapsed() < PLACEMENT_WAIT => {
				log::debug!(target: "blocktree::tree", "waiting for placements: {why}");
				tokio::time::sleep(Duration::from_millis(500)).await
			},
			done => return done,
		}
	}
}

async fn within<T>(timeout: Duration, what: &str, work: impl std::future::Future<Output = Result<T, TreeError>>) -> Result<T, TreeError> {
	tokio::time::timeout(timeout, work)
		.await
		.unwrap_or_else(|_| Err(TreeError::Unavailable(format!("{what}: the node did not answer within {}s", timeout.as_secs()))))
}

impl RpcStore {
	/// A store on the node at `url` for principal `keys`' own tree, whose blocks are written
	/// with loss tolerance `tolerance`. Connects lazily.
	pub fn new(url: &str, keys: PrincipalKeys, tolerance: u8) -> Self {
		let owner = keys.id();
		Self::of_tree(url, keys, owner, tolerance)
	}

	/// A store on the node at `url` for `owner`'s tree, read with `keys` (what `owner` shared
	/// with them); writable only when `keys` are the owner's.
	pub fn of_tree(url: &str, keys: PrincipalKeys, owner: PrincipalId, tolerance: u8) -> Self {
		RpcStore {
			url: url.into(),
			client: Default::default(),
			keys: Arc::new(keys),
			owner,
			tolerance,
			readers: Default::default(),
			principals: Default::default(),
			claimed: Default::default(),
		}
	}

	/// Whether the tree is the key holder's own (the only kind this store writes).
	pub fn is_own(&self) -> bool {
		self.owner == self.keys.id()
	}

	/// `ids`' public keys, from the chain the first time.
	async fn principals(&self, client: &ChainClient, ids: &[PrincipalId]) -> Result<Vec<(PrincipalId, Principal)>, TreeError> {
		let mut found = Vec::new();
		for id in ids.iter().filter(|id| **id != self.keys.id()) {
			let known = self.principals.lock().expect("no panics under the lock; qed").get(id).cloned();
			let principal = match known {
				Some(p) => p,
				None => {
					let p: Option<Principal> = client.runtime_call("PrincipalsApi_principal", *id).await.map_err(classify)?;
					let p = p.ok_or_else(|| TreeError::Invalid(format!("principal {id:?} is not registered on this chain")))?;
					self.principals.lock().expect("no panics under the lock; qed").insert(*id, p.clone());
					p
				},
			};
			found.push((*id, principal));
		}
		Ok(found)
	}

	/// The connection, made again if the node dropped it.
	async fn client(&self) -> Result<Arc<ChainClient>, TreeError> {
		let mut client = self.client.lock().await;
		if let Some(c) = client.as_ref().filter(|c| c.is_connected()) {
			return Ok(c.clone())
		}
		let connected = Arc::new(ChainClient::connect(&self.url).await.map_err(TreeError::Unavailable)?);
		*client = Some(connected.clone());
		Ok(connected)
	}

	/// What opening and sealing need to know: the keys of the owner and of `others` (readers
	/// to seal for), the chain, the time.
	async fn context(&self, client: &ChainClient, others: &[PrincipalId]) -> Result<KnownPrincipals, TreeError> {
		let mut ctx = KnownPrincipals::default().with(self.keys.principal()).on_chain(client.genesis());
		let mut ids = others.to_vec();
		ids.push(self.owner);
		for (id, principal) in self.principals(client, &ids).await? {
			ctx.set_principal(id, principal);
		}
		ctx.set_now(crate::principal_cmd::now_ms());
		Ok(ctx)
	}

	async fn reader(&self, block: H256) -> Result<Arc<BlockReader>, TreeError> {
		if let Some(reader) = self.readers.lock().expect("no panics under the lock; qed").get(&block) {
			return Ok(reader.clone())
		}
		let client = self.client().await?;
		let reader = BlockReader::open(&client, block, &self.keys, &self.context(&client, &[]).await?).await.map_err(classify)?;
		if reader.header().writer != self.owner {
			return Err(TreeError::Corrupt(format!("block {block:?} is by {:?}, not by the tree's writer", reader.header().writer)))
		}
		let reader = Arc::new(reader);
		let mut readers = self.readers.lock().expect("no panics under the lock; qed");
		if readers.len() >= MAX_READERS {
			readers.clear();
		}
		readers.insert(block, reader.clone());
		Ok(reader)
	}
}

/// What [`RpcStore::watch`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEvent {
	/// The node reports every change from now on (a change before this was not reported).
	Watching,
	/// A new block version at this stored path.
	Changed(BlockPath),
	/// The node stopped reporting (it went away, or this watcher fell behind): until the next
	/// [`WatchEvent::Watching`], changes go unreported.
	Lost(String),
}

impl RpcStore {
	/// Follows the node's reports of blocks recorded at or below `prefix` by the tree's owner
	/// (`blocktree_subscribeBlocks`) and passes them to `on_event`, connecting again every
	/// `retry` after a loss. Runs until the task is dropped.
	pub async fn watch(&self, prefix: &BlockPath, retry: Duration, on_event: impl Fn(WatchEvent)) {
		loop {
			let lost = match ChainClient::connect(&self.url).await {
				Err(e) => e,
				Ok(client) => match client.subscribe_blocks(prefix).await {
					Err(e) => e,
					Ok(mut notices) => {
						on_event(WatchEvent::Watching);
						loop {
							match notices.next().await {
								Some(Ok(notice)) => {
									let by_owner = serde_json::from_value::<H256>(notice["writer"].clone()).ok() == Some(self.owner);
									match notice["path"].as_str().map(BlockPath::parse) {
										Some(Ok(path)) if by_owner => on_event(WatchEvent::Changed(path)),
										_ => {},
									}
								},
								Some(Err(e)) => break e.to_string(),
								None => break "the node ended the subscription".to_string(),
							}
						}
					},
				},
			};
			on_event(WatchEvent::Lost(lost));
			tokio::time::sleep(retry).await;
		}
	}
}

impl BlockStore for RpcStore {
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError> {
		let newest: Option<(H256, u64)> = within(CALL_TIMEOUT, "latestAtPath", async {
			let client = self.client().await?;
			client.call("blocktree_latestAtPath", rpc_params![path.to_string(), self.owner]).await.map_err(classify)
		})
		.await?;
		if let Some((block, version)) = newest {
			let mut claimed = self.claimed.lock().expect("no panics under the lock; qed");
			if claimed.len() >= MAX_READERS * 4 {
				claimed.clear();
			}
			claimed.insert(block, (path.clone(), version));
		}
		Ok(newest)
	}

	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>, readers: &[PrincipalId], sector_size: u32) -> Result<H256, TreeError> {
		if !self.is_own() {
			return Err(TreeError::Denied(format!(
				"{path} is in {:?}'s tree, which was shared with you to read: only its owner writes there",
				self.owner
			)))
		}
		within(PUBLISH_TIMEOUT, "storing a block", async {
			let client = self.client().await?;
			let ctx = self.context(&client, readers).await?;
			let keys = self.keys.clone();
			let target = path.clone();
			let readers = readers.to_vec();
			let sealed = tokio::task::spawn_blocking(move || {
				let request = WriteRequest { path: &target, version, write_caps: Default::default(), readers: &readers, sector_size };
				seal_block(&keys, request, &plaintext, &ctx).map(|(sealed, _)| sealed.to_bytes())
			})
			.await
			.map_err(|e| TreeError::Unavailable(format!("sealing failed: {e}")))?
			.map_err(|e| TreeError::Invalid(format!("cannot seal {path}: {e:?}")))?;
			let stored = put_sealed(&client, sealed, self.tolerance, &path.to_string(), |_| {}, || {}).await.map_err(classify)?;
			Ok(stored.block)
		})
		.await
	}

	async fn read_all(&self, block: H256) -> Result<Vec<u8>, TreeError> {
		within(PUBLISH_TIMEOUT, "reading a block", async {
			let client = self.client().await?;
			let bytes = after_placement(|| async { crate::file_cmd::download(&client, block).await.map_err(classify) }).await?;
			let ctx = self.context(&client, &[]).await?;
			let (keys, writer) = (self.keys.clone(), self.owner);
			let claimed = self.claimed.lock().expect("no panics under the lock; qed").get(&block).cloned();
			tokio::task::spawn_blocking(move || {
				let sealed = SealedBlock::from_bytes(&bytes).map_err(|e| TreeError::Corrupt(format!("block {block:?} is malformed: {e:?}")))?;
				if sealed.header.id() != block {
					return Err(TreeError::Corrupt(format!("the node served another block in place of {block:?}")))
				}
				if sealed.header.header.writer != writer {
					return Err(TreeError::Corrupt(format!("block {block:?} is not by the tree's writer")))
				}
				if let Some((path, version)) = claimed.filter(|(p, v)| (p, *v) != (&sealed.header.header.path, sealed.header.header.version)) {
					return Err(TreeError::Corrupt(format!(
						"the node called block {block:?} version {version} of {path}, but it is version {} of {}: read through another node",
						sealed.header.header.version, sealed.header.header.path
					)))
				}
				open_block(&sealed, &keys, &ctx).map_err(|e| match e {
					blocktree_primitives::crypto::BlockError::NoReadCap => TreeError::Denied(format!(
						"you hold no read cap for {}: ask its owner to share it with you (blocktree share --read)",
						sealed.header.header.path
					)),
					e => classify(format!("cannot open block {block:?}: {e:?}")),
				})
			})
			.await
			.map_err(|e| TreeError::Unavailable(format!("opening failed: {e}")))?
		})
		.await
	}

	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		after_placement(|| {
			within(CALL_TIMEOUT, "reading sectors", async {
				let reader = self.reader(block).await?;
				let client = self.client().await?;
				reader.read(&client, offset, len).await.map_err(classify)
			})
		})
		.await
	}

	async fn remove(&self, block: H256) -> Result<(), TreeError> {
		if !self.is_own() {
			return Err(TreeError::Denied(format!("block {block:?} is in {:?}'s tree: only its owner removes it", self.owner)))
		}
		within(CALL_TIMEOUT * 3, "removing a block", async {
			let client = self.client().await?;
			let signature = self.keys.sign(&remove_block_message(&client.genesis(), &block));
			let _: serde_json::Value = client
				.call("blocktree_removeBlock", rpc_params![block, sp_core::Bytes(signature.encode())])
				.await
				.map_err(classify)?;
			self.readers.lock().expect("no panics under the lock; qed").remove(&block);
			Ok(())
		})
		.await
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn node_errors_map_to_what_they_mean() {
		let cases = [
			("blocktree_finishPut: the chain refused: Fragments(NotEnoughProviders)", "no space"),
			("only 1 fragments of block 0x.. found providers, fewer than the 2 needed to read it", "no space"),
			("Fragments(TooManyVersions)", "no space"),
			("the chain refused: Fragments(VersionNotNewer)", "changed meanwhile"),
			("the chain refused: Principals(NoCapability)", "permission denied"),
			("you hold no read cap for block 0x.. (/ab/x): ask its writer to share it with you", "permission denied"),
			("sector 3 of block 0x.. failed its check (bad proof)", "bad data"),
			("ws://127.0.0.1:9944: The background task closed", "node unavailable"),
		];
		for (message, meaning) in cases {
			assert!(classify(message.to_string()).to_string().starts_with(meaning), "{message} -> {}", classify(message.to_string()));
		}
	}

	#[test]
	fn the_removal_message_is_tag_genesis_block() {
		let (genesis, block) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let message = remove_block_message(&genesis, &block);
		assert_eq!(message.len(), 1 + 25 + 32 + 32);
		assert_eq!(message[0], 25 << 2, "the tag is a byte string: compact length first");
		assert_eq!(&message[1..26], REMOVE_BLOCK_DOMAIN);
		assert_eq!(&message[26..58], genesis.as_bytes());
		assert_eq!(&message[58..], block.as_bytes());
		assert_ne!(message, remove_block_message(&block, &genesis));
	}
}
