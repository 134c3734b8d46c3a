//! Tests of every call and error path, and the capability matrix as the runtime sees it.

use crate::{
	mock::*, possession_message, Error, Event, HoldReason, PendingRequestCount, PrincipalRecords,
	PublishedCapCount, PublishedCaps, RequesterRequestCount, Requests, Revocations,
};
use blocktree_primitives::{
	block::{BlockHeader, SignedBlockHeader, DEFAULT_SECTOR_SIZE},
	cap::{BlockWriteAuthority, ChainTag, SignedWriteCap, WriteCap, WriteCapChain, MAX_CAP_CHAIN},
	crypto::{KeyScheme, PrincipalKeys},
	path::BlockPath,
	principal::PrincipalId,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_core::H256;
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

/// This chain's tag (the mock's genesis hash), which caps and headers are signed for.
fn tag() -> ChainTag {
	Principals::chain_tag()
}

/// A cap signed for this chain, nonce 1.
fn cap(issuer: &PrincipalKeys, subject: PrincipalId, prefix: &BlockPath, expires_at: u64) -> SignedWriteCap {
	cap_with_nonce(issuer, subject, prefix, expires_at, 1)
}

fn cap_with_nonce(
	issuer: &PrincipalKeys,
	subject: PrincipalId,
	prefix: &BlockPath,
	expires_at: u64,
	nonce: u64,
) -> SignedWriteCap {
	let cap = WriteCap { issuer: issuer.id(), subject, prefix: prefix.clone(), expires_at, nonce };
	let signature = issuer.sign(&cap.signing_payload(&tag()));
	SignedWriteCap { cap, signature }
}

fn under(root: &PrincipalKeys, rest: &[&str]) -> BlockPath {
	rest.iter().fold(BlockPath::root_of(&root.id()), |p, c| p.join(c).unwrap())
}

/// Account 1 owns a claimed tree; account 2's principal (Bob) requests `/<root>/photos` in it.
fn bob_requests_photos() -> (PrincipalKeys, PrincipalKeys, BlockPath) {
	let root = owner(1);
	let bob = register(2);
	let photos = under(&root, &["photos"]);
	assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()));
	(root, bob, photos)
}

fn held(account: u64, reason: HoldReason) -> u64 {
	Balances::balance_on_hold(&reason.into(), &account)
}

#[test]
fn register_holds_a_deposit_and_records_the_principal() {
	run_test(|| {
		let k = register(1);
		assert_eq!(Principals::principal_of(&1), Ok(k.id()));
		assert_eq!(PrincipalRecords::<Test>::get(k.id()).map(|r| r.keys), Some(k.principal()));
		assert_eq!(held(1, HoldReason::PrincipalDeposit), PRINCIPAL_DEPOSIT);
		System::assert_last_event(Event::PrincipalRegistered { principal: k.id(), controller: 1 }.into());
	});
}

#[test]
fn register_rejects_bad_origin_bad_proof_and_duplicates() {
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
		assert_noop!(Principals::claim_root(RuntimeOrigin::signed(1)), Error::<Test>::NoPrincipalForAccount);
		let k = owner(1);
		System::assert_last_event(Event::RootClaimed { owner: k.id() }.into());
		assert_eq!(held(1, HoldReason::RootDeposit), ROOT_DEPOSIT);
		assert_noop!(Principals::claim_root(RuntimeOrigin::signed(1)), Error::<Test>::RootAlreadyClaimed);
	});
}

#[test]
fn caps_are_revoked_by_their_issuer_or_the_tree_owner_only() {
	run_test(|| {
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
		// The issuer (Bob) revokes his cap to Carol, for a deposit.
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(2), bob_to_carol.cap.clone()));
		assert_eq!(held(2, HoldReason::RevocationDeposit), REVOCATION_DEPOSIT);
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
		// Bob's deposit returned; the owner's revocation (not removed) still holds its own.
		assert_eq!(held(2, HoldReason::RevocationDeposit), 0);
		assert_eq!(held(1, HoldReason::RevocationDeposit), REVOCATION_DEPOSIT);
		// The chain is still refused: the cap has expired.
		assert_noop!(
			Principals::check_write_access(&carol.id(), &target, &chain),
			Error::<Test>::CapExpired
		);
	});
}

