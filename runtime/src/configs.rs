//! Configuration of each pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU16, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	Fragments, StorageContracts, System, Timestamp, DAYS, HOURS, EXISTENTIAL_DEPOSIT, SLOT_DURATION, VERSION,
};
use blocktree_primitives::{
	currency::{MICRO_UNIT, MILLI_UNIT, UNIT},
	SS58_PREFIX,
};

/// Share of a block's weight and length that normal (non-operational) extrinsics may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;

	/// Two seconds of compute per six-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// Blocks of at most 5 MiB.
	pub RuntimeBlockLength: BlockLength =
		BlockLength::builder()
			.max_length(5 * 1024 * 1024)
			.modify_max_length_for_class(DispatchClass::Normal, |max| {
				*max = NORMAL_DISPATCH_RATIO * *max
			})
			.build();
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = ConstU16<SS58_PREFIX>;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No equivocation reporting until validators are chosen by a pallet with a session history.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees are withdrawn from the sender's free balance and burnt.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	/// One smallest unit per unit of ref-time weight (a transfer costs about 0.0002 BKT).
	type WeightToFee = IdentityFee<Balance>;
	/// One micro-BKT per byte of encoded extrinsic.
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_UNIT>>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held while a principal is registered: 1 BKT.
	pub const PrincipalDeposit: Balance = UNIT;
	/// Held while a root (a whole tree) is claimed: 10 BKT.
	pub const RootDeposit: Balance = 10 * UNIT;
	/// Held while a write request waits for an answer: 0.1 BKT (forfeited to the tree's owner
	/// if rejected).
	pub const RequestDeposit: Balance = 100 * MILLI_UNIT;
	/// Held while a revocation is stored, until the revoked cap has expired: 0.1 BKT.
	pub const RevocationDeposit: Balance = 100 * MILLI_UNIT;
}

impl pallet_principals::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type UnixTime = Timestamp;
	type PrincipalDeposit = PrincipalDeposit;
	type RootDeposit = RootDeposit;
	type RequestDeposit = RequestDeposit;
	type RevocationDeposit = RevocationDeposit;
	/// A week.
	type RequestLifetime = ConstU32<{ 7 * DAYS }>;
	type MaxPendingRequests = ConstU32<64>;
	/// One requester holds at most 4 of a tree's 64 slots.
	type MaxRequestsPerRequester = ConstU32<4>;
	type MaxPublishedCaps = ConstU32<32>;
	type WeightInfo = pallet_principals::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held while an endpoint is registered: 1 BKT.
	pub const EndpointDeposit: Balance = UNIT;
}

impl pallet_endpoints::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Principals = pallet_principals::Pallet<Runtime>;
	type EndpointDeposit = EndpointDeposit;
	type MaxAddresses = ConstU32<8>;
	/// A day without a heartbeat and an endpoint is gone.
	type EndpointTtl = ConstU32<DAYS>;
	type WeightInfo = pallet_endpoints::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held while a storage offer is listed: 1 BKT.
	pub const OfferDeposit: Balance = UNIT;
}

impl pallet_storage_contracts::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Contracts are paid by the hour.
	type PeriodLength = ConstU32<HOURS>;
	/// At most a year.
	type MaxPeriods = ConstU32<{ 24 * 366 }>;
	/// Missed proofs in three distinct hours slash the provider.
	type MaxFaults = ConstU32<3>;
	type MaxOffersPerProvider = ConstU32<8>;
	type MaxContractsPerAccount = ConstU32<64>;
	type OfferDeposit = OfferDeposit;
	type OnContractEnded = Fragments;
	type WeightInfo = pallet_storage_contracts::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held per recorded block: 0.01 BKT.
	pub const BlockDeposit: Balance = 10 * MILLI_UNIT;
	/// Held per fragment of a recorded block: 0.001 BKT.
	pub const FragmentDeposit: Balance = MILLI_UNIT;
}

impl pallet_fragments::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Contracts = StorageContracts;
	/// Write authority on chain: the writer's signature and cap chain, by the principals
	/// registry.
	type WriteAuthority = pallet_principals::Pallet<Runtime>;
	type Randomness = pallet_fragments::randomness::ParentHashRandomness<Runtime>;
	type MinDataFragments = ConstU8<2>;
	type MaxDataFragments = ConstU8<16>;
	type MaxParityFragments = ConstU8<8>;
	type MaxFragments = ConstU32<24>;
	/// Blocks are cut into fragments of about 1 MiB while k allows.
	type TargetFragmentSize = ConstU64<{ 1024 * 1024 }>;
	/// Data blocks of at most 64 MiB.
	type MaxBlockSize = ConstU64<{ 64 * 1024 * 1024 }>;
	type MaxBlocksPerPath = ConstU32<16>;
	type MaxFragmentsPerContract = ConstU32<256>;
	type BlockDeposit = BlockDeposit;
	type FragmentDeposit = FragmentDeposit;
	/// A challenge round every ten blocks (a minute).
	type ChallengePeriod = ConstU32<10>;
	type ChallengesPerRound = ConstU32<8>;
	/// Two minutes to answer.
	type ResponseWindow = ConstU32<20>;
	/// A provider that lost a fragment of a block waits an hour (a contract period) before it
	/// may place one of that block again.
	type PlacementCooldown = ConstU32<HOURS>;
	type WeightInfo = pallet_fragments::weights::SubstrateWeight<Runtime>;
}
