//! Notices of newly recorded blocks, for the `blocktree_subscribeBlocks` subscription (the
//! roadmap's "notify other nodes when a block has been written"). Every node watches its own
//! imported best blocks: a successful `fragments.record_block` in one carries the signed header,
//! whose path is in the clear, so any node can tell subscribers which paths changed.

use std::sync::Arc;

use blocktree_runtime::{Hash, RuntimeCall, UncheckedExtrinsic};
use codec::{Decode, Encode};
use futures::StreamExt;
use sc_client_api::{BlockBackend, BlockchainEvents};
use tokio::sync::broadcast;

use super::{chain::Chain, LOG_TARGET};
use crate::service::FullClient;

/// Notices kept for slow subscribers before they miss some.
pub const NOTICE_BUFFER: usize = 256;

/// A block version recorded on chain.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockNotice {
	/// The block's id.
	pub block: Hash,
	/// Its path.
	pub path: String,
	/// Its version.
	pub version: u64,
	/// The principal that wrote it.
	pub writer: Hash,
	/// The chain block it was recorded in, and that block's number.
	pub at: Hash,
	/// The number of that block.
	pub number: u32,
}

/// Whether `path` lies at or below `prefix` (component-wise: `/a/docs` covers `/a/docs/x`, not
/// `/a/docs2`).
pub fn covers(prefix: &str, path: &str) -> bool {
	let prefix = prefix.trim_end_matches('/');
	path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// The blocks recorded by block `at`'s extrinsics (those whose record is on chain after it).
fn recorded_in(client: &FullClient, chain: &Chain, at: Hash, number: u32) -> Vec<BlockNotice> {
	let Ok(Some(body)) = client.block_body(at) else { return Vec::new() };
	body.iter()
		.filter_map(|xt| UncheckedExtrinsic::decode(&mut &xt.encode()[..]).ok())
		.filter_map(|xt| match xt.function {
			RuntimeCall::Fragments(pallet_fragments::Call::record_block { header, .. }) => Some(header),
			_ => None,
		})
		.filter(|header| chain.block_at(at, &header.id()).ok().flatten().is_some())
		.map(|header| BlockNotice {
			block: header.id(),
			path: header.header.path.to_string(),
			version: header.header.version,
			writer: header.header.writer,
			at,
			number,
		})
		.collect()
}

/// Watches imported best blocks and broadcasts the blocks they record.
pub async fn watch(client: Arc<FullClient>, chain: Chain, notices: broadcast::Sender<BlockNotice>) {
	let mut imports = client.import_notification_stream();
	while let Some(import) = imports.next().await {
		if !import.is_new_best {
			continue
		}
		// After a reorg, the blocks of the new branch up to the tip are new too.
		let mut blocks: Vec<(Hash, u32)> = import
			.tree_route
			.as_ref()
			.map(|route| route.enacted().iter().map(|b| (b.hash, b.number)).collect())
			.unwrap_or_default();
		if !blocks.iter().any(|(h, _)| *h == import.hash) {
			blocks.push((import.hash, import.header.number));
		}
		for notice in blocks.into_iter().flat_map(|(hash, number)| recorded_in(&client, &chain, hash, number)) {
			log::debug!(target: LOG_TARGET, "block {:?} recorded at {}", notice.block, notice.path);
			// No subscriber is not an error.
			let _ = notices.send(notice);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::covers;

	#[test]
	fn a_prefix_covers_its_own_path_and_what_lies_below_it_only() {
		assert!(covers("/ab/docs", "/ab/docs"));
		assert!(covers("/ab/docs", "/ab/docs/x"));
		assert!(covers("/ab/docs/", "/ab/docs/x/y"));
		assert!(covers("/ab", "/ab/docs"));
		assert!(!covers("/ab/docs", "/ab/docs2"));
		assert!(!covers("/ab/docs", "/ab"));
		assert!(!covers("/ab/docs", "/cd/docs"));
	}
}
