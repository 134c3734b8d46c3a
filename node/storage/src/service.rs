//! The provider's side of the fragment exchange: the rules for accepting a push and serving a
//! fetch, independent of the network and of how the chain is read.
//!
//! A push is accepted, part by part, only when all hold:
//! 1. the chain has the block recorded, with a fragment at that index;
//! 2. the pushing peer is the endpoint the block's owner registered;
//! 3. the fragment is not placed with another provider, this node holds no other fragment of
//!    the block and is not barred from it (the chain's placement rules, checked up front so
//!    that no bytes are stored that could not be placed);
//! 4. a live contract between this node's account and the owner has room for it;
//! 5. the store has room; parts arrive in order and add up to the recorded fragment size;
//! 6. the whole fragment hashes to the recorded root.
//!
//! Then it is stored, and [`Event::Stored`] tells the worker to place it on chain.
//!
//! Anyone may fetch. Per-peer limits bound what one peer can take: requests per second,
//! bytes per second, and uploads in flight; staged uploads are bounded in total and expire.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use blocktree_primitives::{
	storage::{ContractId, DataBlockId},
	AccountId, Hash,
};

use crate::{
	protocol::{Refusal, Request, Response},
	store::{FragmentKey, FragmentStore, PutOutcome, StoreError},
};

/// What the provider needs to know of a recorded block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedBlock {
	/// The account that recorded it (and pays its contracts).
	pub owner: AccountId,
	/// Size of each fragment.
	pub fragment_size: u64,
	/// Each fragment's root and holder, in order.
	pub fragments: Vec<(Hash, Option<AccountId>)>,
	/// Providers barred from placing a fragment of it now.
	pub barred: Vec<AccountId>,
}

/// How the provider reads the chain (at its best block). The node implements it with runtime
/// API calls; tests with a table.
pub trait ChainView: Send + Sync {
	/// The recorded block `id`.
	fn block(&self, id: &DataBlockId) -> Option<RecordedBlock>;
	/// The account whose registered endpoint has libp2p peer id `peer` (multihash bytes).
	fn endpoint_owner(&self, peer: &[u8]) -> Option<AccountId>;
	/// A live contract in which `provider` stores for `client` with `bytes` free.
	fn contract_with_room(&self, provider: &AccountId, client: &AccountId, bytes: u64) -> Option<ContractId>;
}

/// What the worker must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
	/// A pushed fragment is stored: place it on chain under `contract`.
	Stored { key: FragmentKey, contract: ContractId },
	/// A held fragment failed verification and was dropped: report it missing.
	Corrupt { key: FragmentKey },
}

/// Bounds on what peers may ask of this node.
#[derive(Clone, Debug)]
pub struct Limits {
	/// Requests per second one peer may make (burst: one second's worth).
	pub requests_per_sec: u32,
	/// Bytes per second one peer may fetch (burst: one second's worth).
	pub fetch_bytes_per_sec: u64,
	/// Requests per second all peers together may make: fresh peer ids do not buy more.
	pub total_requests_per_sec: u32,
	/// Bytes per second all peers together may fetch.
	pub total_fetch_bytes_per_sec: u64,
	/// Uploads one peer may have in flight.
	pub uploads_per_peer: usize,
	/// Bytes staged for all uploads together.
	pub staged_bytes: u64,
	/// An upload with no part for this long is dropped.
	pub upload_idle: Duration,
	/// Peers tracked for rate limits (the least recently seen is forgotten).
	pub tracked_peers: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Limits {
			requests_per_sec: 200,
			fetch_bytes_per_sec: 256 << 20,
			total_requests_per_sec: 1000,
			total_fetch_bytes_per_sec: 1 << 30,
			uploads_per_peer: 4,
			staged_bytes: 512 << 20,
			upload_idle: Duration::from_secs(60),
			tracked_peers: 4096,
		}
	}
}

/// A token bucket.
struct Bucket {
	tokens: f64,
	last: Instant,
}

