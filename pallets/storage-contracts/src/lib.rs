//! # Storage contracts pallet
//!
//! The storage market. Providers advertise **offers** (capacity, price per byte per period,
//! collateral per byte, minimum duration); a client opens a **contract** against an offer, which
//! is the one recorded agreement between them: the client's whole payment is held in escrow,
//! the provider's collateral is held, and the offer's capacity shrinks.
//!
//! Life of a contract (`PeriodLength` blocks per period, `periods` periods):
//! - Every completed period is **settled** (anyone may call [`settle`](Pallet::settle), the
//!   provider usually does): its payment, `bytes * price_per_byte`, moves from the client's
//!   escrow to the provider, unless the provider missed a storage proof in that period, in which
//!   case the payment goes back to the client.
//! - After the last period the contract **completes**: the collateral is released to the
//!   provider.
//! - A provider that misses proofs in `MaxFaults` distinct periods is **slashed**: completed
//!   periods are settled as above, the rest of the escrow goes back to the client, and the
//!   whole collateral goes to the client. The contract ends.
//! - Ending early ([`end_contract`](Pallet::end_contract)): by the **client**, completed periods
//!   are settled, the provider also gets the running period's payment in full (the notice fee),
//!   the rest is refunded and the collateral released; by the **provider**, completed periods
//!   are settled, the rest is refunded and the collateral goes to the client, as for a slash.
//!
//! Rules that keep the market honest (see docs/known-issues.md for the attacks they answer):
//! - **Stated terms**: `open_contract` names the highest price and the lowest collateral the
//!   client accepts, so a provider cannot change the deal between signing and inclusion.
//! - **Slots are worth something**: every offer has a minimum contract size, so nobody fills a
//!   provider's `MaxContractsPerAccount` slots with one-byte contracts.
//! - **Faults**: a missed proof or a fragment dropped by its holder faults the period it
//!   happened in (its payment goes back to the client), and is a **strike**: misses count one
//!   strike per period, each dropped fragment one of its own, and `MaxFaults` strikes slash.
//!   Dropping everything therefore costs the collateral, not one period's pay. Faults after the term are ignored: liability ends with the term,
//!   whether or not anyone settled yet.
//! - **Nothing jams**: a payment below the existential deposit to a provider account that is
//!   gone waits in escrow as `owed`; a slash that fails is retried at the next fault or settle.
//!
//! In every case escrow in = payments + refunds, to the unit; a slash moves exactly the
//! collateral. [`Pallet::do_try_state`] states these invariants and the tests check them after
//! every step. The fragment index (see `pallet-fragments`) places fragments under live
//! contracts through [`ContractLedger`] and is told when a contract ends.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use blocktree_primitives::storage::{ContractId, ContractLedger, Fault, OfferId, OnContractEnded};
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{CheckedMul, Saturating, Zero};

	/// Balance type of the payment currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// The current storage version.
	///
	/// 2: offers carry `min_bytes`, contracts carry `owed`. No migration: no live network holds
	/// version 1 data; dev and local chains start anew (see docs/known-issues.md).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency of payments, escrow, collateral and deposits.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ frame_support::traits::fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Blocks per payment period.
		#[pallet::constant]
		type PeriodLength: Get<BlockNumberFor<Self>>;

		/// Longest contract, in periods.
		#[pallet::constant]
		type MaxPeriods: Get<u32>;

		/// Periods with a missed proof after which the provider is slashed.
		#[pallet::constant]
		type MaxFaults: Get<u32>;

		/// Most offers one provider may have.
		#[pallet::constant]
		type MaxOffersPerProvider: Get<u32>;

		/// Most live contracts one account may have as client, and as provider.
		#[pallet::constant]
		type MaxContractsPerAccount: Get<u32>;

		/// Held from a provider while an offer is listed.
		#[pallet::constant]
		type OfferDeposit: Get<BalanceOf<Self>>;

		/// Told when a contract ends (the fragment index).
		type OnContractEnded: OnContractEnded;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's offer is listed.
		OfferDeposit,
		/// A client's payment for a contract, not yet paid out.
		Escrow,
		/// A provider's collateral for a contract.
		Collateral,
	}

	/// What a provider offers.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Offer<AccountId, Balance> {
		/// Who stores.
		pub provider: AccountId,
		/// Bytes still available to new contracts.
		pub capacity: u64,
		/// Price of one byte for one period.
		pub price_per_byte: Balance,
		/// Collateral held from the provider per contracted byte.
		pub collateral_per_byte: Balance,
		/// Shortest contract accepted, in periods.
		pub min_periods: u32,
		/// Smallest contract accepted, in bytes: contract slots are few
		/// (`MaxContractsPerAccount`), so a provider sets what one slot is worth at least.
		pub min_bytes: u64,
		/// What is held from the provider while the offer is listed.
		pub deposit: Balance,
	}

	/// A live agreement.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	#[scale_info(skip_type_params(MaxFaults))]
	pub struct Contract<AccountId, Balance, BlockNumber, MaxFaults: Get<u32>> {
		/// The offer it was opened against.
		pub offer: OfferId,
		/// Who stores.
		pub provider: AccountId,
		/// Who pays.
		pub client: AccountId,
		/// Bytes agreed.
		pub bytes: u64,
		/// Bytes taken by placed fragments.
		pub used: u64,
		/// Payment per period: `bytes * price_per_byte`.
		pub price_per_period: Balance,
		/// Length in periods.
		pub periods: u32,
		/// The block it was opened in; period `i` runs from `start + i * PeriodLength`.
		pub start: BlockNumber,
		/// Periods already paid out or refunded.
		pub settled: u32,
		/// Escrow still held from the client (including `owed`).
		pub escrow: Balance,
		/// Earned by the provider but not yet delivered: a payment below the existential
		/// deposit to a provider account that no longer exists waits here for the next one.
		pub owed: Balance,
		/// Collateral held from the provider.
		pub collateral: Balance,
		/// Periods in which the provider failed a duty (refunded when settled).
		pub faulted: BoundedVec<u32, MaxFaults>,
		/// Strikes against the provider: one per faulted period of missed proofs, one per
		/// fragment it dropped itself. `MaxFaults` strikes slash.
		pub strikes: u32,
	}

	/// A contract as stored.
	pub type ContractOf<T> = Contract<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxFaults,
	>;

	/// An offer as stored.
	pub type OfferOf<T> = Offer<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	/// How a contract ended.
	#[derive(Clone, Copy, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub enum Ending {
		/// Every period ran.
		Completed,
		/// The client ended it early.
		EndedByClient,
		/// The provider walked away (collateral to the client).
		EndedByProvider,
		/// Too many missed proofs (collateral to the client).
		Slashed,
	}

	/// The next offer id.
	#[pallet::storage]
	pub type NextOfferId<T: Config> = StorageValue<_, OfferId, ValueQuery>;

	/// Listed offers.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<_, Twox64Concat, OfferId, OfferOf<T>>;

	/// Number of offers each provider lists.
	#[pallet::storage]
	pub type OfferCount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The next contract id.
	#[pallet::storage]
	pub type NextContractId<T: Config> = StorageValue<_, ContractId, ValueQuery>;

	/// Live contracts.
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Twox64Concat, ContractId, ContractOf<T>>;

	/// Live contracts by client.
	#[pallet::storage]
	pub type ClientContracts<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ContractId, ()>;

	/// Live contracts by provider.
	#[pallet::storage]
	pub type ProviderContracts<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ContractId, ()>;

	/// Number of live contracts per account as client.
	#[pallet::storage]
	pub type ClientContractCount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Number of live contracts per account as provider.
	#[pallet::storage]
	pub type ProviderContractCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `provider` listed offer `offer`.
		OfferCreated { offer: OfferId, provider: T::AccountId },
		/// The provider changed offer `offer`'s terms (existing contracts keep theirs).
		OfferUpdated { offer: OfferId },
		/// The provider withdrew offer `offer` (existing contracts continue).
		OfferRemoved { offer: OfferId },
		/// `client` and `provider` agreed on contract `contract`.
		ContractOpened {
			contract: ContractId,
			offer: OfferId,
			client: T::AccountId,
			provider: T::AccountId,
			bytes: u64,
			periods: u32,
			escrow: BalanceOf<T>,
			collateral: BalanceOf<T>,
		},
		/// Completed periods of `contract` were settled: `paid` to the provider, `refunded` to
		/// the client for periods with missed proofs.
		PeriodsSettled { contract: ContractId, periods: u32, paid: BalanceOf<T>, refunded: BalanceOf<T> },
		/// The provider of `contract` failed a storage duty (missed a proof, dropped a fragment)
		/// in `period`: that period is refunded; `faults` strikes so far (`MaxFaults` slash).
		FaultRecorded { contract: ContractId, period: u32, faults: u32 },
		/// `contract` reached `MaxFaults` faulted periods but the slash could not be carried out
		/// now (nothing moved); it is retried at the next fault or `settle`.
		SlashDeferred { contract: ContractId },
		/// `amount` the provider earned could never be delivered (its account is gone and the
		/// sum stayed below the existential deposit) and went back to the client as the
		/// contract ended.
		UndeliverablePaymentRefunded { contract: ContractId, amount: BalanceOf<T> },
		/// `contract` ended: `paid` to the provider and `refunded` to the client on ending
		/// (besides earlier settlements), `slashed` collateral moved to the client.
		ContractEnded {
			contract: ContractId,
			how: Ending,
			paid: BalanceOf<T>,
			refunded: BalanceOf<T>,
			slashed: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No offer with that id.
		UnknownOffer,
		/// No live contract with that id.
		UnknownContract,
		/// Only the offer's provider may change or withdraw it.
		NotOfferProvider,
		/// Only the contract's client or provider may end it.
		NotAParty,
		/// A provider cannot contract with itself.
		OwnOffer,
		/// Capacity and contract size must be above zero.
		ZeroBytes,
		/// The offer has less capacity left than asked for.
		InsufficientCapacity,
		/// Fewer periods than the offer's minimum.
		TooShort,
		/// More periods than the chain allows, or a minimum above that.
		TooLong,
		/// The offer's price is above what the client accepted (it changed).
		PriceAboveLimit,
		/// The offer's collateral is below what the client asked for (it changed).
		CollateralBelowLimit,
		/// Fewer bytes than the offer's minimum contract size.
		BelowMinimumSize,
		/// The price or collateral overflows for this size and length.
		Overflow,
		/// The client cannot pay the escrow.
		ClientCannotPayEscrow,
		/// The provider cannot cover the collateral.
		ProviderCannotCoverCollateral,
		/// The provider lists the most offers allowed.
		TooManyOffers,
		/// The client or provider has the most live contracts allowed.
		TooManyContracts,
		/// The contract has no room left for this fragment.
		ContractFull,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::PeriodLength::get().is_zero(), "periods must last at least a block");
			assert!(T::MaxFaults::get() >= 1, "at least one fault must be tolerated before a slash");
			assert!(T::MaxPeriods::get() >= 1, "contracts must be able to run a period");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Lists an offer: `capacity` bytes at `price_per_byte` per period, holding
		/// `collateral_per_byte` per contracted byte, for contracts of at least `min_periods`
		/// periods and `min_bytes` bytes.
		///
		/// ## Dispatch Origin
		/// Signed by the provider.
		///
		/// ## Details
		/// Holds `OfferDeposit` while listed. `min_bytes` protects the provider's few contract
		/// slots from being filled by tiny contracts.
		///
		/// Errors: `ZeroBytes`, `TooShort`, `TooLong`, `TooManyOffers`, or the currency's error
		/// if the deposit cannot be held. Event: `OfferCreated`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_offer())]
		pub fn create_offer(
			origin: OriginFor<T>,
			capacity: u64,
			price_per_byte: BalanceOf<T>,
			collateral_per_byte: BalanceOf<T>,
			min_periods: u32,
			min_bytes: u64,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::check_terms(capacity, min_periods, min_bytes)?;
			let count = OfferCount::<T>::get(&provider);
			ensure!(count < T::MaxOffersPerProvider::get(), Error::<T>::TooManyOffers);
			let deposit = T::OfferDeposit::get();
			T::Currency::hold(&HoldReason::OfferDeposit.into(), &provider, deposit)?;
			let offer = NextOfferId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			Offers::<T>::insert(
				offer,
				Offer {
					provider: provider.clone(),
					capacity,
					price_per_byte,
					collateral_per_byte,
					min_periods,
					min_bytes,
					deposit,
				},
			);
			OfferCount::<T>::insert(&provider, count.saturating_add(1));
			Self::deposit_event(Event::OfferCreated { offer, provider });
			Ok(())
		}

		/// Changes an offer's terms; contracts already opened keep theirs.
		///
		/// ## Dispatch Origin
		/// Signed by the offer's provider.
		///
		/// ## Details
		/// A client's pending `open_contract` names the price and collateral it expects, so a
		/// change made in between makes it fail instead of binding the client to new terms.
		///
		/// Errors: `UnknownOffer`, `NotOfferProvider`, `ZeroBytes`, `TooShort`, `TooLong`.
		/// Event: `OfferUpdated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_offer())]
		pub fn update_offer(
			origin: OriginFor<T>,
			offer: OfferId,
			capacity: u64,
			price_per_byte: BalanceOf<T>,
			collateral_per_byte: BalanceOf<T>,
			min_periods: u32,
			min_bytes: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::check_terms(capacity, min_periods, min_bytes)?;
			Offers::<T>::try_mutate(offer, |o| {
				let o = o.as_mut().ok_or(Error::<T>::UnknownOffer)?;
				ensure!(o.provider == who, Error::<T>::NotOfferProvider);
				o.capacity = capacity;
				o.price_per_byte = price_per_byte;
				o.collateral_per_byte = collateral_per_byte;
				o.min_periods = min_periods;
				o.min_bytes = min_bytes;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::OfferUpdated { offer });
			Ok(())
		}

		/// Withdraws an offer and returns its deposit; contracts opened against it continue.
		///
		/// ## Dispatch Origin
		/// Signed by the offer's provider.
		///
		/// Errors: `UnknownOffer`, `NotOfferProvider`. Event: `OfferRemoved`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_offer())]
		pub fn remove_offer(origin: OriginFor<T>, offer: OfferId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let o = Offers::<T>::get(offer).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(o.provider == who, Error::<T>::NotOfferProvider);
			T::Currency::release(&HoldReason::OfferDeposit.into(), &who, o.deposit, Precision::BestEffort)?;
			Offers::<T>::remove(offer);
			OfferCount::<T>::mutate(&who, |n| *n = n.saturating_sub(1));
			Self::deposit_event(Event::OfferRemoved { offer });
			Ok(())
		}

		/// Opens a contract for `bytes` over `periods` periods against `offer`, on the terms the
		/// client states: a price per byte of at most `max_price_per_byte` and a collateral per
		/// byte of at least `min_collateral_per_byte`.
		///
		/// ## Dispatch Origin
		/// Signed by the client.
		///
		/// ## Details
		/// The stated terms make the agreement the one the client signed: a provider that
		/// raises its price or lowers its collateral between signing and inclusion makes the
		/// call fail. Holds the whole payment from the caller and the collateral from the
		/// provider.
		///
		/// Errors: `UnknownOffer`, `OwnOffer`, `ZeroBytes`, `BelowMinimumSize`,
		/// `InsufficientCapacity`, `TooShort`, `TooLong`, `PriceAboveLimit`,
		/// `CollateralBelowLimit`, `Overflow`, `TooManyContracts`, `ClientCannotPayEscrow`,
		/// `ProviderCannotCoverCollateral`. Event: `ContractOpened`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::open_contract())]
		pub fn open_contract(
			origin: OriginFor<T>,
			offer: OfferId,
			bytes: u64,
			periods: u32,
			max_price_per_byte: BalanceOf<T>,
			min_collateral_per_byte: BalanceOf<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			let mut o = Offers::<T>::get(offer).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(o.provider != client, Error::<T>::OwnOffer);
			ensure!(bytes > 0, Error::<T>::ZeroBytes);
			ensure!(bytes >= o.min_bytes, Error::<T>::BelowMinimumSize);
			ensure!(bytes <= o.capacity, Error::<T>::InsufficientCapacity);
			ensure!(periods >= o.min_periods, Error::<T>::TooShort);
			ensure!(periods <= T::MaxPeriods::get(), Error::<T>::TooLong);
			ensure!(o.price_per_byte <= max_price_per_byte, Error::<T>::PriceAboveLimit);
			ensure!(o.collateral_per_byte >= min_collateral_per_byte, Error::<T>::CollateralBelowLimit);
			let (price_per_period, escrow, collateral) = Self::quote(&o, bytes, periods)?;
			let client_count = ClientContractCount::<T>::get(&client);
			let provider_count = ProviderContractCount::<T>::get(&o.provider);
			let max = T::MaxContractsPerAccount::get();
			ensure!(client_count < max && provider_count < max, Error::<T>::TooManyContracts);

			if !escrow.is_zero() {
				T::Currency::hold(&HoldReason::Escrow.into(), &client, escrow)
					.map_err(|_| Error::<T>::ClientCannotPayEscrow)?;
			}
			if !collateral.is_zero() {
				T::Currency::hold(&HoldReason::Collateral.into(), &o.provider, collateral)
					.map_err(|_| Error::<T>::ProviderCannotCoverCollateral)?;
			}
			o.capacity = o.capacity.saturating_sub(bytes);
			let provider = o.provider.clone();
			Offers::<T>::insert(offer, o);

			let contract = NextContractId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			Contracts::<T>::insert(
				contract,
				Contract {
					offer,
					provider: provider.clone(),
					client: client.clone(),
					bytes,
					used: 0,
					price_per_period,
					periods,
					start: frame_system::Pallet::<T>::block_number(),
					settled: 0,
					escrow,
					owed: Zero::zero(),
					collateral,
					faulted: BoundedVec::new(),
					strikes: 0,
				},
			);
			ClientContracts::<T>::insert(&client, contract, ());
			ProviderContracts::<T>::insert(&provider, contract, ());
			ClientContractCount::<T>::insert(&client, client_count.saturating_add(1));
			ProviderContractCount::<T>::insert(&provider, provider_count.saturating_add(1));
			Self::deposit_event(Event::ContractOpened {
				contract,
				offer,
				client,
				provider,
				bytes,
				periods,
				escrow,
				collateral,
			});
			Ok(())
		}

		/// Settles the completed periods of `contract`: pays the provider for each, or refunds
		/// the client for faulted periods. After the last period the contract completes and the
		/// collateral is released.
		///
		/// ## Dispatch Origin
		/// Signed by anyone (the provider usually does it to be paid).
		///
		/// ## Details
		/// A contract whose provider has `MaxFaults` faulted periods but could not be slashed
		/// when the last fault came (the slash failed) is slashed here: the rule is retried
		/// until it holds.
		///
		/// Errors: `UnknownContract`, or the currency's error. Events: `PeriodsSettled`,
		/// `ContractEnded`.
		#[pallet::call_index(4)]
		#[pallet::weight(
			T::WeightInfo::settle().max(T::WeightInfo::end_contract()).saturating_add(T::OnContractEnded::max_weight())
		)]
		pub fn settle(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut c = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
			if c.strikes >= T::MaxFaults::get() {
				return Self::slash(contract)
			}
			Self::settle_due(contract, &mut c)?;
			if c.settled >= c.periods {
				Self::pay(&mut c, Zero::zero())?;
				if !c.owed.is_zero() {
					Self::deposit_event(Event::UndeliverablePaymentRefunded { contract, amount: c.owed });
					let owed = core::mem::take(&mut c.owed);
					Self::refund(&mut c, owed)?;
				}
				let provider = c.provider.clone();
				let collateral = c.collateral;
				T::Currency::release(&HoldReason::Collateral.into(), &provider, collateral, Precision::BestEffort)?;
				Self::finish(contract, c, Ending::Completed, Zero::zero(), Zero::zero(), Zero::zero());
			} else {
				Contracts::<T>::insert(contract, c);
			}
			Ok(())
		}

		/// Ends `contract` early, by its client or its provider, by the rules in the pallet
		/// documentation.
		///
		/// ## Dispatch Origin
		/// Signed by the contract's client or provider.
		///
		/// ## Details
		/// By the client: the running period is paid in full as notice. By the provider: the
		/// collateral goes to the client, as for a slash.
		///
		/// Errors: `UnknownContract`, `NotAParty`. Events: `PeriodsSettled`, `ContractEnded`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::end_contract().saturating_add(T::OnContractEnded::max_weight()))]
		pub fn end_contract(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut c = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
			let how = if who == c.client {
				Ending::EndedByClient
			} else if who == c.provider {
				Ending::EndedByProvider
			} else {
				return Err(Error::<T>::NotAParty.into())
			};
			Self::settle_due(contract, &mut c)?;
			Self::terminate(contract, c, how)
		}
	}

	impl<T: Config> Pallet<T> {
		fn check_terms(capacity: u64, min_periods: u32, min_bytes: u64) -> DispatchResult {
			ensure!(capacity > 0 && min_bytes > 0, Error::<T>::ZeroBytes);
			ensure!(min_periods >= 1, Error::<T>::TooShort);
			ensure!(min_periods <= T::MaxPeriods::get(), Error::<T>::TooLong);
			Ok(())
		}

		/// Payment per period, escrow and collateral of a contract for `bytes` over `periods`
		/// against `offer`.
		pub fn quote(
			offer: &OfferOf<T>,
			bytes: u64,
			periods: u32,
		) -> Result<(BalanceOf<T>, BalanceOf<T>, BalanceOf<T>), DispatchError> {
			let bytes_b: BalanceOf<T> = bytes.try_into().map_err(|_| Error::<T>::Overflow)?;
			let per_period = offer.price_per_byte.checked_mul(&bytes_b).ok_or(Error::<T>::Overflow)?;
			let escrow = per_period.checked_mul(&periods.into()).ok_or(Error::<T>::Overflow)?;
			let collateral = offer.collateral_per_byte.checked_mul(&bytes_b).ok_or(Error::<T>::Overflow)?;
			Ok((per_period, escrow, collateral))
		}

		/// The period of `c` running at `now` (may be past its last).
		pub fn current_period(c: &ContractOf<T>, now: BlockNumberFor<T>) -> u32 {
			let elapsed = now.saturating_sub(c.start) / T::PeriodLength::get();
			elapsed.try_into().unwrap_or(u32::MAX)
		}

		/// Pays or refunds every completed, unsettled period of `c`.
		fn settle_due(contract: ContractId, c: &mut ContractOf<T>) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			let due = Self::current_period(c, now).min(c.periods);
			if due <= c.settled {
				return Ok(())
			}
			let periods = due - c.settled;
			let faulted =
				c.faulted.iter().filter(|p| **p >= c.settled && **p < due).count() as u32;
			let refunded = c.price_per_period.saturating_mul(faulted.into());
			let paid = c.price_per_period.saturating_mul(periods.saturating_sub(faulted).into());
			Self::pay(c, paid)?;
			Self::refund(c, refunded)?;
			c.settled = due;
			Self::deposit_event(Event::PeriodsSettled { contract, periods, paid, refunded });
			Ok(())
		}

		/// Moves `amount` (plus anything owed from before) of `c`'s escrow to the provider. A sum
		/// below the existential deposit cannot be sent to an account that no longer exists: it
		/// stays in escrow as `owed` until the next payment, so settlement never jams.
		fn pay(c: &mut ContractOf<T>, amount: BalanceOf<T>) -> DispatchResult {
			let due = amount.saturating_add(c.owed);
			if due.is_zero() {
				return Ok(())
			}
			if due < T::Currency::minimum_balance() && T::Currency::total_balance(&c.provider).is_zero() {
				c.owed = due;
				return Ok(())
			}
			T::Currency::transfer_on_hold(
				&HoldReason::Escrow.into(),
				&c.client,
				&c.provider,
				due,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)?;
			c.escrow = c.escrow.saturating_sub(due);
			c.owed = Zero::zero();
			Ok(())
		}

		/// Returns `amount` of `c`'s escrow to the client.
		fn refund(c: &mut ContractOf<T>, amount: BalanceOf<T>) -> DispatchResult {
			if !amount.is_zero() {
				T::Currency::release(&HoldReason::Escrow.into(), &c.client, amount, Precision::Exact)?;
				c.escrow = c.escrow.saturating_sub(amount);
			}
			Ok(())
		}

		/// Ends `c` (already settled up to the running period) for reason `how`.
		fn terminate(contract: ContractId, mut c: ContractOf<T>, how: Ending) -> DispatchResult {
			let mut paid = Zero::zero();
			if how == Ending::EndedByClient && c.settled < c.periods {
				// The notice fee: the running period in full, unless it is faulted.
				if !c.faulted.contains(&c.settled) {
					paid = c.price_per_period.min(c.escrow.saturating_sub(c.owed));
					Self::pay(&mut c, paid)?;
				}
			}
			// One more try for anything owed; what still cannot be delivered goes back.
			Self::pay(&mut c, Zero::zero())?;
			if !c.owed.is_zero() {
				Self::deposit_event(Event::UndeliverablePaymentRefunded { contract, amount: c.owed });
				c.owed = Zero::zero();
			}
			let refunded = c.escrow;
			Self::refund(&mut c, refunded)?;
			let collateral = c.collateral;
			let slashed = if matches!(how, Ending::EndedByProvider | Ending::Slashed) {
				T::Currency::transfer_on_hold(
					&HoldReason::Collateral.into(),
					&c.provider,
					&c.client,
					collateral,
					Precision::BestEffort,
					Restriction::Free,
					Fortitude::Force,
				)?
			} else {
				T::Currency::release(&HoldReason::Collateral.into(), &c.provider, collateral, Precision::BestEffort)?;
				Zero::zero()
			};
			Self::finish(contract, c, how, paid, refunded, slashed);
			Ok(())
		}

		/// Removes an ended contract from storage and the indexes, gives its capacity back to
		/// its offer (if still listed) and tells the fragment index.
		fn finish(
			contract: ContractId,
			c: ContractOf<T>,
			how: Ending,
			paid: BalanceOf<T>,
			refunded: BalanceOf<T>,
			slashed: BalanceOf<T>,
		) {
			Contracts::<T>::remove(contract);
			ClientContracts::<T>::remove(&c.client, contract);
			ProviderContracts::<T>::remove(&c.provider, contract);
			ClientContractCount::<T>::mutate(&c.client, |n| *n = n.saturating_sub(1));
			ProviderContractCount::<T>::mutate(&c.provider, |n| *n = n.saturating_sub(1));
			Offers::<T>::mutate(c.offer, |o| {
				if let Some(o) = o {
					o.capacity = o.capacity.saturating_add(c.bytes);
				}
			});
			T::OnContractEnded::contract_ended(contract);
			Self::deposit_event(Event::ContractEnded { contract, how, paid, refunded, slashed });
		}

		/// Slashes `contract` as one unit (settle, then end with the collateral to the client):
		/// on an error nothing moves and the record stays, so the slash can be retried.
		fn slash(contract: ContractId) -> DispatchResult {
			frame_support::storage::with_storage_layer(|| {
				let mut c = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
				Self::settle_due(contract, &mut c)?;
				Self::terminate(contract, c, Ending::Slashed)
			})
		}

		/// The block at which `c`'s term ends.
		pub fn term_end_of(c: &ContractOf<T>) -> BlockNumberFor<T> {
			let periods: BlockNumberFor<T> = c.periods.into();
			c.start.saturating_add(periods.saturating_mul(T::PeriodLength::get()))
		}

		/// Checks the pallet's bookkeeping: the indexes and counters agree with the records,
		/// every contract's escrow is exactly what its unsettled periods (and owed payments)
		/// are worth, and every hold equals the deposits, escrow and collateral recorded for it.
		#[cfg(any(feature = "std", feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::BTreeMap;
			let mut offers: BTreeMap<T::AccountId, (u32, BalanceOf<T>)> = BTreeMap::new();
			for (id, o) in Offers::<T>::iter() {
				ensure!(id < NextOfferId::<T>::get(), "offer id at or above NextOfferId");
				let e = offers.entry(o.provider).or_insert((0, Zero::zero()));
				e.0 += 1;
				e.1 = e.1.saturating_add(o.deposit);
			}
			for (who, count) in OfferCount::<T>::iter() {
				ensure!(offers.get(&who).map(|e| e.0).unwrap_or(0) == count, "OfferCount differs from the offers");
			}
			for (who, (count, deposits)) in &offers {
				ensure!(OfferCount::<T>::get(who) == *count, "a provider's offers are not counted");
				ensure!(*count <= T::MaxOffersPerProvider::get(), "more offers than allowed");
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::OfferDeposit.into(), who) == *deposits,
					"offer deposit hold differs from the listed offers' deposits"
				);
			}
			let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut collateral: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut as_client: BTreeMap<T::AccountId, u32> = BTreeMap::new();
			let mut as_provider: BTreeMap<T::AccountId, u32> = BTreeMap::new();
			for (id, c) in Contracts::<T>::iter() {
				ensure!(id < NextContractId::<T>::get(), "contract id at or above NextContractId");
				ensure!(ClientContracts::<T>::contains_key(&c.client, id), "contract missing from its client's index");
				ensure!(ProviderContracts::<T>::contains_key(&c.provider, id), "contract missing from its provider's index");
				ensure!(c.settled <= c.periods, "more periods settled than agreed");
				ensure!(c.used <= c.bytes, "more space used than agreed");
				ensure!(c.owed <= c.escrow, "owed payment exceeds the escrow");
				ensure!(c.faulted.len() as u32 <= c.strikes, "a faulted period without a strike");
				let unsettled = c.price_per_period.saturating_mul((c.periods - c.settled).into());
				ensure!(c.escrow == unsettled.saturating_add(c.owed), "escrow differs from the unsettled periods' worth");
				let e = escrow.entry(c.client.clone()).or_insert(Zero::zero());
				*e = e.saturating_add(c.escrow);
				let k = collateral.entry(c.provider.clone()).or_insert(Zero::zero());
				*k = k.saturating_add(c.collateral);
				*as_client.entry(c.client).or_insert(0) += 1;
				*as_provider.entry(c.provider).or_insert(0) += 1;
			}
			for (who, id, ()) in ClientContracts::<T>::iter() {
				ensure!(Contracts::<T>::get(id).is_some_and(|c| c.client == who), "client index names a contract it is not party to");
			}
			for (who, id, ()) in ProviderContracts::<T>::iter() {
				ensure!(Contracts::<T>::get(id).is_some_and(|c| c.provider == who), "provider index names a contract it is not party to");
			}
			for (who, count) in ClientContractCount::<T>::iter() {
				ensure!(as_client.get(&who).copied().unwrap_or(0) == count, "ClientContractCount differs from the contracts");
			}
			for (who, count) in ProviderContractCount::<T>::iter() {
				ensure!(as_provider.get(&who).copied().unwrap_or(0) == count, "ProviderContractCount differs from the contracts");
			}
			for (who, count) in as_client.iter().chain(as_provider.iter()) {
				ensure!(*count <= T::MaxContractsPerAccount::get(), "more live contracts than allowed");
				let _ = who;
			}
			for (who, amount) in escrow {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &who) == amount,
					"escrow hold differs from the contracts' escrow"
				);
			}
			for (who, amount) in collateral {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::Collateral.into(), &who) == amount,
					"collateral hold differs from the contracts' collateral"
				);
			}
			Ok(())
		}

		/// The live contracts `who` is a party to (as client, then as provider).
		pub fn contracts_of(who: &T::AccountId) -> alloc::vec::Vec<(ContractId, ContractOf<T>)> {
			let max = T::MaxContractsPerAccount::get() as usize;
			ClientContracts::<T>::iter_key_prefix(who)
				.take(max)
				.chain(ProviderContracts::<T>::iter_key_prefix(who).take(max))
				.filter_map(|id| Contracts::<T>::get(id).map(|c| (id, c)))
				.collect()
		}
	}

	impl<T: Config> ContractLedger<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
		fn live_parties(id: ContractId) -> Option<(T::AccountId, T::AccountId)> {
			let c = Contracts::<T>::get(id)?;
			let now = frame_system::Pallet::<T>::block_number();
			(Self::current_period(&c, now) < c.periods).then_some((c.provider, c.client))
		}

		fn reserve_space(id: ContractId, bytes: u64) -> Result<(), DispatchError> {
			Contracts::<T>::try_mutate(id, |c| {
				let c = c.as_mut().ok_or(Error::<T>::UnknownContract)?;
				let used = c.used.checked_add(bytes).ok_or(Error::<T>::ContractFull)?;
				ensure!(used <= c.bytes, Error::<T>::ContractFull);
				c.used = used;
				Ok(())
			})
		}

		fn term_end(id: ContractId) -> Option<BlockNumberFor<T>> {
			Contracts::<T>::get(id).map(|c| Self::term_end_of(&c))
		}

		fn reserved_space(id: ContractId) -> Option<u64> {
			Contracts::<T>::get(id).map(|c| c.used)
		}

		fn release_space(id: ContractId, bytes: u64) {
			Contracts::<T>::mutate(id, |c| {
				if let Some(c) = c {
					c.used = c.used.saturating_sub(bytes);
				}
			});
		}

		fn record_fault(id: ContractId, fault: Fault, at: BlockNumberFor<T>) -> Weight {
			let read = T::DbWeight::get().reads(1);
			let Some(mut c) = Contracts::<T>::get(id) else { return read };
			let period = Self::current_period(&c, at);
			// Liability ends with the term, whether or not anyone settled the contract yet.
			if period >= c.periods {
				return read
			}
			let new_period = !c.faulted.contains(&period) && c.faulted.try_push(period).is_ok();
			let strike = match fault {
				Fault::MissedProof => new_period,
				Fault::DroppedFragment => true,
			};
			if strike {
				c.strikes = c.strikes.saturating_add(1);
			}
			let strikes = c.strikes;
			if new_period || strike {
				Contracts::<T>::insert(id, c);
				Self::deposit_event(Event::FaultRecorded { contract: id, period, faults: strikes });
			}
			if strikes < T::MaxFaults::get() {
				return T::DbWeight::get().reads_writes(1, 1)
			}
			// On an error the slash leaves no trace and is retried at the next fault or settle.
			if Self::slash(id).is_err() {
				Self::deposit_event(Event::SlashDeferred { contract: id });
			}
			Self::max_fault_weight()
		}

		fn max_fault_weight() -> Weight {
			T::WeightInfo::end_contract()
				.saturating_add(T::OnContractEnded::max_weight())
				.saturating_add(T::DbWeight::get().reads_writes(1, 1))
		}

		fn live_providers_of(client: &T::AccountId) -> u32 {
			let mut providers: alloc::vec::Vec<T::AccountId> = ClientContracts::<T>::iter_key_prefix(client)
				.take(T::MaxContractsPerAccount::get() as usize)
				.filter_map(|id| Self::live_parties(id).map(|(provider, _)| provider))
				.collect();
			providers.sort();
			providers.dedup();
			providers.len() as u32
		}

		fn max_contracts_per_client() -> u32 {
			T::MaxContractsPerAccount::get()
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn open_for_benchmark(provider: &T::AccountId, client: &T::AccountId, bytes: u64) -> Option<ContractId> {
			use frame_support::traits::fungible::Mutate as _;
			let funds = T::OfferDeposit::get().saturating_add(T::Currency::minimum_balance()).saturating_mul(1_000_000u32.into());
			for who in [provider, client] {
				if T::Currency::balance(who) < funds {
					T::Currency::set_balance(who, funds);
				}
			}
			let offer = NextOfferId::<T>::get();
			Self::create_offer(frame_system::RawOrigin::Signed(provider.clone()).into(), bytes, Zero::zero(), Zero::zero(), 1, 1).ok()?;
			let contract = NextContractId::<T>::get();
			Self::open_contract(frame_system::RawOrigin::Signed(client.clone()).into(), offer, bytes, 1, Zero::zero(), Zero::zero()).ok()?;
			Some(contract)
		}
	}
}
