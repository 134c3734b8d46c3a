//! The storage market in the real runtime, natively, across real blocks: three providers list
//! offers, Alice opens a contract with each, records a block whose fragments they place, and the
//! runtime challenges them every ten blocks for three hours of contract time. Bob and Charlie
//! answer every challenge; Dave never does. At the end every contract is settled, and the money
//! adds up to the unit: escrow in = payments + refunds, every account's balance moved by exactly
//! its fees and payments, and issuance fell by exactly the fees.

mod common;

use blocktree_primitives::{
	block::{BlockHeader, SignedBlockHeader, DEFAULT_SECTOR_SIZE},
	path::BlockPath,
	principal::{Principal, Signature, SigningKey},
	storage::{fragment_root, prove_chunk},
};
use blocktree_runtime::{
	configs::{BlockDeposit, FragmentDeposit, OfferDeposit, PrincipalDeposit},
	Balance, Balances, Executive, FragmentsCall, PrincipalsCall, Runtime, RuntimeCall, RuntimeEvent,
	StorageContractsCall, HOURS,
};
use sp_core::{sr25519, Pair};
use common::{ext_from_preset, next_block, signed, start_block};
use frame_support::{
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use pallet_fragments::{BelowTarget, Challenges, Event as FragmentsEvent};
use pallet_storage_contracts::{Contracts, Ending, Event as ContractsEvent};
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave};

const MIB: u64 = 1024 * 1024;
const PRICE_PER_BYTE: Balance = 1_000;
const COLLATERAL_PER_BYTE: Balance = 2_000;
const PERIODS: u32 = 3;

fn apply(who: Sr25519Keyring, call: RuntimeCall) {
	Executive::apply_extrinsic(signed(who, call))
		.unwrap_or_else(|e| panic!("{who}'s transaction is valid: {e:?}"))
		.unwrap_or_else(|e| panic!("{who}'s call dispatches: {e:?}"));
}

/// Every pallet's bookkeeping invariants (`try_state`), checked after every block.
fn check_invariants() {
	pallet_principals::Pallet::<Runtime>::do_try_state().expect("principals invariants");
	pallet_endpoints::Pallet::<Runtime>::do_try_state().expect("endpoints invariants");
	pallet_storage_contracts::Pallet::<Runtime>::do_try_state().expect("storage contracts invariants");
	pallet_fragments::Pallet::<Runtime>::do_try_state().expect("fragments invariants");
}

/// Registers a principal for `who` with the signing key derived from `seed`; returns its keys
/// and signing pair.
fn register_principal(who: Sr25519Keyring, seed: &str) -> (Principal, sr25519::Pair) {
	let pair = sr25519::Pair::from_string(seed, None).expect("a valid seed");
	let keys = Principal { signing: SigningKey::Sr25519(pair.public()), encryption: [7; 32] };
	let message = pallet_principals::possession_message(&who.to_account_id(), &keys);
	let proof = Signature::Sr25519(pair.sign(&message));
	apply(who, RuntimeCall::Principals(PrincipalsCall::register { keys, proof }));
	(keys, pair)
}

/// A header of version `version` at `path`, signed by `pair` for this chain.
fn signed_header(keys: &Principal, pair: &sr25519::Pair, path: BlockPath, version: u64) -> SignedBlockHeader {
	let header = BlockHeader {
		path,
		version,
		writer: keys.id(),
		write_caps: Default::default(),
		read_caps: Default::default(),
		sector_size: DEFAULT_SECTOR_SIZE,
		plaintext_len: MIB,
		nonce_prefix: [1; 16],
		merkle_root: H256::repeat_byte(3),
	};
	let chain = pallet_principals::Pallet::<Runtime>::chain_tag();
	let signature = Signature::Sr25519(pair.sign(&header.signing_payload(&chain)));
	SignedBlockHeader { header, signature }
}

fn total(who: Sr25519Keyring) -> Balance {
	Balances::total_balance(&who.to_account_id())
}

/// Deterministic contents of fragment `index`.
fn fragment(index: u8, size: u64) -> Vec<u8> {
	(0..size).map(|i| (i as u8).wrapping_mul(13) ^ index).collect()
}

