//! Unit tests of the storage contracts pallet against the mock runtime: every call and error,
//! and the money: escrow in = payments + refunds, to the unit, in every ending.

use crate::{mock::*, ClientContractCount, ContractLedger, Fault, Contracts as ContractStore, Ending, Error, Event, Offers};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::traits::BadOrigin;

/// Offer 0 by PROVIDER: 1000 bytes at 2 per byte per period, collateral 3 per byte, at least
/// 2 periods.
fn offer() {
	assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1000, 2, 3, 2, 1));
}

/// Contract 0: CLIENT buys 100 bytes for 4 periods of offer 0 (200 per period, escrow 800,
/// collateral 300).
fn contract() {
	offer();
	assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 100, 4, 2, 0));
}

/// A missed proof on contract `c` now.
fn fault(c: u64) {
	<Contracts as ContractLedger<u64, u64>>::record_fault(c, Fault::MissedProof, System::block_number());
}

fn held(who: u64) -> u64 {
	Balances::total_balance_on_hold(&who)
}

fn total(who: u64) -> u64 {
	Balances::total_balance(&who)
}

fn go_to(block: u64) {
	System::set_block_number(block);
}

/// Sums of what settlement and ending paid and refunded, from the events.
fn paid_and_refunded() -> (u64, u64, u64) {
	let (mut paid, mut refunded, mut slashed) = (0, 0, 0);
	for record in System::events() {
		match record.event {
			RuntimeEvent::Contracts(Event::PeriodsSettled { paid: p, refunded: r, .. }) => {
				paid += p;
				refunded += r;
			},
			RuntimeEvent::Contracts(Event::ContractEnded { paid: p, refunded: r, slashed: s, .. }) => {
				paid += p;
				refunded += r;
				slashed += s;
			},
			_ => {},
		}
	}
	(paid, refunded, slashed)
}

#[test]
fn offers_are_listed_changed_and_withdrawn_by_their_provider() {
	build_and_execute(|| {
		offer();
		assert_eq!(held(PROVIDER), OFFER_DEPOSIT);
		System::assert_last_event(Event::OfferCreated { offer: 0, provider: PROVIDER }.into());
		assert_noop!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 0, 1, 1, 1, 1), Error::<Test>::ZeroBytes);
		assert_noop!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1, 1, 1, 1, 0), Error::<Test>::ZeroBytes);
		assert_noop!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1, 1, 1, 0, 1), Error::<Test>::TooShort);
		assert_noop!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1, 1, 1, 13, 1), Error::<Test>::TooLong);
		assert_noop!(Contracts::create_offer(RuntimeOrigin::none(), 1, 1, 1, 1, 1), BadOrigin);
		assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1, 1, 1, 1, 1));
		assert_noop!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1, 1, 1, 1, 1), Error::<Test>::TooManyOffers);
		// The deposit must be affordable.
		assert!(Contracts::create_offer(RuntimeOrigin::signed(6), 1, 1, 1, 1, 1).is_err());

		assert_noop!(Contracts::update_offer(RuntimeOrigin::signed(CLIENT), 0, 5, 5, 5, 5, 1), Error::<Test>::NotOfferProvider);
		assert_noop!(Contracts::update_offer(RuntimeOrigin::signed(PROVIDER), 9, 5, 5, 5, 5, 1), Error::<Test>::UnknownOffer);
		assert_ok!(Contracts::update_offer(RuntimeOrigin::signed(PROVIDER), 0, 500, 4, 6, 3, 1));
		let o = Offers::<Test>::get(0).unwrap();
		assert_eq!((o.capacity, o.price_per_byte, o.collateral_per_byte, o.min_periods), (500, 4, 6, 3));

		assert_noop!(Contracts::remove_offer(RuntimeOrigin::signed(CLIENT), 0), Error::<Test>::NotOfferProvider);
		assert_ok!(Contracts::remove_offer(RuntimeOrigin::signed(PROVIDER), 0));
		assert_ok!(Contracts::remove_offer(RuntimeOrigin::signed(PROVIDER), 1));
		assert_eq!(held(PROVIDER), 0);
		assert_eq!(total(PROVIDER), FUNDS);
		assert_noop!(Contracts::remove_offer(RuntimeOrigin::signed(PROVIDER), 0), Error::<Test>::UnknownOffer);
	});
}

