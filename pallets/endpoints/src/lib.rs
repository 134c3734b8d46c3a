//! # Endpoints pallet
//!
//! Where Blocktree nodes can be reached. An account (a node operator, usually the controller of
//! a principal) registers its node's libp2p peer id and the addresses it listens on; the chain
//! then resolves a principal, an account or a peer id to those addresses, so that clients and
//! storage workers find each other without a central directory.
//!
//! ## Terms
//! - **Endpoint**: one account's node: its peer id, 1..=`MaxAddresses` addresses, the principal
//!   the account controlled when it last registered or updated, the deposit held and when it
//!   was last heard from.
//! - **Peer id**: the node's libp2p identity. Only ed25519 keys in identity form are accepted
//!   (`0x00 0x24 0x08 0x01 0x12 0x20` followed by the 32-byte public key, what Substrate nodes
//!   use; see [`address::ed25519_peer_key`]): the chain reads the key out of the peer id and
//!   checks a signature by it. SHA2-256 peer ids (RSA keys) hide their key and are refused.
//! - **Peer proof**: the peer key's ed25519 signature over [`peer_proof_message`] — the domain
//!   tag [`PEER_PROOF_DOMAIN`], the chain's genesis hash and the registering account. It proves
//!   the account runs (or was authorised by) the node, so nobody can take a peer id by copying
//!   it (or a whole transaction) from someone else: the proof names the account, and a proof
//!   made for another chain does not verify here. Each peer id belongs to one account.
//!
//! ## Dispatchables
//! - [`register`](Pallet::register): peer id with its proof and the addresses; a deposit held.
//! - [`update`](Pallet::update): new addresses, and a new peer id with its proof.
//! - [`heartbeat`](Pallet::heartbeat): "still here"; an endpoint not heard from for
//!   `EndpointTtl` blocks is no longer served by the runtime API, and anyone may
//!   [`remove_expired`](Pallet::remove_expired) it (the deposit goes back to its owner).
//! - [`deregister`](Pallet::deregister): remove one's own endpoint, deposit returned.
//! - [`set_allow_private_addresses`](Pallet::set_allow_private_addresses) (root): whether
//!   loopback and private ranges are accepted; the chain spec sets it at genesis (true on dev
//!   and local test chains).
//!
//! Addresses must be unicast and specified, with a non-zero port (see [`address`]).
//!
//! ## Producing the peer proof
//! The node signs with its libp2p network key (the `--node-key` / `network/secret_ed25519`
//! secret) the bytes [`peer_proof_message`] returns for the chain's genesis hash and the account
//! that will send the transaction. In SCALE, that is the compact length (`0x68`) and the 26
//! bytes of `blocktree:endpoint-peer:v1`, the 32-byte genesis hash, then the account id's
//! encoding (32 bytes for an `AccountId32`). From Rust:
//!
//! ```ignore
//! let chain = genesis_hash; // H256: block 0's hash
//! let message = pallet_endpoints::peer_proof_message(&chain, &account);
//! let peer_proof = network_key.sign(&message); // sp_core::ed25519::Pair
//! let peer_id = pallet_endpoints::address::ed25519_peer_id(&network_key.public().0);
//! // Call: Endpoints::register(peer_id, peer_proof, addresses)
//! ```
//!
//! From JavaScript, see `tests/polkadot-js/storage.mjs` (`@polkadot/util-crypto`'s
//! `ed25519Sign`). On chain the genesis hash is [`Pallet::chain_tag`]: frame-system's hash of
//! block 0, which is the real genesis hash from block 1 on.
//!
//! ## Low-level / implementation details
//! No hooks do work per block. [`Pallet::do_try_state`] (the `try_state` hook under
//! `try-runtime`, and after every pallet test) checks that the peer-id and principal indexes
//! agree with the endpoints both ways, that every stored peer id is an ed25519 one, and that each
//! owner's hold for [`HoldReason::EndpointDeposit`] equals its endpoint's recorded deposit.
//! Endpoints registered before peer proofs existed (storage version 1 has the same layout) were
//! never proven; no live network has any, and dev and local chains are reset.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod address;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use address::{NetAddress, MAX_PEER_ID_LEN};
pub use weights::WeightInfo;

