//! # Endpoints pallet
//!
//! Where Blocktree nodes can be reached. An account (a node operator, usually the controller of
//! a principal) registers its node's libp2p peer id and the addresses it listens on; the chain
//! then resolves a principal, an account or a peer id to those addresses, so that clients and
//! storage workers find each other without a central directory.
//!
//! - [`register`](Pallet::register): peer id and 1..=`MaxAddresses` addresses, a deposit held.
//! - [`update`](Pallet::update): new peer id and/or addresses.
//! - [`heartbeat`](Pallet::heartbeat): "still here"; an endpoint not heard from for
//!   `EndpointTtl` blocks is no longer served by the runtime API, and anyone may
//!   [`remove_expired`](Pallet::remove_expired) it (the deposit goes back to its owner).
//! - [`deregister`](Pallet::deregister): remove one's own endpoint, deposit returned.
//! - [`set_allow_private_addresses`](Pallet::set_allow_private_addresses) (root): whether
//!   loopback and private ranges are accepted; the chain spec sets it at genesis (true on dev
//!   and local test chains).
//!
//! Addresses must be unicast and specified, with a non-zero port; peer ids must be identity or
//! SHA2-256 multihashes (see [`address`]). Each peer id belongs to one account.

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

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use address::{check_peer_id, AddressProblem};
	use blocktree_primitives::principal::{PrincipalId, PrincipalOf};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::Saturating;

	/// Balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A libp2p peer id (multihash bytes).
	pub type PeerId = BoundedVec<u8, ConstU32<MAX_PEER_ID_LEN>>;

	/// The current storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
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

	/// The account whose endpoint has a peer id (each peer id belongs to one account).
	#[pallet::storage]
	pub type AccountOfPeer<T: Config> = StorageMap<_, Blake2_128Concat, PeerId, T::AccountId>;

	/// The account whose endpoint serves a principal.
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
		/// The peer id is not a libp2p identity or SHA2-256 multihash.
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
	}

	impl<T> From<AddressProblem> for Error<T> {
		fn from(problem: AddressProblem) -> Self {
			match problem {
				AddressProblem::MalformedPeerId => Error::MalformedPeerId,
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
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller's node: its peer id and the addresses it listens on. Holds
		/// `EndpointDeposit`. Links the endpoint to the principal the caller controls, if any.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register(addresses.len() as u32))]
		pub fn register(origin: OriginFor<T>, peer_id: PeerId, addresses: AddressesOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Endpoints::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
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

		/// Replaces the caller's peer id and addresses (and refreshes its heartbeat).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update(addresses.len() as u32))]
		pub fn update(origin: OriginFor<T>, peer_id: PeerId, addresses: AddressesOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut endpoint = Endpoints::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			Self::check_endpoint(&who, &peer_id, &addresses)?;
			if endpoint.peer_id != peer_id {
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
		fn check_endpoint(who: &T::AccountId, peer_id: &PeerId, addresses: &AddressesOf<T>) -> DispatchResult {
			check_peer_id(peer_id).map_err(Error::<T>::from)?;
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
	}
}