#[test]
fn open_contract_checks_everything_and_holds_escrow_and_collateral() {
	build_and_execute(|| {
		offer();
		let open = |who: u64, offer: u64, bytes: u64, periods: u32, max: u64| {
			Contracts::open_contract(RuntimeOrigin::signed(who), offer, bytes, periods, max, 0)
		};
		assert_noop!(open(CLIENT, 7, 100, 4, 2), Error::<Test>::UnknownOffer);
		assert_noop!(open(PROVIDER, 0, 100, 4, 2), Error::<Test>::OwnOffer);
		assert_noop!(open(CLIENT, 0, 0, 4, 2), Error::<Test>::ZeroBytes);
		assert_noop!(open(CLIENT, 0, 1001, 4, 2), Error::<Test>::InsufficientCapacity);
		assert_noop!(open(CLIENT, 0, 100, 1, 2), Error::<Test>::TooShort);
		assert_noop!(open(CLIENT, 0, 100, 13, 2), Error::<Test>::TooLong);
		assert_noop!(open(CLIENT, 0, 100, 4, 1), Error::<Test>::PriceAboveLimit);
		assert_noop!(open(POOR, 0, 100, 4, 2), Error::<Test>::ClientCannotPayEscrow);
		assert_noop!(Contracts::open_contract(RuntimeOrigin::none(), 0, 100, 4, 2, 0), BadOrigin);
		// Overflow: a price per byte near the maximum.
		assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER2), 1000, u64::MAX / 2, 0, 1, 1));
		assert_noop!(open(CLIENT, 1, 10, 1, u64::MAX), Error::<Test>::Overflow);
		// A provider without the collateral.
		assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(POOR), 1000, 1, 1000, 1, 1));
		assert_noop!(open(CLIENT, 2, 10, 1, 1), Error::<Test>::ProviderCannotCoverCollateral);

		assert_ok!(open(CLIENT, 0, 100, 4, 2));
		assert_eq!(held(CLIENT), 800);
		assert_eq!(held(PROVIDER), OFFER_DEPOSIT + 300);
		assert_eq!(Offers::<Test>::get(0).unwrap().capacity, 900);
		let c = ContractStore::<Test>::get(0).unwrap();
		assert_eq!((c.price_per_period, c.escrow, c.collateral, c.settled), (200, 800, 300, 0));
		assert_eq!(Contracts::contracts_of(&CLIENT).len(), 1);
		assert_eq!(Contracts::contracts_of(&PROVIDER).len(), 1);

		// At most three live contracts per account.
		assert_ok!(open(CLIENT, 0, 1, 2, 2));
		assert_ok!(open(CLIENT, 0, 1, 2, 2));
		assert_noop!(open(CLIENT, 0, 1, 2, 2), Error::<Test>::TooManyContracts);
		assert_eq!(ClientContractCount::<Test>::get(CLIENT), 3);
	});
}

#[test]
fn a_completed_contract_pays_every_period_and_releases_the_collateral() {
	build_and_execute(|| {
		contract();
		let (client0, provider0) = (total(CLIENT), total(PROVIDER));
		assert_noop!(Contracts::settle(RuntimeOrigin::signed(5), 9), Error::<Test>::UnknownContract);
		// Nothing is due within the first period.
		go_to(1 + PERIOD - 1);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		assert_eq!(ContractStore::<Test>::get(0).unwrap().settled, 0);
		// Two periods done.
		go_to(1 + 2 * PERIOD);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		System::assert_last_event(Event::PeriodsSettled { contract: 0, periods: 2, paid: 400, refunded: 0 }.into());
		assert_eq!(total(PROVIDER), provider0 + 400);
		assert_eq!(held(CLIENT), 400);
		assert!(<Contracts as ContractLedger<u64, u64>>::live_parties(0).is_some());
		// Past the end: the rest is paid and the contract completes.
		go_to(1 + 10 * PERIOD);
		assert!(<Contracts as ContractLedger<u64, u64>>::live_parties(0).is_none(), "past its last period");
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(PROVIDER), 0));
		System::assert_last_event(
			Event::ContractEnded { contract: 0, how: Ending::Completed, paid: 0, refunded: 0, slashed: 0 }.into(),
		);
		assert!(ContractStore::<Test>::get(0).is_none());
		assert_eq!(held(CLIENT), 0);
		assert_eq!(held(PROVIDER), OFFER_DEPOSIT, "collateral released, offer deposit still held");
		assert_eq!(total(CLIENT), client0 - 800);
		assert_eq!(total(PROVIDER), provider0 + 800);
		assert_eq!(paid_and_refunded(), (800, 0, 0));
		assert_eq!(Offers::<Test>::get(0).unwrap().capacity, 1000, "capacity returns to the offer");
		assert_eq!(ended(), vec![0]);
		assert_eq!(Contracts::contracts_of(&CLIENT).len(), 0);
	});
}