#[test]
fn capability_matrix_in_the_runtime() {
	run_test(|| {
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
		forged.signature = mallory.sign(&forged.cap.signing_payload(&tag()));
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
	run_test(|| {
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
		// Sixteen requesters with four requests each fill the tree's 64 slots.
		let per = MAX_REQUESTS_PER_REQUESTER;
		let requesters = (MAX_PENDING_REQUESTS / per) as u8;
		for who in 2..2 + requesters {
			if who != 2 {
				register(who);
			}
			for _ in 0..per {
				assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(who as u64), photos.clone()));
			}
			assert_eq!(held(who as u64, HoldReason::RequestDeposit), per as u64 * REQUEST_DEPOSIT);
			assert_eq!(RequesterRequestCount::<Test>::get(root.id(), keys(who).id()), per);
		}
		register(2 + requesters);
		assert_noop!(
			Principals::request_write_access(RuntimeOrigin::signed((2 + requesters) as u64), photos.clone()),
			Error::<Test>::TooManyPendingRequests
		);
		let pending = Principals::pending_requests(root.id());
		assert_eq!(pending.len(), MAX_PENDING_REQUESTS as usize);
		assert_eq!(
			pending.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
			(0..MAX_PENDING_REQUESTS as u64).collect::<Vec<_>>()
		);
	});
}

