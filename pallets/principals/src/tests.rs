//! Tests of every call and error path, and the capability matrix as the runtime sees it.

use crate::{
	mock::*, possession_message, Error, Event, HoldReason, PendingRequestCount, PrincipalRecords,
	PublishedCaps, Requests,
};
use blocktree_primitives::{
	cap::{SignedWriteCap, WriteCap, WriteCapChain, MAX_CAP_CHAIN},
	crypto::{KeyScheme, PrincipalKeys},
	path::BlockPath,
	principal::PrincipalId,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::InspectHold,
};
use sp_runtime::{DispatchError, TokenError};

const LATER: u64 = START_MS + 86_400_000;

fn keys(n: u8) -> PrincipalKeys {
	PrincipalKeys::from_seed(if n % 2 == 0 { KeyScheme::Ed25519 } else { KeyScheme::Sr25519 }, [n; 32])
}

/// Registers the principal with seed `n` for account `n`.
fn register(n: u8) -> PrincipalKeys {
	let k = keys(n);
	let account = n as u64;
	let proof = k.sign(&possession_message(&account, &k.principal()));
	assert_ok!(Principals::register(RuntimeOrigin::signed(account), k.principal(), proof));
	k
}

/// Registers principal `n` and claims its root.
fn owner(n: u8) -> PrincipalKeys {
	let k = register(n);
	assert_ok!(Principals::claim_root(RuntimeOrigin::signed(n as u64)));
	k
}

fn cap(issuer: &PrincipalKeys, subject: PrincipalId, prefix: &BlockPath, expires_at: u64) -> SignedWriteCap {
	let cap = WriteCap { issuer: issuer.id(), subject, prefix: prefix.clone(), expires_at, nonce: 1 };
	let signature = issuer.sign(&cap.signing_payload());
	SignedWriteCap { cap, signature }
}

fn under(root: &PrincipalKeys, rest: &[&str]) -> BlockPath {
	rest.iter().fold(BlockPath::root_of(&root.id()), |p, c| p.join(c).unwrap())
}

fn held(account: u64, reason: HoldReason) -> u64 {
	Balances::balance_on_hold(&reason.into(), &account)
}

#[test]
fn register_holds_a_deposit_and_records_the_principal() {
	new_test_ext().execute_with(|| {
		let k = register(1);
		assert_eq!(Principals::principal_of(&1), Ok(k.id()));
		assert_eq!(PrincipalRecords::<Test>::get(k.id()).map(|r| r.keys), Some(k.principal()));
		assert_eq!(held(1, HoldReason::PrincipalDeposit), PRINCIPAL_DEPOSIT);
		System::assert_last_event(Event::PrincipalRegistered { principal: k.id(), controller: 1 }.into());
	});
}

#[test]
fn register_rejects_bad_origin_bad_proof_and_duplicates() {
	new_test_ext().execute_with(|| {
		let k = keys(1);
		let proof = k.sign(&possession_message(&1u64, &k.principal()));
		assert_noop!(
			Principals::register(RuntimeOrigin::none(), k.principal(), proof),
			DispatchError::BadOrigin
		);
		// A proof made for another account does not register for this one.
		assert_noop!(
			Principals::register(RuntimeOrigin::signed(2), k.principal(), proof),
			Error::<Test>::InvalidProofOfPossession
		);
		// Signed by another key.
		let forged = keys(3).sign(&possession_message(&1u64, &k.principal()));
		assert_noop!(
			Principals::register(RuntimeOrigin::signed(1), k.principal(), forged),
			Error::<Test>::InvalidProofOfPossession
		);
		assert_ok!(Principals::register(RuntimeOrigin::signed(1), k.principal(), proof));
		let other = keys(5);
		let proof5 = other.sign(&possession_message(&1u64, &other.principal()));
		assert_noop!(
			Principals::register(RuntimeOrigin::signed(1), other.principal(), proof5),
			Error::<Test>::AccountAlreadyControlsPrincipal
		);
		let again = k.sign(&possession_message(&2u64, &k.principal()));
		assert_noop!(
			Principals::register(RuntimeOrigin::signed(2), k.principal(), again),
			Error::<Test>::PrincipalAlreadyRegistered
		);
	});
}