impl Bucket {
	fn take(&mut self, amount: f64, rate: f64, now: Instant) -> bool {
		let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
		self.tokens = (self.tokens + elapsed * rate).min(rate);
		self.last = now;
		if self.tokens >= amount {
			self.tokens -= amount;
			true
		} else {
			false
		}
	}
}

struct PeerState {
	requests: Bucket,
	bytes: Bucket,
	seen: Instant,
}

struct Upload {
	bytes: Vec<u8>,
	len: u64,
	touched: Instant,
}

#[derive(Default)]
struct Uploads {
	by_key: HashMap<(Vec<u8>, FragmentKey), Upload>,
	staged: u64,
}

impl Uploads {
	fn expire(&mut self, idle: Duration, now: Instant) {
		let staged = &mut self.staged;
		self.by_key.retain(|_, u| {
			let keep = now.saturating_duration_since(u.touched) < idle;
			if !keep {
				*staged -= u.len;
			}
			keep
		});
	}

	fn remove(&mut self, id: &(Vec<u8>, FragmentKey)) -> Option<Upload> {
		let upload = self.by_key.remove(id)?;
		self.staged -= upload.len;
		Some(upload)
	}
}

/// What the chain's rules allow for a push.
enum PushTerms {
	/// Store a fragment with this root and size, and place it under `contract`.
	Place { root: Hash, size: u64, contract: ContractId },
	/// Store it again: the chain has it placed on this node already.
	Restore { root: Hash, size: u64 },
}

/// Serves the fragment exchange for one node.
pub struct FragmentService<V> {
	store: Arc<FragmentStore>,
	chain: V,
	me: AccountId,
	limits: Limits,
	peers: Mutex<HashMap<Vec<u8>, PeerState>>,
	/// The budget all peers share.
	total: Mutex<Option<(Bucket, Bucket)>>,
	uploads: Mutex<Uploads>,
}

impl<V: ChainView> FragmentService<V> {
	/// A service storing into `store` as provider account `me`.
	pub fn new(store: Arc<FragmentStore>, chain: V, me: AccountId, limits: Limits) -> Self {
		FragmentService {
			store,
			chain,
			me,
			limits,
			peers: Mutex::new(HashMap::new()),
			total: Mutex::new(None),
			uploads: Mutex::new(Uploads::default()),
		}
	}

	/// The store this service serves from.
	pub fn store(&self) -> &Arc<FragmentStore> {
		&self.store
	}

	/// Answers the encoded `request` from `peer` (its libp2p peer id as multihash bytes) at
	/// time `now`; returns the response and what the worker must act on.
	pub fn handle(&self, peer: &[u8], request: &[u8], now: Instant) -> (Response, Option<Event>) {
		self.uploads.lock().expect("no panics under the lock; qed").expire(self.limits.upload_idle, now);
		if !self.admit(peer, 0, now) {
			return (Response::Refused(Refusal::Busy), None)
		}
		match Request::decode_bounded(request) {
			Err(refusal) => (Response::Refused(refusal), None),
			Ok(Request::Push { block, index, offset, bytes }) => self.push(peer, FragmentKey { block, index }, offset, bytes, now),
			Ok(Request::Fetch { block, index, offset, len }) => {
				let key = FragmentKey { block, index };
				// The first read of a fragment verifies all of it: charge its whole length.
				let cost = if self.store.is_verified(&key) { len as u64 } else { self.store.meta(&key).map_or(len as u64, |m| m.len.max(len as u64)) };
				if !self.admit(peer, cost, now) {
					return (Response::Refused(Refusal::Busy), None)
				}
				match self.store.read_range(&key, offset, len as u64) {
					Ok((fragment_len, bytes)) => (Response::Bytes { fragment_len, bytes }, None),
					Err(e) => self.refuse_read(key, e),
				}
			},
			Ok(Request::FetchChunks { block, index, first, count }) => {
				let key = FragmentKey { block, index };
				if !self.admit(peer, count as u64 * blocktree_primitives::storage::PROOF_CHUNK_SIZE as u64, now) {
					return (Response::Refused(Refusal::Busy), None)
				}
				let Some(meta) = self.store.meta(&key) else { return (Response::Refused(Refusal::NotHeld), None) };
				match self.store.prove_chunks(&key, first, count) {
					Ok(chunks) => (Response::Chunks { fragment_len: meta.len, chunks }, None),
					Err(e) => self.refuse_read(key, e),
				}
			},
		}
	}

