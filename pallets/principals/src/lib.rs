//! # Principals pallet
//!
//! Who is who in Blocktree, and who may write where.
//!
//! ## Terms
//! - **Principal**: a signing key and an X25519 encryption key, known by its
//!   [`PrincipalId`](blocktree_primitives::principal::PrincipalId), the hash of its keys at
//!   registration. An account *controls* at most one principal.
//! - **Root**: the tree `/<principal id>/...` a principal owns. Claiming it makes the tree
//!   exist on chain: others may then request write access to parts of it.
//! - **Write cap**: a signed grant of write access below a path prefix (see
//!   [`blocktree_primitives::cap`]). Caps chain back to a tree's owner; this pallet stores
//!   revocations and the caps it publishes, and checks chains with the same function clients
//!   use.
//! - **Write request**: a principal asks a tree's owner for write access to a prefix; the owner
//!   (or any holder of a cap over the prefix) approves by publishing a cap, or rejects. Requests
//!   expire after [`Config::RequestLifetime`] blocks.
//!
//! ## Dispatchables
//! - [`register`](Pallet::register): register a principal (with proof of key possession), for a
//!   deposit.
//! - [`rotate_keys`](Pallet::rotate_keys): replace a principal's keys; its id stays.
//! - [`claim_root`](Pallet::claim_root): claim the principal's tree, for a deposit.
//! - [`revoke_write_cap`](Pallet::revoke_write_cap): revoke a cap one issued, or any cap over
//!   one's own tree.
//! - [`request_write_access`](Pallet::request_write_access),
//!   [`approve_write_request`](Pallet::approve_write_request),
//!   [`reject_write_request`](Pallet::reject_write_request),
//!   [`cancel_write_request`](Pallet::cancel_write_request),
//!   [`remove_expired_request`](Pallet::remove_expired_request): the request flow.
//!
//! ## Use from another pallet
//! ```ignore
//! // May `writer` write `path` with `chain`? Same verdict as every client's.
//! pallet_principals::Pallet::<T>::check_write_access(&writer, &path, &chain)?;
//! ```

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

use blocktree_primitives::{
	cap::{CapContext, CapError, CapId},
	principal::{Principal, PrincipalId},
};

/// Domain tag of the proof that a registrant holds a principal's signing key.
pub const REGISTRATION_PROOF_DOMAIN: &[u8] = b"blocktree:register-principal:v1";