#[test]
fn a_missed_proof_refunds_its_period_and_repeated_misses_slash_the_collateral() {
	build_and_execute(|| {
		contract();
		let (client0, provider0) = (total(CLIENT), total(PROVIDER));
		// A miss in period 1 (twice in the same period counts once).
		go_to(1 + PERIOD + 3);
		fault(0);
		fault(0);
		System::assert_last_event(Event::FaultRecorded { contract: 0, period: 1, faults: 1 }.into());
		assert_eq!(ContractStore::<Test>::get(0).unwrap().faulted.to_vec(), vec![1]);
		go_to(1 + 2 * PERIOD);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		System::assert_last_event(Event::PeriodsSettled { contract: 0, periods: 2, paid: 200, refunded: 200 }.into());
		// A miss in period 2: the second faulted period slashes.
		go_to(1 + 2 * PERIOD + 5);
		fault(0);
		System::assert_last_event(
			Event::ContractEnded { contract: 0, how: Ending::Slashed, paid: 0, refunded: 400, slashed: 300 }.into(),
		);
		assert!(ContractStore::<Test>::get(0).is_none());
		assert_eq!(held(CLIENT), 0);
		assert_eq!(held(PROVIDER), OFFER_DEPOSIT);
		// Escrow 800 = paid 200 + refunded 600; the client also received the 300 collateral.
		assert_eq!(paid_and_refunded(), (200, 600, 300));
		assert_eq!(total(CLIENT), client0 - 200 + 300);
		assert_eq!(total(PROVIDER), provider0 + 200 - 300);
		assert_eq!(ended(), vec![0]);
		// Faults against an ended contract change nothing.
		fault(0);
	});
}

#[test]
fn ending_early_by_client_pays_the_running_period_and_by_provider_forfeits_collateral() {
	build_and_execute(|| {
		contract();
		assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 100, 4, 2, 0));
		let (client0, provider0) = (total(CLIENT), total(PROVIDER));
		assert_noop!(Contracts::end_contract(RuntimeOrigin::signed(5), 0), Error::<Test>::NotAParty);
		assert_noop!(Contracts::end_contract(RuntimeOrigin::signed(CLIENT), 9), Error::<Test>::UnknownContract);
		// Client ends contract 0 in period 1: period 0 settled, period 1 paid as notice, two
		// periods refunded; collateral released.
		go_to(1 + PERIOD + 1);
		assert_ok!(Contracts::end_contract(RuntimeOrigin::signed(CLIENT), 0));
		System::assert_last_event(
			Event::ContractEnded { contract: 0, how: Ending::EndedByClient, paid: 200, refunded: 400, slashed: 0 }.into(),
		);
		assert_eq!(total(CLIENT), client0 - 400);
		assert_eq!(total(PROVIDER), provider0 + 400);
		// Provider ends contract 1 in period 1: period 0 paid, the rest refunded, collateral
		// to the client.
		assert_ok!(Contracts::end_contract(RuntimeOrigin::signed(PROVIDER), 1));
		System::assert_last_event(
			Event::ContractEnded { contract: 1, how: Ending::EndedByProvider, paid: 0, refunded: 600, slashed: 300 }.into(),
		);
		assert_eq!(total(CLIENT), client0 - 400 - 200 + 300);
		assert_eq!(total(PROVIDER), provider0 + 400 + 200 - 300);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(held(PROVIDER), OFFER_DEPOSIT);
		let (paid, refunded, slashed) = paid_and_refunded();
		assert_eq!(paid + refunded, 1600, "both escrows fully accounted for");
		assert_eq!(slashed, 300);
		assert_eq!(ended(), vec![0, 1]);
	});
}