	fn refuse_read(&self, key: FragmentKey, error: StoreError) -> (Response, Option<Event>) {
		match error {
			StoreError::Corrupt { .. } => (Response::Refused(Refusal::NotHeld), Some(Event::Corrupt { key })),
			StoreError::NotHeld { .. } => (Response::Refused(Refusal::NotHeld), None),
			StoreError::Busy { .. } => (Response::Refused(Refusal::Busy), None),
			StoreError::OutOfRange { .. } => (Response::Refused(Refusal::Malformed), None),
			e => {
				log::warn!(target: "storage", "serving {key}: {e}");
				(Response::Refused(Refusal::Internal), None)
			},
		}
	}

	/// Charges one request (and `bytes` fetched) to `peer`; false when over its limits.
	fn admit(&self, peer: &[u8], bytes: u64, now: Instant) -> bool {
		let mut peers = self.peers.lock().expect("no panics under the lock; qed");
		if !peers.contains_key(peer) && peers.len() >= self.limits.tracked_peers {
			if let Some(oldest) = peers.iter().min_by_key(|(_, s)| s.seen).map(|(p, _)| p.clone()) {
				peers.remove(&oldest);
			}
		}
		let rps = self.limits.requests_per_sec as f64;
		let bps = self.limits.fetch_bytes_per_sec as f64;
		let state = peers.entry(peer.to_vec()).or_insert_with(|| PeerState {
			requests: Bucket { tokens: rps, last: now },
			bytes: Bucket { tokens: bps, last: now },
			seen: now,
		});
		state.seen = now;
		let (total_rps, total_bps) = (self.limits.total_requests_per_sec as f64, self.limits.total_fetch_bytes_per_sec as f64);
		let mut total = self.total.lock().expect("no panics under the lock; qed");
		let (requests, fetched) =
			total.get_or_insert_with(|| (Bucket { tokens: total_rps, last: now }, Bucket { tokens: total_bps, last: now }));
		if bytes == 0 {
			state.requests.take(1.0, rps, now) && requests.take(1.0, total_rps, now)
		} else {
			state.bytes.take(bytes as f64, bps, now) && fetched.take(bytes as f64, total_bps, now)
		}
	}

	/// The chain's rules for `peer` pushing fragment `key`: the fragment's root, size and the
	/// contract it will be placed under.
	fn push_terms(&self, peer: &[u8], key: &FragmentKey) -> Result<PushTerms, Refusal> {
		let block = self.chain.block(&key.block).ok_or(Refusal::UnknownBlock)?;
		let (root, holder) = block.fragments.get(key.index as usize).cloned().ok_or(Refusal::UnknownFragment)?;
		if self.chain.endpoint_owner(peer).as_ref() != Some(&block.owner) {
			return Err(Refusal::NotOwnersEndpoint)
		}
		match holder {
			Some(h) if h != self.me => return Err(Refusal::PlacedElsewhere),
			// Placed here already: a copy lost from the store may be pushed again, and needs
			// no new placement.
			Some(_) => return Ok(PushTerms::Restore { root, size: block.fragment_size }),
			None => {},
		}
		let holds_another = block
			.fragments
			.iter()
			.enumerate()
			.any(|(i, (_, h))| i != key.index as usize && h.as_ref() == Some(&self.me)) ||
			self.store.other_fragment_of(&key.block, key.index).is_some() ||
			self.uploads
				.lock()
				.expect("no panics under the lock; qed")
				.by_key
				.keys()
				.any(|(_, k)| k.block == key.block && k.index != key.index);
		if holds_another {
			return Err(Refusal::HoldsAnotherFragment)
		}
		if block.barred.contains(&self.me) {
			return Err(Refusal::Barred)
		}
		let contract = self
			.chain
			.contract_with_room(&self.me, &block.owner, block.fragment_size)
			.ok_or(Refusal::NoContractRoom)?;
		Ok(PushTerms::Place { root, size: block.fragment_size, contract })
	}