/// The message a principal's signing key signs to prove possession when `account` registers it
/// or rotates to it.
pub fn possession_message<AccountId: codec::Encode>(account: &AccountId, keys: &Principal) -> alloc::vec::Vec<u8> {
	codec::Encode::encode(&(REGISTRATION_PROOF_DOMAIN, account, keys))
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use blocktree_primitives::{
		cap::{verify_write_access, SignedWriteCap, WriteCap, WriteCapChain},
		path::BlockPath,
		principal::Signature,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::Precision,
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};

	/// Balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// Identifies a write request within a tree.
	pub type RequestId = u64;

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

		/// Wall-clock time, against which cap expiry (unix milliseconds) is checked.
		type UnixTime: UnixTime;

		/// Held from the controller while a principal is registered.
		#[pallet::constant]
		type PrincipalDeposit: Get<BalanceOf<Self>>;

		/// Held from the controller while a root is claimed.
		#[pallet::constant]
		type RootDeposit: Get<BalanceOf<Self>>;

		/// Held from a requester while a write request is pending.
		#[pallet::constant]
		type RequestDeposit: Get<BalanceOf<Self>>;

		/// Blocks a write request stays pending before it expires.
		#[pallet::constant]
		type RequestLifetime: Get<BlockNumberFor<Self>>;

		/// Most pending write requests one tree can have.
		#[pallet::constant]
		type MaxPendingRequests: Get<u32>;

		/// Most published caps one subject can hold on chain.
		#[pallet::constant]
		type MaxPublishedCaps: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A principal is registered.
		PrincipalDeposit,
		/// A root is claimed.
		RootDeposit,
		/// A write request is pending.
		RequestDeposit,
	}

	/// A registered principal.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct PrincipalRecord<AccountId, Balance> {
		/// The principal's current keys.
		pub keys: Principal,
		/// The account that acts for the principal on chain.
		pub controller: AccountId,
		/// What is held from the controller.
		pub deposit: Balance,
	}

	/// A claimed root.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct RootRecord<BlockNumber, Balance> {
		/// When it was claimed.
		pub claimed_at: BlockNumber,
		/// What is held from the owner's controller.
		pub deposit: Balance,
	}

	/// A pending request for write access to part of a tree.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct WriteRequest<AccountId, BlockNumber, Balance> {
		/// Who asks.
		pub requester: PrincipalId,
		/// The requester's controller, who paid the deposit.
		pub payer: AccountId,
		/// The subtree asked for.
		pub prefix: BlockPath,
		/// The block after which the request has expired.
		pub expires_at: BlockNumber,
		/// What is held from the payer.
		pub deposit: Balance,
	}

	/// A request as stored.
	pub type WriteRequestOf<T> =
		WriteRequest<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, BalanceOf<T>>;

	/// Registered principals by id.
	#[pallet::storage]
	pub type PrincipalRecords<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		PrincipalId,
		PrincipalRecord<T::AccountId, BalanceOf<T>>,
	>;

	/// The principal each account controls.
	#[pallet::storage]
	pub type ControlledPrincipal<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PrincipalId>;

	/// Claimed roots, by owner.
	#[pallet::storage]
	pub type Roots<T: Config> =
		StorageMap<_, Blake2_128Concat, PrincipalId, RootRecord<BlockNumberFor<T>, BalanceOf<T>>>;

	/// A revoked write cap: when it was revoked, and when the cap would have expired anyway
	/// (after which the record may be removed: an expired cap fails verification by itself).
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Revocation<BlockNumber> {
		/// The block it was revoked in.
		pub revoked_at: BlockNumber,
		/// The cap's own expiry (unix milliseconds).
		pub cap_expires_at: u64,
	}

	/// Revoked write caps, until they expire.
	#[pallet::storage]
	pub type Revocations<T: Config> = StorageMap<_, Identity, CapId, Revocation<BlockNumberFor<T>>>;

	/// Pending write requests, by tree owner and request id.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		PrincipalId,
		Twox64Concat,
		RequestId,
		WriteRequestOf<T>,
	>;

	/// Number of pending requests per tree owner (bounded by `MaxPendingRequests`).
	#[pallet::storage]
	pub type PendingRequestCount<T: Config> =
		StorageMap<_, Blake2_128Concat, PrincipalId, u32, ValueQuery>;

	/// The id the next write request gets.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Caps published through approved requests, by subject and cap id.
	#[pallet::storage]
	pub type PublishedCaps<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		PrincipalId,
		Identity,
		CapId,
		SignedWriteCap,
	>;

	/// Number of published caps per subject (bounded by `MaxPublishedCaps`).
	#[pallet::storage]
	pub type PublishedCapCount<T: Config> =
		StorageMap<_, Blake2_128Concat, PrincipalId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A principal was registered.
		PrincipalRegistered { principal: PrincipalId, controller: T::AccountId },
		/// A principal's keys were replaced.
		KeysRotated { principal: PrincipalId },
		/// A principal claimed its root.
		RootClaimed { owner: PrincipalId },
		/// A write cap was revoked.
		WriteCapRevoked { cap: CapId, by: PrincipalId },
		/// A principal asked for write access to part of a tree.
		WriteAccessRequested {
			owner: PrincipalId,
			request: RequestId,
			requester: PrincipalId,
			prefix: BlockPath,
		},
		/// A write request was approved and its cap published.
		WriteAccessGranted { owner: PrincipalId, request: RequestId, subject: PrincipalId, cap: CapId },
		/// A write request was rejected.
		WriteAccessRejected { owner: PrincipalId, request: RequestId },
		/// A requester withdrew a write request.
		WriteRequestCancelled { owner: PrincipalId, request: RequestId },
		/// An expired write request was removed.
		WriteRequestExpired { owner: PrincipalId, request: RequestId },
		/// The revocation of a cap that has expired since was removed.
		RevocationRemoved { cap: CapId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A principal with these keys is already registered.
		PrincipalAlreadyRegistered,
		/// This account already controls a principal: use another account.
		AccountAlreadyControlsPrincipal,
		/// This account controls no principal: register one first.
		NoPrincipalForAccount,
		/// The proof of possession is not a signature of the registration message by the
		/// principal's signing key.
		InvalidProofOfPossession,
		/// No principal has this id.
		UnknownPrincipal,
		/// The root is already claimed.
		RootAlreadyClaimed,
		/// The tree's root is not claimed: its owner must claim it first.
		RootNotClaimed,
		/// The cap is already revoked.
		AlreadyRevoked,
		/// No revocation of this cap is recorded.
		RevocationNotFound,
		/// The revoked cap has not expired yet: its revocation must stay.
		CapNotExpired,
		/// Only a cap's issuer or the owner of the tree it covers may revoke it.
		NotAllowedToRevoke,
		/// The tree has too many pending write requests: try again later.
		TooManyPendingRequests,
		/// No pending request has this id.
		RequestNotFound,
		/// The request has expired.
		RequestExpired,
		/// The request has not expired yet.
		RequestNotExpired,
		/// Only the requester may cancel a request.
		NotTheRequester,
		/// Only the tree's owner may reject a request.
		NotTheTreeOwner,
		/// A principal writes its own tree without a cap.
		CannotRequestOwnTree,
		/// The cap is not for this request's requester and prefix.
		CapDoesNotMatchRequest,
		/// The cap must be issued by the approving principal.
		CapNotIssuedByApprover,
		/// The subject holds too many published caps.
		TooManyPublishedCaps,
		/// The writer presented no cap for a tree it does not own.
		NoCapability,
		/// The cap chain is longer than the maximum.
		CapChainTooLong,
		/// A link's issuer is not the previous link's subject (or the tree's owner).
		CapChainMissingLink,
		/// A cap's signature is not its issuer's.
		CapWrongSigner,
		/// A cap's issuer is not a registered principal.
		CapUnknownIssuer,
		/// A cap grants more than its issuer holds.
		CapScopeWidened,
		/// A cap in the chain has expired.
		CapExpired,
		/// A cap in the chain was revoked.
		CapRevoked,
		/// The path is outside the last cap's prefix.
		CapPathOutsideScope,
		/// The last cap was granted to another principal.
		CapWriterNotSubject,
	}

	impl<T> From<CapError> for Error<T> {
		fn from(e: CapError) -> Self {
			match e {
				CapError::NoCapability => Error::NoCapability,
				CapError::ChainTooLong => Error::CapChainTooLong,
				CapError::MissingLink => Error::CapChainMissingLink,
				CapError::WrongSigner => Error::CapWrongSigner,
				CapError::UnknownIssuer => Error::CapUnknownIssuer,
				CapError::ScopeWidened => Error::CapScopeWidened,
				CapError::Expired => Error::CapExpired,
				CapError::Revoked => Error::CapRevoked,
				CapError::PathOutsideScope => Error::CapPathOutsideScope,
				CapError::WriterNotSubject => Error::CapWriterNotSubject,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxPendingRequests::get() > 0, "MaxPendingRequests must allow a request");
			assert!(T::MaxPublishedCaps::get() > 0, "MaxPublishedCaps must allow a cap");
			assert!(!T::RequestLifetime::get().is_zero(), "requests must live at least a block");
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a principal controlled by the caller.
		///
		/// ## Dispatch Origin
		/// Signed by the account that will control the principal.
		///
		/// ## Details
		/// `proof` is the principal's signature of [`possession_message`] for the caller and
		/// `keys`, so nobody can register keys they do not hold. Holds `PrincipalDeposit`.
		///
		/// Errors: `AccountAlreadyControlsPrincipal`, `PrincipalAlreadyRegistered`,
		/// `InvalidProofOfPossession`, or the currency's error if the deposit cannot be held.
		/// Event: `PrincipalRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(origin: OriginFor<T>, keys: Principal, proof: Signature) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, keys, proof)
		}

		/// Replace the caller's principal's keys. Its id, root and caps stay; caps signed
		/// with the old key stop verifying.
		///
		/// ## Dispatch Origin
		/// Signed by the principal's controller.
		///
		/// ## Details
		/// `proof` is the new key's signature of [`possession_message`].
		///
		/// Errors: `NoPrincipalForAccount`, `InvalidProofOfPossession`. Event: `KeysRotated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::rotate_keys())]
		pub fn rotate_keys(origin: OriginFor<T>, new_keys: Principal, proof: Signature) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let id = Self::principal_of(&who)?;
			ensure!(
				new_keys.signing.verify(&possession_message(&who, &new_keys), &proof),
				Error::<T>::InvalidProofOfPossession
			);
			PrincipalRecords::<T>::mutate(id, |r| {
				if let Some(record) = r {
					record.keys = new_keys;
				}
			});
			Self::deposit_event(Event::KeysRotated { principal: id });
			Ok(())
		}

		/// Claim the root of the caller's principal: the tree `/<principal id>`.
		///
		/// ## Dispatch Origin
		/// Signed by the principal's controller.
		///
		/// ## Details
		/// Holds `RootDeposit`.
		///
		/// Errors: `NoPrincipalForAccount`, `RootAlreadyClaimed`. Event: `RootClaimed`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::claim_root())]
		pub fn claim_root(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let id = Self::principal_of(&who)?;
			ensure!(!Roots::<T>::contains_key(id), Error::<T>::RootAlreadyClaimed);
			let deposit = T::RootDeposit::get();
			T::Currency::hold(&HoldReason::RootDeposit.into(), &who, deposit)?;
			let claimed_at = frame_system::Pallet::<T>::block_number();
			Roots::<T>::insert(id, RootRecord { claimed_at, deposit });
			Self::deposit_event(Event::RootClaimed { owner: id });
			Ok(())
		}

		/// Revoke a write cap.
		///
		/// ## Dispatch Origin
		/// Signed by the controller of the cap's issuer, or of the owner of the tree the cap
		/// covers.
		///
		/// Errors: `NoPrincipalForAccount`, `NotAllowedToRevoke`, `AlreadyRevoked`.
		/// Event: `WriteCapRevoked`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::revoke_write_cap())]
		pub fn revoke_write_cap(origin: OriginFor<T>, cap: WriteCap) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let by = Self::principal_of(&who)?;
			ensure!(cap.issuer == by || cap.prefix.root() == by, Error::<T>::NotAllowedToRevoke);
			let id = cap.id();
			ensure!(!Revocations::<T>::contains_key(id), Error::<T>::AlreadyRevoked);
			let revoked_at = frame_system::Pallet::<T>::block_number();
			Revocations::<T>::insert(id, Revocation { revoked_at, cap_expires_at: cap.expires_at });
			Self::deposit_event(Event::WriteCapRevoked { cap: id, by });
			Ok(())
		}

		/// Ask the owner of `prefix`'s tree for write access below `prefix`.
		///
		/// ## Dispatch Origin
		/// Signed by the requesting principal's controller.
		///
		/// ## Details
		/// Holds `RequestDeposit` until the request is approved, rejected, cancelled or
		/// removed after expiry (`RequestLifetime` blocks).
		///
		/// Errors: `NoPrincipalForAccount`, `CannotRequestOwnTree`, `RootNotClaimed`,
		/// `TooManyPendingRequests`. Event: `WriteAccessRequested`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::request_write_access())]
		pub fn request_write_access(origin: OriginFor<T>, prefix: BlockPath) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let requester = Self::principal_of(&who)?;
			let owner = prefix.root();
			ensure!(owner != requester, Error::<T>::CannotRequestOwnTree);
			ensure!(Roots::<T>::contains_key(owner), Error::<T>::RootNotClaimed);
			let pending = PendingRequestCount::<T>::get(owner);
			ensure!(pending < T::MaxPendingRequests::get(), Error::<T>::TooManyPendingRequests);

			let deposit = T::RequestDeposit::get();
			T::Currency::hold(&HoldReason::RequestDeposit.into(), &who, deposit)?;
			let request = NextRequestId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			let expires_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::RequestLifetime::get());
			Requests::<T>::insert(
				owner,
				request,
				WriteRequest { requester, payer: who, prefix: prefix.clone(), expires_at, deposit },
			);
			PendingRequestCount::<T>::insert(owner, pending.saturating_add(1));
			Self::deposit_event(Event::WriteAccessRequested { owner, request, requester, prefix });
			Ok(())
		}

		/// Approve a write request by publishing `cap` for it.
		///
		/// ## Dispatch Origin
		/// Signed by the controller of the cap's issuer: the tree's owner, or a holder of a cap
		/// over the prefix who presents its own chain in `chain`.
		///
		/// ## Details
		/// `cap` must name the requester as subject and the requested prefix, and `chain`
		/// followed by `cap` must be a valid chain from the tree's owner to the requester. The
		/// cap is stored in `PublishedCaps` for the requester to fetch; the deposit returns.
		///
		/// Errors: `NoPrincipalForAccount`, `RequestNotFound`, `RequestExpired`,
		/// `CapDoesNotMatchRequest`, `CapNotIssuedByApprover`, `TooManyPublishedCaps`, any
		/// chain error (`CapWrongSigner`, `CapScopeWidened`, ...). Event: `WriteAccessGranted`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::approve_write_request(chain.len() as u32))]
		pub fn approve_write_request(
			origin: OriginFor<T>,
			owner: PrincipalId,
			request: RequestId,
			cap: SignedWriteCap,
			chain: WriteCapChain,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let approver = Self::principal_of(&who)?;
			let pending = Requests::<T>::get(owner, request).ok_or(Error::<T>::RequestNotFound)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() <= pending.expires_at,
				Error::<T>::RequestExpired
			);
			ensure!(
				cap.cap.subject == pending.requester && cap.cap.prefix == pending.prefix,
				Error::<T>::CapDoesNotMatchRequest
			);
			ensure!(cap.cap.issuer == approver, Error::<T>::CapNotIssuedByApprover);
			let count = PublishedCapCount::<T>::get(pending.requester);
			ensure!(count < T::MaxPublishedCaps::get(), Error::<T>::TooManyPublishedCaps);

			let mut full: alloc::vec::Vec<SignedWriteCap> = chain.into_inner();
			full.push(cap.clone());
			Self::check_write_access(&pending.requester, &pending.prefix, &full)?;

			let cap_id = cap.cap.id();
			PublishedCaps::<T>::insert(pending.requester, cap_id, cap);
			PublishedCapCount::<T>::insert(pending.requester, count.saturating_add(1));
			Self::close_request(owner, request, &pending)?;
			Self::deposit_event(Event::WriteAccessGranted {
				owner,
				request,
				subject: pending.requester,
				cap: cap_id,
			});
			Ok(())
		}

		/// Reject a write request.
		///
		/// ## Dispatch Origin
		/// Signed by the controller of the tree's owner.
		///
		/// Errors: `NoPrincipalForAccount`, `NotTheTreeOwner`, `RequestNotFound`.
		/// Event: `WriteAccessRejected`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reject_write_request())]
		pub fn reject_write_request(
			origin: OriginFor<T>,
			owner: PrincipalId,
			request: RequestId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Self::principal_of(&who)? == owner, Error::<T>::NotTheTreeOwner);
			let pending = Requests::<T>::get(owner, request).ok_or(Error::<T>::RequestNotFound)?;
			Self::close_request(owner, request, &pending)?;
			Self::deposit_event(Event::WriteAccessRejected { owner, request });
			Ok(())
		}

		/// Withdraw one's own write request.
		///
		/// ## Dispatch Origin
		/// Signed by the requester's controller.
		///
		/// Errors: `NoPrincipalForAccount`, `RequestNotFound`, `NotTheRequester`.
		/// Event: `WriteRequestCancelled`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::cancel_write_request())]
		pub fn cancel_write_request(
			origin: OriginFor<T>,
			owner: PrincipalId,
			request: RequestId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let requester = Self::principal_of(&who)?;
			let pending = Requests::<T>::get(owner, request).ok_or(Error::<T>::RequestNotFound)?;
			ensure!(pending.requester == requester, Error::<T>::NotTheRequester);
			Self::close_request(owner, request, &pending)?;
			Self::deposit_event(Event::WriteRequestCancelled { owner, request });
			Ok(())
		}

		/// Remove an expired write request and return its deposit to the requester.
		///
		/// ## Dispatch Origin
		/// Signed by anyone (housekeeping).
		///
		/// Errors: `RequestNotFound`, `RequestNotExpired`. Event: `WriteRequestExpired`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::remove_expired_request())]
		pub fn remove_expired_request(
			origin: OriginFor<T>,
			owner: PrincipalId,
			request: RequestId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			let pending = Requests::<T>::get(owner, request).ok_or(Error::<T>::RequestNotFound)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() > pending.expires_at,
				Error::<T>::RequestNotExpired
			);
			Self::close_request(owner, request, &pending)?;
			Self::deposit_event(Event::WriteRequestExpired { owner, request });
			Ok(())
		}

		/// Remove the revocation of a cap that has expired since (it fails verification as
		/// expired from then on), so that revocations do not accumulate forever.
		///
		/// ## Dispatch Origin
		/// Signed by anyone (housekeeping).
		///
		/// Errors: `RevocationNotFound`, `CapNotExpired`. Event: `RevocationRemoved`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::remove_expired_revocation())]
		pub fn remove_expired_revocation(origin: OriginFor<T>, cap: CapId) -> DispatchResult {
			ensure_signed(origin)?;
			let revocation = Revocations::<T>::get(cap).ok_or(Error::<T>::RevocationNotFound)?;
			let now = OnChainCapContext::<T>(PhantomData).now_ms();
			// The same rule as verification: a cap is expired from its `expires_at` on.
			ensure!(now >= revocation.cap_expires_at, Error::<T>::CapNotExpired);
			Revocations::<T>::remove(cap);
			Self::deposit_event(Event::RevocationRemoved { cap });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The principal `who` controls.
		pub fn principal_of(who: &T::AccountId) -> Result<PrincipalId, DispatchError> {
			ControlledPrincipal::<T>::get(who).ok_or(Error::<T>::NoPrincipalForAccount.into())
		}

		/// Registers `keys` for controller `who` (the work behind [`Pallet::register`]).
		pub fn do_register(who: T::AccountId, keys: Principal, proof: Signature) -> DispatchResult {
			ensure!(
				!ControlledPrincipal::<T>::contains_key(&who),
				Error::<T>::AccountAlreadyControlsPrincipal
			);
			let id = keys.id();
			ensure!(!PrincipalRecords::<T>::contains_key(id), Error::<T>::PrincipalAlreadyRegistered);
			ensure!(
				keys.signing.verify(&possession_message(&who, &keys), &proof),
				Error::<T>::InvalidProofOfPossession
			);
			let deposit = T::PrincipalDeposit::get();
			T::Currency::hold(&HoldReason::PrincipalDeposit.into(), &who, deposit)?;
			PrincipalRecords::<T>::insert(id, PrincipalRecord { keys, controller: who.clone(), deposit });
			ControlledPrincipal::<T>::insert(&who, id);
			Self::deposit_event(Event::PrincipalRegistered { principal: id, controller: who });
			Ok(())
		}

		/// Whether `writer` may write `path` with `chain`, by the rules every client applies,
		/// against this chain's principals, revocations and time.
		pub fn check_write_access(
			writer: &PrincipalId,
			path: &BlockPath,
			chain: &[SignedWriteCap],
		) -> Result<(), DispatchError> {
			Self::may_write(writer, path, chain).map_err(|e| Error::<T>::from(e).into())
		}

		/// [`Pallet::check_write_access`] with the verifier's own error (what the runtime API
		/// returns).
		pub fn may_write(writer: &PrincipalId, path: &BlockPath, chain: &[SignedWriteCap]) -> Result<(), CapError> {
			verify_write_access(writer, path, chain, &OnChainCapContext::<T>(PhantomData))
		}

		/// The pending requests for `owner`'s tree (at most `MaxPendingRequests`), oldest
		/// first.
		pub fn pending_requests(owner: PrincipalId) -> alloc::vec::Vec<(RequestId, WriteRequestOf<T>)> {
			let mut pending: alloc::vec::Vec<_> =
				Requests::<T>::iter_prefix(owner).take(T::MaxPendingRequests::get() as usize).collect();
			pending.sort_by_key(|(id, _)| *id);
			pending
		}

		fn close_request(
			owner: PrincipalId,
			request: RequestId,
			pending: &WriteRequestOf<T>,
		) -> DispatchResult {
			T::Currency::release(
				&HoldReason::RequestDeposit.into(),
				&pending.payer,
				pending.deposit,
				Precision::BestEffort,
			)?;
			Requests::<T>::remove(owner, request);
			PendingRequestCount::<T>::mutate(owner, |n| *n = n.saturating_sub(1));
			Ok(())
		}
	}

	impl<T: Config> blocktree_primitives::principal::PrincipalOf<T::AccountId> for Pallet<T> {
		fn principal_of(who: &T::AccountId) -> Option<PrincipalId> {
			ControlledPrincipal::<T>::get(who)
		}
	}

	/// The chain's view for cap checks: registered keys, revocations, the timestamp.
	pub struct OnChainCapContext<T>(pub PhantomData<T>);

	impl<T: Config> CapContext for OnChainCapContext<T> {
		fn principal(&self, id: &PrincipalId) -> Option<Principal> {
			PrincipalRecords::<T>::get(id).map(|r| r.keys)
		}

		fn is_revoked(&self, id: &CapId) -> bool {
			Revocations::<T>::contains_key(id)
		}

		fn now_ms(&self) -> u64 {
			T::UnixTime::now().as_millis().try_into().unwrap_or(u64::MAX)
		}
	}
}