#[test]
fn the_ledger_reserves_space_and_counts_distinct_live_providers() {
	build_and_execute(|| {
		contract();
		type L = Contracts;
		assert_ok!(<L as ContractLedger<u64, u64>>::reserve_space(0, 60));
		assert_noop!(<L as ContractLedger<u64, u64>>::reserve_space(0, 41), Error::<Test>::ContractFull);
		assert_noop!(<L as ContractLedger<u64, u64>>::reserve_space(0, u64::MAX), Error::<Test>::ContractFull);
		<L as ContractLedger<u64, u64>>::release_space(0, 20);
		assert_ok!(<L as ContractLedger<u64, u64>>::reserve_space(0, 60));
		assert_eq!(ContractStore::<Test>::get(0).unwrap().used, 100);
		assert_noop!(<L as ContractLedger<u64, u64>>::reserve_space(7, 1), Error::<Test>::UnknownContract);
		assert_eq!(<L as ContractLedger<u64, u64>>::live_parties(0), Some((PROVIDER, CLIENT)));

		assert_eq!(<L as ContractLedger<u64, u64>>::live_providers_of(&CLIENT), 1);
		assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 10, 2, 2, 0));
		assert_eq!(<L as ContractLedger<u64, u64>>::live_providers_of(&CLIENT), 1, "same provider twice");
		assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER2), 1000, 1, 1, 1, 1));
		assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 1, 10, 1, 1, 0));
		assert_eq!(<L as ContractLedger<u64, u64>>::live_providers_of(&CLIENT), 2);
		assert_eq!(<L as ContractLedger<u64, u64>>::live_providers_of(&PROVIDER), 0);
	});
}

#[test]
fn provider_cannot_lower_collateral_under_a_pending_contract() {
	build_and_execute(|| {
		offer();
		// The client signed for collateral 3 per byte; the provider front-runs with 0.
		assert_ok!(Contracts::update_offer(RuntimeOrigin::signed(PROVIDER), 0, 1000, 2, 0, 2, 1));
		assert_noop!(
			Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 100, 4, 2, 3),
			Error::<Test>::CollateralBelowLimit
		);
		// On the terms it states, the client gets exactly them.
		assert_ok!(Contracts::update_offer(RuntimeOrigin::signed(PROVIDER), 0, 1000, 2, 3, 2, 1));
		assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 100, 4, 2, 3));
		assert_eq!(ContractStore::<Test>::get(0).unwrap().collateral, 300);
	});
}

#[test]
fn tiny_contracts_cannot_fill_a_providers_slots() {
	build_and_execute(|| {
		assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER), 1000, 1, 0, 1, 50));
		assert_noop!(
			Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 1, 1, 1, 0),
			Error::<Test>::BelowMinimumSize
		);
		// Each slot now costs at least min_bytes * price per period.
		assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 50, 1, 1, 0));
		assert_eq!(held(CLIENT), 50);
	});
}

#[test]
fn faults_after_the_term_are_ignored_even_before_settlement() {
	build_and_execute(|| {
		contract();
		// Period 3 is the last; a fault in it counts.
		go_to(1 + 3 * PERIOD + 1);
		fault(0);
		assert_eq!(ContractStore::<Test>::get(0).unwrap().faulted.to_vec(), vec![3]);
		assert_eq!(<Contracts as ContractLedger<u64, u64>>::term_end(0), Some(1 + 4 * PERIOD));
		// Past the term, nobody settled yet: a late fault must not complete a slash.
		go_to(1 + 4 * PERIOD + 2);
		fault(0);
		assert_eq!(ContractStore::<Test>::get(0).unwrap().faulted.to_vec(), vec![3]);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		System::assert_last_event(
			Event::ContractEnded { contract: 0, how: Ending::Completed, paid: 0, refunded: 0, slashed: 0 }.into(),
		);
		assert_eq!(paid_and_refunded(), (600, 200, 0));
	});
}

/// Moves `amount` from `from` to `to`, letting `from` be reaped.
fn transfer(from: u64, to: u64, amount: u64) {
	use frame_support::traits::{fungible::Mutate, tokens::Preservation};
	assert_ok!(<Balances as Mutate<u64>>::transfer(&from, &to, amount, Preservation::Expendable));
}

