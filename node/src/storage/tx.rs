//! Transactions from the node's own storage worker: signed with the worker's key in the
//! node's keystore (key type [`super::KEY_TYPE`]), submitted to the node's transaction pool,
//! watched until they are in a block, and checked for a failed dispatch.
//!
//! Nonces: one lock serialises signing and submission; the next nonce is the largest of the
//! one this submitter used last, the chain's, and the chain's plus this account's transactions
//! ready in the pool (so a transaction signed elsewhere with the same account, say by the CLI,
//! is not usurped). Submissions do not wait for each other's inclusion, so many placements or
//! proofs go into one chain block. A transaction that leaves the pool without inclusion makes
//! the submitter recompute its nonce from the chain. Transactions are mortal (16 blocks).

use std::{collections::HashSet, sync::Arc, time::Duration};

use blocktree_runtime::{AccountId, Hash, RuntimeCall, RuntimeEvent};
use codec::{Decode, Encode};
use frame_system::{EventRecord, Phase};
use futures::StreamExt;
use sc_client_api::StorageProvider;
use sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource, TransactionStatus};
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, storage::StorageKey};
use sp_keystore::KeystorePtr;
use sp_runtime::generic::Era;
use substrate_frame_rpc_system::AccountNonceApi;

use blocktree_client::chain::{describe_dispatch_error, signed_extrinsic, SigningContext};

use super::{Pool, LOG_TARGET};
use crate::service::FullClient;

/// How long to wait for a transaction to reach a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(120);

/// Blocks a transaction stays valid: 16 blocks (96 s) is under [`INCLUSION_TIMEOUT`], so a
/// transaction given up on can no longer land later and be submitted twice.
const MORTAL_PERIOD: u64 = 16;

/// Signs and submits the storage worker's transactions.
pub struct Submitter {
	client: Arc<FullClient>,
	pool: Arc<Pool>,
	keystore: KeystorePtr,
	public: sr25519::Public,
	account: AccountId,
	next_nonce: tokio::sync::Mutex<Option<u32>>,
}

impl Submitter {
	/// A submitter signing with `public`, a key of type [`super::KEY_TYPE`] in `keystore`.
	pub fn new(client: Arc<FullClient>, pool: Arc<Pool>, keystore: KeystorePtr, public: sr25519::Public) -> Self {
		let account = AccountId::from(public.0);
		Submitter { client, pool, keystore, public, account, next_nonce: tokio::sync::Mutex::new(None) }
	}

	/// The account the worker signs and pays with.
	pub fn account(&self) -> &AccountId {
		&self.account
	}

	/// The chain's nonce for the account plus its transactions ready in the pool.
	fn pool_nonce(&self, best: Hash) -> Result<u32, String> {
		let on_chain = self
			.client
			.runtime_api()
			.account_nonce(best, self.account.clone())
			.map_err(|e| format!("reading the worker account's nonce: {e}"))?;
		let tags: HashSet<Vec<u8>> = self.pool.ready().flat_map(|tx| tx.provides().to_vec()).collect();
		let mut nonce = on_chain;
		while tags.contains(&(self.account.clone(), nonce).encode()) {
			nonce += 1;
		}
		Ok(nonce)
	}

	/// Signs `call`, submits it, waits until it is in a block and checks that it succeeded;
	/// returns the block and the call's events. `what` names the call in log lines.
	pub async fn submit(&self, what: &str, call: RuntimeCall) -> Result<(Hash, Vec<RuntimeEvent>), String> {
		let mut watch = {
			let mut next = self.next_nonce.lock().await;
			let info = self.client.info();
			let best = info.best_hash;
			let nonce = self.pool_nonce(best)?.max(next.unwrap_or(0));
			let version = self.client.runtime_api().version(best).map_err(|e| format!("reading the runtime version: {e}"))?;
			let era = Era::mortal(MORTAL_PERIOD, info.best_number as u64);
			let birth = era.birth(info.best_number as u64) as u32;
			let birth_hash = self
				.client
				.hash(birth)
				.ok()
				.flatten()
				.ok_or_else(|| format!("the node has no block #{birth} for the transaction's era"))?;
			let ctx = SigningContext {
				account: self.account.clone(),
				nonce,
				era: (era, birth_hash),
				versions: (version.spec_version, version.transaction_version),
				genesis: info.genesis_hash,
			};
			let xt = signed_extrinsic(call, ctx, |bytes| {
				self.keystore
					.sr25519_sign(super::KEY_TYPE, &self.public, bytes)
					.map_err(|e| format!("signing {what}: {e}"))?
					.ok_or_else(|| format!("signing {what}: the worker key left the keystore"))
			})?;
			let opaque = sp_runtime::OpaqueExtrinsic::from(xt);
			let watch = self
				.pool
				.submit_and_watch(best, TransactionSource::Local, opaque)
				.await
				.map_err(|e| format!("the pool refused {what} (nonce {nonce}): {e}"))?;
			*next = Some(nonce + 1);
			log::debug!(target: LOG_TARGET, "{what} submitted with nonce {nonce}");
			watch
		};
		let included = tokio::time::timeout(INCLUSION_TIMEOUT, async {
			while let Some(status) = watch.next().await {
				match status {
					TransactionStatus::InBlock((block, index)) | TransactionStatus::Finalized((block, index)) =>
						return Ok((block, index)),
					TransactionStatus::Usurped(_) => return Err(format!("{what} was replaced by another transaction with its nonce")),
					TransactionStatus::Dropped => return Err(format!("the pool dropped {what}")),
					TransactionStatus::Invalid => return Err(format!("{what} became invalid")),
					TransactionStatus::FinalityTimeout(_) => return Err(format!("{what} timed out waiting for finality")),
					_ => {},
				}
			}
			Err(format!("the pool stopped watching {what}"))
		})
		.await
		.unwrap_or_else(|_| Err(format!("{what} not in a block after {}s", INCLUSION_TIMEOUT.as_secs())));
		let (block, index) = match included {
			Ok(at) => at,
			Err(e) => {
				*self.next_nonce.lock().await = None;
				return Err(e)
			},
		};
		let events = self.events_of(block, index as u32)?;
		let mut own = Vec::new();
		for event in events {
			match event {
				RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) =>
					return Err(format!("{what}: {}", describe_dispatch_error(dispatch_error))),
				RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }) => {},
				other => own.push(other),
			}
		}
		Ok((block, own))
	}

	fn events_of(&self, block: Hash, index: u32) -> Result<Vec<RuntimeEvent>, String> {
		let key = StorageKey(frame_support::storage::storage_prefix(b"System", b"Events").to_vec());
		let raw = self
			.client
			.storage(block, &key)
			.map_err(|e| format!("reading the events of block {block:?}: {e}"))?
			.ok_or_else(|| format!("block {block:?} has no events"))?;
		let records = Vec::<EventRecord<RuntimeEvent, Hash>>::decode(&mut &raw.0[..])
			.map_err(|e| format!("decoding the events of block {block:?}: {e}"))?;
		Ok(records.into_iter().filter(|r| r.phase == Phase::ApplyExtrinsic(index)).map(|r| r.event).collect())
	}
}