#[test]
fn the_owner_approves_a_request_by_publishing_a_matching_cap() {
	run_test(|| {
		let (root, bob, photos) = bob_requests_photos();
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
		bad_sig.signature = bob.sign(&bad_sig.cap.signing_payload(&tag()));
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
	run_test(|| {
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
	run_test(|| {
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
		let owners_free = Balances::free_balance(1);
		assert_ok!(Principals::reject_write_request(RuntimeOrigin::signed(1), root.id(), 0));
		System::assert_last_event(Event::WriteAccessRejected { owner: root.id(), request: 0 }.into());
		// A rejected request's deposit goes to the owner's controller.
		assert_eq!(Balances::free_balance(1), owners_free + REQUEST_DEPOSIT);
		assert_eq!(held(2, HoldReason::RequestDeposit), REQUEST_DEPOSIT);
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
	run_test(|| {
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

/// A block header at `path` by `writer` with `caps`, signed for this chain.
fn header(writer: &PrincipalKeys, path: &BlockPath, caps: Vec<SignedWriteCap>) -> SignedBlockHeader {
	let header = BlockHeader {
		path: path.clone(),
		version: 1,
		writer: writer.id(),
		write_caps: WriteCapChain::try_from(caps).unwrap(),
		read_caps: Default::default(),
		sector_size: DEFAULT_SECTOR_SIZE,
		plaintext_len: 100,
		nonce_prefix: [7; 16],
		merkle_root: H256::repeat_byte(1),
	};
	let signature = writer.sign(&header.signing_payload(&tag()));
	SignedBlockHeader { header, signature }
}

#[test]
fn the_chain_tag_is_the_genesis_hash() {
	run_test(|| {
		assert_eq!(tag(), System::block_hash(0));
		assert_ne!(tag(), H256::zero());
	});
}

#[test]
fn cap_signed_for_another_chain_is_refused() {
	run_test(|| {
		let root = owner(1);
		let bob = register(2);
		let photos = under(&root, &["photos"]);
		let target = photos.join("a.jpg").unwrap();
		let another_chain = H256::repeat_byte(0xee);
		assert_ne!(another_chain, tag());
		let mut replayed = cap(&root, bob.id(), &photos, LATER);
		replayed.signature = root.sign(&replayed.cap.signing_payload(&another_chain));
		assert_noop!(
			Principals::check_write_access(&bob.id(), &target, &[replayed.clone()]),
			Error::<Test>::CapWrongSigner
		);
		// Nor can it be published here by approving a request with it.
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()));
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 0, replayed, WriteCapChain::default()),
			Error::<Test>::CapWrongSigner
		);
		// The same cap signed for this chain passes.
		assert_ok!(Principals::check_write_access(&bob.id(), &target, &[cap(&root, bob.id(), &photos, LATER)]));
	});
}

#[test]
fn the_tree_owner_records_a_header_in_its_own_tree() {
	run_test(|| {
		let root = owner(1);
		let h = header(&root, &under(&root, &["notes.txt"]), vec![]);
		assert_ok!(Principals::check_block_header(&1, &h));
	});
}

#[test]
fn a_stranger_cannot_record_a_header_in_anothers_tree() {
	run_test(|| {
		let root = owner(1);
		let mallory = register(4);
		let h = header(&mallory, &under(&root, &["notes.txt"]), vec![]);
		assert_noop!(Principals::check_block_header(&4, &h), Error::<Test>::NoCapability);
	});
}

#[test]
fn a_header_copied_by_another_account_is_refused() {
	run_test(|| {
		let root = owner(1);
		register(2);
		let h = header(&root, &under(&root, &["notes.txt"]), vec![]);
		// Account 2 controls another principal; account 9 controls none.
		assert_noop!(Principals::check_block_header(&2, &h), Error::<Test>::NotWritersController);
		assert_noop!(Principals::check_block_header(&9, &h), Error::<Test>::NotWritersController);
	});
}

#[test]
fn a_tampered_or_foreign_header_is_refused() {
	run_test(|| {
		let root = owner(1);
		let h = header(&root, &under(&root, &["notes.txt"]), vec![]);
		let mut tampered = h.clone();
		tampered.header.version = 2;
		assert_noop!(Principals::check_block_header(&1, &tampered), Error::<Test>::InvalidBlockSignature);
		let mut moved = h.clone();
		moved.header.path = under(&root, &["other.txt"]);
		assert_noop!(Principals::check_block_header(&1, &moved), Error::<Test>::InvalidBlockSignature);
		// Signed for another chain.
		let mut foreign = h.clone();
		foreign.signature = root.sign(&foreign.header.signing_payload(&H256::repeat_byte(0xee)));
		assert_noop!(Principals::check_block_header(&1, &foreign), Error::<Test>::InvalidBlockSignature);
		// Signed by someone else's key.
		let mut forged = h;
		forged.signature = keys(5).sign(&forged.header.signing_payload(&tag()));
		assert_noop!(Principals::check_block_header(&1, &forged), Error::<Test>::InvalidBlockSignature);
		// By a writer nobody registered.
		let ghost = keys(9);
		let h = header(&ghost, &BlockPath::root_of(&ghost.id()).join("x").unwrap(), vec![]);
		assert_noop!(Principals::check_block_header(&9, &h), Error::<Test>::UnknownPrincipal);
	});
}

#[test]
fn a_cap_holder_records_a_header_within_its_prefix_only() {
	run_test(|| {
		let root = owner(1);
		let bob = register(2);
		let carol = register(3);
		let photos = under(&root, &["photos"]);
		let y2026 = photos.join("2026").unwrap();
		let chain = vec![cap(&root, bob.id(), &photos, LATER), cap(&bob, carol.id(), &y2026, LATER)];
		let inside = header(&carol, &y2026.join("beach.jpg").unwrap(), chain.clone());
		assert_ok!(Principals::check_block_header(&3, &inside));
		let outside = header(&carol, &photos.join("2025").unwrap(), chain);
		assert_noop!(Principals::check_block_header(&3, &outside), Error::<Test>::CapPathOutsideScope);
	});
}

#[test]
fn a_header_with_an_expired_or_revoked_cap_is_refused() {
	run_test(|| {
		let root = owner(1);
		let bob = register(2);
		let photos = under(&root, &["photos"]);
		let target = photos.join("a.jpg").unwrap();
		let to_bob = cap(&root, bob.id(), &photos, LATER);
		let h = header(&bob, &target, vec![to_bob.clone()]);
		assert_ok!(Principals::check_block_header(&2, &h));
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(1), to_bob.cap.clone()));
		assert_noop!(Principals::check_block_header(&2, &h), Error::<Test>::CapRevoked);

		let short = cap_with_nonce(&root, bob.id(), &photos, START_MS + 1_000, 2);
		let h = header(&bob, &target, vec![short]);
		assert_ok!(Principals::check_block_header(&2, &h));
		pallet_timestamp::Now::<Test>::put(START_MS + 1_000);
		assert_noop!(Principals::check_block_header(&2, &h), Error::<Test>::CapExpired);
	});
}

#[test]
fn revoking_a_made_up_cap_that_never_expires_holds_a_deposit_for_good() {
	run_test(|| {
		let root = owner(1);
		// Never signed, never handed out, never expires.
		let made_up = WriteCap {
			issuer: root.id(),
			subject: H256::repeat_byte(7),
			prefix: under(&root, &["x"]),
			expires_at: u64::MAX,
			nonce: 42,
		};
		let free = Balances::free_balance(1);
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(1), made_up.clone()));
		assert_eq!(held(1, HoldReason::RevocationDeposit), REVOCATION_DEPOSIT);
		assert_eq!(Balances::free_balance(1), free - REVOCATION_DEPOSIT);
		let record = Revocations::<Test>::get(made_up.id()).unwrap();
		assert_eq!((record.payer, record.deposit), (1, REVOCATION_DEPOSIT));
		// However late it gets, the revocation (and its deposit) stays.
		pallet_timestamp::Now::<Test>::put(u64::MAX - 1);
		assert_noop!(
			Principals::remove_expired_revocation(RuntimeOrigin::signed(5), made_up.id()),
			Error::<Test>::CapNotExpired
		);
		assert_eq!(held(1, HoldReason::RevocationDeposit), REVOCATION_DEPOSIT);
		// Each further revocation costs another deposit.
		let another = WriteCap { nonce: 43, ..made_up };
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(1), another));
		assert_eq!(held(1, HoldReason::RevocationDeposit), 2 * REVOCATION_DEPOSIT);
	});
}

