//! A small JSON-RPC client for the node's own command-line tools: signs a runtime call with an
//! account key, submits it over WebSocket, waits until it is in a block and reports what it
//! did (its events) or why it failed (the pallet error by name). It also calls runtime APIs
//! (`state_call`). Built from the runtime's own types, so it always encodes what this node's
//! runtime expects. Transactions are mortal: each is valid for [`MORTAL_PERIOD`] blocks from the
//! best block when it was signed, so a captured transaction cannot be replayed later.

use std::time::Duration;

use blocktree_runtime::{
	tx_extension, Hash, RuntimeCall, RuntimeError, RuntimeEvent, SignedPayload,
	UncheckedExtrinsic,
};
use codec::{Decode, Encode};
use frame_system::{EventRecord, Phase};
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use sp_runtime::{
	generic::Era, traits::IdentifyAccount, AccountId32, DispatchError, MultiSignature,
	MultiSigner,
};

/// How long to wait for a submitted transaction to reach a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(120);

/// Blocks a signed transaction stays valid (a power of two, as mortal eras need): 64 blocks,
/// 6.4 minutes at 6 s blocks, well over [`INCLUSION_TIMEOUT`] and well under the runtime's
/// `BlockHashCount` (2400), which bounds how far back a birth block's hash is known.
pub const MORTAL_PERIOD: u64 = 64;

/// Prefix of progress lines on stderr.
const LOG_TARGET: &str = "blocktree::chain";

/// Where the node listens unless told otherwise.
pub const DEFAULT_RPC_URL: &str = "ws://127.0.0.1:9944";

/// A connection to a node, with what signing needs (genesis hash and runtime versions).
pub struct ChainClient {
	url: String,
	rpc: WsClient,
	genesis: Hash,
	spec_version: u32,
	transaction_version: u32,
}

/// A transaction that made it into a block and succeeded.
pub struct Included {
	/// The block it is in.
	pub block: Hash,
	/// Its events (without the system's success event).
	pub events: Vec<RuntimeEvent>,
}

/// Parses an account key: a secret URI such as `//Alice`, a 12/24-word phrase or a 0x seed.
pub fn signer_from_suri(suri: &str) -> Result<sr25519::Pair, String> {
	sr25519::Pair::from_string(suri, None)
		.map_err(|e| format!("the signing account is not a valid secret URI or mnemonic ({e:?}): try //Alice on a dev chain"))
}

/// The account id of `pair`.
pub fn account_of(pair: &sr25519::Pair) -> AccountId32 {
	MultiSigner::from(pair.public()).into_account()
}

fn hex_decode(value: &Value, what: &str) -> Result<Vec<u8>, String> {
	let text = value.as_str().ok_or_else(|| format!("the node sent no {what}"))?;
	sp_core::bytes::from_hex(text).map_err(|_| format!("the node sent a malformed {what}"))
}

/// A 32-byte hash sent as hex; any other length is an error, not a panic.
fn hash_decode(value: &Value, what: &str) -> Result<Hash, String> {
	let bytes: [u8; 32] = hex_decode(value, what)?
		.try_into()
		.map_err(|_| format!("the node sent a {what} that is not 32 bytes"))?;
	Ok(Hash::from(bytes))
}

impl ChainClient {
	/// Connects to the node at `url` (ws:// or wss://).
	pub async fn connect(url: &str) -> Result<Self, String> {
		let rpc = WsClientBuilder::default()
			.request_timeout(INCLUSION_TIMEOUT)
			// Block uploads and reads travel in 4 MiB chunks, 8 MiB as hex.
			.max_request_size(16 << 20)
			.max_response_size(16 << 20)
			.build(url)
			.await
			.map_err(|e| {
				format!("cannot reach a node at {url} ({e}): start one or pass --rpc-url")
			})?;
		let rpc_error = |e: jsonrpsee::core::ClientError| format!("{url}: {e}");
		let genesis: Value =
			rpc.request("chain_getBlockHash", rpc_params![0]).await.map_err(rpc_error)?;
		let genesis = hash_decode(&genesis, "genesis hash")?;
		let version: Value =
			rpc.request("state_getRuntimeVersion", rpc_params![]).await.map_err(rpc_error)?;
		let number = |field: &str| {
			version[field].as_u64().map(|v| v as u32).ok_or_else(|| {
				format!("{url} reported no {field}: is this a Blocktree node?")
			})
		};
		let spec_version = number("specVersion")?;
		let transaction_version = number("transactionVersion")?;
		if version["specName"].as_str() != Some("blocktree") {
			return Err(format!("{url} runs '{}', not a Blocktree runtime", version["specName"]));
		}
		Ok(Self { url: url.to_string(), rpc, genesis, spec_version, transaction_version })
	}

