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
//! - **Chain tag**: the genesis hash of this chain ([`Pallet::chain_tag`]). Every cap and block
//!   header is signed for one chain tag, so a signature made for another network (a testnet, a
//!   fork with another genesis) never verifies here.
//! - **Write request**: a principal asks a tree's owner for write access to a prefix; the owner
//!   (or any holder of a cap over the prefix) approves by publishing a cap, or rejects. Requests
//!   expire after [`Config::RequestLifetime`] blocks.
//!
//! ## Deposits
//! Everything a caller makes this pallet store is paid for by a deposit held from the caller's
//! account, and every deposit is recorded with what it pays for:
//! - [`Config::PrincipalDeposit`] while a principal is registered, [`Config::RootDeposit`] while
//!   its root is claimed;
//! - [`Config::RequestDeposit`] while a write request is pending. It returns when the request
//!   is approved, cancelled or removed after expiry, but goes to the tree owner's controller
//!   when the owner **rejects** it: a requester that fills a tree's request slots pays the owner
//!   for each rejection, and cannot file again for free;
//! - [`Config::RevocationDeposit`] while a revocation is recorded: it returns to whoever paid it
//!   when the revoked cap has expired and anyone calls
//!   [`remove_expired_revocation`](Pallet::remove_expired_revocation). A revocation of a cap
//!   that never expires holds its deposit for good.
//!
//! One requester holds at most [`Config::MaxRequestsPerRequester`] of a tree's
//! [`Config::MaxPendingRequests`] slots, so filling a tree takes
//! `MaxPendingRequests / MaxRequestsPerRequester` registered principals (a
//! `PrincipalDeposit` each), and every rejection forfeits a `RequestDeposit`.
//!
//! ## Dispatchables
//! - [`register`](Pallet::register): register a principal (with proof of key possession), for a
//!   deposit.
//! - [`rotate_keys`](Pallet::rotate_keys): replace a principal's keys; its id stays.
//! - [`claim_root`](Pallet::claim_root): claim the principal's tree, for a deposit.
//! - [`revoke_write_cap`](Pallet::revoke_write_cap): revoke a cap one issued, or any cap over
//!   one's own tree, for a deposit;
//!   [`remove_expired_revocation`](Pallet::remove_expired_revocation): drop a revocation once
//!   its cap has expired, returning the deposit.
//! - [`request_write_access`](Pallet::request_write_access),
//!   [`approve_write_request`](Pallet::approve_write_request),
//!   [`reject_write_request`](Pallet::reject_write_request),
//!   [`cancel_write_request`](Pallet::cancel_write_request),
//!   [`remove_expired_request`](Pallet::remove_expired_request): the request flow.
//! - [`remove_published_cap`](Pallet::remove_published_cap): unpublish a cap published by an
//!   approval, freeing the subject's slot.
//!
//! ## Use from another pallet
//! ```ignore
//! // May `writer` write `path` with `chain`? Same verdict as every client's.
//! pallet_principals::Pallet::<T>::check_write_access(&writer, &path, &chain)?;
//! // May account `who` record this signed block header? (Writer controlled by `who`, header
//! // signed by the writer for this chain, writer's cap chain valid now.)
//! use blocktree_primitives::cap::BlockWriteAuthority;
//! pallet_principals::Pallet::<T>::check_block_header(&who, &header)?;
//! ```
//!
//! ## Low-level / implementation details
//! - The pallet has no per-block hooks: all work is done by calls, each with a benchmarked
//!   weight. Expired requests and revocations stay until someone removes them (anyone may).
//! - [`Pallet::do_try_state`] (the `try_state` hook under `try-runtime`) checks the pallet's
//!   bookkeeping: request and published-cap counters against the records they count, the
//!   account ⇄ principal indexes against each other, and every account's holds against the
//!   deposits recorded for it.
//! - Storage version 2 changed the revocation record (it names the payer and deposit) and added
//!   the per-requester request counter. There is no migration: no live network ran version 1,
//!   and dev/local chains are started afresh.

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
	cap::{CapContext, CapError, CapId, ChainTag},
	principal::{Principal, PrincipalId},
};

/// Domain tag of the proof that a registrant holds a principal's signing key.
pub const REGISTRATION_PROOF_DOMAIN: &[u8] = b"blocktree:register-principal:v1";

