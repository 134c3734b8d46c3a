//! The storage market in the real runtime, natively, across real blocks: three providers list
//! offers, Alice opens a contract with each, records a block whose fragments they place, and the
//! runtime challenges them every ten blocks for three hours of contract time. Bob and Charlie
//! answer every challenge; Dave never does. At the end every contract is settled, and the money
//! adds up to the unit: escrow in = payments + refunds, every account's balance moved by exactly
//! its fees and payments, and issuance fell by exactly the fees.

mod common;

use blocktree_primitives::storage::{fragment_root, prove_chunk};
use blocktree_runtime::{
	configs::{BlockDeposit, FragmentDeposit, OfferDeposit},
	Balance, Balances, Executive, FragmentsCall, Runtime, RuntimeCall, RuntimeEvent, StorageContractsCall, HOURS,
};
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
			}));
		}
		for offer in 0..3 {
			apply(Alice, RuntimeCall::StorageContracts(StorageContractsCall::open_contract {
				offer,
				bytes: MIB,
				periods: PERIODS,
				max_price_per_byte: PRICE_PER_BYTE,
			}));
		}

		// The redundancy rule for 1 MiB, tolerance 1, three providers: k = 2, n = 3.
		let alice = Alice.to_account_id();
		let (k, n, fsize) = pallet_fragments::Pallet::<Runtime>::erasure_params(&alice, MIB, 1).unwrap();
		assert_eq!((k, n, fsize), (2, 3, MIB / 2));
		let data: Vec<Vec<u8>> = (0..n).map(|i| fragment(i, fsize)).collect();
		let block = H256::repeat_byte(1);
		apply(Alice, RuntimeCall::Fragments(FragmentsCall::record_block {
			block,
			path_hash: H256::repeat_byte(2),
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
			BlockDeposit::get() + n as Balance * FragmentDeposit::get(),
			"Alice holds only the block deposit"
		);
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