	fn rpc_error(&self, e: jsonrpsee::core::ClientError) -> String {
		format!("{}: {e}", self.url)
	}

	/// Whether the connection is still up (a node that stopped or restarted drops it: connect
	/// again).
	pub fn is_connected(&self) -> bool {
		self.rpc.is_connected()
	}

	/// Notices of block versions recorded at or below `prefix` (`blocktree_subscribeBlocks`):
	/// `{ block, path, version, writer, at, number }` each, as the node imports best blocks.
	/// Ends when the node drops the connection or the subscriber falls behind.
	pub async fn subscribe_blocks(&self, prefix: &blocktree_primitives::path::BlockPath) -> Result<jsonrpsee::core::client::Subscription<Value>, String> {
		self.rpc
			.subscribe("blocktree_subscribeBlocks", rpc_params![prefix.to_string()], "blocktree_unsubscribeBlocks")
			.await
			.map_err(|e| self.rpc_error(e))
	}

	/// The chain's genesis hash: its [`blocktree_primitives::cap::ChainTag`], signed into every
	/// write cap and block header for this chain.
	pub fn genesis(&self) -> Hash {
		self.genesis
	}

	/// A mortal era of [`MORTAL_PERIOD`] blocks from the best block, and the hash of its birth
	/// block (what the signer signs for `CheckEra` in place of the genesis hash).
	async fn mortal_era(&self) -> Result<(Era, Hash), String> {
		let header: Value =
			self.rpc.request("chain_getHeader", rpc_params![]).await.map_err(|e| self.rpc_error(e))?;
		let best = header["number"]
			.as_str()
			.and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
			.ok_or_else(|| format!("{}: the node sent a header without a block number", self.url))?;
		let era = Era::mortal(MORTAL_PERIOD, best);
		let birth = era.birth(best);
		let hash: Value = self
			.rpc
			.request("chain_getBlockHash", rpc_params![birth])
			.await
			.map_err(|e| self.rpc_error(e))?;
		Ok((era, hash_decode(&hash, "birth block hash")?))
	}