	fn push(&self, peer: &[u8], key: FragmentKey, offset: u64, bytes: Vec<u8>, now: Instant) -> (Response, Option<Event>) {
		let (root, size, contract) = match self.push_terms(peer, &key) {
			Ok(PushTerms::Place { root, size, contract }) => (root, size, Some(contract)),
			Ok(PushTerms::Restore { root, size }) => (root, size, None),
			Err(refusal) => {
				self.uploads.lock().expect("no panics under the lock; qed").remove(&(peer.to_vec(), key));
				return (Response::Refused(refusal), None)
			},
		};
		if let Some(held) = self.store.meta(&key) {
			// Already stored (a retried push): the worker places it if the chain has not yet,
			// and the fragment's grace period before cleanup starts again.
			self.store.touch(&key);
			return if held.root == root {
				(Response::Stored, contract.map(|contract| Event::Stored { key, contract }))
			} else {
				(Response::Refused(Refusal::Internal), None)
			}
		}
		let id = (peer.to_vec(), key);
		let mut uploads = self.uploads.lock().expect("no panics under the lock; qed");
		let received = uploads.by_key.get(&id).map_or(0, |u| u.bytes.len() as u64);
		if offset != received {
			return (Response::Refused(Refusal::OutOfOrder { expected: received }), None)
		}
		let end = received + bytes.len() as u64;
		if end > size {
			uploads.remove(&id);
			return (Response::Refused(Refusal::TooLong), None)
		}
		if received == 0 {
			let of_peer = uploads.by_key.keys().filter(|(p, _)| p.as_slice() == peer).count();
			if of_peer >= self.limits.uploads_per_peer || uploads.staged + size > self.limits.staged_bytes {
				return (Response::Refused(Refusal::Busy), None)
			}
			if self.store.free() < size {
				return (Response::Refused(Refusal::StoreFull), None)
			}
			uploads.staged += size;
			// Grows as parts arrive: nothing is allocated for bytes not yet sent.
			uploads.by_key.insert(id.clone(), Upload { bytes: Vec::new(), len: size, touched: now });
		}
		let upload = uploads.by_key.get_mut(&id).expect("inserted above or present; qed");
		upload.bytes.extend_from_slice(&bytes);
		upload.touched = now;
		if end < size {
			return (Response::Accepted { received: end }, None)
		}
		let upload = uploads.remove(&id).expect("present; qed");
		drop(uploads);
		match self.store.put(key, root, &upload.bytes) {
			Ok(PutOutcome::Stored | PutOutcome::AlreadyHeld) => {
				log::info!(target: "storage", "stored {key} ({size} bytes)");
				(Response::Stored, contract.map(|contract| Event::Stored { key, contract }))
			},
			Err(StoreError::Busy { .. }) => (Response::Refused(Refusal::Busy), None),
			Err(StoreError::RootMismatch { .. }) => (Response::Refused(Refusal::WrongRoot), None),
			Err(StoreError::QuotaExceeded { .. }) => (Response::Refused(Refusal::StoreFull), None),
			Err(e) => {
				log::warn!(target: "storage", "storing {key}: {e}");
				(Response::Refused(Refusal::Internal), None)
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::protocol::{push_parts, MAX_PART};
	use blocktree_primitives::storage::{fragment_root, verify_chunk};
	use codec::Encode;

	const OWNER_PEER: &[u8] = b"owner-peer";
	const STRANGER_PEER: &[u8] = b"stranger-peer";

	fn account(b: u8) -> AccountId {
		AccountId::new([b; 32])
	}

	#[derive(Default)]
	struct Chain {
		blocks: HashMap<DataBlockId, RecordedBlock>,
		endpoints: HashMap<Vec<u8>, AccountId>,
		room: HashMap<(AccountId, AccountId), (ContractId, u64)>,
	}

	impl ChainView for Chain {
		fn block(&self, id: &DataBlockId) -> Option<RecordedBlock> {
			self.blocks.get(id).cloned()
		}
		fn endpoint_owner(&self, peer: &[u8]) -> Option<AccountId> {
			self.endpoints.get(peer).cloned()
		}
		fn contract_with_room(&self, provider: &AccountId, client: &AccountId, bytes: u64) -> Option<ContractId> {
			self.room.get(&(provider.clone(), client.clone())).filter(|(_, free)| *free >= bytes).map(|(id, _)| *id)
		}
	}

	struct Setup {
		service: FragmentService<Chain>,
		block: DataBlockId,
		fragments: Vec<Vec<u8>>,
		_dir: tempfile::TempDir,
	}

	const ME: u8 = 10;
	const OWNER: u8 = 1;

	/// A block of three fragments of `size` bytes recorded by OWNER, whose endpoint is
	/// OWNER_PEER, with a contract between ME and OWNER of `room` bytes free.
	fn setup_with(size: usize, room: u64, edit: impl FnOnce(&mut Chain, &mut RecordedBlock), limits: Limits) -> Setup {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(FragmentStore::open(dir.path(), 64 << 20).unwrap());
		let fragments: Vec<Vec<u8>> = (0..3u8).map(|f| (0..size).map(|i| (i as u8) ^ f.wrapping_mul(77)).collect()).collect();
		let block = Hash::repeat_byte(0xb1);
		let mut recorded = RecordedBlock {
			owner: account(OWNER),
			fragment_size: size as u64,
			fragments: fragments.iter().map(|f| (fragment_root(f), None)).collect(),
			barred: vec![],
		};
		let mut chain = Chain::default();
		chain.endpoints.insert(OWNER_PEER.to_vec(), account(OWNER));
		chain.endpoints.insert(STRANGER_PEER.to_vec(), account(2));
		chain.room.insert((account(ME), account(OWNER)), (7, room));
		edit(&mut chain, &mut recorded);
		chain.blocks.insert(block, recorded);
		Setup { service: FragmentService::new(store, chain, account(ME), limits), block, fragments, _dir: dir }
	}

	fn setup(size: usize) -> Setup {
		setup_with(size, 1 << 30, |_, _| {}, Limits::default())
	}

	fn push_all(s: &Setup, peer: &[u8], index: u8, bytes: &[u8]) -> (Response, Option<Event>) {
		let mut last = (Response::Refused(Refusal::Malformed), None);
		for part in push_parts(s.block, index, bytes) {
			last = s.service.handle(peer, &part.encode(), Instant::now());
			if !matches!(last.0, Response::Accepted { .. }) {
				break
			}
		}
		last
	}

	fn refusal(s: &Setup, peer: &[u8], index: u8, bytes: &[u8]) -> Refusal {
		match push_all(s, peer, index, bytes) {
			(Response::Refused(r), None) => r,
			other => panic!("expected a refusal, got {other:?}"),
		}
	}

	#[test]
	fn the_owners_push_is_verified_stored_and_handed_to_the_worker() {
		let s = setup(MAX_PART as usize + 5000);
		let key = FragmentKey { block: s.block, index: 1 };
		assert_eq!(push_all(&s, OWNER_PEER, 1, &s.fragments[1]), (Response::Stored, Some(Event::Stored { key, contract: 7 })));
		assert_eq!(s.service.store().get(&key).unwrap(), s.fragments[1]);
		// A retried push is answered from the store, and the worker told again.
		assert_eq!(push_all(&s, OWNER_PEER, 1, &s.fragments[1]).0, Response::Stored);
	}

	#[test]
	fn a_push_from_a_peer_that_is_not_the_owners_endpoint_is_refused() {
		let s = setup(3000);
		assert_eq!(refusal(&s, STRANGER_PEER, 0, &s.fragments[0]), Refusal::NotOwnersEndpoint);
		assert_eq!(refusal(&s, b"unregistered", 0, &s.fragments[0]), Refusal::NotOwnersEndpoint);
		assert!(s.service.store().list().is_empty());
	}

	#[test]
	fn a_push_of_an_unrecorded_block_or_fragment_is_refused() {
		let s = setup(3000);
		let unrecorded = Request::Push { block: Hash::repeat_byte(9), index: 0, offset: 0, bytes: s.fragments[0].clone() };
		assert_eq!(s.service.handle(OWNER_PEER, &unrecorded.encode(), Instant::now()).0, Response::Refused(Refusal::UnknownBlock));
		assert_eq!(refusal(&s, OWNER_PEER, 3, &s.fragments[0]), Refusal::UnknownFragment);
	}

	#[test]
	fn a_wrong_fragment_is_refused_and_nothing_is_stored() {
		let s = setup(3000);
		// Fragment 2's bytes pushed as fragment 0: right size, wrong root.
		assert_eq!(refusal(&s, OWNER_PEER, 0, &s.fragments[2]), Refusal::WrongRoot);
		// Too many bytes.
		let mut long = s.fragments[0].clone();
		long.push(0);
		assert_eq!(refusal(&s, OWNER_PEER, 0, &long), Refusal::TooLong);
		assert!(s.service.store().list().is_empty());
		// And the honest push still goes through afterwards.
		assert_eq!(push_all(&s, OWNER_PEER, 0, &s.fragments[0]).0, Response::Stored);
	}

	#[test]
	fn parts_must_arrive_in_order() {
		let s = setup(MAX_PART as usize * 2);
		let parts: Vec<_> = push_parts(s.block, 0, &s.fragments[0]).collect();
		let now = Instant::now();
		assert_eq!(s.service.handle(OWNER_PEER, &parts[1].encode(), now).0, Response::Refused(Refusal::OutOfOrder { expected: 0 }));
		assert_eq!(s.service.handle(OWNER_PEER, &parts[0].encode(), now).0, Response::Accepted { received: MAX_PART as u64 });
		assert_eq!(
			s.service.handle(OWNER_PEER, &parts[0].encode(), now).0,
			Response::Refused(Refusal::OutOfOrder { expected: MAX_PART as u64 })
		);
		// Another peer's parts never join this upload.
		assert_eq!(s.service.handle(STRANGER_PEER, &parts[1].encode(), now).0, Response::Refused(Refusal::NotOwnersEndpoint));
		assert_eq!(s.service.handle(OWNER_PEER, &parts[1].encode(), now).0, Response::Stored);
	}

	#[test]
	fn a_second_fragment_of_a_block_already_stored_here_is_refused() {
		let s = setup(3000);
		assert_eq!(push_all(&s, OWNER_PEER, 0, &s.fragments[0]).0, Response::Stored);
		// Stored but not yet placed on chain: the store itself knows.
		assert_eq!(refusal(&s, OWNER_PEER, 1, &s.fragments[1]), Refusal::HoldsAnotherFragment);
	}

	#[test]
	fn a_fragment_placed_here_but_lost_may_be_pushed_again_without_a_new_placement() {
		let s = setup_with(3000, 0, |_, b| b.fragments[1].1 = Some(account(ME)), Limits::default());
		// No contract room is needed (it is placed already), and the worker is not asked to
		// place it again.
		assert_eq!(push_all(&s, OWNER_PEER, 1, &s.fragments[1]), (Response::Stored, None));
		assert_eq!(s.service.store().get(&FragmentKey { block: s.block, index: 1 }).unwrap(), s.fragments[1]);
	}

	#[test]
	fn placement_rules_are_checked_before_any_byte_is_kept() {
		let placed_elsewhere = setup_with(3000, 1 << 30, |_, b| b.fragments[0].1 = Some(account(3)), Limits::default());
		assert_eq!(refusal(&placed_elsewhere, OWNER_PEER, 0, &placed_elsewhere.fragments[0]), Refusal::PlacedElsewhere);
		let holds_another = setup_with(3000, 1 << 30, |_, b| b.fragments[2].1 = Some(account(ME)), Limits::default());
		assert_eq!(refusal(&holds_another, OWNER_PEER, 0, &holds_another.fragments[0]), Refusal::HoldsAnotherFragment);
		let barred = setup_with(3000, 1 << 30, |_, b| b.barred.push(account(ME)), Limits::default());
		assert_eq!(refusal(&barred, OWNER_PEER, 0, &barred.fragments[0]), Refusal::Barred);
		let full_contract = setup_with(3000, 2999, |_, _| {}, Limits::default());
		assert_eq!(refusal(&full_contract, OWNER_PEER, 0, &full_contract.fragments[0]), Refusal::NoContractRoom);
		let no_contract = setup_with(3000, 1 << 30, |c, _| c.room.clear(), Limits::default());
		assert_eq!(refusal(&no_contract, OWNER_PEER, 0, &no_contract.fragments[0]), Refusal::NoContractRoom);
		for s in [placed_elsewhere, holds_another, barred, full_contract, no_contract] {
			assert!(s.service.store().list().is_empty());
		}
	}

	#[test]
	fn a_full_store_refuses_pushes() {
		let s = setup(3000);
		s.service.store().set_quota(2999);
		assert_eq!(refusal(&s, OWNER_PEER, 0, &s.fragments[0]), Refusal::StoreFull);
	}

	#[test]
	fn staged_uploads_are_bounded_per_peer_and_in_total_and_expire() {
		let limits = Limits { uploads_per_peer: 1, staged_bytes: 3 * MAX_PART as u64, upload_idle: Duration::from_secs(5), ..Limits::default() };
		let other = Hash::repeat_byte(0xb2);
		let s = setup_with(MAX_PART as usize * 2, 1 << 30, |c, b| drop(c.blocks.insert(other, b.clone())), limits);
		let first = |block, index| push_parts(block, index, &s.fragments[index as usize]).next().unwrap().encode();
		let t0 = Instant::now();
		assert!(matches!(s.service.handle(OWNER_PEER, &first(s.block, 0), t0).0, Response::Accepted { .. }));
		// One upload per peer here: another block's fragment must wait.
		assert_eq!(s.service.handle(OWNER_PEER, &first(other, 1), t0).0, Response::Refused(Refusal::Busy));
		// A second fragment of a block with one in flight is refused outright: a block's
		// fragments go to distinct providers, and the chain would refuse the second placement.
		assert_eq!(s.service.handle(OWNER_PEER, &first(s.block, 1), t0).0, Response::Refused(Refusal::HoldsAnotherFragment));
		// After the idle time the abandoned upload is dropped and a new one may start.
		let later = t0 + Duration::from_secs(6);
		assert!(matches!(s.service.handle(OWNER_PEER, &first(s.block, 1), later).0, Response::Accepted { .. }));
		// The total staged bytes are bounded too (3 parts' worth here, 2 staged already).
		let third = Hash::repeat_byte(0xb3);
		let big = Limits { uploads_per_peer: 8, staged_bytes: 3 * MAX_PART as u64, ..Limits::default() };
		let s = setup_with(MAX_PART as usize * 2, 1 << 30, |c, b| drop(c.blocks.insert(third, b.clone())), big);
		assert!(matches!(s.service.handle(OWNER_PEER, &first(s.block, 0), t0).0, Response::Accepted { .. }));
		assert_eq!(s.service.handle(OWNER_PEER, &first(third, 0), t0).0, Response::Refused(Refusal::Busy));
	}

	#[test]
	fn anyone_may_fetch_held_fragments_and_chunk_proofs_verify() {
		let s = setup(5000);
		push_all(&s, OWNER_PEER, 2, &s.fragments[2]);
		let fetch = Request::Fetch { block: s.block, index: 2, offset: 1000, len: 100 };
		assert_eq!(
			s.service.handle(STRANGER_PEER, &fetch.encode(), Instant::now()).0,
			Response::Bytes { fragment_len: 5000, bytes: s.fragments[2][1000..1100].to_vec() }
		);
		let chunks = Request::FetchChunks { block: s.block, index: 2, first: 4, count: 1 };
		let Response::Chunks { fragment_len, chunks } = s.service.handle(b"anyone", &chunks.encode(), Instant::now()).0 else {
			panic!("chunks expected")
		};
		assert!(verify_chunk(&fragment_root(&s.fragments[2]), fragment_len, 4, &chunks[0].0, &chunks[0].1));
		let absent = Request::Fetch { block: s.block, index: 0, offset: 0, len: 100 };
		assert_eq!(s.service.handle(b"anyone", &absent.encode(), Instant::now()).0, Response::Refused(Refusal::NotHeld));
		let beyond = Request::Fetch { block: s.block, index: 2, offset: 5000, len: 100 };
		assert_eq!(s.service.handle(b"anyone", &beyond.encode(), Instant::now()).0, Response::Refused(Refusal::Malformed));
	}

	#[test]
	fn a_corrupt_fragment_is_never_served_and_the_worker_is_told() {
		let s = setup(5000);
		push_all(&s, OWNER_PEER, 0, &s.fragments[0]);
		let key = FragmentKey { block: s.block, index: 0 };
		// Corrupt the file behind the store's back.
		let file = walk(s.service.store().dir()).into_iter().find(|p| p.to_string_lossy().ends_with(".0")).unwrap();
		let mut raw = std::fs::read(&file).unwrap();
		let last = raw.len() - 1;
		raw[last] ^= 0xff;
		std::fs::write(&file, raw).unwrap();
		let fetch = Request::Fetch { block: s.block, index: 0, offset: 4000, len: 1000 };
		assert_eq!(
			s.service.handle(b"anyone", &fetch.encode(), Instant::now()),
			(Response::Refused(Refusal::NotHeld), Some(Event::Corrupt { key }))
		);
	}

	fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
		let mut out = vec![];
		for entry in std::fs::read_dir(dir).unwrap() {
			let path = entry.unwrap().path();
			if path.is_dir() {
				out.extend(walk(&path));
			} else {
				out.push(path);
			}
		}
		out
	}

	#[test]
	fn fresh_peer_ids_do_not_escape_the_total_budget() {
		let limits = Limits { total_requests_per_sec: 5, ..Limits::default() };
		let s = setup_with(5000, 1 << 30, |_, _| {}, limits);
		let t = Instant::now() + Duration::from_secs(10);
		let refused = (0..10u8)
			.filter(|i| s.service.handle(&[b'p', *i], &[0xff], t).0 == Response::Refused(Refusal::Busy))
			.count();
		assert_eq!(refused, 5, "ten peers, one request each, five allowed in total");
	}

	#[test]
	fn a_peer_over_its_limits_is_told_to_back_off() {
		let limits = Limits { requests_per_sec: 3, fetch_bytes_per_sec: 1500, ..Limits::default() };
		let s = setup_with(5000, 1 << 30, |_, _| {}, limits);
		push_all(&s, OWNER_PEER, 1, &s.fragments[1]);
		let t = Instant::now() + Duration::from_secs(10);
		let fetch = Request::Fetch { block: s.block, index: 1, offset: 0, len: 1000 }.encode();
		// The first read of a fragment verifies all 5000 bytes of it, and is charged so: more
		// than this peer's 1500 per second.
		assert_eq!(s.service.handle(b"first", &fetch, t).0, Response::Refused(Refusal::Busy));
		// Once verified (here by the node's own read), a read is charged what it returns.
		s.service.store().get(&FragmentKey { block: s.block, index: 1 }).unwrap();
		assert!(matches!(s.service.handle(b"greedy", &fetch, t).0, Response::Bytes { .. }));
		// 1000 of 1500 bytes used: the next 1000 must wait.
		assert_eq!(s.service.handle(b"greedy", &fetch, t).0, Response::Refused(Refusal::Busy));
		// Requests: 3 per second, 2 used.
		assert_eq!(s.service.handle(b"greedy", &[0xff], t).0, Response::Refused(Refusal::Malformed));
		assert_eq!(s.service.handle(b"greedy", &[0xff], t).0, Response::Refused(Refusal::Busy));
		// Others are unaffected, and the greedy peer recovers with time.
		assert!(matches!(s.service.handle(b"patient", &fetch, t).0, Response::Bytes { .. }));
		assert!(matches!(s.service.handle(b"greedy", &fetch, t + Duration::from_secs(1)).0, Response::Bytes { .. }));
	}
}