#[test]
fn a_revocation_deposit_returns_to_the_revoker_when_the_expired_revocation_is_removed() {
	run_test(|| {
		let root = owner(1);
		let bob = register(2);
		let c = cap(&root, bob.id(), &under(&root, &["photos"]), LATER);
		let free = Balances::free_balance(1);
		assert_ok!(Principals::revoke_write_cap(RuntimeOrigin::signed(1), c.cap.clone()));
		assert_eq!(Balances::free_balance(1), free - REVOCATION_DEPOSIT);
		pallet_timestamp::Now::<Test>::put(LATER);
		// Anyone may remove it, even an account without a principal; the revoker is repaid.
		assert_ok!(Principals::remove_expired_revocation(RuntimeOrigin::signed(9), c.cap.id()));
		assert_eq!(held(1, HoldReason::RevocationDeposit), 0);
		assert_eq!(Balances::free_balance(1), free);
		assert_eq!(Balances::free_balance(9), ENDOWMENT);
	});
}

#[test]
fn revoking_without_funds_for_the_deposit_fails() {
	run_test(|| {
		let root = owner(1);
		<Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(
			&1,
			Balances::minimum_balance(),
		);
		let c = cap(&root, H256::repeat_byte(7), &under(&root, &["x"]), LATER);
		assert_noop!(
			Principals::revoke_write_cap(RuntimeOrigin::signed(1), c.cap),
			DispatchError::Token(TokenError::FundsUnavailable)
		);
	});
}

#[test]
fn approving_the_same_cap_twice_does_not_count_twice() {
	run_test(|| {
		let (root, bob, photos) = bob_requests_photos();
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()));
		let c = cap(&root, bob.id(), &photos, LATER);
		assert_ok!(Principals::approve_write_request(
			RuntimeOrigin::signed(1),
			root.id(),
			0,
			c.clone(),
			WriteCapChain::default()
		));
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 1, c, WriteCapChain::default()),
			Error::<Test>::CapAlreadyPublished
		);
		assert_eq!(PublishedCapCount::<Test>::get(bob.id()), 1);
		// A fresh cap (another nonce) for the same grant is a different cap.
		let again = cap_with_nonce(&root, bob.id(), &photos, LATER, 2);
		assert_ok!(Principals::approve_write_request(
			RuntimeOrigin::signed(1),
			root.id(),
			1,
			again,
			WriteCapChain::default()
		));
		assert_eq!(PublishedCapCount::<Test>::get(bob.id()), 2);
	});
}

/// Bob requests `/root/d<i>` and the owner approves it; returns the published cap.
fn publish_to_bob(root: &PrincipalKeys, bob: &PrincipalKeys, i: u64) -> SignedWriteCap {
	let prefix = under(root, &[&format!("d{i}")]);
	assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), prefix.clone()));
	let request = Principals::pending_requests(root.id()).last().unwrap().0;
	let c = cap(root, bob.id(), &prefix, LATER);
	assert_ok!(Principals::approve_write_request(
		RuntimeOrigin::signed(1),
		root.id(),
		request,
		c.clone(),
		WriteCapChain::default()
	));
	c
}

#[test]
fn published_caps_can_be_removed_so_a_subject_is_not_full_for_life() {
	run_test(|| {
		let root = owner(1);
		let bob = register(2);
		register(3);
		let caps: Vec<_> = (0..4).map(|i| publish_to_bob(&root, &bob, i)).collect();
		// Full: a fifth approval fails.
		let fifth = under(&root, &["d4"]);
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), fifth.clone()));
		let c4 = cap(&root, bob.id(), &fifth, LATER);
		assert_noop!(
			Principals::approve_write_request(RuntimeOrigin::signed(1), root.id(), 4, c4.clone(), WriteCapChain::default()),
			Error::<Test>::TooManyPublishedCaps
		);
		// Only the subject, the issuer or the tree's owner may remove one.
		let id0 = caps[0].cap.id();
		assert_noop!(
			Principals::remove_published_cap(RuntimeOrigin::signed(3), bob.id(), id0),
			Error::<Test>::NotAllowedToRemoveCap
		);
		assert_noop!(
			Principals::remove_published_cap(RuntimeOrigin::signed(9), bob.id(), id0),
			Error::<Test>::NoPrincipalForAccount
		);
		assert_noop!(
			Principals::remove_published_cap(RuntimeOrigin::signed(2), bob.id(), H256::repeat_byte(3)),
			Error::<Test>::PublishedCapNotFound
		);
		assert_ok!(Principals::remove_published_cap(RuntimeOrigin::signed(2), bob.id(), id0));
		System::assert_last_event(
			Event::PublishedCapRemoved { subject: bob.id(), cap: id0, by: bob.id() }.into(),
		);
		assert_eq!(PublishedCapCount::<Test>::get(bob.id()), 3);
		assert!(PublishedCaps::<Test>::get(bob.id(), id0).is_none());
		// Unpublishing does not revoke: the cap still lets Bob write.
		let target = under(&root, &["d0", "x"]);
		assert_ok!(Principals::check_write_access(&bob.id(), &target, &[caps[0].clone()]));
		// The freed slot takes the fifth cap.
		assert_ok!(Principals::approve_write_request(
			RuntimeOrigin::signed(1),
			root.id(),
			4,
			c4,
			WriteCapChain::default()
		));
		assert_eq!(PublishedCapCount::<Test>::get(bob.id()), 4);
		// The owner (here also the issuer) removes one too.
		assert_ok!(Principals::remove_published_cap(RuntimeOrigin::signed(1), bob.id(), caps[1].cap.id()));
		assert_eq!(PublishedCapCount::<Test>::get(bob.id()), 3);
	});
}

