//! Unit tests of the fragments pallet, against real storage contracts: the redundancy rule
//! with numbers, every call and error, the repair queue, and proofs of storage (valid, forged,
//! late, missed) feeding the contracts' fault rule.

use crate::{
	mock::*, BelowTarget, Blocks, Challenges, ContractFragmentCount, Error, Event, FragmentsByContract,
	FragmentsByProvider, PathBlockCount, PoolSize,
};
use blocktree_primitives::storage::{fragment_root, prove_chunk};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::Pays,
	traits::{
		fungible::InspectHold,
		Hooks,
	},
	BoundedVec,
};
use sp_core::H256;
use sp_runtime::{traits::BadOrigin, DispatchError};

type Roots = BoundedVec<H256, frame_support::traits::ConstU32<6>>;

/// `count` providers (11, 12, ...) each list an offer and sell OWNER a contract of `bytes`;
/// contract `i` belongs to provider `11 + i`.
fn contracts(count: u64, bytes: u64) {
	for i in 0..count {
		let provider = 11 + i;
		assert_ok!(StorageContracts::create_offer(RuntimeOrigin::signed(provider), 1_000_000, 1, 0, 1));
		assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(OWNER), i, bytes, 5, 1));
	}
}

/// Deterministic fragment contents.
fn fragment(block: u8, index: u8, size: u64) -> Vec<u8> {
	(0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(block ^ index.wrapping_mul(7))).collect()
}

fn block_id(n: u8) -> H256 {
	H256::repeat_byte(n)
}

fn path(n: u8) -> H256 {
	H256::repeat_byte(0x80 | n)
}

/// Records block `n` of `size` bytes with tolerance `tolerance`; returns its `(k, n, fragment size)`.
fn record(n: u8, size: u64, tolerance: u8) -> (u8, u8, u64) {
	let (k, total, fsize) = Fragments::erasure_params(&OWNER, size, tolerance).expect("params");
	let roots: Vec<H256> = (0..total).map(|i| fragment_root(&fragment(n, i, fsize))).collect();
	assert_ok!(Fragments::record_block(
		RuntimeOrigin::signed(OWNER),
		block_id(n),
		path(n),
		size,
		tolerance,
		Roots::try_from(roots).unwrap()
	));
	(k, total, fsize)
}

/// Places every fragment of block `n`: fragment `i` with provider `11 + i` under contract `i`.
fn place_all(n: u8, total: u8) {
	for i in 0..total {
		assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(11 + i as u64), block_id(n), i, i as u64));
	}
}

fn run_to(block: u64) {
	let mut now = System::block_number();
	while now < block {
		now += 1;
		System::set_block_number(now);
		System::set_parent_hash(H256::from_low_u64_be(now * 7919));
		Fragments::on_initialize(now);
	}
}

#[test]
fn the_redundancy_rule_with_numbers() {
	new_test_ext().execute_with(|| {
		let rule = |size, tolerance, providers| Fragments::redundancy_rule(size, tolerance, providers);
		// k follows the size (target 1000 bytes per fragment) within [2, 4].
		assert_eq!(rule(2500, 1, 6), Ok((3, 4, 834)));
		assert_eq!(rule(10_000, 2, 6), Ok((4, 6, 2500)));
		assert_eq!(rule(1, 1, 3), Ok((2, 3, 2)));
		// Fewer providers shrink k, never the tolerance.
		assert_eq!(rule(10_000, 2, 5), Ok((3, 5, 3334)));
		assert_eq!(rule(10_000, 2, 4), Ok((2, 4, 5000)));
		assert_eq!(rule(10_000, 2, 3), Err(Error::<Test>::NotEnoughProviders.into()));
		assert_eq!(rule(10_000, 1, 0), Err(Error::<Test>::NotEnoughProviders.into()));

		// The owner's distinct live providers count.
		assert_noop!(Fragments::erasure_params(&OWNER, 5000, 1), Error::<Test>::NotEnoughProviders);
		contracts(4, 10_000);
		assert_eq!(Fragments::erasure_params(&OWNER, 5000, 1), Ok((3, 4, 1668)));
		assert_eq!(Fragments::erasure_params(&OWNER, 0, 1), Err(Error::<Test>::BadBlockSize.into()));
		assert_eq!(Fragments::erasure_params(&OWNER, 100_001, 1), Err(Error::<Test>::BadBlockSize.into()));
		assert_eq!(Fragments::erasure_params(&OWNER, 10, 0), Err(Error::<Test>::ToleranceOutOfRange.into()));
		assert_eq!(Fragments::erasure_params(&OWNER, 10, 3), Err(Error::<Test>::ToleranceOutOfRange.into()));
	});
}

