//! A bounded cache of unwrapped block keys, so that reading a block's sectors one by one does
//! not repeat the X25519 unwrap for each.

use std::{num::NonZeroUsize, sync::Mutex};

use lru::LruCache;

use super::BlockKey;
use crate::block::BlockId;

/// Least-recently-used cache from block id to block key. Thread-safe.
pub struct BlockKeyCache {
	inner: Mutex<LruCache<BlockId, BlockKey>>,
}

impl BlockKeyCache {
	/// A cache holding at most `capacity` keys.
	pub fn new(capacity: NonZeroUsize) -> Self {
		BlockKeyCache { inner: Mutex::new(LruCache::new(capacity)) }
	}

	/// The key of `block`, if cached (and marks it recently used).
	pub fn get(&self, block: &BlockId) -> Option<BlockKey> {
		self.inner.lock().ok()?.get(block).cloned()
	}

	/// Caches `key` for `block`, evicting the least recently used key when full.
	pub fn insert(&self, block: BlockId, key: BlockKey) {
		if let Ok(mut cache) = self.inner.lock() {
			cache.put(block, key);
		}
	}

	/// The key of `block`, computing and caching it with `unwrap_key` on a miss.
	pub fn get_or_unwrap<E>(
		&self,
		block: BlockId,
		unwrap_key: impl FnOnce() -> Result<BlockKey, E>,
	) -> Result<BlockKey, E> {
		if let Some(key) = self.get(&block) {
			return Ok(key);
		}
		let key = unwrap_key()?;
		self.insert(block, key.clone());
		Ok(key)
	}

	/// Number of cached keys.
	pub fn len(&self) -> usize {
		self.inner.lock().map(|c| c.len()).unwrap_or(0)
	}

	/// Whether the cache is empty.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// Forgets every key (for example when the user locks their keys).
	pub fn clear(&self) {
		if let Ok(mut cache) = self.inner.lock() {
			cache.clear();
		}
	}
}