/// Contract 0: CLIENT buys 1 byte for 3 periods at 1 per period from PROVIDER2, which then
/// withdraws its offer and gives everything away: its account is reaped, and every payment is
/// below the existential deposit.
fn contract_with_a_reaped_provider() {
	assert_ok!(Contracts::create_offer(RuntimeOrigin::signed(PROVIDER2), 1000, 1, 0, 1, 1));
	assert_ok!(Contracts::open_contract(RuntimeOrigin::signed(CLIENT), 0, 1, 3, 1, 0));
	assert_ok!(Contracts::remove_offer(RuntimeOrigin::signed(PROVIDER2), 0));
	transfer(PROVIDER2, 5, total(PROVIDER2));
	assert_eq!(total(PROVIDER2), 0, "reaped");
}

#[test]
fn payment_to_a_reaped_provider_does_not_jam_settlement() {
	build_and_execute(|| {
		contract_with_a_reaped_provider();
		go_to(1 + 2 * PERIOD);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		assert_eq!(ContractStore::<Test>::get(0).unwrap().owed, 2, "kept for the provider");
		go_to(1 + 3 * PERIOD);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		System::assert_has_event(Event::UndeliverablePaymentRefunded { contract: 0, amount: 3 }.into());
		assert!(ContractStore::<Test>::get(0).is_none(), "the contract completed");
		assert_eq!(held(CLIENT), 0);
	});
}

#[test]
fn owed_payment_is_delivered_once_the_provider_exists_again() {
	build_and_execute(|| {
		contract_with_a_reaped_provider();
		go_to(1 + PERIOD);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		assert_eq!(ContractStore::<Test>::get(0).unwrap().owed, 1);
		transfer(5, PROVIDER2, 10);
		go_to(1 + 2 * PERIOD);
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		assert_eq!(ContractStore::<Test>::get(0).unwrap().owed, 0);
		assert_eq!(total(PROVIDER2), 12, "both periods delivered");
	});
}

#[test]
fn a_failed_slash_is_retried_by_settle() {
	build_and_execute(|| {
		use frame_support::traits::{fungible::MutateHold, tokens::Precision};
		contract();
		go_to(1 + PERIOD + 1);
		fault(0);
		// Make the slash's refund fail for a while: part of the escrow hold goes missing.
		let reason = crate::HoldReason::Escrow.into();
		assert_ok!(<Balances as MutateHold<u64>>::release(&reason, &CLIENT, 700, Precision::Exact));
		go_to(1 + 2 * PERIOD + 1);
		fault(0);
		System::assert_last_event(Event::SlashDeferred { contract: 0 }.into());
		assert!(ContractStore::<Test>::get(0).is_some(), "nothing moved");
		// The hold is back; the slash rule must still hold, through settle.
		assert_ok!(<Balances as MutateHold<u64>>::hold(&reason, &CLIENT, 700));
		assert_ok!(Contracts::settle(RuntimeOrigin::signed(5), 0));
		System::assert_last_event(
			Event::ContractEnded { contract: 0, how: Ending::Slashed, paid: 0, refunded: 400, slashed: 300 }.into(),
		);
		assert!(ContractStore::<Test>::get(0).is_none());
	});
}

#[test]
fn dropping_fragments_is_a_strike_each_so_dropping_all_costs_the_collateral() {
	build_and_execute(|| {
		contract();
		go_to(1 + PERIOD + 1);
		// Two drops in one period: two strikes (MaxFaults 2), not one faulted period.
		let drop = || <Contracts as ContractLedger<u64, u64>>::record_fault(0, Fault::DroppedFragment, System::block_number());
		drop();
		assert!(ContractStore::<Test>::get(0).is_some());
		drop();
		System::assert_last_event(
			Event::ContractEnded { contract: 0, how: Ending::Slashed, paid: 0, refunded: 600, slashed: 300 }.into(),
		);
		assert_eq!(paid_and_refunded(), (200, 600, 300));
	});
}

#[test]
fn a_late_counted_miss_belongs_to_its_deadlines_period() {
	build_and_execute(|| {
		contract();
		// A miss due in the last block of the term, counted a block later.
		go_to(1 + 4 * PERIOD);
		<Contracts as ContractLedger<u64, u64>>::record_fault(0, Fault::MissedProof, 4 * PERIOD);
		assert_eq!(ContractStore::<Test>::get(0).unwrap().faulted.to_vec(), vec![3]);
	});
}