#[test]
fn register_without_funds_for_the_deposit_fails_and_changes_nothing() {
	new_test_ext().execute_with(|| {
		let k = keys(1);
		let poor = 42u64;
		let proof = k.sign(&possession_message(&poor, &k.principal()));
		assert_noop!(
			Principals::register(RuntimeOrigin::signed(poor), k.principal(), proof),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
	});
}

#[test]
fn rotate_keys_keeps_the_id_and_voids_caps_signed_with_the_old_key() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		let bob = register(2);
		let photos = under(&root, &["photos"]);
		let chain = [cap(&root, bob.id(), &photos, LATER)];
		let target = photos.join("a.jpg").unwrap();
		assert_ok!(Principals::check_write_access(&bob.id(), &target, &chain));

		let new = PrincipalKeys::from_seed(KeyScheme::Sr25519, [77; 32]).for_principal(root.id());
		let bad = keys(9).sign(&possession_message(&1u64, &new.principal()));
		assert_noop!(
			Principals::rotate_keys(RuntimeOrigin::signed(1), new.principal(), bad),
			Error::<Test>::InvalidProofOfPossession
		);
		let proof = new.sign(&possession_message(&1u64, &new.principal()));
		assert_ok!(Principals::rotate_keys(RuntimeOrigin::signed(1), new.principal(), proof));
		System::assert_last_event(Event::KeysRotated { principal: root.id() }.into());
		assert_eq!(PrincipalRecords::<Test>::get(root.id()).map(|r| r.keys), Some(new.principal()));
		assert_noop!(
			Principals::check_write_access(&bob.id(), &target, &chain),
			Error::<Test>::CapWrongSigner
		);
		// A cap signed with the new key works.
		let chain = [cap(&new, bob.id(), &photos, LATER)];
		assert_ok!(Principals::check_write_access(&bob.id(), &target, &chain));
		assert_noop!(
			Principals::rotate_keys(RuntimeOrigin::signed(7), new.principal(), proof),
			Error::<Test>::NoPrincipalForAccount
		);
	});
}

#[test]
fn claim_root_needs_a_principal_and_happens_once() {
	new_test_ext().execute_with(|| {
		assert_noop!(Principals::claim_root(RuntimeOrigin::signed(1)), Error::<Test>::NoPrincipalForAccount);
		let k = owner(1);
		System::assert_last_event(Event::RootClaimed { owner: k.id() }.into());
		assert_eq!(held(1, HoldReason::RootDeposit), ROOT_DEPOSIT);
		assert_noop!(Principals::claim_root(RuntimeOrigin::signed(1)), Error::<Test>::RootAlreadyClaimed);
	});
}

