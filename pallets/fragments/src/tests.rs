//! Unit tests of the fragments pallet, against real storage contracts: the redundancy rule
//! with numbers, every call and error, the repair queue, and proofs of storage (valid, forged,
//! late, missed) feeding the contracts' fault rule.

use crate::{
	mock::*, BelowTarget, Blocks, Challenges, ContractFragmentCount, Error, Event, FragmentsByContract,
	FragmentsByProvider, PathBlockCount, PathNewestVersion, PoolSize,
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
use blocktree_primitives::block::SignedBlockHeader;
use sp_runtime::{traits::BadOrigin, DispatchError, DispatchResult};

type Roots = BoundedVec<H256, frame_support::traits::ConstU32<6>>;

/// `count` providers (11, 12, ...) each list an offer and sell OWNER a contract of `bytes`;
/// contract `i` belongs to provider `11 + i`.
fn contracts(count: u64, bytes: u64) {
	for i in 0..count {
		let provider = 11 + i;
		assert_ok!(StorageContracts::create_offer(RuntimeOrigin::signed(provider), 1_000_000, 1, 0, 1, 1));
		assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(OWNER), i, bytes, 5, 1, 0));
	}
}

/// Deterministic fragment contents.
fn fragment(block: u8, index: u8, size: u64) -> Vec<u8> {
	(0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(block ^ index.wrapping_mul(7))).collect()
}

/// OWNER's header for version `version` of path `/<OWNER>/f<path_n>`.
fn hdr_at(path_n: u8, version: u64) -> SignedBlockHeader {
	header(OWNER, OWNER, &format!("f{path_n}"), version)
}

/// Block `n`: version `n` at path `n`.
fn hdr(n: u8) -> SignedBlockHeader {
	hdr_at(n, n as u64)
}

fn block_id(n: u8) -> H256 {
	hdr(n).id()
}

fn path(n: u8) -> H256 {
	hdr(n).header.path.hash()
}

fn record_call(who: u64, header: SignedBlockHeader, size: u64, tolerance: u8, roots: Vec<H256>) -> DispatchResult {
	Fragments::record_block(RuntimeOrigin::signed(who), Box::new(header), size, tolerance, Roots::try_from(roots).unwrap())
}

/// Records block `n` of `size` bytes with tolerance `tolerance`; returns its `(k, n, fragment size)`.
fn record(n: u8, size: u64, tolerance: u8) -> (u8, u8, u64) {
	let (k, total, fsize) = Fragments::erasure_params(&OWNER, size, tolerance).expect("params");
	let roots: Vec<H256> = (0..total).map(|i| fragment_root(&fragment(n, i, fsize))).collect();
	assert_ok!(record_call(OWNER, hdr(n), size, tolerance, roots));
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
	build_and_execute(|| {
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
	build_and_execute(|| {
		contracts(4, 10_000);
		let roots = |n: usize| vec![H256::zero(); n];
		let call = |id: u8, path_n: u8, n: usize| record_call(OWNER, hdr_at(path_n, id as u64), 5000, 1, roots(n));
		assert_noop!(call(1, 1, 3), Error::<Test>::WrongFragmentCount);
		assert_noop!(call(1, 1, 5), Error::<Test>::WrongFragmentCount);
		assert_noop!(
			record_call(OTHER, header(OTHER, OTHER, "f1", 1), 5000, 1, roots(4)),
			Error::<Test>::NotEnoughProviders
		);
		assert_noop!(
			Fragments::record_block(RuntimeOrigin::none(), Box::new(hdr(1)), 5000, 1, Roots::try_from(roots(4)).unwrap()),
			BadOrigin
		);
		assert_ok!(call(1, 1, 4));
		System::assert_last_event(
			Event::BlockRecorded {
				block: block_id(1),
				owner: OWNER,
				writer: principal_of(OWNER),
				path_hash: path(1),
				k: 3,
				n: 4,
				fragment_size: 1668,
			}
			.into(),
		);
		assert_eq!(Balances::total_balance_on_hold(&OWNER), BLOCK_DEPOSIT + 4 * FRAGMENT_DEPOSIT + escrow_held());
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(0), "a new block waits for placement");
		assert_noop!(call(1, 1, 4), Error::<Test>::BlockAlreadyRecorded);
		assert_ok!(call(2, 1, 4));
		assert_noop!(call(3, 1, 4), Error::<Test>::TooManyVersions);
		assert_eq!(PathBlockCount::<Test>::get(path(1), principal_of(OWNER)), 2);
		assert_eq!(Fragments::blocks_at_path(path(1)).len(), 2);
	});
}

/// What OWNER has in escrow for its contracts.
fn escrow_held() -> u64 {
	StorageContracts::contracts_of(&OWNER).iter().map(|(_, c)| c.escrow).sum()
}

#[test]
fn placement_requires_a_live_contract_of_the_holder_with_the_owner() {
	build_and_execute(|| {
		contracts(4, 3000);
		// A contract between provider 15 and another client (contract 4).
		assert_ok!(StorageContracts::create_offer(RuntimeOrigin::signed(15), 1_000_000, 1, 0, 1, 1));
		assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(OTHER), 4, 3000, 5, 1, 0));
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
	build_and_execute(|| {
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
	build_and_execute(|| {
		contracts(4, 10_000);
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
		// The holder's own report is a fault against its contract; the owner's is not.
		assert_eq!(pallet_storage_contracts::Contracts::<Test>::get(1).unwrap().faulted.len(), 1);
		assert_eq!(pallet_storage_contracts::Contracts::<Test>::get(0).unwrap().faulted.len(), 0);
		// The repair: the providers that lost them wait out the cooldown; another takes one.
		assert_noop!(
			Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(1), 0, 0),
			Error::<Test>::ProviderInCooldown
		);
		assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(14), block_id(1), 0, 3));
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), Some(n - 1));
		System::set_block_number(1 + PLACEMENT_COOLDOWN);
		assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(1), 1, 0));
		assert_eq!(BelowTarget::<Test>::get(block_id(1)), None);
	});
}