#[test]
fn record_block_checks_the_rule_and_holds_a_deposit() {
	new_test_ext().execute_with(|| {
		contracts(4, 10_000);
		let roots = |n: usize| Roots::try_from(vec![H256::zero(); n]).unwrap();
		let call = |id: u8, path_n: u8, n: usize| {
			Fragments::record_block(RuntimeOrigin::signed(OWNER), block_id(id), path(path_n), 5000, 1, roots(n))
		};
		assert_noop!(call(1, 1, 3), Error::<Test>::WrongFragmentCount);
		assert_noop!(call(1, 1, 5), Error::<Test>::WrongFragmentCount);
		assert_noop!(
			Fragments::record_block(RuntimeOrigin::signed(OTHER), block_id(1), path(1), 5000, 1, roots(4)),
			Error::<Test>::NotEnoughProviders
		);
		assert_noop!(
			Fragments::record_block(RuntimeOrigin::none(), block_id(1), path(1), 5000, 1, roots(4)),
			BadOrigin
		);
		assert_ok!(call(1, 1, 4));
		System::assert_last_event(Event::BlockRecorded { block: block_id(1), owner: OWNER, k: 3, n: 4, fragment_size: 1668 }.into());
		assert_eq!(Balances::total_balance_on_hold(&OWNER), BLOCK_DEPOSIT + 4 * FRAGMENT_DEPOSIT + escrow_held());
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(0), "a new block waits for placement");
		assert_noop!(call(1, 1, 4), Error::<Test>::BlockAlreadyRecorded);
		assert_ok!(call(2, 1, 4));
		assert_noop!(call(3, 1, 4), Error::<Test>::TooManyVersions);
		assert_eq!(PathBlockCount::<Test>::get(path(1)), 2);
		assert_eq!(Fragments::blocks_at_path(path(1)).len(), 2);
	});
}

/// What OWNER has in escrow for its contracts.
fn escrow_held() -> u64 {
	StorageContracts::contracts_of(&OWNER).iter().map(|(_, c)| c.escrow).sum()
}

#[test]
fn placement_requires_a_live_contract_of_the_holder_with_the_owner() {
	new_test_ext().execute_with(|| {
		contracts(4, 3000);
		// A contract between provider 15 and another client (contract 4).
		assert_ok!(StorageContracts::create_offer(RuntimeOrigin::signed(15), 1_000_000, 1, 0, 1));
		assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(OTHER), 4, 3000, 5, 1));
		let (_, n, fsize) = record(1, 5000, 1);
		let place = |who: u64, index: u8, contract: u64| {
			Fragments::place_fragment(RuntimeOrigin::signed(who), block_id(1), index, contract)
		};
		assert_noop!(
			Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(9), 0, 0),
			Error::<Test>::UnknownBlock
		);
		assert_noop!(place(11, n, 0), Error::<Test>::UnknownFragment);
		assert_noop!(place(11, 0, 99), Error::<Test>::ContractNotLive);
		assert_noop!(place(12, 0, 0), Error::<Test>::NotContractProvider);
		assert_noop!(place(15, 0, 4), Error::<Test>::ContractNotWithOwner);
		assert_ok!(place(11, 0, 0));
		assert_noop!(place(12, 0, 1), Error::<Test>::FragmentAlreadyPlaced);
		assert_noop!(place(11, 1, 0), Error::<Test>::ProviderAlreadyHoldsBlock);
		assert_eq!(FragmentsByProvider::<Test>::get(11, (block_id(1), 0)), Some(0));
		assert!(FragmentsByContract::<Test>::contains_key(0, (block_id(1), 0)));
		assert_eq!(PoolSize::<Test>::get(), 1);
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(1));
		assert_eq!(Fragments::fragments_held_by(&11, 10), vec![(block_id(1), 0, 0)]);
		assert_eq!(Fragments::fragments_held_by(&12, 10), vec![]);
		assert_eq!(Fragments::below_target(10), vec![(block_id(1), 1)]);
		let used = |id| pallet_storage_contracts::Contracts::<Test>::get(id).unwrap().used;
		assert_eq!(used(0), fsize);

		for i in 1..n {
			assert_ok!(place(11 + i as u64, i, i as u64));
		}
		System::assert_last_event(Event::BlockFullyPlaced { block: block_id(1) }.into());
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), None);

		// Contract 0 (3000 bytes) has room for one fragment of 1668 bytes: the next is refused.
		record(2, 5000, 1);
		assert_noop!(
			Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(2), 0, 0),
			pallet_storage_contracts::Error::<Test>::ContractFull
		);
	});
}