#[test]
fn caps_are_revoked_by_their_issuer_or_the_tree_owner_only() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		let bob = register(2);
		let carol = register(3);
		let _mallory = register(4);
		let photos = under(&root, &["photos"]);
		let y2026 = photos.join("2026").unwrap();
		let root_to_bob = cap(&root, bob.id(), &photos, LATER);
		let bob_to_carol = cap(&bob, carol.id(), &y2026, LATER);
		let chain = [root_to_bob.clone(), bob_to_carol.clone()];
		let target = y2026.join("x").unwrap();
		assert_ok!(Principals::check_write_access(&carol.id(), &target, &chain));

		assert_noop!(
			Principals::revoke_write_cap(RuntimeOrigin::signed(4), bob_to_carol.cap.clone()),
			Error::<Test>::NotAllowedToRevoke
		);
		assert_noop!(
			Principals::revoke_write_cap(RuntimeOrigin::signed(8), bob_to_carol.cap.clone()),
			Error::<Test>::NoPrincipalForAccount
		);
		// The issuer (Bob) revokes his cap to Carol.
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(2), bob_to_carol.cap.clone()));
		System::assert_last_event(
			Event::WriteCapRevoked { cap: bob_to_carol.cap.id(), by: bob.id() }.into(),
		);
		assert_noop!(
			Principals::check_write_access(&carol.id(), &target, &chain),
			Error::<Test>::CapRevoked
		);
		assert_noop!(
			Principals::revoke_write_cap(RuntimeOrigin::signed(2), bob_to_carol.cap.clone()),
			Error::<Test>::AlreadyRevoked
		);
		// The tree owner revokes a cap issued by someone else over their tree too.
		let bob_to_carol_again = cap(&bob, carol.id(), &photos.join("2025").unwrap(), LATER);
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(1), bob_to_carol_again.cap));

		// Revocations stay while the cap could be used, and may be removed once it expired.
		let id = bob_to_carol.cap.id();
		assert_eq!(crate::Revocations::<Test>::get(id).map(|r| r.cap_expires_at), Some(LATER));
		assert_noop!(
			Principals::remove_expired_revocation(RuntimeOrigin::signed(4), id),
			Error::<Test>::CapNotExpired
		);
		assert_noop!(
			Principals::remove_expired_revocation(RuntimeOrigin::signed(4), sp_core::H256::repeat_byte(3)),
			Error::<Test>::RevocationNotFound
		);
		assert_noop!(Principals::remove_expired_revocation(RuntimeOrigin::none(), id), sp_runtime::traits::BadOrigin);
		pallet_timestamp::Now::<Test>::put(LATER);
		assert_ok!(Principals::remove_expired_revocation(RuntimeOrigin::signed(4), id));
		System::assert_last_event(Event::RevocationRemoved { cap: id }.into());
		assert!(crate::Revocations::<Test>::get(id).is_none());
		// The chain is still refused: the cap has expired.
		assert_noop!(
			Principals::check_write_access(&carol.id(), &target, &chain),
			Error::<Test>::CapExpired
		);
	});
}

#[test]
fn capability_matrix_in_the_runtime() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		let bob = register(2);
		let carol = register(3);
		let mallory = register(4);
		let stranger = keys(9); // not registered
		let photos = under(&root, &["photos"]);
		let y2026 = photos.join("2026").unwrap();
		let beach = y2026.join("beach.jpg").unwrap();
		let check = |w: &PrincipalKeys, chain: &[SignedWriteCap]| {
			Principals::check_write_access(&w.id(), &beach, chain)
		};

		// Owner, no chain: fine. Others without a chain: no capability.
		assert_ok!(check(&root, &[]));
		assert_eq!(check(&bob, &[]), Err(Error::<Test>::NoCapability.into()));
		// Valid chain.
		let good = [cap(&root, bob.id(), &photos, LATER), cap(&bob, carol.id(), &y2026, LATER)];
		assert_ok!(check(&carol, &good));
		// Missing link.
		assert_eq!(check(&carol, &good[1..]), Err(Error::<Test>::CapChainMissingLink.into()));
		// Wrong signer.
		let mut forged = cap(&root, mallory.id(), &photos, LATER);
		forged.signature = mallory.sign(&forged.cap.signing_payload());
		assert_eq!(check(&mallory, &[forged]), Err(Error::<Test>::CapWrongSigner.into()));
		// Scope widening.
		let widened = [cap(&root, bob.id(), &y2026, LATER), cap(&bob, carol.id(), &photos, LATER)];
		assert_eq!(check(&carol, &widened), Err(Error::<Test>::CapScopeWidened.into()));
		// Expired (caps expire by the chain's timestamp).
		let expired = [cap(&root, bob.id(), &photos, START_MS)];
		assert_eq!(check(&bob, &expired), Err(Error::<Test>::CapExpired.into()));
		pallet_timestamp::Now::<Test>::put(LATER + 1);
		assert_eq!(check(&carol, &good), Err(Error::<Test>::CapExpired.into()));
		pallet_timestamp::Now::<Test>::put(START_MS);
		// Path outside scope.
		let narrow = [cap(&root, bob.id(), &photos.join("2025").unwrap(), LATER)];
		assert_eq!(check(&bob, &narrow), Err(Error::<Test>::CapPathOutsideScope.into()));
		// Granted to someone else.
		assert_eq!(check(&mallory, &good), Err(Error::<Test>::CapWriterNotSubject.into()));
		// Unknown issuer.
		let from_stranger = [cap(&root, stranger.id(), &photos, LATER), cap(&stranger, bob.id(), &photos, LATER)];
		assert_eq!(check(&bob, &from_stranger), Err(Error::<Test>::CapUnknownIssuer.into()));
		// Over-long chain.
		let mut chain = vec![cap(&root, bob.id(), &photos, LATER)];
		for _ in 0..MAX_CAP_CHAIN {
			chain.push(cap(&bob, bob.id(), &photos, LATER));
		}
		assert_eq!(check(&bob, &chain), Err(Error::<Test>::CapChainTooLong.into()));
		// Revoked: see caps_are_revoked_by_their_issuer_or_the_tree_owner_only.
	});
}