#[test]
fn a_delegating_issuer_and_the_tree_owner_may_remove_a_cap_it_published() {
	run_test(|| {
		let root = owner(1);
		let bob = register(2);
		let carol = register(3);
		register(4);
		let photos = under(&root, &["photos"]);
		let y2026 = photos.join("2026").unwrap();
		let bobs = WriteCapChain::try_from(vec![cap(&root, bob.id(), &photos, LATER)]).unwrap();
		for nonce in [1, 2] {
			assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(3), y2026.clone()));
			let request = Principals::pending_requests(root.id()).last().unwrap().0;
			let to_carol = cap_with_nonce(&bob, carol.id(), &y2026, LATER, nonce);
			assert_ok!(Principals::approve_write_request(
				RuntimeOrigin::signed(2),
				root.id(),
				request,
				to_carol,
				bobs.clone()
			));
		}
		let ids: Vec<_> = PublishedCaps::<Test>::iter_prefix(carol.id()).map(|(id, _)| id).collect();
		assert_eq!(ids.len(), 2);
		assert_noop!(
			Principals::remove_published_cap(RuntimeOrigin::signed(4), carol.id(), ids[0]),
			Error::<Test>::NotAllowedToRemoveCap
		);
		// Bob issued it; Root owns the tree it covers.
		assert_ok!(Principals::remove_published_cap(RuntimeOrigin::signed(2), carol.id(), ids[0]));
		assert_ok!(Principals::remove_published_cap(RuntimeOrigin::signed(1), carol.id(), ids[1]));
		assert_eq!(PublishedCapCount::<Test>::get(carol.id()), 0);
		assert!(!PublishedCapCount::<Test>::contains_key(carol.id()));
	});
}

#[test]
fn one_requester_cannot_take_all_request_slots_of_a_tree() {
	run_test(|| {
		let root = owner(1);
		let mallory = register(2);
		register(3);
		let photos = under(&root, &["photos"]);
		for _ in 0..MAX_REQUESTS_PER_REQUESTER {
			assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()));
		}
		assert_noop!(
			Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()),
			Error::<Test>::TooManyRequestsFromRequester
		);
		assert_eq!(
			RequesterRequestCount::<Test>::get(root.id(), mallory.id()),
			MAX_REQUESTS_PER_REQUESTER
		);
		// Others still can ask; and Mallory still can ask other trees.
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(3), photos.clone()));
		let other = owner(4);
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), under(&other, &["a"])));
		// Cancelling frees one of Mallory's slots on the first tree.
		let first = Principals::pending_requests(root.id())[0].0;
		assert_ok!(Principals::cancel_write_request(RuntimeOrigin::signed(2), root.id(), first));
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos));
	});
}

#[test]
fn a_rejected_squatter_pays_the_owner_and_cannot_refile_for_free() {
	run_test(|| {
		let root = owner(1);
		let mallory = register(2);
		let photos = under(&root, &["photos"]);
		for _ in 0..MAX_REQUESTS_PER_REQUESTER {
			assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos.clone()));
		}
		let owners_free = Balances::free_balance(1);
		for (id, _) in Principals::pending_requests(root.id()) {
			assert_ok!(Principals::reject_write_request(RuntimeOrigin::signed(1), root.id(), id));
		}
		let lost = MAX_REQUESTS_PER_REQUESTER as u64 * REQUEST_DEPOSIT;
		assert_eq!(Balances::free_balance(1), owners_free + lost);
		assert_eq!(held(2, HoldReason::RequestDeposit), 0);
		assert_eq!(Balances::free_balance(2), ENDOWMENT - PRINCIPAL_DEPOSIT - lost);
		assert!(!RequesterRequestCount::<Test>::contains_key(root.id(), mallory.id()));
		assert!(!PendingRequestCount::<Test>::contains_key(root.id()));
		// Filing again costs a new deposit.
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos));
		assert_eq!(Balances::free_balance(2), ENDOWMENT - PRINCIPAL_DEPOSIT - lost - REQUEST_DEPOSIT);
	});
}