#[test]
fn remove_block_releases_placements_and_deposit() {
	build_and_execute(|| {
		contracts(3, 10_000);
		let before = Balances::total_balance_on_hold(&OWNER);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		assert_noop!(Fragments::remove_block(RuntimeOrigin::signed(11), block_id(1)), Error::<Test>::NotBlockOwner);
		assert_ok!(Fragments::remove_block(RuntimeOrigin::signed(OWNER), block_id(1)));
		assert_eq!(Balances::total_balance_on_hold(&OWNER), before);
		assert!(Blocks::<Test>::get(block_id(1)).is_none());
		assert_eq!(PoolSize::<Test>::get(), 0);
		assert_eq!(PathBlockCount::<Test>::get(path(1), principal_of(OWNER)), 0);
		assert!(FragmentsByProvider::<Test>::iter().next().is_none());
		assert_noop!(Fragments::remove_block(RuntimeOrigin::signed(OWNER), block_id(1)), Error::<Test>::UnknownBlock);
	});
}

#[test]
fn challenges_are_answered_with_chunk_proofs_and_misses_count_against_the_contract() {
	build_and_execute(|| {
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
	build_and_execute(|| {
		contracts(3, 20_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		record(2, 100, 1);
		place_all(2, n);
		let provider = 11;
		let before = Balances::free_balance(OWNER);
		// Two faults in different periods (periods are 100 blocks) slash contract 0.
		let miss = |at| {
			<StorageContracts as blocktree_primitives::storage::ContractLedger<u64, u64>>::record_fault(
				0,
				blocktree_primitives::storage::Fault::MissedProof,
				at,
			)
		};
		miss(1);
		System::set_block_number(150);
		miss(150);
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
	build_and_execute(|| {
		assert_noop!(Fragments::place_fragment(RuntimeOrigin::root(), block_id(1), 0, 0), DispatchError::BadOrigin);
		assert_noop!(Fragments::report_missing(RuntimeOrigin::none(), block_id(1), 0), DispatchError::BadOrigin);
		assert_noop!(Fragments::remove_block(RuntimeOrigin::root(), block_id(1)), DispatchError::BadOrigin);
	});
}

#[test]
fn an_answer_at_or_after_the_deadline_is_expired() {
	build_and_execute(|| {
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

/// Runs blocks up to `block`, answering every open challenge of the providers in `honest` with
/// the real chunk of block `n`'s fragments before each block.
fn run_answering(to: u64, n: u8, fsize: u64, honest: &[u64]) {
	while System::block_number() < to {
		let open: Vec<_> = Challenges::<Test>::iter().collect();
		for ((b, i), c) in open {
			if honest.contains(&c.provider) && b == block_id(n) {
				let (chunk, proof) = prove_chunk(&fragment(n, i, fsize), c.chunk).unwrap();
				assert_ok!(Fragments::submit_proof(
					RuntimeOrigin::signed(c.provider),
					b,
					i,
					BoundedVec::try_from(chunk).unwrap(),
					proof
				));
			}
		}
		run_to(System::block_number() + 1);
		check_invariants();
	}
}

#[test]
fn holder_cannot_escape_challenge_by_self_report() {
	build_and_execute(|| {
		contracts(4, 20_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		run_to(CHALLENGE_PERIOD);
		let ((block, index), challenge) = Challenges::<Test>::iter().next().expect("a challenge was issued");
		// The holder stored nothing: it reports its own fragment missing to dodge the challenge.
		assert_ok!(Fragments::report_missing(RuntimeOrigin::signed(challenge.provider), block, index));
		System::assert_has_event(
			Event::ProofMissed { block, index, provider: challenge.provider, contract: challenge.contract }.into(),
		);
		let contract = pallet_storage_contracts::Contracts::<Test>::get(challenge.contract).unwrap();
		assert_eq!(contract.faulted.to_vec(), vec![0], "the dodge is a fault in the running period");
		// ... and it cannot take the fragment straight back.
		assert_noop!(
			Fragments::place_fragment(RuntimeOrigin::signed(challenge.provider), block, index, challenge.contract),
			Error::<Test>::ProviderInCooldown
		);
		// The faulted period is not paid.
		System::set_block_number(1 + CONTRACT_PERIOD);
		assert_ok!(StorageContracts::settle(RuntimeOrigin::signed(OTHER), challenge.contract));
		System::assert_last_event(
			pallet_storage_contracts::Event::PeriodsSettled { contract: challenge.contract, periods: 1, paid: 0, refunded: 20_000 }
				.into(),
		);
	});
}

#[test]
fn provider_cannot_drop_all_its_fragments_for_one_periods_pay() {
	build_and_execute(|| {
		contracts(3, 20_000);
		for b in 1..=2u8 {
			let (_, n, _) = record(b, 100, 1);
			place_all(b, n);
		}
		// Provider 11 drops both fragments it holds under contract 0 in one period: two
		// strikes (MaxFaults 2), so the contract is slashed instead of paying on for nothing.
		assert_ok!(Fragments::report_missing(RuntimeOrigin::signed(11), block_id(1), 0));
		assert!(pallet_storage_contracts::Contracts::<Test>::get(0).is_some());
		assert_ok!(Fragments::report_missing(RuntimeOrigin::signed(11), block_id(2), 0));
		assert!(pallet_storage_contracts::Contracts::<Test>::get(0).is_none(), "slashed");
		System::assert_has_event(
			pallet_storage_contracts::Event::ContractEnded {
				contract: 0,
				how: pallet_storage_contracts::Ending::Slashed,
				paid: 0,
				refunded: 100_000,
				slashed: 0,
			}
			.into(),
		);
	});
}

#[test]
fn an_ended_contract_does_not_bar_its_provider() {
	build_and_execute(|| {
		contracts(3, 20_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		// The owner ends contract 0 and opens a new one with the same provider at once.
		assert_ok!(StorageContracts::end_contract(RuntimeOrigin::signed(OWNER), 0));
		assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(OWNER), 0, 20_000, 5, 1, 0));
		let renewed = pallet_storage_contracts::NextContractId::<Test>::get() - 1;
		assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(1), 0, renewed));
	});
}

#[test]
fn stranger_cannot_record_at_anothers_path_or_take_its_block_id() {
	build_and_execute(|| {
		contracts(3, 20_000);
		for i in 0..3 {
			assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(OTHER), i, 20_000, 5, 1, 0));
		}
		// OTHER writes into OWNER's tree without a cap.
		assert_noop!(
			record_call(OTHER, header(OTHER, OWNER, "f1", 1), 100, 1, vec![H256::zero(); 3]),
			DispatchError::Other("NoCapability")
		);
		// OTHER copies OWNER's header from the pool to take its block id first.
		assert_noop!(
			record_call(OTHER, hdr(1), 100, 1, vec![H256::zero(); 3]),
			DispatchError::Other("NotWritersController")
		);
		record(1, 100, 1);
		assert_eq!(Blocks::<Test>::get(block_id(1)).unwrap().owner, OWNER);
		assert_eq!(Fragments::blocks_at_path(path(1)).len(), 1);
	});
}

#[test]
fn a_version_must_be_newer_than_the_writers_newest_at_the_path() {
	build_and_execute(|| {
		contracts(3, 20_000);
		let at = |version: u64| record_call(OWNER, hdr_at(1, version), 100, 1, vec![H256::zero(); 3]);
		assert_ok!(at(5));
		assert_eq!(PathNewestVersion::<Test>::get(path(1), principal_of(OWNER)), Some(5));
		// Two writers racing to publish version 5: the second is refused, not recorded beside
		// the first (where "newest" would be decided by block id).
		let racer = {
			let mut h = hdr_at(1, 5);
			h.header.plaintext_len += 1;
			h
		};
		assert_noop!(record_call(OWNER, racer, 100, 1, vec![H256::zero(); 3]), Error::<Test>::VersionNotNewer);
		// An older version cannot be slipped in either.
		assert_noop!(at(4), Error::<Test>::VersionNotNewer);
		assert_ok!(at(6));
		// Another writer's versions at the same path are its own sequence.
		for i in 0..3 {
			assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(CAP_HOLDER), i, 20_000, 5, 1, 0));
		}
		assert_ok!(record_call(CAP_HOLDER, header(CAP_HOLDER, OWNER, "f1", 1), 100, 1, vec![H256::zero(); 3]));
		// Removing a path's last block forgets its newest version with it (no storage left behind).
		assert_ok!(Fragments::remove_block(RuntimeOrigin::signed(OWNER), hdr_at(1, 5).id()));
		assert_ok!(Fragments::remove_block(RuntimeOrigin::signed(OWNER), hdr_at(1, 6).id()));
		assert_eq!(PathNewestVersion::<Test>::get(path(1), principal_of(OWNER)), None);
		assert_eq!(PathNewestVersion::<Test>::get(path(1), principal_of(CAP_HOLDER)), Some(1));
		assert_ok!(at(1));
		Fragments::do_try_state().expect("consistent");
	});
}

#[test]
fn cap_holder_cannot_crowd_the_owners_versions() {
	build_and_execute(|| {
		contracts(3, 20_000);
		for i in 0..3 {
			assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(CAP_HOLDER), i, 20_000, 5, 1, 0));
		}
		// The cap holder fills its own allowance of versions at OWNER's path ...
		for version in 1..=2 {
			assert_ok!(record_call(CAP_HOLDER, header(CAP_HOLDER, OWNER, "f1", version), 100, 1, vec![H256::zero(); 3]));
		}
		assert_noop!(
			record_call(CAP_HOLDER, header(CAP_HOLDER, OWNER, "f1", 3), 100, 1, vec![H256::zero(); 3]),
			Error::<Test>::TooManyVersions
		);
		// ... and the owner still records there.
		assert_ok!(record_call(OWNER, hdr_at(1, 10), 100, 1, vec![H256::zero(); 3]));
		assert_ok!(record_call(OWNER, hdr_at(1, 11), 100, 1, vec![H256::zero(); 3]));
		assert_eq!(Fragments::blocks_at_path(path(1)).len(), 4);
		// The owner's versions, asked for by writer, cannot be crowded out of the answer.
		let mine = Fragments::blocks_at_path_by(path(1), principal_of(OWNER));
		assert_eq!(mine.iter().map(|(_, r)| r.version).collect::<Vec<_>>().len(), 2);
		assert!(mine.iter().all(|(_, r)| r.writer == principal_of(OWNER)));
	});
}