#[test]
fn a_contract_lifecycle_across_blocks_pays_refunds_and_accounts_to_the_unit() {
	ext_from_preset("development").execute_with(|| {
		start_block(1, 1_000);
		let providers = [Bob, Charlie, Dave];
		let everyone = [Alice, Bob, Charlie, Dave];
		let start: Vec<Balance> = everyone.iter().map(|k| total(*k)).collect();
		let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
		let mut events: Vec<RuntimeEvent> = Vec::new();

		for p in providers {
			apply(p, RuntimeCall::StorageContracts(StorageContractsCall::create_offer {
				capacity: 8 * MIB,
				price_per_byte: PRICE_PER_BYTE,
				collateral_per_byte: COLLATERAL_PER_BYTE,
				min_periods: 2,
				min_bytes: MIB / 2,
			}));
		}
		for offer in 0..3 {
			apply(Alice, RuntimeCall::StorageContracts(StorageContractsCall::open_contract {
				offer,
				bytes: MIB,
				periods: PERIODS,
				max_price_per_byte: PRICE_PER_BYTE,
				min_collateral_per_byte: COLLATERAL_PER_BYTE,
			}));
		}

		// The redundancy rule for 1 MiB, tolerance 1, three providers: k = 2, n = 3.
		let alice = Alice.to_account_id();
		let (k, n, fsize) = pallet_fragments::Pallet::<Runtime>::erasure_params(&alice, MIB, 1).unwrap();
		assert_eq!((k, n, fsize), (2, 3, MIB / 2));
		let data: Vec<Vec<u8>> = (0..n).map(|i| fragment(i, fsize)).collect();
		// Alice writes her own tree: the chain checks her principal's signature on the header.
		let (keys, pair) = register_principal(Alice, "//Alice//principal");
		let header = signed_header(&keys, &pair, BlockPath::root_of(&keys.id()).join("photos").unwrap(), 1);
		let block = header.id();
		apply(Alice, RuntimeCall::Fragments(FragmentsCall::record_block {
			header: Box::new(header),
			size: MIB,
			tolerance: 1,
			fragment_roots: BoundedVec::try_from(data.iter().map(|d| fragment_root(d)).collect::<Vec<_>>()).unwrap(),
		}));
		for (i, p) in providers.iter().enumerate() {
			apply(*p, RuntimeCall::Fragments(FragmentsCall::place_fragment { block, index: i as u8, contract: i as u64 }));
		}
		assert_eq!(BelowTarget::<Runtime>::get(block), None, "fully placed");

		// Three hours of blocks; Bob and Charlie answer their challenges, Dave ignores his.
		let end = 1 + PERIODS * HOURS + 1;
		loop {
			let open: Vec<_> = Challenges::<Runtime>::iter().collect();
			for ((b, index), challenge) in open {
				let who = providers.into_iter().find(|p| p.to_account_id() == challenge.provider).unwrap();
				if who == Dave {
					continue
				}
				let (chunk, proof) = prove_chunk(&data[index as usize], challenge.chunk).unwrap();
				apply(who, RuntimeCall::Fragments(FragmentsCall::submit_proof {
					block: b,
					index,
					chunk: BoundedVec::try_from(chunk).unwrap(),
					proof,
				}));
			}
			events.extend(frame_system::Pallet::<Runtime>::read_events_no_consensus().map(|r| r.event));
			check_invariants();
			if next_block() >= end {
				break
			}
		}
		assert_eq!(BelowTarget::<Runtime>::get(block), Some(n - 1), "Dave's fragment awaits repair");
		for (i, p) in providers.iter().enumerate() {
			if Contracts::<Runtime>::contains_key(i as u64) {
				apply(*p, RuntimeCall::StorageContracts(StorageContractsCall::settle { contract: i as u64 }));
			}
		}
		events.extend(frame_system::Pallet::<Runtime>::read_events_no_consensus().map(|r| r.event));

		// What happened.
		let count = |f: &dyn Fn(&RuntimeEvent) -> bool| events.iter().filter(|e| f(e)).count();
		let accepted = count(&|e| matches!(e, RuntimeEvent::Fragments(FragmentsEvent::ProofAccepted { .. })));
		let missed = count(&|e| matches!(e, RuntimeEvent::Fragments(FragmentsEvent::ProofMissed { provider, .. }) if *provider == Dave.to_account_id()));
		let completed = count(&|e| matches!(e, RuntimeEvent::StorageContracts(ContractsEvent::ContractEnded { how: Ending::Completed, .. })));
		assert!(accepted > 10, "Bob and Charlie proved storage {accepted} times");
		assert_eq!(missed, 1, "Dave missed his challenge, then held nothing to challenge");
		assert_eq!(completed, 3, "every contract ran its course");
		assert_eq!(BelowTarget::<Runtime>::get(block), Some(0), "ended contracts leave no fragment placed");
		assert_eq!(Contracts::<Runtime>::iter().count(), 0);

		// Escrow in = payments + refunds, to the unit.
		let mut escrow = 0;
		let mut paid = [0 as Balance; 3];
		let mut refunded = 0;
		let mut fees = std::collections::HashMap::new();
		for e in &events {
			match e {
				RuntimeEvent::StorageContracts(ContractsEvent::ContractOpened { escrow: x, .. }) => escrow += x,
				RuntimeEvent::StorageContracts(ContractsEvent::PeriodsSettled { contract, paid: p, refunded: r, .. }) |
				RuntimeEvent::StorageContracts(ContractsEvent::ContractEnded { contract, paid: p, refunded: r, .. }) => {
					paid[*contract as usize] += p;
					refunded += r;
				},
				RuntimeEvent::TransactionPayment(pallet_transaction_payment::Event::TransactionFeePaid { who, actual_fee, .. }) =>
					*fees.entry(who.clone()).or_insert(0) += actual_fee,
				_ => {},
			}
		}
		let per_contract = MIB as Balance * PRICE_PER_BYTE * PERIODS as Balance;
		assert_eq!(escrow, 3 * per_contract);
		assert_eq!(paid.iter().sum::<Balance>() + refunded, escrow);
		assert_eq!(paid[0], per_contract, "Bob was paid every hour");
		assert_eq!(paid[1], per_contract, "Charlie was paid every hour");
		let hour = MIB as Balance * PRICE_PER_BYTE;
		assert_eq!(paid[2], per_contract - hour, "Dave was not paid for the hour he missed");
		assert_eq!(refunded, hour, "Alice got that hour back");

		// Every balance moved by exactly its fees and payments; issuance by exactly the fees.
		let fee = |k: Sr25519Keyring| fees.get(&k.to_account_id()).copied().unwrap_or(0);
		assert_eq!(total(Alice), start[0] - fee(Alice) - paid.iter().sum::<Balance>());
		for (i, p) in providers.iter().enumerate() {
			assert_eq!(total(*p), start[i + 1] - fee(*p) + paid[i], "{p}");
			let held = Balances::total_balance_on_hold(&p.to_account_id());
			assert_eq!(held, OfferDeposit::get(), "{p}: only the offer deposit is held");
		}
		assert_eq!(
			Balances::total_balance_on_hold(&alice),
			BlockDeposit::get() + n as Balance * FragmentDeposit::get() + PrincipalDeposit::get(),
			"Alice holds only the block and principal deposits"
		);
		check_invariants();
		let all_fees: Balance = everyone.iter().map(|k| fee(*k)).sum();
		assert_eq!(pallet_balances::TotalIssuance::<Runtime>::get(), issuance - all_fees);
		assert!(Balances::balance(&alice) > 0);
	});
}

