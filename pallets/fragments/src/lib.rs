//! # Fragments pallet
//!
//! The index of the storage network: for every stored data block, its id, the hash of its
//! path, its size, its erasure parameters `k` of `n`, the root of every fragment and who holds
//! each fragment under which live contract. The data itself never comes on chain.
//!
//! - [`record_block`](Pallet::record_block): the owner records a block; the runtime decides
//!   `k` and `n` by the **redundancy rule** ([`Pallet::erasure_params`]) and the owner must
//!   supply exactly `n` fragment roots. A deposit per block and per fragment is held.
//! - [`place_fragment`](Pallet::place_fragment): a provider's storage worker records that it
//!   holds fragment `i`, under a live contract with the block's owner; each fragment of a block
//!   on a distinct provider; the contract's space is reserved.
//! - [`report_missing`](Pallet::report_missing): the owner (a corrupt or unreachable
//!   fragment) or the holder (it lost it) clears a placement; the block goes back on the
//!   **repair queue** ([`BelowTarget`]), as does every block not fully placed.
//! - [`remove_block`](Pallet::remove_block): the owner drops a block; placements and deposit
//!   are released.
//! - **Proof of storage**: every `ChallengePeriod` blocks the runtime picks
//!   `ChallengesPerRound` placed fragments at random (seeded from on-chain randomness) and a
//!   random chunk of each; the holder answers with [`submit_proof`](Pallet::submit_proof) (the
//!   chunk and its merkle proof against the fragment root on chain) within `ResponseWindow`
//!   blocks, free of fees when valid. A missed deadline clears the placement, puts the block on
//!   the repair queue and counts a fault against the contract (which slashes by its own rule).
//!
//! Lookups never scan all blocks: blocks are indexed by path hash, placements by provider and
//! by contract, and challenge candidates sit in a dense array drawn from in O(1).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod randomness;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use blocktree_primitives::{
		merkle::MerkleProof,
		storage::{
			chunk_count, fragment_size, verify_chunk, ContractId, ContractLedger, DataBlockId,
			OnContractEnded, PROOF_CHUNK_SIZE,
		},
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::Precision,
			Randomness,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::traits::{Saturating, Zero};

	/// Balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A fragment: its index within its block.
	pub type FragmentKey = (DataBlockId, u8);

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

		/// The contract ledger (the storage contracts pallet).
		type Contracts: ContractLedger<Self::AccountId>;

		/// On-chain randomness that seeds the challenges.
		type Randomness: Randomness<H256, BlockNumberFor<Self>>;

		/// Fewest data fragments `k` a block is split into.
		#[pallet::constant]
		type MinDataFragments: Get<u8>;

		/// Most data fragments `k`.
		#[pallet::constant]
		type MaxDataFragments: Get<u8>;

		/// Most parity fragments, i.e. the highest loss tolerance an owner may ask for.
		#[pallet::constant]
		type MaxParityFragments: Get<u8>;

		/// Bound on `n = k + parity` (at least `MaxDataFragments + MaxParityFragments`).
		#[pallet::constant]
		type MaxFragments: Get<u32>;

		/// The fragment size the rule aims at: `k` grows with the block until fragments are
		/// about this big (or `k` reaches its maximum).
		#[pallet::constant]
		type TargetFragmentSize: Get<u64>;

		/// Largest data block.
		#[pallet::constant]
		type MaxBlockSize: Get<u64>;

		/// Most recorded blocks (versions) per path.
		#[pallet::constant]
		type MaxBlocksPerPath: Get<u32>;

		/// Most fragments placed under one contract.
		#[pallet::constant]
		type MaxFragmentsPerContract: Get<u32>;

		/// Held per recorded block.
		#[pallet::constant]
		type BlockDeposit: Get<BalanceOf<Self>>;

		/// Held per fragment of a recorded block.
		#[pallet::constant]
		type FragmentDeposit: Get<BalanceOf<Self>>;

		/// Blocks between challenge rounds.
		#[pallet::constant]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;

		/// Fragments challenged per round.
		#[pallet::constant]
		type ChallengesPerRound: Get<u32>;

		/// Blocks a holder has to answer a challenge.
		#[pallet::constant]
		type ResponseWindow: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A data block is recorded.
		BlockDeposit,
	}

	/// Who holds a fragment.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Holder<AccountId> {
		/// The provider.
		pub provider: AccountId,
		/// The contract it stores the fragment under.
		pub contract: ContractId,
	}

	/// One fragment of a block.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Fragment<AccountId> {
		/// Merkle root over the fragment's proof chunks.
		pub root: H256,
		/// Its holder, once placed.
		pub holder: Option<Holder<AccountId>>,
	}

	/// A recorded data block.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	#[scale_info(skip_type_params(MaxFragments))]
	pub struct BlockRecord<AccountId, Balance, MaxFragments: Get<u32>> {
		/// Who recorded it and pays its contracts.
		pub owner: AccountId,
		/// blake2-256 of the block's path.
		pub path_hash: H256,
		/// Size of the (encrypted) block in bytes.
		pub size: u64,
		/// Fragments needed to rebuild it.
		pub k: u8,
		/// Fragments stored.
		pub n: u8,
		/// Size of each fragment.
		pub fragment_size: u64,
		/// What is held from the owner.
		pub deposit: Balance,
		/// The `n` fragments, in order (data first, then parity).
		pub fragments: BoundedVec<Fragment<AccountId>, MaxFragments>,
	}

	impl<AccountId, Balance, MaxFragments: Get<u32>> BlockRecord<AccountId, Balance, MaxFragments> {
		/// Number of fragments currently placed.
		pub fn placed(&self) -> u8 {
			self.fragments.iter().filter(|f| f.holder.is_some()).count() as u8
		}
	}

	/// A block as stored.
	pub type BlockRecordOf<T> =
		BlockRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>, <T as Config>::MaxFragments>;

	/// An open challenge on a placed fragment.
	#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Challenge<AccountId, BlockNumber> {
		/// Who must answer.
		pub provider: AccountId,
		/// The contract the fragment is held under.
		pub contract: ContractId,
		/// Which chunk of the fragment to prove.
		pub chunk: u32,
		/// The block at which an unanswered challenge counts as missed.
		pub deadline: BlockNumber,
	}

	/// A challenge as stored.
	pub type ChallengeOf<T> = Challenge<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

	/// Recorded blocks.
	#[pallet::storage]
	pub type Blocks<T: Config> = StorageMap<_, Identity, DataBlockId, BlockRecordOf<T>>;

	/// Blocks by path hash (the versions of a path).
	#[pallet::storage]
	pub type BlocksByPath<T: Config> =
		StorageDoubleMap<_, Identity, H256, Identity, DataBlockId, (), OptionQuery>;

	/// Number of blocks per path hash.
	#[pallet::storage]
	pub type PathBlockCount<T: Config> = StorageMap<_, Identity, H256, u32, ValueQuery>;

	/// Placements by provider: the contract each fragment is held under.
	#[pallet::storage]
	pub type FragmentsByProvider<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Identity, FragmentKey, ContractId>;

	/// Placements by contract.
	#[pallet::storage]
	pub type FragmentsByContract<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ContractId, Identity, FragmentKey, ()>;

	/// Number of fragments placed per contract.
	#[pallet::storage]
	pub type ContractFragmentCount<T: Config> = StorageMap<_, Twox64Concat, ContractId, u32, ValueQuery>;

	/// The repair queue: blocks with fewer than `n` fragments placed, with how many are.
	#[pallet::storage]
	pub type BelowTarget<T: Config> = StorageMap<_, Identity, DataBlockId, u8>;

	/// Challenge candidates: every placed fragment, densely numbered `0..PoolSize`.
	#[pallet::storage]
	pub type PoolAt<T: Config> = StorageMap<_, Twox64Concat, u32, FragmentKey>;

	/// Where a placed fragment sits in [`PoolAt`].
	#[pallet::storage]
	pub type PoolSlot<T: Config> = StorageMap<_, Identity, FragmentKey, u32>;

	/// Number of placed fragments.
	#[pallet::storage]
	pub type PoolSize<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Open challenges.
	#[pallet::storage]
	pub type Challenges<T: Config> = StorageMap<_, Identity, FragmentKey, ChallengeOf<T>>;

	/// Challenges by deadline, expired in `on_initialize` of that block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<FragmentKey, <T as Config>::ChallengesPerRound>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `owner` recorded `block`, to be stored as `n` fragments of `fragment_size` bytes, any
		/// `k` of which rebuild it.
		BlockRecorded { block: DataBlockId, owner: T::AccountId, k: u8, n: u8, fragment_size: u64 },
		/// `provider` holds fragment `index` of `block` under `contract`.
		FragmentPlaced { block: DataBlockId, index: u8, provider: T::AccountId, contract: ContractId },
		/// Fragment `index` of `block` is no longer held (reported missing, proof missed or
		/// contract ended); the block is below its target.
		FragmentLost { block: DataBlockId, index: u8, provider: T::AccountId },
		/// Every fragment of `block` is placed.
		BlockFullyPlaced { block: DataBlockId },
		/// The owner removed `block`.
		BlockRemoved { block: DataBlockId },
		/// `provider` must prove chunk `chunk` of fragment `index` of `block` before `deadline`.
		ChallengeIssued { block: DataBlockId, index: u8, provider: T::AccountId, chunk: u32, deadline: BlockNumberFor<T> },
		/// A valid proof answered the challenge.
		ProofAccepted { block: DataBlockId, index: u8, provider: T::AccountId },
		/// The challenge went unanswered: a fault against the contract.
		ProofMissed { block: DataBlockId, index: u8, provider: T::AccountId, contract: ContractId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A block with this id is already recorded.
		BlockAlreadyRecorded,
		/// No block with this id.
		UnknownBlock,
		/// Only the block's owner may do this.
		NotBlockOwner,
		/// Block size 0 or above `MaxBlockSize`.
		BadBlockSize,
		/// The loss tolerance must be between 1 and `MaxParityFragments`.
		ToleranceOutOfRange,
		/// The owner has live contracts with too few distinct providers for this tolerance
		/// (needs `MinDataFragments + tolerance`): open more contracts first.
		NotEnoughProviders,
		/// The number of fragment roots differs from the `n` the rule gives (ask
		/// `erasure_params`).
		WrongFragmentCount,
		/// The path has `MaxBlocksPerPath` blocks already.
		TooManyVersions,
		/// No fragment with this index.
		UnknownFragment,
		/// The fragment is already placed.
		FragmentAlreadyPlaced,
		/// The fragment is not placed.
		FragmentNotPlaced,
		/// The contract is not live.
		ContractNotLive,
		/// Only the contract's provider may place fragments under it.
		NotContractProvider,
		/// The contract's client is not the block's owner.
		ContractNotWithOwner,
		/// This provider already holds another fragment of the block: fragments must sit on
		/// distinct providers.
		ProviderAlreadyHoldsBlock,
		/// The contract holds `MaxFragmentsPerContract` fragments already.
		TooManyFragmentsInContract,
		/// Only the owner or the holder may report a fragment missing.
		NotOwnerOrHolder,
		/// No open challenge on this fragment.
		NoOpenChallenge,
		/// The challenge is addressed to another provider.
		NotChallenged,
		/// The deadline has passed.
		ChallengeExpired,
		/// The chunk and proof do not match the fragment root.
		InvalidProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let expired = Self::expire_challenges(now);
			let mut weight = T::WeightInfo::expire_challenges(expired);
			let period = T::ChallengePeriod::get();
			if !period.is_zero() && (now % period).is_zero() {
				let issued = Self::issue_challenges(now);
				weight = weight.saturating_add(T::WeightInfo::issue_challenges(issued));
			}
			weight
		}

		fn integrity_test() {
			assert!(T::MinDataFragments::get() >= 1, "k must be at least 1");
			assert!(T::MinDataFragments::get() <= T::MaxDataFragments::get(), "k range is empty");
			assert!(T::MaxParityFragments::get() >= 1, "a tolerance of 1 must be possible");
			let max_n = T::MaxDataFragments::get() as u32 + T::MaxParityFragments::get() as u32;
			assert!(max_n <= T::MaxFragments::get() && max_n <= 255, "n must fit MaxFragments and a u8");
			assert!(T::TargetFragmentSize::get() > 0, "fragments must have a target size");
			assert!(!T::ResponseWindow::get().is_zero(), "holders need time to answer");
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Records data block `block` (`size` bytes at the path with hash `path_hash`) to be kept
		/// with loss tolerance `tolerance`. `fragment_roots` must hold the root of each of the
		/// `n` fragments the redundancy rule gives for this owner now. Holds `BlockDeposit +
		/// n * FragmentDeposit`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::record_block(fragment_roots.len() as u32))]
		pub fn record_block(
			origin: OriginFor<T>,
			block: DataBlockId,
			path_hash: H256,
			size: u64,
			tolerance: u8,
			fragment_roots: BoundedVec<H256, T::MaxFragments>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(!Blocks::<T>::contains_key(block), Error::<T>::BlockAlreadyRecorded);
			let (k, n, fragment_size) = Self::erasure_params(&owner, size, tolerance)?;
			ensure!(fragment_roots.len() == n as usize, Error::<T>::WrongFragmentCount);
			let versions = PathBlockCount::<T>::get(path_hash);
			ensure!(versions < T::MaxBlocksPerPath::get(), Error::<T>::TooManyVersions);
			let deposit = T::FragmentDeposit::get()
				.saturating_mul((n as u32).into())
				.saturating_add(T::BlockDeposit::get());
			T::Currency::hold(&HoldReason::BlockDeposit.into(), &owner, deposit)?;
			let fragments = fragment_roots
				.into_iter()
				.map(|root| Fragment { root, holder: None })
				.collect::<alloc::vec::Vec<_>>();
			let fragments = BoundedVec::try_from(fragments).map_err(|_| Error::<T>::WrongFragmentCount)?;
			Blocks::<T>::insert(
				block,
				BlockRecord { owner: owner.clone(), path_hash, size, k, n, fragment_size, deposit, fragments },
			);
			BlocksByPath::<T>::insert(path_hash, block, ());
			PathBlockCount::<T>::insert(path_hash, versions.saturating_add(1));
			BelowTarget::<T>::insert(block, 0);
			Self::deposit_event(Event::BlockRecorded { block, owner, k, n, fragment_size });
			Ok(())
		}

		/// Records that the caller, a provider, holds fragment `index` of `block` under
		/// `contract`, a live contract with the block's owner.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::place_fragment())]
		pub fn place_fragment(
			origin: OriginFor<T>,
			block: DataBlockId,
			index: u8,
			contract: ContractId,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let mut record = Blocks::<T>::get(block).ok_or(Error::<T>::UnknownBlock)?;
			let fragment = record.fragments.get(index as usize).ok_or(Error::<T>::UnknownFragment)?;
			ensure!(fragment.holder.is_none(), Error::<T>::FragmentAlreadyPlaced);
			let (contract_provider, client) =
				T::Contracts::live_parties(contract).ok_or(Error::<T>::ContractNotLive)?;
			ensure!(contract_provider == provider, Error::<T>::NotContractProvider);
			ensure!(client == record.owner, Error::<T>::ContractNotWithOwner);
			ensure!(
				!record.fragments.iter().any(|f| f.holder.as_ref().is_some_and(|h| h.provider == provider)),
				Error::<T>::ProviderAlreadyHoldsBlock
			);
			let count = ContractFragmentCount::<T>::get(contract);
			ensure!(count < T::MaxFragmentsPerContract::get(), Error::<T>::TooManyFragmentsInContract);
			T::Contracts::reserve_space(contract, record.fragment_size)?;

			record.fragments[index as usize].holder = Some(Holder { provider: provider.clone(), contract });
			let key = (block, index);
			FragmentsByProvider::<T>::insert(&provider, key, contract);
			FragmentsByContract::<T>::insert(contract, key, ());
			ContractFragmentCount::<T>::insert(contract, count.saturating_add(1));
			Self::join_pool(key);
			let placed = record.placed();
			let full = placed == record.n;
			Blocks::<T>::insert(block, record);
			Self::deposit_event(Event::FragmentPlaced { block, index, provider, contract });
			if full {
				BelowTarget::<T>::remove(block);
				Self::deposit_event(Event::BlockFullyPlaced { block });
			} else {
				BelowTarget::<T>::insert(block, placed);
			}
			Ok(())
		}

		/// Reports fragment `index` of `block` missing or corrupt: by the block's owner, or by
		/// the holder itself. The placement is cleared and the block queued for repair.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::report_missing())]
		pub fn report_missing(origin: OriginFor<T>, block: DataBlockId, index: u8) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Blocks::<T>::get(block).ok_or(Error::<T>::UnknownBlock)?;
			let fragment = record.fragments.get(index as usize).ok_or(Error::<T>::UnknownFragment)?;
			let holder = fragment.holder.as_ref().ok_or(Error::<T>::FragmentNotPlaced)?;
			ensure!(who == record.owner || who == holder.provider, Error::<T>::NotOwnerOrHolder);
			Self::lose_fragment(block, &mut record, index);
			Blocks::<T>::insert(block, record);
			Ok(())
		}

		/// Removes `block` (owner only): releases every placement and the deposit.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_block(T::MaxFragments::get()))]
		pub fn remove_block(origin: OriginFor<T>, block: DataBlockId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Blocks::<T>::get(block).ok_or(Error::<T>::UnknownBlock)?;
			ensure!(who == record.owner, Error::<T>::NotBlockOwner);
			for index in 0..record.n {
				Self::clear_holder(block, &mut record, index);
			}
			T::Currency::release(&HoldReason::BlockDeposit.into(), &who, record.deposit, Precision::BestEffort)?;
			Blocks::<T>::remove(block);
			BelowTarget::<T>::remove(block);
			BlocksByPath::<T>::remove(record.path_hash, block);
			PathBlockCount::<T>::mutate(record.path_hash, |n| *n = n.saturating_sub(1));
			Self::deposit_event(Event::BlockRemoved { block });
			Ok(())
		}

		/// Answers the open challenge on fragment `index` of `block` with the challenged chunk
		/// and its merkle proof. Free when valid.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_proof())]
		pub fn submit_proof(
			origin: OriginFor<T>,
			block: DataBlockId,
			index: u8,
			chunk: BoundedVec<u8, ConstU32<PROOF_CHUNK_SIZE>>,
			proof: MerkleProof,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let key = (block, index);
			let challenge = Challenges::<T>::get(key).ok_or(Error::<T>::NoOpenChallenge)?;
			ensure!(challenge.provider == who, Error::<T>::NotChallenged);
			ensure!(frame_system::Pallet::<T>::block_number() < challenge.deadline, Error::<T>::ChallengeExpired);
			let record = Blocks::<T>::get(block).ok_or(Error::<T>::UnknownBlock)?;
			let fragment = record.fragments.get(index as usize).ok_or(Error::<T>::UnknownFragment)?;
			ensure!(
				verify_chunk(&fragment.root, record.fragment_size, challenge.chunk, &chunk, &proof),
				Error::<T>::InvalidProof
			);
			Challenges::<T>::remove(key);
			Self::deposit_event(Event::ProofAccepted { block, index, provider: who });
			Ok(Pays::No.into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The redundancy rule: `(k, n, fragment_size)` for a block of `size` bytes that must
		/// survive the loss of `tolerance` fragments, given the distinct providers `owner` has
		/// live contracts with (each fragment needs its own provider).
		///
		/// `k` grows with the block (`ceil(size / TargetFragmentSize)`) within
		/// `[MinDataFragments, MaxDataFragments]`, but shrinks so that `k + tolerance` fits the
		/// owner's providers; `n = k + tolerance`. Fewer than `MinDataFragments + tolerance`
		/// providers is an error.
		pub fn erasure_params(owner: &T::AccountId, size: u64, tolerance: u8) -> Result<(u8, u8, u64), DispatchError> {
			ensure!(size > 0 && size <= T::MaxBlockSize::get(), Error::<T>::BadBlockSize);
			ensure!(
				tolerance >= 1 && tolerance <= T::MaxParityFragments::get(),
				Error::<T>::ToleranceOutOfRange
			);
			let providers = T::Contracts::live_providers_of(owner);
			Self::redundancy_rule(size, tolerance, providers)
		}

		/// The rule itself, for a given provider count.
		pub fn redundancy_rule(size: u64, tolerance: u8, providers: u32) -> Result<(u8, u8, u64), DispatchError> {
			let (min_k, max_k) = (T::MinDataFragments::get(), T::MaxDataFragments::get());
			let by_size = size.div_ceil(T::TargetFragmentSize::get()).clamp(min_k as u64, max_k as u64) as u8;
			let room = providers.saturating_sub(tolerance as u32);
			ensure!(room >= min_k as u32, Error::<T>::NotEnoughProviders);
			let k = by_size.min(room.min(255) as u8);
			let n = k.saturating_add(tolerance);
			Ok((k, n, fragment_size(size, k)))
		}

		/// Clears fragment `index` of `record` (if placed) and queues the block for repair.
		fn lose_fragment(block: DataBlockId, record: &mut BlockRecordOf<T>, index: u8) {
			if let Some(holder) = Self::clear_holder(block, record, index) {
				BelowTarget::<T>::insert(block, record.placed());
				Self::deposit_event(Event::FragmentLost { block, index, provider: holder.provider });
			}
		}

		/// Removes a placement from the record and every index; returns the old holder.
		fn clear_holder(block: DataBlockId, record: &mut BlockRecordOf<T>, index: u8) -> Option<Holder<T::AccountId>> {
			let holder = record.fragments.get_mut(index as usize)?.holder.take()?;
			let key = (block, index);
			T::Contracts::release_space(holder.contract, record.fragment_size);
			FragmentsByProvider::<T>::remove(&holder.provider, key);
			FragmentsByContract::<T>::remove(holder.contract, key);
			ContractFragmentCount::<T>::mutate_exists(holder.contract, |n| {
				*n = n.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
			});
			Challenges::<T>::remove(key);
			Self::leave_pool(key);
			Some(holder)
		}

		fn join_pool(key: FragmentKey) {
			let size = PoolSize::<T>::get();
			PoolAt::<T>::insert(size, key);
			PoolSlot::<T>::insert(key, size);
			PoolSize::<T>::put(size.saturating_add(1));
		}

		fn leave_pool(key: FragmentKey) {
			let Some(slot) = PoolSlot::<T>::take(key) else { return };
			let last = PoolSize::<T>::get().saturating_sub(1);
			if slot != last {
				if let Some(moved) = PoolAt::<T>::get(last) {
					PoolAt::<T>::insert(slot, moved);
					PoolSlot::<T>::insert(moved, slot);
				}
			}
			PoolAt::<T>::remove(last);
			PoolSize::<T>::put(last);
		}

		/// Draws up to `ChallengesPerRound` placed fragments and challenges each on a random
		/// chunk. Returns how many were issued.
		pub fn issue_challenges(now: BlockNumberFor<T>) -> u32 {
			Self::issue_draws(now, T::ChallengesPerRound::get())
		}

		/// [`Pallet::issue_challenges`] with `draws` draws.
		pub fn issue_draws(now: BlockNumberFor<T>, draws: u32) -> u32 {
			let size = PoolSize::<T>::get();
			if size == 0 {
				return 0
			}
			let deadline = now.saturating_add(T::ResponseWindow::get());
			let mut issued = 0;
			for draw in 0..draws {
				let (seed, _) = T::Randomness::random(&(b"blocktree/challenge", now, draw).encode());
				let bytes = seed.to_fixed_bytes();
				let pick = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % size;
				let chunk_seed = u64::from_le_bytes([
					bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
				]);
				let Some(key) = PoolAt::<T>::get(pick) else { continue };
				if Challenges::<T>::contains_key(key) {
					continue
				}
				let Some(record) = Blocks::<T>::get(key.0) else { continue };
				let Some(holder) = record.fragments.get(key.1 as usize).and_then(|f| f.holder.clone()) else {
					continue
				};
				let chunk = (chunk_seed % chunk_count(record.fragment_size)) as u32;
				if Deadlines::<T>::try_mutate(deadline, |keys| keys.try_push(key)).is_err() {
					break
				}
				Challenges::<T>::insert(
					key,
					Challenge { provider: holder.provider.clone(), contract: holder.contract, chunk, deadline },
				);
				issued += 1;
				Self::deposit_event(Event::ChallengeIssued {
					block: key.0,
					index: key.1,
					provider: holder.provider,
					chunk,
					deadline,
				});
			}
			issued
		}

		/// Turns the challenges due at `now` that are still open into misses. Returns how many
		/// deadlines were looked at.
		pub fn expire_challenges(now: BlockNumberFor<T>) -> u32 {
			let due = Deadlines::<T>::take(now);
			let count = due.len() as u32;
			for key in due {
				let Some(challenge) = Challenges::<T>::take(key) else { continue };
				if let Some(mut record) = Blocks::<T>::get(key.0) {
					Self::lose_fragment(key.0, &mut record, key.1);
					Blocks::<T>::insert(key.0, record);
				}
				Self::deposit_event(Event::ProofMissed {
					block: key.0,
					index: key.1,
					provider: challenge.provider,
					contract: challenge.contract,
				});
				T::Contracts::record_fault(challenge.contract);
			}
			count
		}

		/// Up to `limit` (at most 1024) fragments `provider` holds: block, index, contract.
		pub fn fragments_held_by(provider: &T::AccountId, limit: u32) -> alloc::vec::Vec<(DataBlockId, u8, ContractId)> {
			FragmentsByProvider::<T>::iter_prefix(provider)
				.take(limit.min(1024) as usize)
				.map(|((block, index), contract)| (block, index, contract))
				.collect()
		}

		/// Up to `limit` (at most 1024) blocks of the repair queue, with their placed count.
		pub fn below_target(limit: u32) -> alloc::vec::Vec<(DataBlockId, u8)> {
			BelowTarget::<T>::iter().take(limit.min(1024) as usize).collect()
		}

		/// The blocks recorded at the path with hash `path_hash`.
		pub fn blocks_at_path(path_hash: H256) -> alloc::vec::Vec<(DataBlockId, BlockRecordOf<T>)> {
			BlocksByPath::<T>::iter_key_prefix(path_hash)
				.take(T::MaxBlocksPerPath::get() as usize)
				.filter_map(|id| Blocks::<T>::get(id).map(|r| (id, r)))
				.collect()
		}
	}

	impl<T: Config> OnContractEnded for Pallet<T> {
		fn contract_ended(contract: ContractId) {
			let keys: alloc::vec::Vec<FragmentKey> = FragmentsByContract::<T>::iter_key_prefix(contract)
				.take(T::MaxFragmentsPerContract::get() as usize)
				.collect();
			for (block, index) in keys {
				if let Some(mut record) = Blocks::<T>::get(block) {
					Self::lose_fragment(block, &mut record, index);
					Blocks::<T>::insert(block, record);
				}
			}
			ContractFragmentCount::<T>::remove(contract);
		}

		fn max_weight() -> Weight {
			T::WeightInfo::contract_ended(T::MaxFragmentsPerContract::get())
		}
	}
}