#[test]
fn a_contract_holds_at_most_max_fragments() {
	new_test_ext().execute_with(|| {
		contracts(3, 20_000);
		for b in 1..=4u8 {
			record(b, 100, 1);
		}
		for b in 1..=3u8 {
			assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(b), 0, 0));
		}
		assert_eq!(ContractFragmentCount::<Test>::get(0), 3);
		assert_noop!(
			Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(4), 0, 0),
			Error::<Test>::TooManyFragmentsInContract
		);
	});
}

#[test]
fn missing_fragments_are_reported_by_owner_or_holder_and_queued_for_repair() {
	new_test_ext().execute_with(|| {
		contracts(3, 10_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		assert_noop!(Fragments::report_missing(RuntimeOrigin::signed(OTHER), block_id(1), 0), Error::<Test>::NotOwnerOrHolder);
		assert_noop!(Fragments::report_missing(RuntimeOrigin::signed(OWNER), block_id(1), 9), Error::<Test>::UnknownFragment);
		assert_ok!(Fragments::report_missing(RuntimeOrigin::signed(OWNER), block_id(1), 0));
		System::assert_last_event(Event::FragmentLost { block: block_id(1), index: 0, provider: 11 }.into());
		assert_noop!(Fragments::report_missing(RuntimeOrigin::signed(OWNER), block_id(1), 0), Error::<Test>::FragmentNotPlaced);
		assert_ok!(Fragments::report_missing(RuntimeOrigin::signed(12), block_id(1), 1));
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(n - 2));
		assert_eq!(PoolSize::<Test>::get(), (n - 2) as u32);
		assert_eq!(FragmentsByProvider::<Test>::get(11, (block_id(1), 0)), None);
		assert_eq!(pallet_storage_contracts::Contracts::<Test>::get(0).unwrap().used, 0);
		// The repair: a provider places it again.
		assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(1), 0, 0));
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(n - 1));
	});
}

#[test]
fn remove_block_releases_placements_and_deposit() {
	new_test_ext().execute_with(|| {
		contracts(3, 10_000);
		let before = Balances::total_balance_on_hold(&OWNER);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		assert_noop!(Fragments::remove_block(RuntimeOrigin::signed(11), block_id(1)), Error::<Test>::NotBlockOwner);
		assert_ok!(Fragments::remove_block(RuntimeOrigin::signed(OWNER), block_id(1)));
		assert_eq!(Balances::total_balance_on_hold(&OWNER), before);
		assert!(Blocks::<Test>::get(block_id(1)).is_none());
		assert_eq!(PoolSize::<Test>::get(), 0);
		assert_eq!(PathBlockCount::<Test>::get(path(1)), 0);
		assert!(FragmentsByProvider::<Test>::iter().next().is_none());
		assert_noop!(Fragments::remove_block(RuntimeOrigin::signed(OWNER), block_id(1)), Error::<Test>::UnknownBlock);
	});
}