#[test]
fn write_requests_need_a_claimed_root_and_are_bounded_per_tree() {
	new_test_ext().execute_with(|| {
		let root = register(1);
		let photos = under(&root, &["photos"]);
		register(2);
		assert_noop!(
			Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()),
			Error::<Test>::RootNotClaimed
		);
		assert_ok!(Principals::claim_root(RuntimeOrigin::signed(1)));
		assert_noop!(
			Principals::request_write_access(RuntimeOrigin::signed(1), photos.clone()),
			Error::<Test>::CannotRequestOwnTree
		);
		assert_noop!(
			Principals::request_write_access(RuntimeOrigin::signed(9), photos.clone()),
			Error::<Test>::NoPrincipalForAccount
		);
		for who in [2u8, 3, 4] {
			if who != 2 {
				register(who);
			}
			assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(who as u64), photos.clone()));
			assert_eq!(held(who as u64, HoldReason::RequestDeposit), REQUEST_DEPOSIT);
		}
		register(5);
		assert_noop!(
			Principals::request_write_access(RuntimeOrigin::signed(5), photos.clone()),
			Error::<Test>::TooManyPendingRequests
		);
		let pending = Principals::pending_requests(root.id());
		assert_eq!(pending.len(), 3);
		assert_eq!(pending.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![0, 1, 2]);
	});
}

#[test]
fn the_owner_approves_a_request_by_publishing_a_matching_cap() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		let bob = register(2);
		let photos = under(&root, &["photos"]);
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()));
		System::assert_last_event(
			Event::WriteAccessRequested { owner: root.id(), request: 0, requester: bob.id(), prefix: photos.clone() }
				.into(),
		);

		let wrong_prefix = cap(&root, bob.id(), &photos.join("x").unwrap(), LATER);
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 0, wrong_prefix, WriteCapChain::default()),
			Error::<Test>::CapDoesNotMatchRequest
		);
		let good = cap(&root, bob.id(), &photos, LATER);
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(2), root.id(), 0, good.clone(), WriteCapChain::default()),
			Error::<Test>::CapNotIssuedByApprover
		);
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 9, good.clone(), WriteCapChain::default()),
			Error::<Test>::RequestNotFound
		);
		let mut bad_sig = good.clone();
		bad_sig.signature = bob.sign(&bad_sig.cap.signing_payload());
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 0, bad_sig, WriteCapChain::default()),
			Error::<Test>::CapWrongSigner
		);

		assert_ok!(Principals::approve_write_request(
			RuntimeOrigin::signed(1),
			root.id(),
			0,
			good.clone(),
			WriteCapChain::default()
		));
		System::assert_last_event(
			Event::WriteAccessGranted { owner: root.id(), request: 0, subject: bob.id(), cap: good.cap.id() }
				.into(),
		);
		assert_eq!(PublishedCaps::<Test>::get(bob.id(), good.cap.id()), Some(good));
		assert_eq!(held(2, HoldReason::RequestDeposit), 0, "the deposit is returned");
		assert!(Requests::<Test>::get(root.id(), 0).is_none());
		assert_eq!(PendingRequestCount::<Test>::get(root.id()), 0);
	});
}