	/// Calls JSON-RPC method `method` with `params` and decodes its JSON answer.
	pub async fn call<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: jsonrpsee::core::params::ArrayParams,
	) -> Result<R, String> {
		self.rpc.request(method, params).await.map_err(|e| match e {
			jsonrpsee::core::ClientError::Call(e) => format!("{method}: {}", e.message()),
			e => self.rpc_error(e),
		})
	}

	/// Calls runtime API `method` (e.g. `PrincipalsApi_principal`) with SCALE-encoded `args` at
	/// the best block and decodes the answer.
	pub async fn runtime_call<R: Decode>(&self, method: &str, args: impl Encode) -> Result<R, String> {
		let data = sp_core::bytes::to_hex(&args.encode(), false);
		let answer: Value = self
			.rpc
			.request("state_call", rpc_params![method, data])
			.await
			.map_err(|e| self.rpc_error(e))?;
		let bytes = hex_decode(&answer, "runtime API answer")?;
		R::decode(&mut &bytes[..]).map_err(|e| format!("cannot decode the answer of {method}: {e}"))
	}

	/// Up to `limit` entries of storage map `pallet::item` at the best block, read in pages:
	/// each entry's key after the map's 32-byte prefix (the hashed key), and its decoded value.
	pub async fn map_entries<V: Decode>(&self, pallet: &[u8], item: &[u8], limit: u32) -> Result<Vec<(Vec<u8>, V)>, String> {
		const PAGE: u32 = 500;
		let prefix = frame_support::storage::storage_prefix(pallet, item);
		let prefix_hex = sp_core::bytes::to_hex(&prefix, false);
		let at: Value = self.call("chain_getBlockHash", rpc_params![]).await?;
		let mut entries = Vec::new();
		let mut start: Option<sp_core::Bytes> = None;
		while (entries.len() as u32) < limit {
			let count = PAGE.min(limit - entries.len() as u32);
			let keys: Vec<sp_core::Bytes> =
				self.call("state_getKeysPaged", rpc_params![prefix_hex.clone(), count, start.clone(), at.clone()]).await?;
			if keys.is_empty() {
				break
			}
			let changes: Vec<Value> = self.call("state_queryStorageAt", rpc_params![keys.clone(), at.clone()]).await?;
			for change in changes.iter().flat_map(|set| set["changes"].as_array().into_iter().flatten()) {
				if change[1].is_null() {
					continue
				}
				let key = hex_decode(&change[0], "storage key")?;
				let value = hex_decode(&change[1], "storage value")?;
				let suffix = key.get(prefix.len()..).filter(|_| key.starts_with(&prefix)).ok_or("the node sent a key outside the map")?.to_vec();
				let value = V::decode(&mut &value[..])
					.map_err(|e| format!("cannot decode {}::{}: {e}", String::from_utf8_lossy(pallet), String::from_utf8_lossy(item)))?;
				entries.push((suffix, value));
			}
			if (keys.len() as u32) < count {
				break
			}
			start = keys.last().cloned();
		}
		Ok(entries)
	}

	/// Signs `call` with `signer`, submits it and waits until it is in a block. Fails with the
	/// pool's reason if the transaction is invalid, or with the dispatch error (pallet and
	/// error name) if it ran and failed.
	pub async fn submit(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<Included, String> {
		// The node's storage worker may sign with the same account: when both pick a nonce at
		// once the pool refuses the second ("Priority is too low"); a fresh nonce fixes it.
		let mut attempt = 0;
		loop {
			match self.submit_once(signer, call.clone()).await {
				Err(e) if attempt < 3 && (e.contains("Priority is too low") || e.contains("outdated")) => {
					attempt += 1;
					tokio::time::sleep(Duration::from_secs(3)).await;
				},
				other => return other,
			}
		}
	}

	async fn submit_once(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<Included, String> {
		let account = account_of(signer);
		let address = account.to_ss58check();
		let nonce: u32 = self
			.rpc
			.request("system_accountNextIndex", rpc_params![address.clone()])
			.await
			.map_err(|e| self.rpc_error(e))?;
		let era = self.mortal_era().await?;
		let ctx = SigningContext {
			account,
			nonce,
			era,
			versions: (self.spec_version, self.transaction_version),
			genesis: self.genesis,
		};
		let extrinsic = signed_extrinsic(call, ctx, |bytes| Ok(signer.sign(bytes)))?;
		let hex = sp_core::bytes::to_hex(&extrinsic.encode(), false);

		let mut watch = self
			.rpc
			.subscribe::<Value, _>(
				"author_submitAndWatchExtrinsic",
				rpc_params![hex.clone()],
				"author_unwatchExtrinsic",
			)
			.await
			.map_err(|e| format!("the node refused the transaction from {address}: {e}"))?;
		eprintln!("[{LOG_TARGET}] transaction from {address} submitted; waiting for a block...");
		let block = tokio::time::timeout(INCLUSION_TIMEOUT, async {
			while let Some(status) = watch.next().await {
				let status = status.map_err(|e| format!("{}: {e}", self.url))?;
				if let Some(hash) = status.get("inBlock").or_else(|| status.get("finalized")) {
					return hash_decode(hash, "block hash");
				}
				match status.as_str() {
					Some("invalid") => return Err("the transaction became invalid".to_string()),
					Some("dropped") => return Err("the pool dropped the transaction".to_string()),
					Some("usurped") => {
						return Err("another transaction with the same nonce replaced it".to_string())
					},
					_ => {},
				}
			}
			Err("the node closed the subscription before inclusion".to_string())
		})
		.await
		.map_err(|_| format!("not in a block after {}s: is the node authoring?", INCLUSION_TIMEOUT.as_secs()))??;

		let index = self.extrinsic_index(block, &hex).await?;
		let events = self.events_of(block, index).await?;
		let mut own = Vec::new();
		for event in events {
			match event {
				RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) => {
					return Err(describe_dispatch_error(dispatch_error))
				},
				RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }) => {},
				other => own.push(other),
			}
		}
		Ok(Included { block, events: own })
	}

	async fn extrinsic_index(&self, block: Hash, hex: &str) -> Result<u32, String> {
		let body: Value = self
			.rpc
			.request("chain_getBlock", rpc_params![block])
			.await
			.map_err(|e| self.rpc_error(e))?;
		let extrinsics = body["block"]["extrinsics"]
			.as_array()
			.ok_or_else(|| "the node sent a block without extrinsics".to_string())?;
		extrinsics
			.iter()
			.position(|x| x.as_str() == Some(hex))
			.map(|i| i as u32)
			.ok_or_else(|| format!("the transaction is not in block {block:?}"))
	}

	async fn events_of(&self, block: Hash, index: u32) -> Result<Vec<RuntimeEvent>, String> {
		let key = frame_support::storage::storage_prefix(b"System", b"Events");
		let raw: Value = self
			.rpc
			.request("state_getStorage", rpc_params![sp_core::bytes::to_hex(&key, false), block])
			.await
			.map_err(|e| self.rpc_error(e))?;
		let bytes = hex_decode(&raw, "event list")?;
		let records = Vec::<EventRecord<RuntimeEvent, Hash>>::decode(&mut &bytes[..])
			.map_err(|e| format!("cannot decode the block's events ({e}): node and tool differ?"))?;
		Ok(records
			.into_iter()
			.filter(|r| r.phase == Phase::ApplyExtrinsic(index))
			.map(|r| r.event)
			.collect())
	}
}

