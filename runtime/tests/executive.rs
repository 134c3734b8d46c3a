//! Runtime tests, natively: genesis presets build, and a signed transfer goes through
//! `Executive` in a real block (Aura slot digest, timestamp inherent, finalization).

mod common;

use blocktree_runtime::{
	genesis_config_presets::{self, ENDOWMENT},
	Balances, BalancesCall, Executive, Runtime, RuntimeCall, RuntimeEvent, System, UncheckedExtrinsic,
};
use common::{ext_from_preset, start_block};
use sp_consensus_aura::Slot;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::Header as _,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	DispatchError, TokenError,
};

#[test]
fn every_preset_builds_a_genesis_with_its_validators_and_endowments() {
	assert_eq!(genesis_config_presets::preset_names(), ["development", "local_testnet"]);

	for (name, validators) in [("development", 1), ("local_testnet", 4)] {
		ext_from_preset(name).execute_with(|| {
			assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), validators, "{name}");
			assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), validators);
			for who in [Sr25519Keyring::Alice, Sr25519Keyring::Ferdie, Sr25519Keyring::BobStash] {
				assert_eq!(Balances::free_balance(who.to_account_id()), ENDOWMENT, "{name} {who}");
			}
			assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
			assert_eq!(
				pallet_balances::TotalIssuance::<Runtime>::get(),
				ENDOWMENT * genesis_config_presets::endowed_dev_accounts().len() as u128
			);
		});
	}
	assert!(genesis_config_presets::get_preset(&"mainnet".into()).is_none());
}

/// A transfer signed by `signer` and claimed to come from `sender`.
fn signed_transfer(
	sender: Sr25519Keyring,
	signer: Sr25519Keyring,
	to: Sr25519Keyring,
	value: u128,
) -> UncheckedExtrinsic {
	let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
		dest: to.to_account_id().into(),
		value,
	});
	common::signed_as(sender, signer, call)
}

#[test]
fn signed_transfer_through_executive_moves_the_amount_and_burns_a_fee() {
	let (alice, bob) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
	let amount = 5 * blocktree_runtime::UNIT;

	ext_from_preset("development").execute_with(|| {
		let issuance_before = pallet_balances::TotalIssuance::<Runtime>::get();
		start_block(1, 1_000);
		assert_eq!(pallet_aura::CurrentSlot::<Runtime>::get(), Slot::from(1_000));

		let xt = signed_transfer(alice, alice, bob, amount);
		Executive::apply_extrinsic(xt).expect("valid transaction").expect("dispatch succeeds");

		let fee = System::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::TransactionPayment(
					pallet_transaction_payment::Event::TransactionFeePaid { who, actual_fee, .. },
				) if who == alice.to_account_id() => Some(actual_fee),
				_ => None,
			})
			.expect("a TransactionFeePaid event");
		assert!(fee > 0, "transfers are not free");

		assert_eq!(Balances::free_balance(bob.to_account_id()), ENDOWMENT + amount);
		assert_eq!(Balances::free_balance(alice.to_account_id()), ENDOWMENT - amount - fee);
		assert_eq!(System::account_nonce(alice.to_account_id()), 1);
		// The fee is burnt: issuance shrinks by exactly the fee.
		assert_eq!(pallet_balances::TotalIssuance::<Runtime>::get(), issuance_before - fee);

		let header = Executive::finalize_block();
		assert_eq!(*header.number(), 1);
	});
}

#[test]
fn transfer_signed_by_the_wrong_key_is_rejected_and_changes_nothing() {
	ext_from_preset("development").execute_with(|| {
		start_block(1, 1_000);
		let forged = signed_transfer(
			Sr25519Keyring::Alice,
			Sr25519Keyring::Eve,
			Sr25519Keyring::Bob,
			blocktree_runtime::UNIT,
		);
		assert_eq!(
			Executive::apply_extrinsic(forged),
			Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof))
		);
		assert_eq!(Balances::free_balance(Sr25519Keyring::Alice.to_account_id()), ENDOWMENT);
		assert_eq!(Balances::free_balance(Sr25519Keyring::Bob.to_account_id()), ENDOWMENT);
		assert_eq!(System::account_nonce(Sr25519Keyring::Alice.to_account_id()), 0);
	});
}

#[test]
fn transfer_that_would_reap_the_sender_is_refused_by_keep_alive() {
	ext_from_preset("development").execute_with(|| {
		start_block(1, 1_000);
		let xt = signed_transfer(
			Sr25519Keyring::Alice,
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			ENDOWMENT,
		);
		// Valid as a transaction (the fee is paid), but after the fee Alice no longer has the
		// whole endowment, and keep-alive would not let her empty the account anyway.
		let outcome = Executive::apply_extrinsic(xt).expect("valid transaction");
		assert_eq!(outcome, Err(DispatchError::Token(TokenError::FundsUnavailable)));
		assert_eq!(Balances::free_balance(Sr25519Keyring::Bob.to_account_id()), ENDOWMENT);
	});
}