#[test]
fn answered_challenge_old_deadline_does_not_expire_next_challenge() {
	build_and_execute(|| {
		contracts(3, 20_000);
		let (_, _, fsize) = record(1, 100, 1);
		// One placed fragment: every draw picks it.
		assert_ok!(Fragments::place_fragment(RuntimeOrigin::signed(11), block_id(1), 0, 0));
		run_to(CHALLENGE_PERIOD);
		let first = Challenges::<Test>::get((block_id(1), 0)).expect("drawn");
		assert_eq!(first.deadline, CHALLENGE_PERIOD + RESPONSE_WINDOW);
		run_answering(CHALLENGE_PERIOD + 1, 1, fsize, &[11]);
		// Drawn again in the next round, while the first deadline is still ahead.
		run_to(2 * CHALLENGE_PERIOD);
		let second = Challenges::<Test>::get((block_id(1), 0)).expect("drawn again");
		assert_eq!(second.deadline, 2 * CHALLENGE_PERIOD + RESPONSE_WINDOW);
		// The first challenge's deadline passes: the second must still be open.
		run_to(first.deadline);
		assert_eq!(Challenges::<Test>::get((block_id(1), 0)), Some(second));
		assert!(!System::events().iter().any(|r| matches!(r.event, RuntimeEvent::Fragments(Event::ProofMissed { .. }))));
		assert!(Blocks::<Test>::get(block_id(1)).unwrap().fragments[0].holder.is_some());
	});
}