#[test]
fn a_cap_holder_approves_with_its_own_chain() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		let bob = register(2);
		let carol = register(3);
		let photos = under(&root, &["photos"]);
		let y2026 = photos.join("2026").unwrap();
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(3), y2026.clone()));
		let bobs = WriteCapChain::try_from(vec![cap(&root, bob.id(), &photos, LATER)]).unwrap();
		let to_carol = cap(&bob, carol.id(), &y2026, LATER);
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(2), root.id(), 0, to_carol.clone(), WriteCapChain::default()),
			Error::<Test>::CapChainMissingLink
		);
		assert_ok!(Principals::approve_write_request(RuntimeOrigin::signed(2), root.id(), 0, to_carol, bobs));
	});
}

#[test]
fn requests_are_rejected_by_the_owner_cancelled_by_the_requester_and_expire() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		register(2);
		register(3);
		let photos = under(&root, &["photos"]);
		for who in [2u64, 2, 3] {
			assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(who), photos.clone()));
		}
		// Reject: only the owner.
		assert_noop!(
			Principals::reject_write_request(RuntimeOrigin::signed(3), root.id(), 0),
			Error::<Test>::NotTheTreeOwner
		);
		assert_ok!(Principals::reject_write_request(RuntimeOrigin::signed(1), root.id(), 0));
		System::assert_last_event(Event::WriteAccessRejected { owner: root.id(), request: 0 }.into());
		assert_noop!(
			Principals::reject_write_request(RuntimeOrigin::signed(1), root.id(), 0),
			Error::<Test>::RequestNotFound
		);
		// Cancel: only the requester.
		assert_noop!(
			Principals::cancel_write_request(RuntimeOrigin::signed(3), root.id(), 1),
			Error::<Test>::NotTheRequester
		);
		assert_ok!(Principals::cancel_write_request(RuntimeOrigin::signed(2), root.id(), 1));
		assert_eq!(held(2, HoldReason::RequestDeposit), 0);
		// Expiry: not before the lifetime; then anyone removes it and the deposit returns.
		assert_noop!(
			Principals::remove_expired_request(RuntimeOrigin::signed(9), root.id(), 2),
			Error::<Test>::RequestNotExpired
		);
		System::set_block_number(1 + REQUEST_LIFETIME + 1);
		let late = cap(&root, keys(3).id(), &photos, LATER);
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 2, late, WriteCapChain::default()),
			Error::<Test>::RequestExpired
		);
		assert_ok!(Principals::remove_expired_request(RuntimeOrigin::signed(9), root.id(), 2));
		System::assert_last_event(Event::WriteRequestExpired { owner: root.id(), request: 2 }.into());
		assert_eq!(held(3, HoldReason::RequestDeposit), 0);
		assert_eq!(Balances::free_balance(3), ENDOWMENT - PRINCIPAL_DEPOSIT);
		assert_eq!(PendingRequestCount::<Test>::get(root.id()), 0);
	});
}

#[test]
fn published_caps_are_bounded_per_subject() {
	new_test_ext().execute_with(|| {
		let root = owner(1);
		let bob = register(2);
		for i in 0..5u64 {
			let prefix = under(&root, &[&format!("d{i}")]);
			assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), prefix.clone()));
			let c = cap(&root, bob.id(), &prefix, LATER);
			let result = Principals::approve_write_request(
				RuntimeOrigin::signed(1),
				root.id(),
				i,
				c,
				WriteCapChain::default(),
			);
			if i < 4 {
				assert_ok!(result);
			} else {
				assert_eq!(result, Err(Error::<Test>::TooManyPublishedCaps.into()));
			}
		}
	});
}
