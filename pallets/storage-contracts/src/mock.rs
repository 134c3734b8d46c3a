//! A minimal runtime for the storage contracts pallet's tests: System, Balances and the pallet.
//! Periods of 10 blocks, at most 12 periods, slashed at 2 faults; the contract-ended hook
//! records what it is told.

use crate as pallet_storage_contracts;
use blocktree_primitives::storage::{ContractId, OnContractEnded};
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
	weights::Weight,
};
use sp_runtime::BuildStorage;
use std::cell::RefCell;

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
	pub type Contracts = pallet_storage_contracts;
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
	/// Above the smallest payments, so that undeliverable payments can be tested.
	type ExistentialDeposit = ConstU64<10>;
}

thread_local! {
	/// Contracts the hook was told about, in order.
	pub static ENDED: RefCell<Vec<ContractId>> = const { RefCell::new(Vec::new()) };
}

/// Records ended contracts.
pub struct RecordEnded;
impl OnContractEnded for RecordEnded {
	fn contract_ended(id: ContractId) {
		ENDED.with(|e| e.borrow_mut().push(id));
	}
	fn max_weight() -> Weight {
		Weight::from_parts(1, 0)
	}
}

/// The ended contracts recorded so far.
pub fn ended() -> Vec<ContractId> {
	ENDED.with(|e| e.borrow().clone())
}

/// Blocks per period.
pub const PERIOD: u64 = 10;
/// Offer deposit.
pub const OFFER_DEPOSIT: u64 = 5;
/// Provider, client, a poor account, a second provider.
pub const PROVIDER: u64 = 1;
pub const CLIENT: u64 = 2;
pub const POOR: u64 = 3;
pub const PROVIDER2: u64 = 4;
/// What accounts 1, 2 and 4 start with.
pub const FUNDS: u64 = 100_000;

impl pallet_storage_contracts::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type PeriodLength = ConstU64<PERIOD>;
	type MaxPeriods = ConstU32<12>;
	type MaxFaults = ConstU32<2>;
	type MaxOffersPerProvider = ConstU32<2>;
	type MaxContractsPerAccount = ConstU32<3>;
	type OfferDeposit = ConstU64<OFFER_DEPOSIT>;
	type OnContractEnded = RecordEnded;
	type WeightInfo = ();
}

/// Funded accounts; block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	ENDED.with(|e| e.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(PROVIDER, FUNDS), (CLIENT, FUNDS), (POOR, 50), (PROVIDER2, FUNDS), (5, FUNDS)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in a fresh externality, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Contracts::do_try_state().expect("invariants hold after the test");
	});
}