#[test]
fn cancelled_and_expired_requests_still_refund() {
	run_test(|| {
		let (root, bob, photos) = bob_requests_photos();
		assert_ok!(Principals::request_write_access(RuntimeOrigin::signed(2), photos));
		assert_ok!(Principals::cancel_write_request(RuntimeOrigin::signed(2), root.id(), 0));
		System::set_block_number(1 + REQUEST_LIFETIME + 1);
		assert_ok!(Principals::remove_expired_request(RuntimeOrigin::signed(5), root.id(), 1));
		assert_eq!(Balances::free_balance(2), ENDOWMENT - PRINCIPAL_DEPOSIT);
		assert_eq!(held(2, HoldReason::RequestDeposit), 0);
		assert!(!RequesterRequestCount::<Test>::contains_key(root.id(), bob.id()));
	});
}

#[test]
fn try_state_detects_broken_bookkeeping() {
	// Not `run_test`: this test breaks the invariants on purpose.
	new_test_ext().execute_with(|| {
		let (root, bob, _photos) = bob_requests_photos();
		publish_to_bob(&root, &bob, 0);
		assert_ok!(Principals::do_try_state());
		let broken = |breaks: &dyn Fn(), mends: &dyn Fn()| {
			breaks();
			assert!(Principals::do_try_state().is_err());
			mends();
			assert_ok!(Principals::do_try_state());
		};
		broken(
			&|| PendingRequestCount::<Test>::insert(root.id(), 2),
			&|| PendingRequestCount::<Test>::insert(root.id(), 1),
		);
		broken(
			&|| RequesterRequestCount::<Test>::remove(root.id(), bob.id()),
			&|| RequesterRequestCount::<Test>::insert(root.id(), bob.id(), 1),
		);
		broken(
			&|| PublishedCapCount::<Test>::insert(bob.id(), 2),
			&|| PublishedCapCount::<Test>::insert(bob.id(), 1),
		);
		broken(
			&|| crate::ControlledPrincipal::<Test>::insert(9, root.id()),
			&|| crate::ControlledPrincipal::<Test>::remove(9),
		);
		use frame_support::traits::{fungible::MutateHold, tokens::Precision};
		broken(
			&|| {
				assert_ok!(Balances::hold(&HoldReason::RequestDeposit.into(), &2, 1));
			},
			&|| {
				assert_ok!(Balances::release(&HoldReason::RequestDeposit.into(), &2, 1, Precision::Exact));
			},
		);
		broken(
			&|| {
				assert_ok!(Balances::hold(&HoldReason::RevocationDeposit.into(), &7, 1));
			},
			&|| {
				assert_ok!(Balances::release(&HoldReason::RevocationDeposit.into(), &7, 1, Precision::Exact));
			},
		);
	});
}

/// Random sequences of calls from several accounts, with blocks and time passing: the pallet's
/// invariants hold after every step, whatever succeeds or fails.
mod randomized {
	use super::*;
	use proptest::prelude::*;

	/// Accounts `1..=ACTORS` take part.
	const ACTORS: u8 = 6;

	/// Who makes a call: the party the rule is about (the tree's owner to approve or reject,
	/// the requester to cancel, the subject to unpublish, the issuer to revoke), or anyone.
	type Caller = Option<u8>;

	#[derive(Clone, Debug)]
	enum Op {
		Register { who: u8 },
		ClaimRoot { who: u8 },
		Request { who: u8, owner: u8, dir: u8 },
		Approve { who: Caller, owner: u8, pick: u8, nonce: u8, short: bool, with_chain: bool },
		Reject { who: Caller, owner: u8, pick: u8 },
		Cancel { who: Caller, owner: u8, pick: u8 },
		RemoveExpiredRequest { who: u8, owner: u8, pick: u8 },
		RevokeMadeUp { who: u8, owner: u8, dir: u8, nonce: u8, expiry: u8 },
		RevokePublished { who: Caller, pick: u8 },
		RemovePublished { who: Caller, pick: u8 },
		RemoveExpiredRevocation { who: u8, pick: u8 },
		Advance { blocks: u8, minutes: u16 },
	}

	fn actor() -> impl Strategy<Value = u8> {
		1..=ACTORS
	}

