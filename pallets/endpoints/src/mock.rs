//! A minimal runtime for the endpoints pallet's tests: System, Balances and the pallet, with
//! accounts 1..=3 controlling principals `[1; 32]`..`[3; 32]`.

use crate as pallet_endpoints;
use blocktree_primitives::principal::{PrincipalId, PrincipalOf};
use frame_support::{
	derive_impl,
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
	pub type Endpoints = pallet_endpoints;
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

/// Accounts 1..=3 control principal `[account; 32]`; others none.
pub struct MockPrincipals;
impl PrincipalOf<u64> for MockPrincipals {
	fn principal_of(who: &u64) -> Option<PrincipalId> {
		(1..=3).contains(who).then(|| PrincipalId::repeat_byte(*who as u8))
	}
}

/// Deposit of the mock runtime.
pub const DEPOSIT: u64 = 50;
/// Time to live of the mock runtime, in blocks.
pub const TTL: u64 = 10;

impl pallet_endpoints::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Principals = MockPrincipals;
	type EndpointDeposit = ConstU64<DEPOSIT>;
	type MaxAddresses = ConstU32<4>;
	type EndpointTtl = ConstU64<TTL>;
	type WeightInfo = ();
}

/// Accounts 1..=5 with 1000 each (5 has less than the deposit: 10); private addresses as
/// given.
pub fn new_test_ext(allow_private: bool) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(1, 1000), (2, 1000), (3, 1000), (4, 1000), (5, 10)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_endpoints::GenesisConfig::<Test> { allow_private_addresses: allow_private, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
