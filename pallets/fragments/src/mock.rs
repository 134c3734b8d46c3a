//! A runtime for the fragments pallet's tests: System, Balances, the real storage contracts
//! pallet (so placements run against real contracts) and the pallet. Account 1 owns blocks;
//! accounts 11..=16 are providers, each with one offer; 2 is another client.

use crate as pallet_fragments;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64, ConstU8},
};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type StorageContracts = pallet_storage_contracts;
	#[runtime::pallet_index(3)]
	pub type Fragments = pallet_fragments;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_storage_contracts::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type PeriodLength = ConstU64<100>;
	type MaxPeriods = ConstU32<10>;
	type MaxFaults = ConstU32<2>;
	type MaxOffersPerProvider = ConstU32<2>;
	type MaxContractsPerAccount = ConstU32<8>;
	type OfferDeposit = ConstU64<1>;
	type OnContractEnded = Fragments;
	type WeightInfo = ();
}

/// Block deposit and per-fragment deposit.
pub const BLOCK_DEPOSIT: u64 = 10;
pub const FRAGMENT_DEPOSIT: u64 = 1;
/// Challenge rounds every 5 blocks, 3 blocks to answer.
pub const CHALLENGE_PERIOD: u64 = 5;
pub const RESPONSE_WINDOW: u64 = 3;
/// The block owner and another client.
pub const OWNER: u64 = 1;
pub const OTHER: u64 = 2;

impl pallet_fragments::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Contracts = StorageContracts;
	type Randomness = crate::randomness::ParentHashRandomness<Test>;
	type MinDataFragments = ConstU8<2>;
	type MaxDataFragments = ConstU8<4>;
	type MaxParityFragments = ConstU8<2>;
	type MaxFragments = ConstU32<6>;
	type TargetFragmentSize = ConstU64<1000>;
	type MaxBlockSize = ConstU64<100_000>;
	type MaxBlocksPerPath = ConstU32<2>;
	type MaxFragmentsPerContract = ConstU32<3>;
	type BlockDeposit = ConstU64<BLOCK_DEPOSIT>;
	type FragmentDeposit = ConstU64<FRAGMENT_DEPOSIT>;
	type ChallengePeriod = ConstU64<CHALLENGE_PERIOD>;
	type ChallengesPerRound = ConstU32<2>;
	type ResponseWindow = ConstU64<RESPONSE_WINDOW>;
	type WeightInfo = ();
}

/// Funded accounts, block 1, no offers yet.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances = vec![(OWNER, 1_000_000), (OTHER, 1_000_000)];
	balances.extend((11..=16).map(|p| (p, 1_000_000)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