use blocktree_primitives::cap::ChainTag;

/// Domain tag of the peer proof: what a node's network key signs to let an account announce its
/// peer id.
pub const PEER_PROOF_DOMAIN: &[u8] = b"blocktree:endpoint-peer:v1";

/// The bytes a node's libp2p ed25519 key signs so that `account` may register or update an
/// endpoint with the node's peer id on the chain whose genesis hash is `chain`: the SCALE
/// encoding of `(PEER_PROOF_DOMAIN, chain, account)`. The domain is a byte slice, so it encodes
/// with its compact length in front.
pub fn peer_proof_message<AccountId: codec::Encode>(
	chain: &ChainTag,
	account: &AccountId,
) -> alloc::vec::Vec<u8> {
	codec::Encode::encode(&(PEER_PROOF_DOMAIN, chain, account))
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use address::{ed25519_peer_key, AddressProblem};
	use blocktree_primitives::principal::{PrincipalId, PrincipalOf};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::ed25519;
	use sp_runtime::traits::{Saturating, Zero};

	/// Balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A libp2p peer id (multihash bytes). Stored ones are ed25519 peer ids in identity form
	/// (see [`address::ed25519_peer_key`]).
	pub type PeerId = BoundedVec<u8, ConstU32<MAX_PEER_ID_LEN>>;

	/// The current storage version. Peer proofs changed no stored type, so it stays 1.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<Hash = sp_core::H256> {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Which principal an account controls (the principals pallet).
		type Principals: PrincipalOf<Self::AccountId>;

		/// Held while an endpoint is registered.
		#[pallet::constant]
		type EndpointDeposit: Get<BalanceOf<Self>>;

		/// Most addresses one endpoint may list.
		#[pallet::constant]
		type MaxAddresses: Get<u32>;

		/// Blocks after the last registration, update or heartbeat at which an endpoint
		/// expires.
		#[pallet::constant]
		type EndpointTtl: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An endpoint is registered.
		EndpointDeposit,
	}

	/// How to reach one account's node.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	#[scale_info(skip_type_params(MaxAddresses))]
	pub struct Endpoint<BlockNumber, Balance, MaxAddresses: Get<u32>> {
		/// The node's libp2p peer id.
		pub peer_id: PeerId,
		/// Where it listens.
		pub addresses: BoundedVec<NetAddress, MaxAddresses>,
		/// The principal the owning account controlled when it registered or updated.
		pub principal: Option<PrincipalId>,
		/// What is held from the owner.
		pub deposit: Balance,
		/// The last registration, update or heartbeat.
		pub last_seen: BlockNumber,
	}

	impl<BlockNumber: Saturating + PartialOrd + Copy, Balance, MaxAddresses: Get<u32>>
		Endpoint<BlockNumber, Balance, MaxAddresses>
	{
		/// Whether the endpoint has not expired at `now`, given the chain's time to live.
		pub fn is_live(&self, now: BlockNumber, ttl: BlockNumber) -> bool {
			now <= self.last_seen.saturating_add(ttl)
		}
	}

	/// An endpoint as stored.
	pub type EndpointOf<T> = Endpoint<BlockNumberFor<T>, BalanceOf<T>, <T as Config>::MaxAddresses>;

	/// Addresses as submitted.
	pub type AddressesOf<T> = BoundedVec<NetAddress, <T as Config>::MaxAddresses>;

	/// Registered endpoints by owning account.
	#[pallet::storage]
	pub type Endpoints<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, EndpointOf<T>>;

	/// The account whose endpoint has a peer id (each peer id belongs to one account): the index
	/// of [`Endpoints`] by [`Endpoint::peer_id`].
	#[pallet::storage]
	pub type AccountOfPeer<T: Config> = StorageMap<_, Blake2_128Concat, PeerId, T::AccountId>;

	/// The account whose endpoint serves a principal: the index of [`Endpoints`] by
	/// [`Endpoint::principal`].
	#[pallet::storage]
	pub type AccountOfPrincipal<T: Config> = StorageMap<_, Identity, PrincipalId, T::AccountId>;

	/// Whether loopback, private, link-local and shared addresses are accepted (dev and test
	/// chains).
	#[pallet::storage]
	pub type AllowPrivateAddresses<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// Genesis settings.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Accept loopback and private addresses (true for dev and local test chains).
		pub allow_private_addresses: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			AllowPrivateAddresses::<T>::put(self.allow_private_addresses);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `owner` registered an endpoint.
		EndpointRegistered { owner: T::AccountId, peer_id: PeerId, principal: Option<PrincipalId> },
		/// `owner` changed its endpoint's peer id or addresses.
		EndpointUpdated { owner: T::AccountId, peer_id: PeerId },
		/// `owner`'s node is still there.
		HeartbeatReceived { owner: T::AccountId },
		/// `owner` removed its endpoint; the deposit was returned.
		EndpointDeregistered { owner: T::AccountId },
		/// `owner`'s endpoint expired and was removed; the deposit was returned.
		EndpointExpired { owner: T::AccountId },
		/// Root changed whether private addresses are accepted.
		PrivateAddressesAllowed { allowed: bool },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account already has an endpoint: use `update`.
		AlreadyRegistered,
		/// The account has no endpoint.
		NotRegistered,
		/// Another account's endpoint already uses this peer id.
		PeerIdInUse,
		/// The peer id is not a libp2p peer id at all (an identity or SHA2-256 multihash of its
		/// declared length).
		MalformedPeerId,
		/// An endpoint needs at least one address.
		NoAddresses,
		/// The same address is listed twice.
		DuplicateAddress,
		/// An address has port 0.
		ZeroPort,
		/// An address is 0.0.0.0 or `::`, which others cannot dial.
		UnspecifiedAddress,
		/// An address is multicast or broadcast.
		NotUnicast,
		/// An address is loopback or private, which this chain does not accept.
		PrivateAddressNotAllowed,
		/// The endpoint has not expired yet.
		NotExpired,
		/// The peer id is not an ed25519 key in identity form (`0x00 0x24 0x08 0x01 0x12 0x20`
		/// and the 32-byte key), so the chain cannot check who holds it: SHA2-256 peer ids (RSA
		/// keys) and other key types are refused. Give the node an ed25519 network key.
		UnsupportedPeerIdKind,
		/// The peer proof is not the peer key's signature over [`peer_proof_message`] for this
		/// chain's genesis hash and the calling account: sign that message with the node's
		/// network key, for the account that sends the transaction.
		InvalidPeerProof,
		/// The update changes the peer id but carries no peer proof by the new key.
		MissingPeerProof,
	}

	impl<T> From<AddressProblem> for Error<T> {
		fn from(problem: AddressProblem) -> Self {
			match problem {
				AddressProblem::MalformedPeerId => Error::MalformedPeerId,
				AddressProblem::UnsupportedPeerIdKind => Error::UnsupportedPeerIdKind,
				AddressProblem::ZeroPort => Error::ZeroPort,
				AddressProblem::Unspecified => Error::UnspecifiedAddress,
				AddressProblem::NotUnicast => Error::NotUnicast,
				AddressProblem::Private => Error::PrivateAddressNotAllowed,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxAddresses::get() >= 1, "an endpoint must be able to list an address");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller's node: its peer id, the proof that the caller may use it, and
		/// the addresses it listens on.
		///
		/// ## Dispatch Origin
		/// Signed, by an account without an endpoint.
		///
		/// ## Details
		/// `peer_id` must be an ed25519 peer id in identity form, and `peer_proof` that key's
		/// signature over [`peer_proof_message`] for this chain ([`Pallet::chain_tag`]) and the
		/// caller; so a peer id copied from another account's transaction, or a proof made for
		/// another chain, is refused. No other endpoint may use the peer id. Holds
		/// `EndpointDeposit`, and links the endpoint to the principal the caller controls, if any.
		///
		/// ## Errors
		/// `AlreadyRegistered`, `MalformedPeerId`, `UnsupportedPeerIdKind`, `InvalidPeerProof`,
		/// `PeerIdInUse`, the address errors (`NoAddresses`, `DuplicateAddress`, `ZeroPort`,
		/// `UnspecifiedAddress`, `NotUnicast`, `PrivateAddressNotAllowed`), or the currency's
		/// error if the deposit cannot be held.
		///
		/// ## Events
		/// `EndpointRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register(addresses.len() as u32))]
		pub fn register(
			origin: OriginFor<T>,
			peer_id: PeerId,
			peer_proof: ed25519::Signature,
			addresses: AddressesOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, peer_id, peer_proof, addresses)
		}

		/// Replaces the caller's addresses, and its peer id if `peer_id` differs (refreshing its
		/// heartbeat).
		///
		/// ## Dispatch Origin
		/// Signed, by an account with an endpoint.
		///
		/// ## Details
		/// A new peer id needs `peer_proof`: the new key's signature over
		/// [`peer_proof_message`], as for [`register`](Pallet::register). When the peer id stays
		/// the same the proof may be left out (the operator can change addresses without the
		/// node's key); one that is given is checked all the same. The principal link follows
		/// the principal the caller controls now. Holds nothing more.
		///
		/// ## Errors
		/// `NotRegistered`, `MalformedPeerId`, `UnsupportedPeerIdKind`, `MissingPeerProof`,
		/// `InvalidPeerProof`, `PeerIdInUse`, and the address errors.
		///
		/// ## Events
		/// `EndpointUpdated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update(addresses.len() as u32))]
		pub fn update(
			origin: OriginFor<T>,
			peer_id: PeerId,
			peer_proof: Option<ed25519::Signature>,
			addresses: AddressesOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update(who, peer_id, peer_proof, addresses)
		}

		/// Tells the chain the caller's node is still reachable.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Endpoints::<T>::try_mutate(&who, |endpoint| {
				let endpoint = endpoint.as_mut().ok_or(Error::<T>::NotRegistered)?;
				endpoint.last_seen = frame_system::Pallet::<T>::block_number();
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::HeartbeatReceived { owner: who });
			Ok(())
		}

		/// Removes the caller's endpoint and returns its deposit.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::deregister())]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::remove(&who)?;
			Self::deposit_event(Event::EndpointDeregistered { owner: who });
			Ok(())
		}

		/// Removes `owner`'s endpoint once it has expired (anyone may call); the deposit goes
		/// back to `owner`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_expired())]
		pub fn remove_expired(origin: OriginFor<T>, owner: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			let endpoint = Endpoints::<T>::get(&owner).ok_or(Error::<T>::NotRegistered)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(!endpoint.is_live(now, T::EndpointTtl::get()), Error::<T>::NotExpired);
			Self::remove(&owner)?;
			Self::deposit_event(Event::EndpointExpired { owner });
			Ok(())
		}

		/// Sets whether loopback and private addresses are accepted (root only). Endpoints
		/// registered before keep their addresses until they update.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_allow_private_addresses())]
		pub fn set_allow_private_addresses(origin: OriginFor<T>, allowed: bool) -> DispatchResult {
			ensure_root(origin)?;
			AllowPrivateAddresses::<T>::put(allowed);
			Self::deposit_event(Event::PrivateAddressesAllowed { allowed });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// This chain's tag, which peer proofs sign: the hash frame-system records for block 0
		/// (the real genesis hash from block 1 on).
		pub fn chain_tag() -> ChainTag {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// Checks that `peer_proof` is the signature of `peer_id`'s ed25519 key over
		/// [`peer_proof_message`] for this chain and `who`.
		pub fn check_peer_proof(
			who: &T::AccountId,
			peer_id: &PeerId,
			peer_proof: &ed25519::Signature,
		) -> DispatchResult {
			let key = ed25519_peer_key(peer_id).map_err(Error::<T>::from)?;
			let message = peer_proof_message(&Self::chain_tag(), who);
			ensure!(
				sp_io::crypto::ed25519_verify(peer_proof, &message, &ed25519::Public::from_raw(key)),
				Error::<T>::InvalidPeerProof
			);
			Ok(())
		}

		/// [`register`](Pallet::register) for `who`: checks, holds the deposit, stores and
		/// indexes the endpoint, emits `EndpointRegistered`.
		pub fn do_register(
			who: T::AccountId,
			peer_id: PeerId,
			peer_proof: ed25519::Signature,
			addresses: AddressesOf<T>,
		) -> DispatchResult {
			ensure!(!Endpoints::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			Self::check_peer_proof(&who, &peer_id, &peer_proof)?;
			Self::check_endpoint(&who, &peer_id, &addresses)?;
			let deposit = T::EndpointDeposit::get();
			T::Currency::hold(&HoldReason::EndpointDeposit.into(), &who, deposit)?;
			let principal = T::Principals::principal_of(&who);
			if let Some(id) = principal {
				AccountOfPrincipal::<T>::insert(id, &who);
			}
			AccountOfPeer::<T>::insert(&peer_id, &who);
			let last_seen = frame_system::Pallet::<T>::block_number();
			Endpoints::<T>::insert(
				&who,
				Endpoint { peer_id: peer_id.clone(), addresses, principal, deposit, last_seen },
			);
			Self::deposit_event(Event::EndpointRegistered { owner: who, peer_id, principal });
			Ok(())
		}

		/// [`update`](Pallet::update) for `who`: checks, moves the indexes, stores the endpoint,
		/// emits `EndpointUpdated`.
		pub fn do_update(
			who: T::AccountId,
			peer_id: PeerId,
			peer_proof: Option<ed25519::Signature>,
			addresses: AddressesOf<T>,
		) -> DispatchResult {
			let mut endpoint = Endpoints::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			let peer_changes = endpoint.peer_id != peer_id;
			match peer_proof {
				Some(proof) => Self::check_peer_proof(&who, &peer_id, &proof)?,
				None => {
					ed25519_peer_key(&peer_id).map_err(Error::<T>::from)?;
					ensure!(!peer_changes, Error::<T>::MissingPeerProof);
				},
			}
			Self::check_endpoint(&who, &peer_id, &addresses)?;
			if peer_changes {
				AccountOfPeer::<T>::remove(&endpoint.peer_id);
				AccountOfPeer::<T>::insert(&peer_id, &who);
			}
			let principal = T::Principals::principal_of(&who);
			if endpoint.principal != principal {
				if let Some(old) = endpoint.principal {
					AccountOfPrincipal::<T>::remove(old);
				}
				if let Some(new) = principal {
					AccountOfPrincipal::<T>::insert(new, &who);
				}
			}
			endpoint.peer_id = peer_id.clone();
			endpoint.addresses = addresses;
			endpoint.principal = principal;
			endpoint.last_seen = frame_system::Pallet::<T>::block_number();
			Endpoints::<T>::insert(&who, endpoint);
			Self::deposit_event(Event::EndpointUpdated { owner: who, peer_id });
			Ok(())
		}

		/// Checks what proofs do not cover: nobody else uses `peer_id`, and the addresses are
		/// acceptable on this chain.
		fn check_endpoint(who: &T::AccountId, peer_id: &PeerId, addresses: &AddressesOf<T>) -> DispatchResult {
			if let Some(holder) = AccountOfPeer::<T>::get(peer_id) {
				ensure!(&holder == who, Error::<T>::PeerIdInUse);
			}
			ensure!(!addresses.is_empty(), Error::<T>::NoAddresses);
			let allow_private = AllowPrivateAddresses::<T>::get();
			for (i, address) in addresses.iter().enumerate() {
				address.check(allow_private).map_err(Error::<T>::from)?;
				ensure!(!addresses[..i].contains(address), Error::<T>::DuplicateAddress);
			}
			Ok(())
		}

		/// Removes `owner`'s endpoint and its index entries, and releases its deposit.
		fn remove(owner: &T::AccountId) -> DispatchResult {
			let endpoint = Endpoints::<T>::take(owner).ok_or(Error::<T>::NotRegistered)?;
			T::Currency::release(
				&HoldReason::EndpointDeposit.into(),
				owner,
				endpoint.deposit,
				Precision::BestEffort,
			)?;
			AccountOfPeer::<T>::remove(&endpoint.peer_id);
			if let Some(id) = endpoint.principal {
				AccountOfPrincipal::<T>::remove(id);
			}
			Ok(())
		}

		/// `owner`'s endpoint if it has not expired.
		pub fn live_endpoint(owner: &T::AccountId) -> Option<EndpointOf<T>> {
			let now = frame_system::Pallet::<T>::block_number();
			Endpoints::<T>::get(owner).filter(|e| e.is_live(now, T::EndpointTtl::get()))
		}

		/// The live endpoint serving principal `id`, with its owner.
		pub fn endpoint_of_principal(id: PrincipalId) -> Option<(T::AccountId, EndpointOf<T>)> {
			let owner = AccountOfPrincipal::<T>::get(id)?;
			Self::live_endpoint(&owner).map(|e| (owner, e))
		}

		/// The live endpoint with peer id `peer_id`, with its owner.
		pub fn endpoint_of_peer(peer_id: &[u8]) -> Option<(T::AccountId, EndpointOf<T>)> {
			let key = PeerId::try_from(peer_id.to_vec()).ok()?;
			let owner = AccountOfPeer::<T>::get(key)?;
			Self::live_endpoint(&owner).map(|e| (owner, e))
		}

		/// Checks the pallet's bookkeeping: [`AccountOfPeer`] and [`AccountOfPrincipal`] agree
		/// with [`Endpoints`] both ways, every stored peer id is an ed25519 one (so its holder was
		/// checked), every endpoint lists at least one address, and each owner's balance on hold
		/// for [`HoldReason::EndpointDeposit`] equals its endpoint's recorded deposit. (Holds
		/// of accounts without an endpoint cannot be enumerated, so are not checked.)
		#[cfg(any(feature = "std", feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use frame_support::traits::fungible::InspectHold;
			for (owner, endpoint) in Endpoints::<T>::iter() {
				ensure!(
					AccountOfPeer::<T>::get(&endpoint.peer_id).as_ref() == Some(&owner),
					"an endpoint's peer id is not indexed to its owner"
				);
				if let Some(id) = endpoint.principal {
					ensure!(
						AccountOfPrincipal::<T>::get(id).as_ref() == Some(&owner),
						"an endpoint's principal is not indexed to its owner"
					);
				}
				ensure!(ed25519_peer_key(&endpoint.peer_id).is_ok(), "a stored peer id is not an ed25519 one");
				ensure!(!endpoint.addresses.is_empty(), "an endpoint lists no address");
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::EndpointDeposit.into(), &owner) == endpoint.deposit,
					"an owner's endpoint hold differs from its recorded deposit"
				);
			}
			for (peer_id, owner) in AccountOfPeer::<T>::iter() {
				ensure!(
					Endpoints::<T>::get(&owner).is_some_and(|e| e.peer_id == peer_id),
					"AccountOfPeer names an account whose endpoint has another peer id, or none"
				);
			}
			for (id, owner) in AccountOfPrincipal::<T>::iter() {
				ensure!(
					Endpoints::<T>::get(&owner).is_some_and(|e| e.principal == Some(id)),
					"AccountOfPrincipal names an account whose endpoint serves another principal, or none"
				);
			}
			Ok(())
		}
	}
}
