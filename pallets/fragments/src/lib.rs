//! # Fragments pallet
//!
//! The index of the storage network: for every stored data block, its id, the hash of its
//! path, its size, its erasure parameters `k` of `n`, the root of every fragment and who holds
//! each fragment under which live contract. The data itself never comes on chain.
//!
//! - [`record_block`](Pallet::record_block): a writer records a block version from its
//!   **signed header**: the caller must control the header's writer principal, the header must
//!   carry the writer's signature for this chain, and the writer's cap chain must allow the
//!   path (checked by the principals registry, [`Config::WriteAuthority`]). The block's id is
//!   the header's hash and its path hash is computed here, so nobody can record at a path it
//!   may not write or take another's block id. The runtime decides `k` and `n` by the
//!   **redundancy rule** ([`Pallet::erasure_params`]) and the owner must supply exactly `n`
//!   fragment roots. A deposit per block and per fragment is held.
//! - [`place_fragment`](Pallet::place_fragment): a provider's storage worker records that it
//!   holds fragment `i`, under a live contract with the block's owner; each fragment of a block
//!   on a distinct provider; the contract's space is reserved.
//! - [`report_missing`](Pallet::report_missing): the owner (a corrupt or unreachable
//!   fragment) or the holder (it lost it) clears a placement; the block goes back on the
//!   **repair queue** ([`BelowTarget`]), as does every block not fully placed. A holder's own
//!   report is a **fault** against its contract, like a missed proof (reporting early only
//!   spares the network the wait), and each dropped fragment is a strike of its own: dropping
//!   a fragment under an open challenge never costs less than failing the challenge, and
//!   dropping everything costs the collateral.
//! - **Placement cooldown**: a provider that lost a fragment of a block (dropped, missed,
//!   reported by the owner; not a contract that simply ended) may not place any fragment of that block again for
//!   [`Config::PlacementCooldown`] blocks, so "drop when challenged, re-place at once" buys
//!   nothing.
//! - [`remove_block`](Pallet::remove_block): the owner drops a block; placements and deposit
//!   are released.
//! - **Proof of storage**: every `ChallengePeriod` blocks the runtime picks
//!   `ChallengesPerRound` placed fragments at random (seeded from on-chain randomness) and a
//!   random chunk of each; the holder answers with [`submit_proof`](Pallet::submit_proof) (the
//!   chunk and its merkle proof against the fragment root on chain) within `ResponseWindow`
//!   blocks, free of fees when valid. A missed deadline clears the placement, puts the block on
//!   the repair queue and counts a fault against the contract (which slashes by its own rule).
//!
//! Lookups never scan all blocks: blocks are indexed by path hash and writer, placements by
//! provider and by contract, and challenge candidates sit in a dense array drawn from in O(1).
//!
//! ## Low-level / implementation details
//! - `on_initialize` expires the challenges due in this block (at most `ChallengesPerRound`:
//!   only a round adds deadlines) and, every `ChallengePeriod` blocks, issues a round. A miss
//!   may complete a slash that ends a contract and clears up to `MaxFragmentsPerContract`
//!   placements; the hook charges what each fault actually cost
//!   ([`ContractLedger::record_fault`] returns it) and spends at most [`SLASHES_PER_BLOCK`]
//!   slashes' worth per block; misses left over wait in [`OverdueMisses`] for the next block.
//!   The runtime's test checks that the worst block fits in a quarter of a block.
//! - Challenges are issued only on placements whose contract is live and whose term lasts past
//!   the answer's deadline: providers are never liable after their term.
//! - [`Pallet::do_try_state`] states every index's agreement with the records; the tests run it
//!   after every step.

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
		block::SignedBlockHeader,
		cap::BlockWriteAuthority,
		merkle::MerkleProof,
		principal::PrincipalId,
		storage::{
			chunk_count, fragment_size, verify_chunk, ContractId, ContractLedger, DataBlockId, Fault,
			OnContractEnded, PROOF_CHUNK_SIZE,
		},
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, MutateHold},
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

	/// How many slash-sized faults (a miss that completes a slash and clears a whole contract)
	/// one block's expiry spends at most; further misses wait for the next block.
	pub const SLASHES_PER_BLOCK: u64 = 2;

	/// The current storage version.
	///
	/// 2: blocks record their writer, version and placement cooldowns; paths are indexed per
	/// writer. No migration: no live network holds version 1 data; dev and local chains start
	/// anew (see docs/known-issues.md).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

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
		type Contracts: ContractLedger<Self::AccountId, BlockNumberFor<Self>>;

		/// Who may record a block version at a path (the principals pallet).
		type WriteAuthority: BlockWriteAuthority<Self::AccountId>;

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

		/// Blocks during which a provider that lost a fragment of a block may not place any
		/// fragment of that block again.
		#[pallet::constant]
		type PlacementCooldown: Get<BlockNumberFor<Self>>;

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
	pub struct BlockRecord<AccountId, Balance, BlockNumber, MaxFragments: Get<u32>> {
		/// Who recorded it and pays its contracts.
		pub owner: AccountId,
		/// The principal that wrote and signed it.
		pub writer: PrincipalId,
		/// The version its signed header names.
		pub version: u64,
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
		/// Providers that lost a fragment of this block, and the block from which they may
		/// place one again (the placement cooldown).
		pub barred: BoundedVec<(AccountId, BlockNumber), MaxFragments>,
	}

	impl<AccountId, Balance, BlockNumber, MaxFragments: Get<u32>> BlockRecord<AccountId, Balance, BlockNumber, MaxFragments> {
		/// Number of fragments currently placed.
		pub fn placed(&self) -> u8 {
			self.fragments.iter().filter(|f| f.holder.is_some()).count() as u8
		}
	}

	/// A block as stored.
	pub type BlockRecordOf<T> = BlockRecord<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxFragments,
	>;

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

	/// Blocks by path hash, then by writer principal (the versions of a path, each writer's
	/// apart so that nobody's records crowd another's).
	#[pallet::storage]
	pub type BlocksByPath<T: Config> = StorageNMap<
		_,
		(NMapKey<Identity, H256>, NMapKey<Identity, PrincipalId>, NMapKey<Identity, DataBlockId>),
		(),
		OptionQuery,
	>;

	/// Number of blocks per path hash and writer (at most `MaxBlocksPerPath`).
	#[pallet::storage]
	pub type PathBlockCount<T: Config> =
		StorageDoubleMap<_, Identity, H256, Identity, PrincipalId, u32, ValueQuery>;

	/// The highest version each writer has recorded at each path while it has a block there: a
	/// new block must have a higher one, so two writers racing to publish the same next version
	/// cannot both succeed (the loser learns it and builds on the winner's). Present exactly
	/// while `PathBlockCount` is.
	#[pallet::storage]
	pub type PathNewestVersion<T: Config> =
		StorageDoubleMap<_, Identity, H256, Identity, PrincipalId, u64, OptionQuery>;

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

	/// Misses whose deadline has passed, left for the next block because this block's expiry
	/// had spent its slash budget (`SLASHES_PER_BLOCK`). No answer is accepted for them.
	#[pallet::storage]
	pub type OverdueMisses<T: Config> =
		StorageValue<_, BoundedVec<FragmentKey, <T as Config>::ChallengesPerRound>, ValueQuery>;

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
		/// `owner` recorded `block`, written by `writer` at the path with hash `path_hash`, to be
		/// stored as `n` fragments of `fragment_size` bytes, any `k` of which rebuild it.
		BlockRecorded {
			block: DataBlockId,
			owner: T::AccountId,
			writer: PrincipalId,
			path_hash: H256,
			k: u8,
			n: u8,
			fragment_size: u64,
		},
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
		/// The writer has `MaxBlocksPerPath` blocks at this path already: remove old versions.
		TooManyVersions,
		/// The writer has recorded this version or a newer one at this path: read the newest
		/// version and write the one after it.
		VersionNotNewer,
		/// The provider lost a fragment of this block recently (`PlacementCooldown`): another
		/// provider must take it.
		ProviderInCooldown,
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
			let (expired, fault_weight) = Self::expire_challenges(now);
			let mut weight = T::WeightInfo::expire_challenges(expired).saturating_add(fault_weight);
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
			// A round's misses are counted before the next round's fall due.
			let period: u64 = T::ChallengePeriod::get().try_into().unwrap_or(u64::MAX);
			assert!(
				period.saturating_mul(SLASHES_PER_BLOCK) >= T::ChallengesPerRound::get() as u64,
				"the slash budget must count a round's misses within a challenge period"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Records a data block version of `size` bytes, described by its signed `header`, to be
		/// kept with loss tolerance `tolerance`.
		///
		/// ## Dispatch Origin
		/// Signed by the account that controls the header's writer principal; it becomes the
		/// block's owner and pays its deposit and contracts.
		///
		/// ## Details
		/// The write authority is checked on chain ([`Config::WriteAuthority`]): the writer's
		/// signature over the header for this chain, and its cap chain for the header's path.
		/// The block id is the header's hash and the path hash is the header path's, so a copied
		/// header is useless to anyone but the writer. `fragment_roots` must hold the root of each
		/// of the `n` fragments the redundancy rule gives for this owner now. Holds
		/// `BlockDeposit + n * FragmentDeposit`. Each writer has at most `MaxBlocksPerPath`
		/// versions per path, and each new one must be higher than every version it has there.
		///
		/// Errors: the principals registry's (`NoCapability`, `CapExpired`, `CapRevoked`,
		/// `InvalidBlockSignature`, ...), `BlockAlreadyRecorded`, `BadBlockSize`,
		/// `ToleranceOutOfRange`, `NotEnoughProviders`, `WrongFragmentCount`, `TooManyVersions`,
		/// `VersionNotNewer`, or the currency's error if the deposit cannot be held. Event:
		/// `BlockRecorded`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::record_block(header.header.write_caps.len() as u32)
			.saturating_add(T::DbWeight::get().reads_writes(1, 1)))]
		pub fn record_block(
			origin: OriginFor<T>,
			header: alloc::boxed::Box<SignedBlockHeader>,
			size: u64,
			tolerance: u8,
			fragment_roots: BoundedVec<H256, T::MaxFragments>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			T::WriteAuthority::check_block_header(&owner, &header)?;
			let block = header.id();
			let path_hash = header.header.path.hash();
			let writer = header.header.writer;
			ensure!(!Blocks::<T>::contains_key(block), Error::<T>::BlockAlreadyRecorded);
			let (k, n, fragment_size) = Self::erasure_params(&owner, size, tolerance)?;
			ensure!(fragment_roots.len() == n as usize, Error::<T>::WrongFragmentCount);
			let versions = PathBlockCount::<T>::get(path_hash, writer);
			ensure!(versions < T::MaxBlocksPerPath::get(), Error::<T>::TooManyVersions);
			let version = header.header.version;
			ensure!(
				PathNewestVersion::<T>::get(path_hash, writer).is_none_or(|newest| version > newest),
				Error::<T>::VersionNotNewer
			);
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
				BlockRecord {
					owner: owner.clone(),
					writer,
					version: header.header.version,
					path_hash,
					size,
					k,
					n,
					fragment_size,
					deposit,
					fragments,
					barred: BoundedVec::new(),
				},
			);
			BlocksByPath::<T>::insert((path_hash, writer, block), ());
			PathBlockCount::<T>::insert(path_hash, writer, versions.saturating_add(1));
			PathNewestVersion::<T>::insert(path_hash, writer, version);
			BelowTarget::<T>::insert(block, 0);
			Self::deposit_event(Event::BlockRecorded { block, owner, writer, path_hash, k, n, fragment_size });
			Ok(())
		}

		/// Records that the caller, a provider, holds fragment `index` of `block` under
		/// `contract`, a live contract with the block's owner.
		///
		/// ## Dispatch Origin
		/// Signed by the contract's provider.
		///
		/// ## Details
		/// Each fragment of a block sits on a distinct provider; the contract's space is
		/// reserved; a provider that lost a fragment of the block within `PlacementCooldown`
		/// blocks is refused.
		///
		/// Errors: `UnknownBlock`, `UnknownFragment`, `FragmentAlreadyPlaced`,
		/// `ContractNotLive`, `NotContractProvider`, `ContractNotWithOwner`,
		/// `ProviderAlreadyHoldsBlock`, `ProviderInCooldown`, `TooManyFragmentsInContract`, the
		/// ledger's `ContractFull`. Events: `FragmentPlaced`, `BlockFullyPlaced`.
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
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				!record.barred.iter().any(|(p, until)| *p == provider && now < *until),
				Error::<T>::ProviderInCooldown
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
		///
		/// ## Dispatch Origin
		/// Signed by the block's owner or the fragment's holder.
		///
		/// ## Details
		/// The holder's own report is a fault against its contract (its running period is
		/// refunded, and faults lead to a slash), whether or not a challenge is open: the duty
		/// was not kept. An open challenge on the fragment is closed as missed. The owner's
		/// report costs the holder no fault (the owner may be wrong), only the placement. Either
		/// way the holder enters the placement cooldown for this block.
		///
		/// Errors: `UnknownBlock`, `UnknownFragment`, `FragmentNotPlaced`, `NotOwnerOrHolder`.
		/// Events: `FragmentLost`, `ProofMissed` (if a challenge was open).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::report_missing().saturating_add(T::Contracts::max_fault_weight()))]
		pub fn report_missing(origin: OriginFor<T>, block: DataBlockId, index: u8) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut record = Blocks::<T>::get(block).ok_or(Error::<T>::UnknownBlock)?;
			let fragment = record.fragments.get(index as usize).ok_or(Error::<T>::UnknownFragment)?;
			let holder = fragment.holder.clone().ok_or(Error::<T>::FragmentNotPlaced)?;
			ensure!(who == record.owner || who == holder.provider, Error::<T>::NotOwnerOrHolder);
			let challenge = Challenges::<T>::get((block, index));
			Self::lose_fragment(block, &mut record, index, true);
			Blocks::<T>::insert(block, record);
			let mut weight = T::WeightInfo::report_missing();
			if who == holder.provider {
				if challenge.is_some() {
					Self::deposit_event(Event::ProofMissed {
						block,
						index,
						provider: holder.provider,
						contract: holder.contract,
					});
				}
				let now = frame_system::Pallet::<T>::block_number();
				weight = weight.saturating_add(T::Contracts::record_fault(holder.contract, Fault::DroppedFragment, now));
			}
			Ok(Some(weight).into())
		}

		/// Removes `block`: releases every placement and the deposit.
		///
		/// ## Dispatch Origin
		/// Signed by the block's owner.
		///
		/// Errors: `UnknownBlock`, `NotBlockOwner`. Event: `BlockRemoved`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_block(T::MaxFragments::get()).saturating_add(T::DbWeight::get().writes(1)))]
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
			BlocksByPath::<T>::remove((record.path_hash, record.writer, block));
			PathBlockCount::<T>::mutate_exists(record.path_hash, record.writer, |n| {
				*n = n.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
			});
			if !PathBlockCount::<T>::contains_key(record.path_hash, record.writer) {
				PathNewestVersion::<T>::remove(record.path_hash, record.writer);
			}
			Self::deposit_event(Event::BlockRemoved { block });
			Ok(())
		}

		/// Answers the open challenge on fragment `index` of `block` with the challenged chunk
		/// and its merkle proof. Free when valid.
		///
		/// ## Dispatch Origin
		/// Signed by the challenged provider.
		///
		/// ## Details
		/// The chunk must be the challenged one, full size unless it is the fragment's last, and
		/// its proof must lead to the fragment root recorded with the block. The answer must come
		/// before the deadline block.
		///
		/// Errors: `NoOpenChallenge`, `NotChallenged`, `ChallengeExpired`, `UnknownBlock`,
		/// `UnknownFragment`, `InvalidProof`. Event: `ProofAccepted`.
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
			Self::close_challenge(key);
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

		/// Clears fragment `index` of `record` (if placed) and queues the block for repair; if
		/// `bar`, the old holder enters the placement cooldown for this block (it lost the
		/// fragment; a contract that simply ended bars nobody).
		fn lose_fragment(block: DataBlockId, record: &mut BlockRecordOf<T>, index: u8, bar: bool) {
			if let Some(holder) = Self::clear_holder(block, record, index) {
				BelowTarget::<T>::insert(block, record.placed());
				if bar {
					Self::bar(record, holder.provider.clone());
				}
				Self::deposit_event(Event::FragmentLost { block, index, provider: holder.provider });
			}
		}

		/// Bars `provider` from placing fragments of `record` for `PlacementCooldown` blocks.
		/// Entries whose time is over are dropped first; if every slot is still taken the entry
		/// ending soonest gives way (that takes `MaxFragments` other providers losing a fragment
		/// of the same block within one cooldown).
		fn bar(record: &mut BlockRecordOf<T>, provider: T::AccountId) {
			let now = frame_system::Pallet::<T>::block_number();
			let until = now.saturating_add(T::PlacementCooldown::get());
			record.barred.retain(|(p, end)| *p != provider && now < *end);
			if record.barred.is_full() {
				if let Some(soonest) =
					record.barred.iter().enumerate().min_by_key(|(_, (_, end))| *end).map(|(i, _)| i)
				{
					record.barred.remove(soonest);
				}
			}
			let _ = record.barred.try_push((provider, until));
		}

		/// Closes the open challenge on `key`, with its deadline entry.
		fn close_challenge(key: FragmentKey) {
			if let Some(challenge) = Challenges::<T>::take(key) {
				if challenge.deadline <= frame_system::Pallet::<T>::block_number() {
					OverdueMisses::<T>::mutate(|keys| keys.retain(|k| *k != key));
				}
				Deadlines::<T>::mutate_exists(challenge.deadline, |keys| {
					if let Some(list) = keys {
						list.retain(|k| *k != key);
						if list.is_empty() {
							*keys = None;
						}
					}
				});
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
			Self::close_challenge(key);
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
		/// chunk. Returns how many draws were made.
		pub fn issue_challenges(now: BlockNumberFor<T>) -> u32 {
			Self::issue_draws(now, T::ChallengesPerRound::get())
		}

		/// [`Pallet::issue_challenges`] for up to `draws` challenges. A draw that lands on a
		/// fragment that cannot be challenged (already open, or held past its contract's term)
		/// is drawn again, up to `2 * draws` draws in all, so such placements do not shield
		/// the rest. Returns the number of draws made (what the weight is charged for).
		pub fn issue_draws(now: BlockNumberFor<T>, draws: u32) -> u32 {
			let size = PoolSize::<T>::get();
			if size == 0 {
				return 0
			}
			let deadline = now.saturating_add(T::ResponseWindow::get());
			let mut issued = 0;
			let mut made = 0;
			for draw in 0..draws.saturating_mul(2) {
				if issued >= draws {
					break
				}
				made += 1;
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
				// Never ask for an answer due after the holder's term: liability ends with it.
				if T::Contracts::term_end(holder.contract).is_none_or(|end| end <= deadline) {
					continue
				}
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
			made
		}

		/// Turns the challenges due at `now` that are still open into misses. Returns how many
		/// deadlines were looked at and the weight the faults cost the contract ledger.
		///
		/// A fault may complete a slash that clears a whole contract, so at most
		/// [`SLASHES_PER_BLOCK`] such faults' worth of weight is spent per block: the misses left
		/// over move to [`OverdueMisses`], handled first in the next block. They stay misses (their deadline has passed, so
		/// no answer is accepted any more); they are only counted a block later.
		pub fn expire_challenges(now: BlockNumberFor<T>) -> (u32, Weight) {
			let mut due = OverdueMisses::<T>::take().into_inner();
			due.extend(Deadlines::<T>::take(now));
			let count = due.len() as u32;
			let slash = T::Contracts::max_fault_weight();
			let budget = slash.saturating_mul(SLASHES_PER_BLOCK);
			let mut fault_weight = Weight::zero();
			let mut index = 0;
			while index < due.len() {
				if index > 0 && !fault_weight.saturating_add(slash).all_lte(budget) {
					// Only misses still open: a slash may have closed some of the rest.
					let mut rest = due.split_off(index);
					rest.retain(|key| Challenges::<T>::get(key).is_some_and(|c| c.deadline <= now));
					match BoundedVec::try_from(rest) {
						Ok(rest) => {
							OverdueMisses::<T>::put(rest);
							break
						},
						// More left over than the list holds: count them now, over the budget.
						Err(rest) => due.extend(rest),
					}
				}
				let key = due[index];
				index += 1;
				// The record must still be a challenge whose deadline has come.
				if Challenges::<T>::get(key).is_none_or(|c| c.deadline > now) {
					continue
				}
				let Some(challenge) = Challenges::<T>::take(key) else { continue };
				if let Some(mut record) = Blocks::<T>::get(key.0) {
					Self::lose_fragment(key.0, &mut record, key.1, true);
					Blocks::<T>::insert(key.0, record);
				}
				Self::deposit_event(Event::ProofMissed {
					block: key.0,
					index: key.1,
					provider: challenge.provider,
					contract: challenge.contract,
				});
				// Counted in the period of its deadline, even when counted a block late.
				fault_weight = fault_weight.saturating_add(T::Contracts::record_fault(
					challenge.contract,
					Fault::MissedProof,
					challenge.deadline,
				));
			}
			(count, fault_weight)
		}

		/// Checks the pallet's bookkeeping against its records: the path index and per-writer
		/// counts, placements by provider and by contract, contract counts and reserved space,
		/// the dense challenge pool, the repair queue, open challenges against their deadlines,
		/// and the deposit holds.
		#[cfg(any(feature = "std", feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::{BTreeMap, BTreeSet};
			let mut placed_total = 0u32;
			let mut per_contract: BTreeMap<ContractId, (u32, u64)> = BTreeMap::new();
			let mut per_path: BTreeMap<(H256, PrincipalId), u32> = BTreeMap::new();
			let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for (id, r) in Blocks::<T>::iter() {
				ensure!(r.fragments.len() == r.n as usize && r.k < r.n, "a block's fragments differ from its k of n");
				ensure!(BlocksByPath::<T>::contains_key((r.path_hash, r.writer, id)), "a block is missing from its path index");
				*per_path.entry((r.path_hash, r.writer)).or_insert(0) += 1;
				let held = deposits.entry(r.owner.clone()).or_insert(Zero::zero());
				*held = held.saturating_add(r.deposit);
				let placed = r.placed();
				ensure!(
					BelowTarget::<T>::get(id) == (placed < r.n).then_some(placed),
					"the repair queue disagrees with a block's placements"
				);
				let mut providers = BTreeSet::new();
				for (i, f) in r.fragments.iter().enumerate() {
					let key = (id, i as u8);
					let Some(h) = &f.holder else {
						ensure!(!PoolSlot::<T>::contains_key(key), "an unplaced fragment is in the challenge pool");
						ensure!(!Challenges::<T>::contains_key(key), "a challenge is open on an unplaced fragment");
						continue
					};
					ensure!(providers.insert(h.provider.clone()), "two fragments of a block sit on one provider");
					ensure!(
						FragmentsByProvider::<T>::get(&h.provider, key) == Some(h.contract),
						"a placement is missing from the provider index"
					);
					ensure!(FragmentsByContract::<T>::contains_key(h.contract, key), "a placement is missing from the contract index");
					ensure!(
						PoolSlot::<T>::get(key).is_some_and(|slot| PoolAt::<T>::get(slot) == Some(key)),
						"a placed fragment is missing from the challenge pool"
					);
					if let Some(c) = Challenges::<T>::get(key) {
						ensure!(c.provider == h.provider && c.contract == h.contract, "a challenge is addressed to a non-holder");
					}
					let e = per_contract.entry(h.contract).or_insert((0, 0));
					e.0 += 1;
					e.1 = e.1.saturating_add(r.fragment_size);
					placed_total += 1;
				}
			}
			ensure!(PoolSize::<T>::get() == placed_total, "PoolSize differs from the placements");
			ensure!(PoolAt::<T>::iter().count() as u32 == placed_total, "the pool has stale slots");
			ensure!(PoolSlot::<T>::iter().count() as u32 == placed_total, "the pool has stale keys");
			for (slot, key) in PoolAt::<T>::iter() {
				ensure!(slot < placed_total && PoolSlot::<T>::get(key) == Some(slot), "the pool's two maps disagree");
			}
			for (path, writer, id) in BlocksByPath::<T>::iter_keys() {
				ensure!(
					Blocks::<T>::get(id).is_some_and(|r| r.path_hash == path && r.writer == writer),
					"the path index names a block that is not there"
				);
			}
			let mut counted = 0;
			for (path, writer, count) in PathBlockCount::<T>::iter() {
				counted += 1;
				ensure!(per_path.get(&(path, writer)) == Some(&count), "PathBlockCount differs from the blocks");
				ensure!(count <= T::MaxBlocksPerPath::get(), "more versions than allowed");
			}
			ensure!(counted == per_path.len(), "a writer's versions are not counted");
			for (path, writer, _) in PathNewestVersion::<T>::iter() {
				ensure!(PathBlockCount::<T>::contains_key(path, writer), "a newest version outlives its path's blocks");
			}
			for (provider, (block, index), contract) in FragmentsByProvider::<T>::iter() {
				ensure!(
					Blocks::<T>::get(block)
						.and_then(|r| r.fragments.get(index as usize).and_then(|f| f.holder.clone()))
						.is_some_and(|h| h.provider == provider && h.contract == contract),
					"the provider index names a placement that is not there"
				);
			}
			for (contract, (block, index), ()) in FragmentsByContract::<T>::iter() {
				ensure!(
					Blocks::<T>::get(block)
						.and_then(|r| r.fragments.get(index as usize).and_then(|f| f.holder.clone()))
						.is_some_and(|h| h.contract == contract),
					"the contract index names a placement that is not there"
				);
			}
			for (contract, count) in ContractFragmentCount::<T>::iter() {
				ensure!(per_contract.get(&contract).map(|e| e.0) == Some(count), "ContractFragmentCount differs");
			}
			for (contract, (count, bytes)) in &per_contract {
				ensure!(ContractFragmentCount::<T>::get(contract) == *count, "a contract's fragments are not counted");
				ensure!(*count <= T::MaxFragmentsPerContract::get(), "more fragments in a contract than allowed");
				ensure!(
					T::Contracts::reserved_space(*contract) == Some(*bytes),
					"a contract's reserved space differs from its placements"
				);
			}
			for (block, _) in BelowTarget::<T>::iter() {
				ensure!(Blocks::<T>::contains_key(block), "the repair queue names an unknown block");
			}
			let mut queued = 0usize;
			for (deadline, keys) in Deadlines::<T>::iter() {
				for key in keys {
					queued += 1;
					ensure!(
						Challenges::<T>::get(key).is_some_and(|c| c.deadline == deadline),
						"a deadline entry has no open challenge with that deadline"
					);
				}
			}
			let now = frame_system::Pallet::<T>::block_number();
			for key in OverdueMisses::<T>::get() {
				queued += 1;
				ensure!(
					Challenges::<T>::get(key).is_some_and(|c| c.deadline <= now),
					"an overdue miss has no open challenge past its deadline"
				);
			}
			ensure!(queued == Challenges::<T>::iter().count(), "an open challenge has no deadline entry");
			for (who, amount) in deposits {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::BlockDeposit.into(), &who) == amount,
					"a block deposit hold differs from the recorded deposits"
				);
			}
			Ok(())
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

		/// The blocks recorded at the path with hash `path_hash`, by any writer (at most four
		/// writers' worth, `4 * MaxBlocksPerPath`): readers pick the newest version whose writer's
		/// authority they verify. Writers that hold caps can crowd this listing; a reader that
		/// knows whose versions it wants asks [`Pallet::blocks_at_path_by`].
		pub fn blocks_at_path(path_hash: H256) -> alloc::vec::Vec<(DataBlockId, BlockRecordOf<T>)> {
			BlocksByPath::<T>::iter_key_prefix((path_hash,))
				.take(T::MaxBlocksPerPath::get().saturating_mul(4) as usize)
				.filter_map(|(_, id)| Blocks::<T>::get(id).map(|r| (id, r)))
				.collect()
		}

		/// The blocks `writer` recorded at the path with hash `path_hash` (at most
		/// `MaxBlocksPerPath`): nobody else's records can crowd them out.
		pub fn blocks_at_path_by(path_hash: H256, writer: PrincipalId) -> alloc::vec::Vec<(DataBlockId, BlockRecordOf<T>)> {
			BlocksByPath::<T>::iter_key_prefix((path_hash, writer))
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
					Self::lose_fragment(block, &mut record, index, false);
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
