//! A minimal runtime for the principals pallet's tests: System, Balances, Timestamp and the
//! pallet.

use crate as pallet_principals;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
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
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type Principals = pallet_principals;
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

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = ConstU64<1>;
	type WeightInfo = ();
}

/// Deposits of the mock runtime, in the runtime's ratios (1 BKT, 10 BKT, 0.1 BKT, 0.1 BKT).
pub const PRINCIPAL_DEPOSIT: u64 = 100;
pub const ROOT_DEPOSIT: u64 = 1_000;
pub const REQUEST_DEPOSIT: u64 = 10;
pub const REVOCATION_DEPOSIT: u64 = 10;
/// Requests live this many blocks.
pub const REQUEST_LIFETIME: u64 = 20;
/// The runtime's request bounds: one requester holds at most a sixteenth of a tree's slots.
pub const MAX_PENDING_REQUESTS: u32 = 64;
pub const MAX_REQUESTS_PER_REQUESTER: u32 = 4;
/// Funds every test account starts with.
pub const ENDOWMENT: u64 = 10_000;
/// Accounts `1..=ACCOUNTS` are endowed.
pub const ACCOUNTS: u64 = 20;
/// Unix time (ms) the tests start at.
pub const START_MS: u64 = 1_800_000_000_000;

parameter_types! {
	pub const PrincipalDeposit: u64 = PRINCIPAL_DEPOSIT;
	pub const RootDeposit: u64 = ROOT_DEPOSIT;
	pub const RequestDeposit: u64 = REQUEST_DEPOSIT;
	pub const RevocationDeposit: u64 = REVOCATION_DEPOSIT;
}

impl pallet_principals::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type UnixTime = Timestamp;
	type PrincipalDeposit = PrincipalDeposit;
	type RootDeposit = RootDeposit;
	type RequestDeposit = RequestDeposit;
	type RevocationDeposit = RevocationDeposit;
	type RequestLifetime = ConstU64<REQUEST_LIFETIME>;
	type MaxPendingRequests = ConstU32<MAX_PENDING_REQUESTS>;
	type MaxRequestsPerRequester = ConstU32<MAX_REQUESTS_PER_REQUESTER>;
	type MaxPublishedCaps = ConstU32<4>;
	type WeightInfo = ();
}

/// Accounts `1..=ACCOUNTS` endowed, the clock at `START_MS`, block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=ACCOUNTS).map(|a| (a, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	// Benchmarks make and use keys through the keystore host functions.
	ext.register_extension(sp_keystore::KeystoreExt::new(sp_keystore::testing::MemoryKeystore::new()));
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Test>::put(START_MS);
	});
	ext
}

/// Runs `test` in a fresh [`new_test_ext`], then checks the pallet's invariants
/// ([`Principals::do_try_state`]), as `try-runtime` does after every block.
pub fn run_test<R>(test: impl FnOnce() -> R) -> R {
	new_test_ext().execute_with(|| {
		let result = test();
		assert_invariants();
		result
	})
}

/// Asserts that the pallet's invariants hold now.
pub fn assert_invariants() {
	if let Err(e) = Principals::do_try_state() {
		panic!("pallet invariants broken: {e:?}");
	}
}