#[test]
fn challenges_are_answered_with_chunk_proofs_and_misses_count_against_the_contract() {
	new_test_ext().execute_with(|| {
		contracts(4, 20_000);
		// 9000 bytes, tolerance 2: k = 2 (4 providers - 2), n = 4, fragments of 4500 bytes
		// = 5 proof chunks.
		let (_, n, fsize) = record(1, 9000, 2);
		assert_eq!((n, fsize), (4, 4500));
		place_all(1, n);
		run_to(CHALLENGE_PERIOD);
		let open: Vec<_> = Challenges::<Test>::iter().collect();
		assert!(!open.is_empty() && open.len() <= 2, "one round issues 1..=2 challenges: {open:?}");
		let deadline = CHALLENGE_PERIOD + RESPONSE_WINDOW;

		// Answer the first correctly (free of fees); try forged and misaddressed answers on it
		// first.
		let ((block, index), challenge) = open[0].clone();
		let data = fragment(1, index, fsize);
		let (chunk, proof) = prove_chunk(&data, challenge.chunk).unwrap();
		let mut forged = chunk.clone();
		forged[0] ^= 1;
		let submit = |who: u64, chunk: Vec<u8>, proof| {
			Fragments::submit_proof(RuntimeOrigin::signed(who), block, index, BoundedVec::try_from(chunk).unwrap(), proof)
		};
		assert_noop!(submit(challenge.provider, forged, proof.clone()), Error::<Test>::InvalidProof);
		let other_chunk = (challenge.chunk + 1) % 5;
		let (wrong_chunk, wrong_proof) = prove_chunk(&data, other_chunk).unwrap();
		assert_noop!(submit(challenge.provider, wrong_chunk, wrong_proof), Error::<Test>::InvalidProof);
		assert_noop!(submit(OTHER, chunk.clone(), proof.clone()), Error::<Test>::NotChallenged);
		let answered = submit(challenge.provider, chunk.clone(), proof.clone()).unwrap();
		assert_eq!(answered.pays_fee, Pays::No);
		System::assert_last_event(Event::ProofAccepted { block, index, provider: challenge.provider }.into());
		assert_noop!(submit(challenge.provider, chunk, proof), Error::<Test>::NoOpenChallenge);

		// Leave the others unanswered: at the deadline each is a miss.
		let missed: Vec<_> = open[1..].to_vec();
		run_to(deadline);
		for ((b, i), c) in &missed {
			assert!(Blocks::<Test>::get(b).unwrap().fragments[*i as usize].holder.is_none(), "a miss clears the placement");
			let contract = pallet_storage_contracts::Contracts::<Test>::get(c.contract).unwrap();
			assert_eq!(contract.faulted.len(), 1, "a miss is a fault against the contract");
			assert!(System::events().iter().any(|r| r.event ==
				Event::ProofMissed { block: *b, index: *i, provider: c.provider, contract: c.contract }.into()));
		}
		let expected = if missed.is_empty() { None } else { Some(n - missed.len() as u8) };
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), expected, "each miss leaves the block one short");
		// A late answer finds nothing to answer.
		if let Some(((b, i), c)) = missed.first() {
			let data = fragment(1, *i, fsize);
			let (chunk, proof) = prove_chunk(&data, c.chunk).unwrap();
			assert_noop!(
				Fragments::submit_proof(RuntimeOrigin::signed(c.provider), *b, *i, BoundedVec::try_from(chunk).unwrap(), proof),
				Error::<Test>::NoOpenChallenge
			);
		}
	});
}

#[test]
fn repeated_misses_slash_the_contract_and_its_fragments_leave_the_index() {
	new_test_ext().execute_with(|| {
		contracts(3, 20_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		record(2, 100, 1);
		place_all(2, n);
		let provider = 11;
		let before = Balances::free_balance(OWNER);
		// Two faults in different periods (periods are 100 blocks) slash contract 0.
		<StorageContracts as blocktree_primitives::storage::ContractLedger<u64>>::record_fault(0);
		System::set_block_number(150);
		<StorageContracts as blocktree_primitives::storage::ContractLedger<u64>>::record_fault(0);
		assert!(pallet_storage_contracts::Contracts::<Test>::get(0).is_none(), "slashed and ended");
		assert!(FragmentsByProvider::<Test>::iter_prefix(provider).next().is_none(), "its fragments left the index");
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(n - 1));
		assert_eq!(BelowTarget::<Test>::get(block_id(2)), Some(n - 1));
		assert!(Balances::free_balance(OWNER) > before, "escrow refunded to the owner");
		assert_eq!(ContractFragmentCount::<Test>::get(0), 0);
	});
}

#[test]
fn bad_origins_are_refused() {
	new_test_ext().execute_with(|| {
		assert_noop!(Fragments::place_fragment(RuntimeOrigin::root(), block_id(1), 0, 0), DispatchError::BadOrigin);
		assert_noop!(Fragments::report_missing(RuntimeOrigin::none(), block_id(1), 0), DispatchError::BadOrigin);
		assert_noop!(Fragments::remove_block(RuntimeOrigin::root(), block_id(1)), DispatchError::BadOrigin);
	});
}

#[test]
fn an_answer_at_or_after_the_deadline_is_expired() {
	new_test_ext().execute_with(|| {
		contracts(3, 20_000);
		let (_, n, fsize) = record(1, 100, 1);
		place_all(1, n);
		run_to(CHALLENGE_PERIOD);
		let ((block, index), challenge) = Challenges::<Test>::iter().next().expect("a challenge was issued");
		// The deadline block has begun but its hook has not run yet (e.g. the answer is in the
		// same block): too late all the same.
		System::set_block_number(challenge.deadline);
		let (chunk, proof) = prove_chunk(&fragment(1, index, fsize), challenge.chunk).unwrap();
		assert_noop!(
			Fragments::submit_proof(
				RuntimeOrigin::signed(challenge.provider),
				block,
				index,
				BoundedVec::try_from(chunk).unwrap(),
				proof
			),
			Error::<Test>::ChallengeExpired
		);
	});
}