/// Key type under which benchmarks keep the keys of the principals they register.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"btpr");

/// The message a principal's signing key signs to prove possession when `account` registers it
/// or rotates to it.
pub fn possession_message<AccountId: codec::Encode>(account: &AccountId, keys: &Principal) -> alloc::vec::Vec<u8> {
	codec::Encode::encode(&(REGISTRATION_PROOF_DOMAIN, account, keys))
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use blocktree_primitives::{
		block::SignedBlockHeader,
		cap::{verify_write_access, BlockWriteAuthority, SignedWriteCap, WriteCap, WriteCapChain},
		path::BlockPath,
		principal::Signature,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
			DefensiveSaturating, UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};

	/// Balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// Identifies a write request within a tree.
	pub type RequestId = u64;

	/// The current storage version (see the crate doc: no migration from 1, chains are reset).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet. The chain's hash type must be `H256`: its genesis hash is
	/// the [`ChainTag`] caps and block headers are signed for.
	#[pallet::config]
	pub trait Config: frame_system::Config<Hash = sp_core::H256> {
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

		/// Held from a requester while a write request is pending; forfeited to the tree
		/// owner's controller if the owner rejects the request.
		#[pallet::constant]
		type RequestDeposit: Get<BalanceOf<Self>>;

		/// Held from the revoker while a revocation is recorded, that is until the revoked cap
		/// has expired and the revocation is removed. Makes revocations (which anyone with a
		/// principal may record for made-up caps over its own tree) cost what they store.
		#[pallet::constant]
		type RevocationDeposit: Get<BalanceOf<Self>>;

		/// Blocks a write request stays pending before it expires.
		#[pallet::constant]
		type RequestLifetime: Get<BlockNumberFor<Self>>;

		/// Most pending write requests one tree can have.
		#[pallet::constant]
		type MaxPendingRequests: Get<u32>;

		/// Most pending write requests one requester can have on one tree. Less than
		/// `MaxPendingRequests`, so that no single principal can take all of a tree's slots.
		#[pallet::constant]
		type MaxRequestsPerRequester: Get<u32>;

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
		/// A revocation is recorded.
		RevocationDeposit,
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

	/// A revoked write cap: when it was revoked, when the cap would have expired anyway (after
	/// which the record may be removed: an expired cap fails verification by itself), and the
	/// deposit that pays for the record.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Revocation<AccountId, BlockNumber, Balance> {
		/// The block it was revoked in.
		pub revoked_at: BlockNumber,
		/// The cap's own expiry (unix milliseconds).
		pub cap_expires_at: u64,
		/// The revoker's controller, who paid the deposit and gets it back on removal.
		pub payer: AccountId,
		/// What is held from the payer.
		pub deposit: Balance,
	}

	/// A revocation as stored.
	pub type RevocationOf<T> =
		Revocation<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, BalanceOf<T>>;

	/// Registered principals by id.
	#[pallet::storage]
	pub type PrincipalRecords<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		PrincipalId,
		PrincipalRecord<T::AccountId, BalanceOf<T>>,
	>;

	/// The principal each account controls (the inverse of `PrincipalRecords`' controller).
	#[pallet::storage]
	pub type ControlledPrincipal<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PrincipalId>;

	/// Claimed roots, by owner.
	#[pallet::storage]
	pub type Roots<T: Config> =
		StorageMap<_, Blake2_128Concat, PrincipalId, RootRecord<BlockNumberFor<T>, BalanceOf<T>>>;

	/// Revoked write caps, until they expire and someone removes the record.
	#[pallet::storage]
	pub type Revocations<T: Config> = StorageMap<_, Identity, CapId, RevocationOf<T>>;

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

	/// Number of pending requests per tree owner (bounded by `MaxPendingRequests`; no entry
	/// when zero).
	#[pallet::storage]
	pub type PendingRequestCount<T: Config> =
		StorageMap<_, Blake2_128Concat, PrincipalId, u32, ValueQuery>;

	/// Number of pending requests per tree owner and requester (bounded by
	/// `MaxRequestsPerRequester`; no entry when zero).
	#[pallet::storage]
	pub type RequesterRequestCount<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		PrincipalId,
		Blake2_128Concat,
		PrincipalId,
		u32,
		ValueQuery,
	>;

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

	/// Number of published caps per subject (bounded by `MaxPublishedCaps`; no entry when
	/// zero).
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
		/// A write cap was revoked (and `RevocationDeposit` held from the revoker's controller).
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
		/// A write request was rejected; its deposit went to the tree owner's controller.
		WriteAccessRejected { owner: PrincipalId, request: RequestId },
		/// A requester withdrew a write request.
		WriteRequestCancelled { owner: PrincipalId, request: RequestId },
		/// An expired write request was removed.
		WriteRequestExpired { owner: PrincipalId, request: RequestId },
		/// The revocation of a cap that has expired since was removed; its deposit returned to
		/// the revoker's controller.
		RevocationRemoved { cap: CapId },
		/// A published cap was removed from `PublishedCaps` (it is not revoked by this).
		PublishedCapRemoved { subject: PrincipalId, cap: CapId, by: PrincipalId },
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
		/// This requester already has `MaxRequestsPerRequester` pending requests on this tree:
		/// wait for an answer, or cancel one.
		TooManyRequestsFromRequester,
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
		/// The subject holds too many published caps: it may remove one first.
		TooManyPublishedCaps,
		/// This cap is already published for its subject: approve with a fresh cap (another
		/// nonce).
		CapAlreadyPublished,
		/// No published cap has this id for this subject.
		PublishedCapNotFound,
		/// Only the controller of a published cap's subject, of its issuer, or of the owner of
		/// the tree it covers may remove it.
		NotAllowedToRemoveCap,
		/// The signing account does not control the header's writer principal.
		NotWritersController,
		/// The block header is not signed by its writer's current key for this chain.
		InvalidBlockSignature,
		/// The writer presented no cap for a tree it does not own.
		NoCapability,
		/// The cap chain is longer than the maximum.
		CapChainTooLong,
		/// A link's issuer is not the previous link's subject (or the tree's owner).
		CapChainMissingLink,
		/// A cap's signature is not its issuer's (for this chain).
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
			assert!(
				T::MaxRequestsPerRequester::get() > 0,
				"MaxRequestsPerRequester must allow a request"
			);
			assert!(
				T::MaxRequestsPerRequester::get() < T::MaxPendingRequests::get(),
				"one requester must not be able to take all of a tree's request slots"
			);
			assert!(T::MaxPublishedCaps::get() > 0, "MaxPublishedCaps must allow a cap");
			assert!(!T::RequestLifetime::get().is_zero(), "requests must live at least a block");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
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
			Self::do_claim_root(&who)
		}

		/// Revoke a write cap, for a deposit.
		///
		/// ## Dispatch Origin
		/// Signed by the controller of the cap's issuer, or of the owner of the tree the cap
		/// covers.
		///
		/// ## Details
		/// The cap need not be signed or known: an issuer may revoke a cap before handing it
		/// out. The revocation is stored until the cap's own `expires_at` has passed and
		/// someone calls [`remove_expired_revocation`](Pallet::remove_expired_revocation), and
		/// `RevocationDeposit` is held from the caller for as long (for good, if the cap never
		/// expires).
		///
		/// Errors: `NoPrincipalForAccount`, `NotAllowedToRevoke`, `AlreadyRevoked`, or the
		/// currency's error if the deposit cannot be held. Event: `WriteCapRevoked`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::revoke_write_cap())]
		pub fn revoke_write_cap(origin: OriginFor<T>, cap: WriteCap) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let by = Self::principal_of(&who)?;
			ensure!(cap.issuer == by || cap.prefix.root() == by, Error::<T>::NotAllowedToRevoke);
			let id = cap.id();
			ensure!(!Revocations::<T>::contains_key(id), Error::<T>::AlreadyRevoked);
			let deposit = T::RevocationDeposit::get();
			T::Currency::hold(&HoldReason::RevocationDeposit.into(), &who, deposit)?;
			let revoked_at = frame_system::Pallet::<T>::block_number();
			Revocations::<T>::insert(
				id,
				Revocation { revoked_at, cap_expires_at: cap.expires_at, payer: who, deposit },
			);
			Self::deposit_event(Event::WriteCapRevoked { cap: id, by });
			Ok(())
		}

		/// Ask the owner of `prefix`'s tree for write access below `prefix`.
		///
		/// ## Dispatch Origin
		/// Signed by the requesting principal's controller.
		///
		/// ## Details
		/// Holds `RequestDeposit` until the request is approved, cancelled or removed after
		/// expiry (`RequestLifetime` blocks), when it returns; if the owner rejects the
		/// request, the deposit goes to the owner's controller. A tree has at most
		/// `MaxPendingRequests` pending requests, at most `MaxRequestsPerRequester` of them
		/// from one requester.
		///
		/// Errors: `NoPrincipalForAccount`, `CannotRequestOwnTree`, `RootNotClaimed`,
		/// `TooManyPendingRequests`, `TooManyRequestsFromRequester`, or the currency's error if
		/// the deposit cannot be held. Event: `WriteAccessRequested`.
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
			let mine = RequesterRequestCount::<T>::get(owner, requester);
			ensure!(
				mine < T::MaxRequestsPerRequester::get(),
				Error::<T>::TooManyRequestsFromRequester
			);

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
			RequesterRequestCount::<T>::insert(owner, requester, mine.saturating_add(1));
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
		/// `cap` must name the requester as subject and the requested prefix, must not be
		/// published already, and `chain` followed by `cap` must be a valid chain from the
		/// tree's owner to the requester. The cap is stored in `PublishedCaps` for the
		/// requester to fetch; the deposit returns.
		///
		/// Errors: `NoPrincipalForAccount`, `RequestNotFound`, `RequestExpired`,
		/// `CapDoesNotMatchRequest`, `CapNotIssuedByApprover`, `CapAlreadyPublished`,
		/// `TooManyPublishedCaps`, any chain error (`CapWrongSigner`, `CapScopeWidened`, ...).
		/// Event: `WriteAccessGranted`.
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
			let cap_id = cap.cap.id();
			ensure!(
				!PublishedCaps::<T>::contains_key(pending.requester, cap_id),
				Error::<T>::CapAlreadyPublished
			);
			let count = PublishedCapCount::<T>::get(pending.requester);
			ensure!(count < T::MaxPublishedCaps::get(), Error::<T>::TooManyPublishedCaps);

			let mut full: alloc::vec::Vec<SignedWriteCap> = chain.into_inner();
			full.push(cap.clone());
			Self::check_write_access(&pending.requester, &pending.prefix, &full)?;

			PublishedCaps::<T>::insert(pending.requester, cap_id, cap);
			PublishedCapCount::<T>::insert(pending.requester, count.saturating_add(1));
			Self::refund_request(owner, request, &pending)?;
			Self::deposit_event(Event::WriteAccessGranted {
				owner,
				request,
				subject: pending.requester,
				cap: cap_id,
			});
			Ok(())
		}

		/// Reject a write request; its deposit goes to the caller.
		///
		/// ## Dispatch Origin
		/// Signed by the controller of the tree's owner.
		///
		/// ## Details
		/// The requester's `RequestDeposit` is transferred from its hold to the caller's free
		/// balance, so a principal that fills a tree's request slots pays the owner for each
		/// one rejected, instead of getting its deposit back to file again.
		///
		/// Errors: `NoPrincipalForAccount`, `NotTheTreeOwner`, `RequestNotFound`, or the
		/// currency's error if the deposit cannot be moved. Event: `WriteAccessRejected`.
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
			T::Currency::transfer_on_hold(
				&HoldReason::RequestDeposit.into(),
				&pending.payer,
				&who,
				pending.deposit,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)?;
			Self::remove_request(owner, request, &pending);
			Self::deposit_event(Event::WriteAccessRejected { owner, request });
			Ok(())
		}

		/// Withdraw one's own write request; its deposit returns.
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
			Self::refund_request(owner, request, &pending)?;
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
			Self::refund_request(owner, request, &pending)?;
			Self::deposit_event(Event::WriteRequestExpired { owner, request });
			Ok(())
		}

		/// Remove the revocation of a cap that has expired since (it fails verification as
		/// expired from then on), so that revocations do not accumulate forever.
		///
		/// ## Dispatch Origin
		/// Signed by anyone (housekeeping).
		///
		/// ## Details
		/// The revocation's deposit returns to the account that paid it.
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
			T::Currency::release(
				&HoldReason::RevocationDeposit.into(),
				&revocation.payer,
				revocation.deposit,
				Precision::BestEffort,
			)?;
			Revocations::<T>::remove(cap);
			Self::deposit_event(Event::RevocationRemoved { cap });
			Ok(())
		}

		/// Remove a published cap from `PublishedCaps`, freeing one of its subject's
		/// `MaxPublishedCaps` slots.
		///
		/// ## Dispatch Origin
		/// Signed by the controller of the cap's subject, of its issuer, or of the owner of the
		/// tree it covers.
		///
		/// ## Details
		/// Only the published copy goes: the cap itself stays valid for whoever holds it. To
		/// void it, [`revoke_write_cap`](Pallet::revoke_write_cap) it.
		///
		/// Errors: `NoPrincipalForAccount`, `PublishedCapNotFound`, `NotAllowedToRemoveCap`.
		/// Event: `PublishedCapRemoved`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::remove_published_cap())]
		pub fn remove_published_cap(
			origin: OriginFor<T>,
			subject: PrincipalId,
			cap: CapId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let by = Self::principal_of(&who)?;
			let published =
				PublishedCaps::<T>::get(subject, cap).ok_or(Error::<T>::PublishedCapNotFound)?;
			ensure!(
				by == subject || by == published.cap.issuer || by == published.cap.prefix.root(),
				Error::<T>::NotAllowedToRemoveCap
			);
			PublishedCaps::<T>::remove(subject, cap);
			PublishedCapCount::<T>::mutate_exists(subject, Self::decrement);
			Self::deposit_event(Event::PublishedCapRemoved { subject, cap, by });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The principal `who` controls.
		pub fn principal_of(who: &T::AccountId) -> Result<PrincipalId, DispatchError> {
			ControlledPrincipal::<T>::get(who).ok_or(Error::<T>::NoPrincipalForAccount.into())
		}

		/// This chain's tag, which caps and block headers are signed for: its genesis hash.
		pub fn chain_tag() -> ChainTag {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
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

		/// Claims the root of the principal `who` controls (the work behind
		/// [`Pallet::claim_root`]).
		pub fn do_claim_root(who: &T::AccountId) -> DispatchResult {
			let id = Self::principal_of(who)?;
			ensure!(!Roots::<T>::contains_key(id), Error::<T>::RootAlreadyClaimed);
			let deposit = T::RootDeposit::get();
			T::Currency::hold(&HoldReason::RootDeposit.into(), who, deposit)?;
			let claimed_at = frame_system::Pallet::<T>::block_number();
			Roots::<T>::insert(id, RootRecord { claimed_at, deposit });
			Self::deposit_event(Event::RootClaimed { owner: id });
			Ok(())
		}

		/// Whether `writer` may write `path` with `chain`, by the rules every client applies,
		/// against this chain's principals, revocations, time and chain tag.
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

		/// Returns a request's deposit to its payer and removes the request.
		fn refund_request(
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
			Self::remove_request(owner, request, pending);
			Ok(())
		}

		/// Removes a request and counts it out of its tree's and its requester's counters (the
		/// deposit is the caller's business).
		fn remove_request(owner: PrincipalId, request: RequestId, pending: &WriteRequestOf<T>) {
			Requests::<T>::remove(owner, request);
			PendingRequestCount::<T>::mutate_exists(owner, Self::decrement);
			RequesterRequestCount::<T>::mutate_exists(owner, pending.requester, Self::decrement);
		}

		/// One less in a counter stored without zero entries.
		fn decrement(count: &mut Option<u32>) {
			let mut n = count.unwrap_or_default();
			n.defensive_saturating_dec();
			*count = if n == 0 { None } else { Some(n) };
		}

		/// Checks the pallet's invariants:
		/// - `PendingRequestCount` of each owner is the number of its `Requests`, at most
		///   `MaxPendingRequests`; `RequesterRequestCount` of each (owner, requester) is the
		///   number of the owner's requests by that requester, at most
		///   `MaxRequestsPerRequester`; every request is for a claimed root, by a registered
		///   requester whose controller paid, with an id below `NextRequestId`;
		/// - `PublishedCapCount` of each subject is the number of its `PublishedCaps`, at most
		///   `MaxPublishedCaps`, each stored under its own id and subject;
		/// - `ControlledPrincipal` and `PrincipalRecords`' controllers agree both ways, and
		///   every root belongs to a registered principal;
		/// - every account's balance on hold, for each [`HoldReason`], is the sum of the
		///   deposits this pallet recorded for it (principals, roots, requests, revocations).
		#[cfg(any(feature = "std", feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::{BTreeMap, BTreeSet};
			use frame_support::traits::fungible::InspectHold;

			// Principals and controllers.
			for (account, id) in ControlledPrincipal::<T>::iter() {
				let record = PrincipalRecords::<T>::get(id)
					.ok_or("ControlledPrincipal names an unregistered principal")?;
				ensure!(
					record.controller == account,
					"ControlledPrincipal disagrees with the controller"
				);
			}
			for (id, record) in PrincipalRecords::<T>::iter() {
				ensure!(
					ControlledPrincipal::<T>::get(&record.controller) == Some(id),
					"a principal's controller does not map back to it"
				);
			}
			for owner in Roots::<T>::iter_keys() {
				ensure!(
					PrincipalRecords::<T>::contains_key(owner),
					"a root of an unregistered principal"
				);
			}

			// Requests and their counters.
			let mut per_owner: BTreeMap<PrincipalId, u32> = BTreeMap::new();
			let mut per_requester: BTreeMap<(PrincipalId, PrincipalId), u32> = BTreeMap::new();
			let next_id = NextRequestId::<T>::get();
			for (owner, id, request) in Requests::<T>::iter() {
				ensure!(id < next_id, "a request id at or above NextRequestId");
				ensure!(Roots::<T>::contains_key(owner), "a request for an unclaimed root");
				ensure!(request.prefix.root() == owner, "a request filed under another tree");
				let requester = PrincipalRecords::<T>::get(request.requester)
					.ok_or("a request by an unregistered principal")?;
				ensure!(requester.controller == request.payer, "a request paid by another account");
				*per_owner.entry(owner).or_default() += 1;
				*per_requester.entry((owner, request.requester)).or_default() += 1;
			}
			let mut owners: BTreeSet<PrincipalId> = PendingRequestCount::<T>::iter_keys().collect();
			owners.extend(per_owner.keys().copied());
			for owner in owners {
				let counted = PendingRequestCount::<T>::get(owner);
				ensure!(
					counted == per_owner.get(&owner).copied().unwrap_or_default(),
					"PendingRequestCount differs from the owner's requests"
				);
				ensure!(
					counted <= T::MaxPendingRequests::get(),
					"more pending requests than allowed"
				);
			}
			let mut pairs: BTreeSet<(PrincipalId, PrincipalId)> =
				RequesterRequestCount::<T>::iter_keys().collect();
			pairs.extend(per_requester.keys().copied());
			for (owner, requester) in pairs {
				let counted = RequesterRequestCount::<T>::get(owner, requester);
				ensure!(
					counted == per_requester.get(&(owner, requester)).copied().unwrap_or_default(),
					"RequesterRequestCount differs from the requester's requests"
				);
				ensure!(
					counted <= T::MaxRequestsPerRequester::get(),
					"more requests from one requester than allowed"
				);
			}

			// Published caps and their counters.
			let mut per_subject: BTreeMap<PrincipalId, u32> = BTreeMap::new();
			for (subject, id, cap) in PublishedCaps::<T>::iter() {
				ensure!(cap.cap.subject == subject, "a cap published under another subject");
				ensure!(cap.cap.id() == id, "a cap published under another id");
				*per_subject.entry(subject).or_default() += 1;
			}
			let mut subjects: BTreeSet<PrincipalId> = PublishedCapCount::<T>::iter_keys().collect();
			subjects.extend(per_subject.keys().copied());
			for subject in subjects {
				let counted = PublishedCapCount::<T>::get(subject);
				ensure!(
					counted == per_subject.get(&subject).copied().unwrap_or_default(),
					"PublishedCapCount differs from the subject's published caps"
				);
				ensure!(counted <= T::MaxPublishedCaps::get(), "more published caps than allowed");
			}

			// Holds equal the recorded deposits, per account and reason.
			const REASONS: [HoldReason; 4] = [
				HoldReason::PrincipalDeposit,
				HoldReason::RootDeposit,
				HoldReason::RequestDeposit,
				HoldReason::RevocationDeposit,
			];
			let mut expected: BTreeMap<T::AccountId, [BalanceOf<T>; 4]> = BTreeMap::new();
			let mut add = |account: &T::AccountId, reason: usize, amount: BalanceOf<T>| {
				let sums = expected.entry(account.clone()).or_insert([Zero::zero(); 4]);
				sums[reason] = sums[reason].saturating_add(amount);
			};
			for (id, record) in PrincipalRecords::<T>::iter() {
				add(&record.controller, 0, record.deposit);
				if let Some(root) = Roots::<T>::get(id) {
					add(&record.controller, 1, root.deposit);
				}
			}
			for request in Requests::<T>::iter_values() {
				add(&request.payer, 2, request.deposit);
			}
			for revocation in Revocations::<T>::iter_values() {
				add(&revocation.payer, 3, revocation.deposit);
			}
			let mut accounts: BTreeSet<T::AccountId> =
				frame_system::Account::<T>::iter_keys().collect();
			accounts.extend(expected.keys().cloned());
			for account in accounts {
				let sums = expected.get(&account).copied().unwrap_or([Zero::zero(); 4]);
				for (i, reason) in REASONS.iter().enumerate() {
					ensure!(
						T::Currency::balance_on_hold(&(*reason).into(), &account) == sums[i],
						"an account's hold differs from the deposits recorded for it"
					);
				}
			}
			Ok(())
		}
	}

	impl<T: Config> blocktree_primitives::principal::PrincipalOf<T::AccountId> for Pallet<T> {
		fn principal_of(who: &T::AccountId) -> Option<PrincipalId> {
			ControlledPrincipal::<T>::get(who)
		}
	}

	impl<T: Config> BlockWriteAuthority<T::AccountId> for Pallet<T> {
		/// `who` must control the header's writer (`UnknownPrincipal` if the writer is not
		/// registered, `NotWritersController` otherwise), the header must be signed by the
		/// writer's current key for this chain (`InvalidBlockSignature`), and the header's cap
		/// chain must let the writer write its path now ([`Pallet::check_write_access`]'s
		/// errors).
		fn check_block_header(
			who: &T::AccountId,
			header: &SignedBlockHeader,
		) -> Result<(), DispatchError> {
			let h = &header.header;
			let writer = PrincipalRecords::<T>::get(h.writer).ok_or(Error::<T>::UnknownPrincipal)?;
			ensure!(writer.controller == *who, Error::<T>::NotWritersController);
			ensure!(
				header.signature_is_valid(&writer.keys, &Self::chain_tag()),
				Error::<T>::InvalidBlockSignature
			);
			Self::check_write_access(&h.writer, &h.path, &h.write_caps)
		}

		/// Registers (and funds) the principals it takes through the keystore host functions:
		/// one for `who` unless it controls one whose key is in the keystore, and for
		/// `links > 0` a tree owner and `links - 1` delegates, each granting `/<owner>/b` to
		/// the next, the last to `who`'s principal. Returns the header of a block at
		/// `/<owner>/b/<seed>` signed by `who`'s principal for this chain, with the most read
		/// caps a header can carry (the largest header to verify). `None` if `who` controls a
		/// principal whose key is not in the keystore, or `links` exceeds `MAX_CAP_CHAIN`.
		#[cfg(feature = "runtime-benchmarks")]
		fn signed_header_for_benchmark(
			who: &T::AccountId,
			seed: u32,
			links: u32,
		) -> Option<SignedBlockHeader> {
			use blocktree_primitives::{
				block::{BlockHeader, ReadCap, DEFAULT_SECTOR_SIZE, MAX_READ_CAPS, WRAPPED_KEY_LEN},
				cap::MAX_CAP_CHAIN,
			};
			if links > MAX_CAP_CHAIN {
				return None;
			}
			let tag = Self::chain_tag();
			let writer = Self::benchmark_principal(who)?;
			let mut chain = alloc::vec::Vec::new();
			let owner = if links == 0 {
				writer
			} else {
				let owner_account: T::AccountId =
					frame_benchmarking::account("bt-owner", seed, links);
				let owner = Self::benchmark_principal(&owner_account)?;
				let prefix = BlockPath::root_of(&owner.0).join("b").ok()?;
				let mut issuer = owner;
				for i in 0..links {
					let subject = if i + 1 == links {
						writer
					} else {
						let account: T::AccountId =
							frame_benchmarking::account("bt-delegate", seed, i);
						Self::benchmark_principal(&account)?
					};
					let cap = WriteCap {
						issuer: issuer.0,
						subject: subject.0,
						prefix: prefix.clone(),
						expires_at: u64::MAX,
						nonce: seed.into(),
					};
					let signature = Self::benchmark_sign(&issuer.1, &cap.signing_payload(&tag))?;
					chain.push(SignedWriteCap { cap, signature });
					issuer = subject;
				}
				owner
			};
			let path = BlockPath::root_of(&owner.0)
				.join("b")
				.ok()?
				.join(&alloc::format!("{seed}"))
				.ok()?;
			let read_caps = (0..MAX_READ_CAPS)
				.map(|i| ReadCap {
					reader: PrincipalId::repeat_byte(i as u8),
					ephemeral: [i as u8; 32],
					wrapped_key: [0; WRAPPED_KEY_LEN],
				})
				.collect::<alloc::vec::Vec<_>>();
			let header = BlockHeader {
				path,
				version: 1,
				writer: writer.0,
				write_caps: chain.try_into().ok()?,
				read_caps: read_caps.try_into().ok()?,
				sector_size: DEFAULT_SECTOR_SIZE,
				plaintext_len: DEFAULT_SECTOR_SIZE.into(),
				nonce_prefix: [0; 16],
				merkle_root: sp_core::H256::repeat_byte(0xb7),
			};
			let signature = Self::benchmark_sign(&writer.1, &header.signing_payload(&tag))?;
			Some(SignedBlockHeader { header, signature })
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl<T: Config> Pallet<T> {
		/// The principal `account` controls with its sr25519 key in the keystore: the one it
		/// has if its key is there (`None` if not), else a fresh one, registered with its root
		/// claimed after funding `account` for the deposits.
		pub(crate) fn benchmark_principal(
			account: &T::AccountId,
		) -> Option<(PrincipalId, sp_core::sr25519::Public)> {
			use blocktree_primitives::principal::SigningKey;
			use frame_support::traits::fungible::Unbalanced;
			if let Some(id) = ControlledPrincipal::<T>::get(account) {
				let record = PrincipalRecords::<T>::get(id)?;
				let SigningKey::Sr25519(public) = record.keys.signing else { return None };
				// Whether the keystore holds the key.
				Self::benchmark_sign(&public, b"probe")?;
				return Some((id, public));
			}
			let deposits = T::PrincipalDeposit::get()
				.saturating_add(T::RootDeposit::get())
				.saturating_add(T::RequestDeposit::get())
				.saturating_add(T::RevocationDeposit::get());
			let funds =
				deposits.saturating_mul(10u32.into()).saturating_add(T::Currency::minimum_balance());
			T::Currency::increase_balance(account, funds, Precision::BestEffort).ok()?;
			T::Currency::set_total_issuance(T::Currency::total_issuance().saturating_add(funds));
			let public = sp_io::crypto::sr25519_generate(BENCHMARK_KEY_TYPE, None);
			let keys = Principal {
				signing: SigningKey::Sr25519(public),
				encryption: sp_io::hashing::blake2_256(&public.0),
			};
			let proof = Self::benchmark_sign(&public, &possession_message(account, &keys))?;
			Self::do_register(account.clone(), keys, proof).ok()?;
			Self::do_claim_root(account).ok()?;
			Some((keys.id(), public))
		}

		/// `public`'s signature of `message`, made in the keystore.
		pub(crate) fn benchmark_sign(
			public: &sp_core::sr25519::Public,
			message: &[u8],
		) -> Option<Signature> {
			sp_io::crypto::sr25519_sign(BENCHMARK_KEY_TYPE, public, message).map(Signature::Sr25519)
		}
	}

	/// The chain's view for cap checks: registered keys, revocations, the timestamp, the
	/// genesis hash.
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

		fn chain_tag(&self) -> ChainTag {
			Pallet::<T>::chain_tag()
		}
	}
}