/// What a signed transaction commits to besides its call: who signs, with which nonce, for
/// which runtime version and chain, valid for which era.
pub struct SigningContext {
	/// The signing account.
	pub account: AccountId32,
	/// Its nonce for this transaction.
	pub nonce: u32,
	/// The mortal era and the hash of its birth block.
	pub era: (Era, Hash),
	/// The runtime's `spec_version` and `transaction_version`.
	pub versions: (u32, u32),
	/// The chain's genesis hash.
	pub genesis: Hash,
}

/// Signs `call` in `ctx` with `sign` (over the runtime's signed payload) and builds the
/// extrinsic: the one signing path of the CLI's client and the node's storage worker.
pub fn signed_extrinsic(
	call: RuntimeCall,
	ctx: SigningContext,
	sign: impl FnOnce(&[u8]) -> Result<sr25519::Signature, String>,
) -> Result<UncheckedExtrinsic, String> {
	let (era, birth_hash) = ctx.era;
	let extension = tx_extension(ctx.nonce, era);
	// One entry per extension of `TxExtension`, in order: CheckGenesis signs the genesis hash,
	// CheckEra the hash of the era's birth block.
	let implicit = ((), ctx.versions.0, ctx.versions.1, ctx.genesis, birth_hash, (), (), (), None);
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(sign)?;
	Ok(UncheckedExtrinsic::new_signed(call, ctx.account.into(), MultiSignature::Sr25519(signature), extension))
}

/// `Principals::RootAlreadyClaimed`, or the error's kind when it is not a pallet's.
pub fn describe_dispatch_error(error: DispatchError) -> String {
	match RuntimeError::from_dispatch_error(error) {
		Some(runtime_error) => format!("the chain refused it: {runtime_error:?}"),
		None => format!("the chain refused it: {error:?}"),
	}
}
