//! A runtime for the fragments pallet's tests: System, Balances, the real storage contracts
//! pallet (so placements run against real contracts) and the pallet. Account 1 owns blocks;
//! accounts 11..=16 are providers, each with one offer; 2 is another client.
//!
//! Write authority is a stand-in for the principals pallet (tested there and in the runtime):
//! account `a` controls principal [`principal_of`]`(a)` and may write its own tree, and
//! [`CAP_HOLDER`] may write anywhere in [`OWNER`]'s tree. Signatures are not checked here.

use crate as pallet_fragments;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64, ConstU8},
};
use blocktree_primitives::{
	block::{BlockHeader, SignedBlockHeader, DEFAULT_SECTOR_SIZE},
	cap::BlockWriteAuthority,
	path::BlockPath,
	principal::{PrincipalId, Signature},
};
use sp_core::H256;
use sp_runtime::{BuildStorage, DispatchError};

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
	type PeriodLength = ConstU64<CONTRACT_PERIOD>;
	type MaxPeriods = ConstU32<10>;
	type MaxFaults = ConstU32<2>;
	type MaxOffersPerProvider = ConstU32<2>;
	type MaxContractsPerAccount = ConstU32<8>;
	type OfferDeposit = ConstU64<1>;
	type OnContractEnded = Fragments;
	type WeightInfo = ();
}

/// Blocks per contract period.
pub const CONTRACT_PERIOD: u64 = 100;

/// Block deposit and per-fragment deposit.
pub const BLOCK_DEPOSIT: u64 = 10;
pub const FRAGMENT_DEPOSIT: u64 = 1;
/// Challenge rounds every 5 blocks, 10 blocks to answer: the runtime's ratio (a window longer
/// than a round), so a fragment can be drawn again while an answered challenge's deadline is
/// still ahead.
pub const CHALLENGE_PERIOD: u64 = 5;
pub const RESPONSE_WINDOW: u64 = 10;
/// A provider that lost a fragment of a block waits a contract period before placing one again.
pub const PLACEMENT_COOLDOWN: u64 = CONTRACT_PERIOD;
/// The block owner and another client.
pub const OWNER: u64 = 1;
pub const OTHER: u64 = 2;
/// Holds a write cap over OWNER's whole tree.
pub const CAP_HOLDER: u64 = 3;

/// The principal account `who` controls.
pub fn principal_of(who: u64) -> PrincipalId {
	H256::from_low_u64_be(who)
}

/// The write rule of the mock (see the module doc).
pub struct MockAuthority;
impl BlockWriteAuthority<u64> for MockAuthority {
	fn check_block_header(who: &u64, header: &SignedBlockHeader) -> Result<(), DispatchError> {
		let h = &header.header;
		if h.writer != principal_of(*who) {
			return Err(DispatchError::Other("NotWritersController"))
		}
		let root = h.path.root();
		if root == h.writer || (*who == CAP_HOLDER && root == principal_of(OWNER)) {
			Ok(())
		} else {
			Err(DispatchError::Other("NoCapability"))
		}
	}

	fn signed_header_for_benchmark(who: &u64, seed: u32, _links: u32) -> Option<SignedBlockHeader> {
		Some(header(*who, *who, &alloc_name(seed), 1))
	}
}

fn alloc_name(seed: u32) -> String {
	format!("b{seed}")
}

/// A header by `writer` at `/<principal of tree_owner>/<name>`, version `version` (unsigned:
/// the mock does not check signatures).
pub fn header(writer: u64, tree_owner: u64, name: &str, version: u64) -> SignedBlockHeader {
	let path = BlockPath::root_of(&principal_of(tree_owner)).join(name).expect("valid test name");
	SignedBlockHeader {
		header: BlockHeader {
			path,
			version,
			writer: principal_of(writer),
			write_caps: Default::default(),
			read_caps: Default::default(),
			sector_size: DEFAULT_SECTOR_SIZE,
			plaintext_len: 0,
			nonce_prefix: [0; 16],
			merkle_root: H256::zero(),
		},
		signature: Signature::Ed25519(sp_core::ed25519::Signature::from_raw([0; 64])),
	}
}

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
	type PlacementCooldown = ConstU64<PLACEMENT_COOLDOWN>;
	type WriteAuthority = MockAuthority;
	type WeightInfo = ();
}

/// Funded accounts, block 1, no offers yet.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances = vec![(OWNER, 1_000_000), (OTHER, 1_000_000), (CAP_HOLDER, 1_000_000)];
	balances.extend((11..=16).map(|p| (p, 1_000_000)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in a fresh externality, then checks both pallets' invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		check_invariants();
	});
}

/// Both pallets' `try_state`.
pub fn check_invariants() {
	Fragments::do_try_state().expect("fragments invariants hold");
	StorageContracts::do_try_state().expect("storage contracts invariants hold");
}