#[test]
fn on_initialize_charges_a_miss_that_completes_a_slash() {
	build_and_execute(|| {
		contracts(3, 20_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		run_to(CHALLENGE_PERIOD);
		let ((_, _), challenge) = Challenges::<Test>::iter().next().expect("a challenge");
		// One faulted period already (MaxFaults 2): this miss completes the slash.
		pallet_storage_contracts::Contracts::<Test>::mutate(challenge.contract, |c| {
			let c = c.as_mut().unwrap();
			c.faulted.try_push(1).unwrap();
			c.strikes = 1;
		});
		run_to(challenge.deadline - 1);
		System::set_block_number(challenge.deadline);
		let weight = Fragments::on_initialize(challenge.deadline);
		assert!(pallet_storage_contracts::Contracts::<Test>::get(challenge.contract).is_none(), "the miss slashed");
		let slash = <StorageContracts as blocktree_primitives::storage::ContractLedger<u64, u64>>::max_fault_weight();
		assert!(weight.all_gte(slash), "the hook charged the slash cascade: {weight:?} < {slash:?}");
	});
}

#[test]
fn misses_beyond_the_slash_budget_are_counted_in_the_next_block() {
	build_and_execute(|| {
		contracts(3, 20_000);
		let (_, n, fsize) = record(1, 100, 1);
		place_all(1, n);
		// Three challenges due at the same block, each on a contract one fault short of a
		// slash: the block may spend two slashes' worth.
		let due = 20;
		for index in 0..3u8 {
			let key = (block_id(1), index);
			let contract = index as u64;
			pallet_storage_contracts::Contracts::<Test>::mutate(contract, |c| {
				let c = c.as_mut().unwrap();
			c.faulted.try_push(1).unwrap();
			c.strikes = 1;
			});
			Challenges::<Test>::insert(key, crate::Challenge { provider: 11 + contract, contract, chunk: 0, deadline: due });
			if index < 2 {
				crate::Deadlines::<Test>::mutate(due, |keys| keys.try_push(key).unwrap());
			} else {
				crate::OverdueMisses::<Test>::mutate(|keys| keys.try_push(key).unwrap());
			}
		}
		System::set_block_number(due);
		Fragments::on_initialize(due);
		check_invariants();
		let live = |c: u64| pallet_storage_contracts::Contracts::<Test>::get(c).is_some();
		assert_eq!([live(0), live(1), live(2)].iter().filter(|l| **l).count(), 1, "two slashes in this block");
		let left = crate::OverdueMisses::<Test>::get();
		assert_eq!(left.len(), 1, "the third miss waits");
		// It is still a miss: no answer is accepted any more.
		let (b, i) = left[0];
		let (chunk, proof) = prove_chunk(&fragment(1, i, fsize), 0).unwrap();
		assert_noop!(
			Fragments::submit_proof(RuntimeOrigin::signed(11 + i as u64), b, i, BoundedVec::try_from(chunk).unwrap(), proof),
			Error::<Test>::ChallengeExpired
		);
		run_to(due + 1);
		assert!(!live(0) && !live(1) && !live(2), "the third slash came a block later");
		assert!(crate::OverdueMisses::<Test>::get().is_empty());
	});
}

#[test]
fn no_challenge_is_due_after_the_contracts_term() {
	build_and_execute(|| {
		contracts(3, 20_000);
		let (_, n, _) = record(1, 100, 1);
		place_all(1, n);
		let term_end = 1 + 5 * CONTRACT_PERIOD;
		assert_eq!(<StorageContracts as blocktree_primitives::storage::ContractLedger<u64, u64>>::term_end(0), Some(term_end));
		// The last rounds whose answers would be due after the term issue nothing.
		System::set_block_number(term_end - RESPONSE_WINDOW);
		System::reset_events();
		run_to(term_end - 1);
		assert!(Challenges::<Test>::iter().next().is_none(), "no liability past the term");
		assert!(!System::events().iter().any(|r| matches!(r.event, RuntimeEvent::Fragments(Event::ChallengeIssued { .. }))));
	});
}

#[test]
fn challenge_draws_depend_only_on_the_parent_hash_and_height() {
	// The true bound of the seed: only the parent block's author can steer a round (by trying
	// candidate parent blocks); earlier blocks' authors and the holders cannot.
	let draws = |earlier: u64| {
		let mut out = Vec::new();
		new_test_ext().execute_with(|| {
			contracts(3, 20_000);
			for b in 1..=3u8 {
				let (_, n, _) = record(b, 100, 1);
				place_all(b, n);
			}
			// An earlier block's hash (what its author could have ground) differs.
			frame_system::BlockHash::<Test>::insert(CHALLENGE_PERIOD - 2, H256::from_low_u64_be(earlier));
			System::set_block_number(CHALLENGE_PERIOD);
			System::set_parent_hash(H256::repeat_byte(0x42));
			Fragments::on_initialize(CHALLENGE_PERIOD);
			out = Challenges::<Test>::iter().map(|(k, c)| (k, c.chunk)).collect::<Vec<_>>();
			out.sort();
		});
		out
	};
	assert!(!draws(1).is_empty());
	assert_eq!(draws(1), draws(2));
}

mod sequences {
	//! Random sequences of calls from several accounts, with blocks passing and challenges
	//! answered or not: both pallets' invariants hold after every step.
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Offer(u64),
		Contract { client: u64, offer: u64, bytes: u64, periods: u32 },
		Record { n: u8, size: u64, tolerance: u8 },
		Place { provider: u64, block: u8, index: u8 },
		Report { who: u64, block: u8, index: u8 },
		Remove { who: u64, block: u8 },
		Settle(u64),
		End { who: u64, contract: u64 },
		Blocks { count: u64, answer: bool },
	}

	fn op() -> impl Strategy<Value = Op> {
		let account = prop_oneof![Just(OWNER), Just(OTHER), Just(CAP_HOLDER), 11u64..=16];
		prop_oneof![
			1 => (11u64..=16).prop_map(Op::Offer),
			1 => (account.clone(), 0u64..8, 500u64..20_000, 1u32..4)
				.prop_map(|(client, offer, bytes, periods)| Op::Contract { client, offer, bytes, periods }),
			4 => (1u8..6, 1u64..9_000, prop_oneof![4 => Just(1u8), 1 => Just(2u8)])
				.prop_map(|(n, size, tolerance)| Op::Record { n, size, tolerance }),
			8 => (11u64..=14, 1u8..6, 0u8..4).prop_map(|(provider, block, index)| Op::Place { provider, block, index }),
			1 => (account.clone(), 1u8..6, 0u8..4).prop_map(|(who, block, index)| Op::Report { who, block, index }),
			1 => (account.clone(), 1u8..6).prop_map(|(who, block)| Op::Remove { who, block }),
			1 => (0u64..12).prop_map(Op::Settle),
			1 => (account, 0u64..12).prop_map(|(who, contract)| Op::End { who, contract }),
			3 => (1u64..40, prop_oneof![3 => Just(true), 1 => Just(false)])
				.prop_map(|(count, answer)| Op::Blocks { count, answer }),
		]
	}

	/// Block `n` of `writer`, as recorded by the sequence.
	fn seq_header(writer: u64, n: u8) -> SignedBlockHeader {
		header(writer, writer, &format!("s{n}"), n as u64)
	}

	std::thread_local! {
		/// Placements and records that succeeded, to see what the sequences reach.
		static STATS: core::cell::RefCell<(u32, u32)> = const { core::cell::RefCell::new((0, 0)) };
	}

	/// Who writes block `n` of the sequence.
	fn writer_of(n: u8) -> u64 {
		[OWNER, OTHER, CAP_HOLDER][(n % 3) as usize]
	}

	fn apply(op: Op, sizes: &mut std::collections::BTreeMap<H256, (u8, u64)>) {
		let signed = RuntimeOrigin::signed;
		if let Op::Blocks { count, answer } = op {
			for _ in 0..count {
				if answer {
					let open: Vec<_> = Challenges::<Test>::iter().collect();
					for ((b, i), c) in open {
						if let Some((n, fsize)) = sizes.get(&b) {
							let (chunk, proof) = prove_chunk(&fragment(*n, i, *fsize), c.chunk).unwrap();
							let chunk = BoundedVec::try_from(chunk).unwrap();
							let _ = frame_support::storage::with_storage_layer(|| {
								Fragments::submit_proof(signed(c.provider), b, i, chunk, proof).map(|_| ()).map_err(|e| e.error)
							});
						}
					}
				}
				run_to(System::block_number() + 1);
				check_invariants();
			}
			return
		}
		// Every call either succeeds or fails without a trace, as the runtime dispatches it.
		let _ = frame_support::storage::with_storage_layer(|| -> DispatchResult {
			match op {
				Op::Offer(p) => StorageContracts::create_offer(signed(p), 1_000_000, 1, 1, 1, 1),
				Op::Contract { client, offer, bytes, periods } =>
					StorageContracts::open_contract(signed(client), offer, bytes, periods, 1, 0),
				Op::Record { n, size, tolerance } => {
					let writer = writer_of(n);
					let (_, total, fsize) = Fragments::erasure_params(&writer, size, tolerance)?;
					let roots: Vec<H256> = (0..total).map(|i| fragment_root(&fragment(n, i, fsize))).collect();
					let h = seq_header(writer, n);
					let id = h.id();
					record_call(writer, h, size, tolerance, roots)?;
					STATS.with(|s| s.borrow_mut().1 += 1);
					sizes.insert(id, (n, fsize));
					Ok(())
				},
				Op::Place { provider, block, index } => {
					let writer = writer_of(block);
					let id = seq_header(writer, block).id();
					// Under the provider's contract with the writer, if it has one.
					let contract = StorageContracts::contracts_of(&writer)
						.into_iter()
						.find(|(_, c)| c.provider == provider && c.client == writer)
						.map(|(id, _)| id)
						.unwrap_or(u64::MAX);
					Fragments::place_fragment(signed(provider), id, index, contract)?;
					STATS.with(|s| s.borrow_mut().0 += 1);
					Ok(())
				},
				Op::Report { who, block, index } => {
					let id = seq_header(writer_of(block), block).id();
					Fragments::report_missing(signed(who), id, index).map(|_| ()).map_err(|e| e.error)
				},
				Op::Remove { who, block } => {
					let id = seq_header(writer_of(block), block).id();
					Fragments::remove_block(signed(who), id)
				},
				Op::Settle(c) => StorageContracts::settle(signed(OTHER), c),
				Op::End { who, contract } => StorageContracts::end_contract(signed(who), contract),
				Op::Blocks { .. } => Ok(()),
			}
		});
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
		#[test]
		fn random_call_sequences_keep_every_invariant(ops in prop::collection::vec(op(), 1..60)) {
			new_test_ext().execute_with(|| {
				let mut sizes = std::collections::BTreeMap::new();
				for p in 11..=14u64 {
					assert_ok!(StorageContracts::create_offer(RuntimeOrigin::signed(p), 1_000_000, 1, 1, 1, 1));
				}
				// The writers start with contracts with providers 11..=13 (periods of 100
				// blocks, up to 3 periods), so that blocks get recorded and placed.
				for writer in [OWNER, OTHER, CAP_HOLDER] {
					for offer in 0..3 {
						assert_ok!(StorageContracts::open_contract(RuntimeOrigin::signed(writer), offer, 20_000, 3, 1, 0));
					}
				}
				for op in ops {
					apply(op, &mut sizes);
					check_invariants();
				}
				if std::env::var("SEQUENCE_STATS").is_ok() {
					STATS.with(|s| eprintln!("placements, records so far: {:?}", s.borrow()));
				}
			});
		}
	}
}
