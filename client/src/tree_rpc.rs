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
	block::DEFAULT_SECTOR_SIZE,
	cap::KnownPrincipals,
	crypto::{open_block, seal_block, PrincipalKeys, SealedBlock, WriteRequest},
	path::BlockPath,
	principal::PrincipalId,
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

/// A [`BlockStore`] on a node's RPC, writing and reading as one principal.
pub struct RpcStore {
	url: String,
	client: tokio::sync::Mutex<Option<Arc<ChainClient>>>,
	keys: Arc<PrincipalKeys>,
	writer: PrincipalId,
	tolerance: u8,
	readers: Mutex<HashMap<H256, Arc<BlockReader>>>,
}

/// Sorts a node's error message into the [`TreeError`] it means.
pub fn classify(message: String) -> TreeError {
	let m = message.to_lowercase();
	if m.contains("notenoughproviders") || m.contains("contractfull") || m.contains("no room") || m.contains("fewer than the") {
		TreeError::NoSpace(message)
	} else if ["no read cap", "nocapability", "notwriterscontroller", "notauthorized", "not authorized", "does not control"].iter().any(|w| m.contains(w)) {
		TreeError::Denied(message)
	} else if m.contains("failed its check") || m.contains("malformed") || m.contains("another block") || m.contains("bad data") {
		TreeError::Corrupt(message)
	} else if m.contains("toomanyversions") {
		TreeError::NoSpace(format!("{message} (the path has the most versions the chain keeps)"))
	} else {
		TreeError::Unavailable(message)
	}
}

async fn within<T>(timeout: Duration, what: &str, work: impl std::future::Future<Output = Result<T, TreeError>>) -> Result<T, TreeError> {
	tokio::time::timeout(timeout, work)
		.await
		.unwrap_or_else(|_| Err(TreeError::Unavailable(format!("{what}: the node did not answer within {}s", timeout.as_secs()))))
}

impl RpcStore {
	/// A store on the node at `url` for principal `keys`, whose blocks are written with loss
	/// tolerance `tolerance`. Connects lazily.
	pub fn new(url: &str, keys: PrincipalKeys, tolerance: u8) -> Self {
		let writer = keys.id();
		RpcStore { url: url.into(), client: Default::default(), keys: Arc::new(keys), writer, tolerance, readers: Default::default() }
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

	/// What opening and sealing need to know: the writer's keys, the chain, the time.
	fn context(&self, client: &ChainClient) -> KnownPrincipals {
		let mut ctx = KnownPrincipals::default().with(self.keys.principal()).on_chain(client.genesis());
		ctx.set_now(crate::principal_cmd::now_ms());
		ctx
	}

	async fn reader(&self, block: H256) -> Result<Arc<BlockReader>, TreeError> {
		if let Some(reader) = self.readers.lock().expect("no panics under the lock; qed").get(&block) {
			return Ok(reader.clone())
		}
		let client = self.client().await?;
		let reader = BlockReader::open(&client, block, &self.keys, &self.context(&client)).await.map_err(classify)?;
		if reader.header().writer != self.writer {
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

impl BlockStore for RpcStore {
	async fn latest(&self, path: &BlockPath) -> Result<Option<(H256, u64)>, TreeError> {
		within(CALL_TIMEOUT, "latestAtPath", async {
			let client = self.client().await?;
			client.call("blocktree_latestAtPath", rpc_params![path.to_string(), self.writer]).await.map_err(classify)
		})
		.await
	}

	async fn publish(&self, path: &BlockPath, version: u64, plaintext: Vec<u8>) -> Result<H256, TreeError> {
		within(PUBLISH_TIMEOUT, "storing a block", async {
			let client = self.client().await?;
			let ctx = self.context(&client);
			let keys = self.keys.clone();
			let target = path.clone();
			let sealed = tokio::task::spawn_blocking(move || {
				let request = WriteRequest { path: &target, version, write_caps: Default::default(), readers: &[], sector_size: DEFAULT_SECTOR_SIZE };
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
			let bytes = crate::file_cmd::download(&client, block).await.map_err(classify)?;
			let ctx = self.context(&client);
			let (keys, writer) = (self.keys.clone(), self.writer);
			tokio::task::spawn_blocking(move || {
				let sealed = SealedBlock::from_bytes(&bytes).map_err(|e| TreeError::Corrupt(format!("block {block:?} is malformed: {e:?}")))?;
				if sealed.header.id() != block {
					return Err(TreeError::Corrupt(format!("the node served another block in place of {block:?}")))
				}
				if sealed.header.header.writer != writer {
					return Err(TreeError::Corrupt(format!("block {block:?} is not by the tree's writer")))
				}
				open_block(&sealed, &keys, &ctx).map_err(|e| classify(format!("cannot open block {block:?}: {e:?}")))
			})
			.await
			.map_err(|e| TreeError::Unavailable(format!("opening failed: {e}")))?
		})
		.await
	}

	async fn read_range(&self, block: H256, offset: u64, len: u64) -> Result<Vec<u8>, TreeError> {
		within(CALL_TIMEOUT, "reading sectors", async {
			let reader = self.reader(block).await?;
			let client = self.client().await?;
			reader.read(&client, offset, len).await.map_err(classify)
		})
		.await
	}

	async fn remove(&self, block: H256) -> Result<(), TreeError> {
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