#[test]
fn the_redundancy_rule_table_in_the_architecture_doc_holds() {
	ext_from_preset("development").execute_with(|| {
		let rule = pallet_fragments::Pallet::<Runtime>::redundancy_rule;
		assert_eq!(rule(64 * MIB, 2, 24), Ok((16, 18, 4 * MIB)));
		assert_eq!(rule(10 * MIB, 2, 20), Ok((10, 12, MIB)));
		assert_eq!(rule(10 * MIB, 2, 6), Ok((4, 6, 10 * MIB / 4)));
		assert_eq!(rule(10 * MIB, 4, 8), Ok((4, 8, 10 * MIB / 4)));
		assert_eq!(rule(MIB, 1, 3), Ok((2, 3, MIB / 2)));
		assert_eq!(rule(10 * MIB, 2, 3), Err(pallet_fragments::Error::<Runtime>::NotEnoughProviders.into()));
	});
}

#[test]
fn a_stranger_cannot_record_a_block_at_alices_path() {
	ext_from_preset("development").execute_with(|| {
		start_block(1, 1_000);
		let (alice_keys, _) = register_principal(Alice, "//Alice//principal");
		let (bob_keys, bob_pair) = register_principal(Bob, "//Bob//principal");
		// Bob signs a header for a path in Alice's tree, without a cap.
		let header = signed_header(&bob_keys, &bob_pair, BlockPath::root_of(&alice_keys.id()).join("x").unwrap(), 1);
		let call = RuntimeCall::Fragments(FragmentsCall::record_block {
			header: Box::new(header),
			size: MIB,
			tolerance: 1,
			fragment_roots: BoundedVec::try_from(vec![H256::zero(); 3]).unwrap(),
		});
		let result = Executive::apply_extrinsic(signed(Bob, call)).expect("valid transaction");
		assert_eq!(result, Err(pallet_principals::Error::<Runtime>::NoCapability.into()));
		check_invariants();
	});
}

#[test]
fn the_worst_challenge_block_fits_in_a_quarter_of_the_block() {
	use blocktree_primitives::storage::ContractLedger;
	use frame_support::traits::Get;
	use pallet_fragments::WeightInfo as _;
	type Weights = pallet_fragments::weights::SubstrateWeight<Runtime>;
	// A round's deadlines and as many carried-over misses due in one block, the budgeted
	// number of them completing a slash that clears a full contract, the rest plain faults,
	// plus a new round issued in the same block.
	let round: u32 = <Runtime as pallet_fragments::Config>::ChallengesPerRound::get();
	let slash = <pallet_storage_contracts::Pallet<Runtime> as ContractLedger<_, _>>::max_fault_weight();
	let fault = <Runtime as frame_system::Config>::DbWeight::get().reads_writes(1, 1);
	let worst = Weights::expire_challenges(2 * round)
		.saturating_add(Weights::issue_challenges(2 * round))
		.saturating_add(slash.saturating_mul(pallet_fragments::SLASHES_PER_BLOCK))
		.saturating_add(fault.saturating_mul(2 * round as u64));
	let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	assert!(worst.ref_time() <= max.ref_time() / 4, "worst case {worst:?} of {max:?}");
}