	/// Mostly the rightful party, sometimes anyone.
	fn caller() -> impl Strategy<Value = Caller> {
		prop_oneof![3 => Just(None), 1 => actor().prop_map(Some)]
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			1 => actor().prop_map(|who| Op::Register { who }),
			1 => actor().prop_map(|who| Op::ClaimRoot { who }),
			5 => (actor(), actor(), 0..3u8).prop_map(|(who, owner, dir)| Op::Request { who, owner, dir }),
			4 => (caller(), actor(), any::<u8>(), 0..3u8, any::<bool>(), any::<bool>()).prop_map(
				|(who, owner, pick, nonce, short, with_chain)| Op::Approve {
					who,
					owner,
					pick,
					nonce,
					short,
					with_chain
				}
			),
			2 => (caller(), actor(), any::<u8>()).prop_map(|(who, owner, pick)| Op::Reject { who, owner, pick }),
			2 => (caller(), actor(), any::<u8>()).prop_map(|(who, owner, pick)| Op::Cancel { who, owner, pick }),
			3 => (actor(), actor(), any::<u8>())
				.prop_map(|(who, owner, pick)| Op::RemoveExpiredRequest { who, owner, pick }),
			2 => (actor(), actor(), 0..3u8, 0..3u8, 0..3u8).prop_map(|(who, owner, dir, nonce, expiry)| {
				Op::RevokeMadeUp { who, owner, dir, nonce, expiry }
			}),
			2 => (caller(), any::<u8>()).prop_map(|(who, pick)| Op::RevokePublished { who, pick }),
			2 => (caller(), any::<u8>()).prop_map(|(who, pick)| Op::RemovePublished { who, pick }),
			1 => (actor(), any::<u8>()).prop_map(|(who, pick)| Op::RemoveExpiredRevocation { who, pick }),
			2 => (1..30u8, 0..120u16).prop_map(|(blocks, minutes)| Op::Advance { blocks, minutes }),
		]
	}

	/// The account controlling `principal` among the actors (or an outsider).
	fn controller_of(principal: PrincipalId) -> u8 {
		(1..=ACTORS).find(|n| keys(*n).id() == principal).unwrap_or(ACTORS + 1)
	}

	fn origin(who: u8) -> RuntimeOrigin {
		RuntimeOrigin::signed(who as u64)
	}

	/// The `pick`-th pending request of `owner`'s tree, or a request id nobody has.
	fn request_of(owner: &PrincipalKeys, pick: u8) -> (u64, Option<crate::WriteRequestOf<Test>>) {
		let pending = Principals::pending_requests(owner.id());
		if pending.is_empty() {
			return (u64::from(pick), None);
		}
		let (id, request) = pending[pick as usize % pending.len()].clone();
		(id, Some(request))
	}

	/// The `pick`-th published cap (of anyone), with its subject.
	fn published(pick: u8) -> Option<(PrincipalId, SignedWriteCap)> {
		let all: Vec<_> = PublishedCaps::<Test>::iter().map(|(subject, _, c)| (subject, c)).collect();
		if all.is_empty() {
			return None;
		}
		Some(all[pick as usize % all.len()].clone())
	}

	fn now_ms() -> u64 {
		pallet_timestamp::Now::<Test>::get()
	}

	/// Applies `op`; calls may fail (their errors are part of the test), the state must stay
	/// consistent.
	fn apply(op: &Op) -> sp_runtime::DispatchResult {
		match op.clone() {
			Op::Register { who } => {
				let k = keys(who);
				let proof = k.sign(&possession_message(&(who as u64), &k.principal()));
				Principals::register(origin(who), k.principal(), proof)
			},
			Op::ClaimRoot { who } => Principals::claim_root(origin(who)),
			Op::Request { who, owner, dir } => {
				Principals::request_write_access(origin(who), under(&keys(owner), &[&format!("d{dir}")]))
			},
			Op::Approve { who, owner, pick, nonce, short, with_chain } => {
				let who = who.unwrap_or(owner);
				let (id, request) = request_of(&keys(owner), pick);
				let (subject, prefix) = match request {
					Some(r) => (r.requester, r.prefix),
					None => (keys(who).id(), under(&keys(owner), &["d0"])),
				};
				let approver = keys(who);
				let lifetime = if short { 60_000 } else { 86_400_000 };
				let c = cap_with_nonce(&approver, subject, &prefix, now_ms() + lifetime, nonce.into());
				// A holder approves with a cap published to it, if it has one.
				let chain: Vec<_> = if with_chain {
					PublishedCaps::<Test>::iter_prefix(approver.id()).map(|(_, c)| c).take(1).collect()
				} else {
					vec![]
				};
				Principals::approve_write_request(
					origin(who),
					keys(owner).id(),
					id,
					c,
					WriteCapChain::try_from(chain).unwrap(),
				)
			},
			Op::Reject { who, owner, pick } => Principals::reject_write_request(
				origin(who.unwrap_or(owner)),
				keys(owner).id(),
				request_of(&keys(owner), pick).0,
			),
			Op::Cancel { who, owner, pick } => {
				let (id, request) = request_of(&keys(owner), pick);
				let requester = request.map(|r| controller_of(r.requester)).unwrap_or(owner);
				Principals::cancel_write_request(origin(who.unwrap_or(requester)), keys(owner).id(), id)
			},
			Op::RemoveExpiredRequest { who, owner, pick } => Principals::remove_expired_request(
				origin(who),
				keys(owner).id(),
				request_of(&keys(owner), pick).0,
			),
			Op::RevokeMadeUp { who, owner, dir, nonce, expiry } => {
				let expires_at = match expiry {
					0 => now_ms() + 60_000,
					1 => now_ms() + 86_400_000,
					_ => u64::MAX,
				};
				let made_up = WriteCap {
					issuer: keys(who).id(),
					subject: keys(owner).id(),
					prefix: under(&keys(owner), &[&format!("d{dir}")]),
					expires_at,
					nonce: nonce.into(),
				};
				Principals::revoke_write_cap(origin(who), made_up)
			},
			Op::RevokePublished { who, pick } => match published(pick) {
				Some((_, c)) => {
					let who = who.unwrap_or_else(|| controller_of(c.cap.issuer));
					Principals::revoke_write_cap(origin(who), c.cap)
				},
				None => Err(Error::<Test>::PublishedCapNotFound.into()),
			},
			Op::RemovePublished { who, pick } => match published(pick) {
				Some((subject, c)) => {
					let who = who.unwrap_or_else(|| controller_of(subject));
					Principals::remove_published_cap(origin(who), subject, c.cap.id())
				},
				None => Err(Error::<Test>::PublishedCapNotFound.into()),
			},
			Op::RemoveExpiredRevocation { who, pick } => {
				let ids: Vec<_> = Revocations::<Test>::iter_keys().collect();
				let id = if ids.is_empty() { H256::zero() } else { ids[pick as usize % ids.len()] };
				Principals::remove_expired_revocation(origin(who), id)
			},
			Op::Advance { blocks, minutes } => {
				System::set_block_number(System::block_number() + u64::from(blocks));
				pallet_timestamp::Now::<Test>::put(now_ms() + u64::from(minutes) * 60_000);
				Ok(())
			},
		}
	}

	/// The op's kind, for the tally of what succeeded.
	fn kind(op: &Op) -> String {
		format!("{op:?}").split(' ').next().unwrap_or_default().to_string()
	}

	#[test]
	fn random_calls_from_several_accounts_keep_every_invariant() {
		use proptest::test_runner::{Config, TestRunner};
		use std::{cell::RefCell, collections::BTreeMap};

		let succeeded: RefCell<BTreeMap<String, u32>> = RefCell::default();
		let mut runner =
			TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
		let result = runner.run(&proptest::collection::vec(op(), 1..80), |ops| {
			new_test_ext().execute_with(|| -> Result<(), TestCaseError> {
				// Most actors start registered and half of them own a tree, so that sequences
				// reach requests, approvals and revocations; actor 6 starts with nothing.
				for who in 1..ACTORS {
					assert_ok!(apply(&Op::Register { who }));
				}
				for who in 1..=ACTORS / 2 {
					assert_ok!(apply(&Op::ClaimRoot { who }));
				}
				for (step, op) in ops.iter().enumerate() {
					if apply(op).is_ok() {
						*succeeded.borrow_mut().entry(kind(op)).or_default() += 1;
					}
					if let Err(e) = Principals::do_try_state() {
						return Err(TestCaseError::fail(format!("after step {step} ({op:?}): {e:?}")));
					}
				}
				Ok(())
			})
		});
		if let Err(e) = result {
			panic!("{e}");
		}
		// The sequences did reach every call (it is no proof of anything if they all failed).
		let succeeded = succeeded.into_inner();
		for kind in [
			"Register",
			"ClaimRoot",
			"Request",
			"Approve",
			"Reject",
			"Cancel",
			"RemoveExpiredRequest",
			"RevokeMadeUp",
			"RevokePublished",
			"RemovePublished",
			"RemoveExpiredRevocation",
		] {
			assert!(succeeded.get(kind).copied().unwrap_or_default() > 0, "no {kind} succeeded: {succeeded:?}");
		}
		println!("calls that succeeded: {succeeded:?}");
	}
}
