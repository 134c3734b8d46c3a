//! A minimal runtime for the endpoints pallet's tests: System, Balances and the pallet, with
//! accounts 1..=3 controlling principals `[1; 32]`..`[3; 32]` (and others once a test
//! calls [`grant_principal`]); node keys for peer ids and their proofs; [`run_test`], which
//! checks the pallet's invariants after every test.

use crate as pallet_endpoints;
use crate::{address::ed25519_peer_id, peer_proof_message, PeerId};
use blocktree_primitives::principal::{PrincipalId, PrincipalOf};
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use sp_core::{ed25519, Pair};
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

std::thread_local! {
	/// Accounts beyond 1..=3 that have registered a principal during the test.
	static LATE_PRINCIPALS: core::cell::RefCell<Vec<u64>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// From now on `who` controls principal `[who; 32]` (as if it registered one in the principals
/// pallet after its endpoint).
pub fn grant_principal(who: u64) {
	LATE_PRINCIPALS.with(|late| late.borrow_mut().push(who));
}

/// Accounts 1..=3 control principal `[account; 32]`, and those granted one later; others none.
pub struct MockPrincipals;
impl PrincipalOf<u64> for MockPrincipals {
	fn principal_of(who: &u64) -> Option<PrincipalId> {
		let controls = (1..=3).contains(who) || LATE_PRINCIPALS.with(|late| late.borrow().contains(who));
		controls.then(|| PrincipalId::repeat_byte(*who as u8))
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
/// given; a keystore for the benchmarks' keys.
pub fn new_test_ext(allow_private: bool) -> sp_io::TestExternalities {
	LATE_PRINCIPALS.with(|late| late.borrow_mut().clear());
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
	ext.register_extension(sp_keystore::KeystoreExt::new(sp_keystore::testing::MemoryKeystore::new()));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in a fresh [`new_test_ext`], then checks the pallet's invariants
/// ([`Endpoints::do_try_state`]).
pub fn run_test(allow_private: bool, test: impl FnOnce()) {
	new_test_ext(allow_private).execute_with(|| {
		test();
		Endpoints::do_try_state().expect("the endpoints pallet's invariants hold after the test");
	});
}

/// Node `seed`'s network key (a libp2p ed25519 identity).
pub fn node_key(seed: u8) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[seed; 32])
}

/// The peer id of node `seed`, as libp2p writes it: identity multihash of the protobuf-encoded
/// ed25519 key.
pub fn peer(seed: u8) -> PeerId {
	PeerId::try_from(ed25519_peer_id(&node_key(seed).public().0).to_vec()).expect("38 bytes fit; qed")
}

/// Node `seed`'s proof that `account` may announce its peer id on this chain.
pub fn proof(seed: u8, account: u64) -> ed25519::Signature {
	node_key(seed).sign(&peer_proof_message(&Endpoints::chain_tag(), &account))
}
