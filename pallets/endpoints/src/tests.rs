//! Unit tests of the endpoints pallet against the mock runtime.

use crate::{
	mock::*, peer_proof_message, AccountOfPeer, AccountOfPrincipal, Endpoints as EndpointStore, Error, Event,
	NetAddress, PeerId,
};
use blocktree_primitives::{cap::ChainTag, principal::PrincipalId};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use sp_core::{ed25519, Pair};
use sp_runtime::{traits::BadOrigin, DispatchError};

/// `who` registers node `seed`'s peer id, with that node's proof, at `list`.
fn register(who: u64, seed: u8, list: &[NetAddress]) -> frame_support::dispatch::DispatchResult {
	Endpoints::register(RuntimeOrigin::signed(who), peer(seed), proof(seed, who), addrs(list))
}

/// `who` moves to node `seed`'s peer id, with that node's proof, at `list`.
fn update(who: u64, seed: u8, list: &[NetAddress]) -> frame_support::dispatch::DispatchResult {
	Endpoints::update(RuntimeOrigin::signed(who), peer(seed), Some(proof(seed, who)), addrs(list))
}

fn public(port: u16) -> NetAddress {
	NetAddress::Ip4 { ip: [203, 0, 113, 7], port }
}

fn addrs(list: &[NetAddress]) -> BoundedVec<NetAddress, frame_support::traits::ConstU32<4>> {
	BoundedVec::try_from(list.to_vec()).unwrap()
}

fn held(who: u64) -> u64 {
	Balances::total_balance_on_hold(&who)
}

#[test]
fn register_holds_the_deposit_and_indexes_peer_and_principal() {
	run_test(false, || {
		assert_ok!(register(1, 1, &[public(30333)]));
		assert_eq!(held(1), DEPOSIT);
		let principal = PrincipalId::repeat_byte(1);
		assert_eq!(AccountOfPeer::<Test>::get(peer(1)), Some(1));
		assert_eq!(AccountOfPrincipal::<Test>::get(principal), Some(1));
		let (owner, endpoint) = Endpoints::endpoint_of_principal(principal).unwrap();
		assert_eq!(owner, 1);
		assert_eq!(endpoint.addresses.to_vec(), vec![public(30333)]);
		assert_eq!(Endpoints::endpoint_of_peer(&peer(1)).unwrap().0, 1);
		System::assert_last_event(
			Event::EndpointRegistered { owner: 1, peer_id: peer(1), principal: Some(principal) }.into(),
		);

		// Account 4 controls no principal: registered, but not indexed by principal.
		assert_ok!(register(4, 4, &[public(1)]));
		assert_eq!(EndpointStore::<Test>::get(4).unwrap().principal, None);
	});
}

#[test]
fn register_refuses_bad_input_and_changes_nothing() {
	run_test(false, || {
		let ok = addrs(&[public(30333)]);
		let cases: Vec<(PeerId, Vec<NetAddress>, Error<Test>)> = vec![
			(PeerId::try_from(vec![0x00]).unwrap(), vec![public(1)], Error::MalformedPeerId),
			(PeerId::try_from(vec![0x12, 0x20, 1, 2, 3]).unwrap(), vec![public(1)], Error::MalformedPeerId),
			(PeerId::try_from(vec![0x99, 0x02, 1, 2]).unwrap(), vec![public(1)], Error::MalformedPeerId),
			(peer(1), vec![], Error::NoAddresses),
			(peer(1), vec![public(0)], Error::ZeroPort),
			(peer(1), vec![NetAddress::Ip4 { ip: [0, 0, 0, 0], port: 1 }], Error::UnspecifiedAddress),
			(peer(1), vec![NetAddress::Ip6 { ip: [0; 16], port: 1 }], Error::UnspecifiedAddress),
			(peer(1), vec![NetAddress::Ip4 { ip: [224, 0, 0, 1], port: 1 }], Error::NotUnicast),
			(peer(1), vec![NetAddress::Ip4 { ip: [255; 4], port: 1 }], Error::NotUnicast),
			(peer(1), vec![NetAddress::Ip6 { ip: [0xff; 16], port: 1 }], Error::NotUnicast),
			(peer(1), vec![NetAddress::Ip4 { ip: [127, 0, 0, 1], port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![NetAddress::Ip4 { ip: [10, 1, 2, 3], port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![NetAddress::Ip4 { ip: [172, 20, 0, 1], port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![NetAddress::Ip4 { ip: [192, 168, 1, 1], port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![NetAddress::Ip4 { ip: [100, 64, 0, 1], port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![NetAddress::Ip6 { ip: loopback6(), port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![NetAddress::Ip6 { ip: mapped(127), port: 1 }], Error::PrivateAddressNotAllowed),
			(peer(1), vec![public(1), public(1)], Error::DuplicateAddress),
		];
		for (peer_id, list, error) in cases {
			assert_noop!(Endpoints::register(RuntimeOrigin::signed(1), peer_id, proof(1, 1), addrs(&list)), error);
		}
		assert_noop!(Endpoints::register(RuntimeOrigin::none(), peer(1), proof(1, 1), ok.clone()), BadOrigin);
		// Not enough funds for the deposit.
		assert!(Endpoints::register(RuntimeOrigin::signed(5), peer(5), proof(5, 5), ok.clone()).is_err());
		assert_eq!(held(5), 0);
		assert!(EndpointStore::<Test>::iter().next().is_none());
		assert!(AccountOfPeer::<Test>::iter().next().is_none());
	});
}

fn loopback6() -> [u8; 16] {
	let mut ip = [0u8; 16];
	ip[15] = 1;
	ip
}

fn mapped(first: u8) -> [u8; 16] {
	let mut ip = [0u8; 16];
	ip[10] = 0xff;
	ip[11] = 0xff;
	ip[12] = first;
	ip[15] = 1;
	ip
}

#[test]
fn private_addresses_only_where_the_chain_allows_them() {
	run_test(true, || {
		let local = addrs(&[NetAddress::Ip4 { ip: [127, 0, 0, 1], port: 30333 }, NetAddress::Ip6 { ip: loopback6(), port: 30333 }]);
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), proof(1, 1), local.clone()));
		assert_noop!(Endpoints::set_allow_private_addresses(RuntimeOrigin::signed(1), false), BadOrigin);
		assert_ok!(Endpoints::set_allow_private_addresses(RuntimeOrigin::root(), false));
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(2), peer(2), proof(2, 2), local),
			Error::<Test>::PrivateAddressNotAllowed
		);
	});
}

#[test]
fn peer_ids_are_unique_and_updates_move_the_indexes() {
	run_test(false, || {
		assert_ok!(register(1, 1, &[public(1)]));
		// Node 1's key may sign for account 2 too, but the peer id stays with account 1.
		assert_noop!(register(2, 1, &[public(2)]), Error::<Test>::PeerIdInUse);
		assert_noop!(register(1, 9, &[public(2)]), Error::<Test>::AlreadyRegistered);
		assert_noop!(update(2, 2, &[public(2)]), Error::<Test>::NotRegistered);
		assert_ok!(register(2, 2, &[public(2)]));
		assert_noop!(update(1, 2, &[public(1)]), Error::<Test>::PeerIdInUse);

		let v6 = NetAddress::Ip6 { ip: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], port: 4001 };
		assert_ok!(update(1, 7, &[public(1), v6]));
		assert_eq!(AccountOfPeer::<Test>::get(peer(1)), None);
		assert_eq!(AccountOfPeer::<Test>::get(peer(7)), Some(1));
		assert_eq!(EndpointStore::<Test>::get(1).unwrap().addresses.len(), 2);
		assert_eq!(held(1), DEPOSIT, "an update holds nothing more");
		System::assert_last_event(Event::EndpointUpdated { owner: 1, peer_id: peer(7) }.into());
		// The same peer id again is fine for its owner, with or without a proof.
		assert_ok!(update(1, 7, &[public(3)]));
		assert_ok!(Endpoints::update(RuntimeOrigin::signed(1), peer(7), None, addrs(&[public(4)])));
		assert_eq!(EndpointStore::<Test>::get(1).unwrap().addresses.to_vec(), vec![public(4)]);
	});
}

#[test]
fn stranger_cannot_register_anothers_peer_id() {
	run_test(false, || {
		// Account 1's transaction is pending; account 2 copies its peer id and proof and tries to
		// get in first.
		let (victim_peer, victim_proof) = (peer(1), proof(1, 1));
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(2), victim_peer.clone(), victim_proof, addrs(&[public(2)])),
			Error::<Test>::InvalidPeerProof
		);
		assert_ok!(Endpoints::register(
			RuntimeOrigin::signed(1),
			victim_peer.clone(),
			victim_proof,
			addrs(&[public(1)])
		));
		// Nor can it move its own endpoint onto the peer id once it is taken, or after the
		// owner leaves.
		assert_ok!(register(2, 2, &[public(2)]));
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(2), victim_peer.clone(), Some(victim_proof), addrs(&[public(2)])),
			Error::<Test>::InvalidPeerProof
		);
		assert_ok!(Endpoints::deregister(RuntimeOrigin::signed(1)));
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(2), victim_peer.clone(), Some(victim_proof), addrs(&[public(2)])),
			Error::<Test>::InvalidPeerProof
		);
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(2), victim_peer.clone(), None, addrs(&[public(2)])),
			Error::<Test>::MissingPeerProof
		);
		assert_eq!(AccountOfPeer::<Test>::get(&victim_peer), None);
		assert_eq!(AccountOfPeer::<Test>::get(peer(2)), Some(2));
	});
}

#[test]
fn peer_proof_made_for_another_chain_is_refused() {
	run_test(false, || {
		let other_chain = ChainTag::repeat_byte(0xaa);
		assert_ne!(Endpoints::chain_tag(), other_chain);
		let foreign = node_key(1).sign(&peer_proof_message(&other_chain, &1u64));
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(1), peer(1), foreign, addrs(&[public(1)])),
			Error::<Test>::InvalidPeerProof
		);
		// The chain's tag is frame-system's hash of block 0: on that chain the proof holds.
		frame_system::BlockHash::<Test>::insert(0, other_chain);
		assert_eq!(Endpoints::chain_tag(), other_chain);
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), foreign, addrs(&[public(1)])));
	});
}

#[test]
fn peer_proof_by_the_wrong_key_is_refused() {
	run_test(false, || {
		// Node 2 signs for node 1's peer id.
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(1), peer(1), proof(2, 1), addrs(&[public(1)])),
			Error::<Test>::InvalidPeerProof
		);
		// The right key over other bytes: no domain tag, or another purpose's domain.
		let key = node_key(1);
		let other_purpose = (b"blocktree:other:v1".as_slice(), Endpoints::chain_tag(), 1u64);
		for message in [codec::Encode::encode(&1u64), codec::Encode::encode(&other_purpose)] {
			assert_noop!(
				Endpoints::register(RuntimeOrigin::signed(1), peer(1), key.sign(&message), addrs(&[public(1)])),
				Error::<Test>::InvalidPeerProof
			);
		}
		assert_noop!(
			Endpoints::register(
				RuntimeOrigin::signed(1),
				peer(1),
				ed25519::Signature::from_raw([0; 64]),
				addrs(&[public(1)])
			),
			Error::<Test>::InvalidPeerProof
		);
		assert_ok!(register(1, 1, &[public(1)]));
		// An update to a new peer id checks the new key's proof.
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(1), peer(3), Some(proof(1, 1)), addrs(&[public(1)])),
			Error::<Test>::InvalidPeerProof
		);
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(1), peer(3), None, addrs(&[public(1)])),
			Error::<Test>::MissingPeerProof
		);
		// A proof given for an unchanged peer id is checked all the same.
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(1), peer(1), Some(proof(3, 1)), addrs(&[public(2)])),
			Error::<Test>::InvalidPeerProof
		);
		assert_ok!(update(1, 3, &[public(1)]));
	});
}

#[test]
fn peer_ids_whose_key_the_chain_cannot_check_are_refused() {
	run_test(false, || {
		let sha2_256 = [vec![0x12, 0x20], vec![7; 32]].concat();
		let secp256k1 = [vec![0x00, 0x25, 0x08, 0x02, 0x12, 0x21], vec![2; 33]].concat();
		let short_identity = vec![0x00, 0x04, 1, 2, 3, 4];
		let key = node_key(1).public().0.to_vec();
		let ed25519_with_other_header = [vec![0x00, 0x24, 0x08, 0x01, 0x1a, 0x20], key].concat();
		for bytes in [sha2_256, secp256k1, short_identity, ed25519_with_other_header] {
			let peer_id = PeerId::try_from(bytes).unwrap();
			assert_noop!(
				Endpoints::register(RuntimeOrigin::signed(1), peer_id.clone(), proof(1, 1), addrs(&[public(1)])),
				Error::<Test>::UnsupportedPeerIdKind
			);
			assert_ok!(register(2, 2, &[public(2)]));
			assert_noop!(
				Endpoints::update(RuntimeOrigin::signed(2), peer_id.clone(), None, addrs(&[public(2)])),
				Error::<Test>::UnsupportedPeerIdKind
			);
			assert_noop!(
				Endpoints::update(RuntimeOrigin::signed(2), peer_id, Some(proof(2, 2)), addrs(&[public(2)])),
				Error::<Test>::UnsupportedPeerIdKind
			);
			assert_ok!(Endpoints::deregister(RuntimeOrigin::signed(2)));
		}
	});
}

#[test]
fn peer_proof_message_is_domain_chain_and_account_in_scale() {
	let chain = ChainTag::repeat_byte(0x11);
	let message = peer_proof_message(&chain, &7u64);
	let domain = b"blocktree:endpoint-peer:v1";
	assert_eq!(message[0], (domain.len() as u8) << 2, "compact length of the domain");
	assert_eq!(&message[1..27], domain);
	assert_eq!(&message[27..59], chain.as_bytes());
	assert_eq!(&message[59..], 7u64.to_le_bytes());
}

/// The signature `tests/polkadot-js/storage.mjs` makes (`ed25519PairFromSeed([7; 32])`,
/// `ed25519Sign`) for Bob on a chain with genesis hash `0x11…11` verifies here: both sides sign
/// the same bytes.
#[test]
fn peer_proof_made_by_polkadot_js_verifies() {
	use sp_core::crypto::{AccountId32, Ss58Codec};
	let bob = AccountId32::from_ss58check("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty").unwrap();
	let message = peer_proof_message(&ChainTag::repeat_byte(0x11), &bob);
	let key = node_key(7).public();
	let js_signature: [u8; 64] = hex_bytes(JS_SIGNATURE).try_into().unwrap();
	assert_eq!(hex_bytes(JS_PUBLIC), key.0.to_vec(), "the same seed gives the same key");
	let signature = ed25519::Signature::from_raw(js_signature);
	assert!(sp_io::crypto::ed25519_verify(&signature, &message, &key));
	assert_eq!(node_key(7).sign(&message).0, js_signature, "ed25519 signatures are deterministic");
}

const JS_PUBLIC: &str = "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c";
const JS_SIGNATURE: &str =
	"2a7d527d3fc99bcb612870da2b374bdf8fdde6c2224ec8f9d3e9654ed5f8894b6764986d8d99b09bd859bae3b1c42b13a60e81e91e74086ce818b3df82a6850f";

fn hex_bytes(hex: &str) -> Vec<u8> {
	(0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn update_follows_a_principal_registered_after_the_endpoint() {
	run_test(false, || {
		assert_ok!(register(4, 4, &[public(1)]));
		grant_principal(4);
		assert_ok!(Endpoints::update(RuntimeOrigin::signed(4), peer(4), None, addrs(&[public(1)])));
		let principal = PrincipalId::repeat_byte(4);
		assert_eq!(AccountOfPrincipal::<Test>::get(principal), Some(4));
		assert_eq!(Endpoints::endpoint_of_principal(principal).unwrap().0, 4);
		assert_ok!(Endpoints::deregister(RuntimeOrigin::signed(4)));
		assert_eq!(AccountOfPrincipal::<Test>::get(principal), None);
	});
}

#[test]
fn try_state_catches_broken_bookkeeping() {
	type Break = fn();
	let breaks: [(&str, Break); 6] = [
		("peer index lost", || AccountOfPeer::<Test>::remove(peer(1))),
		("stray peer index", || AccountOfPeer::<Test>::insert(peer(9), 1)),
		("principal index lost", || AccountOfPrincipal::<Test>::remove(PrincipalId::repeat_byte(1))),
		("stray principal index", || AccountOfPrincipal::<Test>::insert(PrincipalId::repeat_byte(9), 1)),
		("hold differs from deposit", || {
			EndpointStore::<Test>::mutate(1, |e| e.as_mut().unwrap().deposit = DEPOSIT - 1)
		}),
		("unchecked peer id", || {
			let sha2 = PeerId::try_from([vec![0x12, 0x20], vec![7; 32]].concat()).unwrap();
			AccountOfPeer::<Test>::remove(peer(1));
			AccountOfPeer::<Test>::insert(&sha2, 1);
			EndpointStore::<Test>::mutate(1, |e| e.as_mut().unwrap().peer_id = sha2);
		}),
	];
	for (what, break_it) in breaks {
		new_test_ext(false).execute_with(|| {
			assert_ok!(register(1, 1, &[public(1)]));
			assert_ok!(Endpoints::do_try_state());
			break_it();
			assert!(Endpoints::do_try_state().is_err(), "{what} went unnoticed");
		});
	}
}
#[test]
fn endpoints_expire_without_heartbeats_and_anyone_may_remove_them() {
	run_test(false, || {
		assert_ok!(register(1, 1, &[public(1)]));
		let principal = PrincipalId::repeat_byte(1);
		System::set_block_number(1 + TTL);
		assert!(Endpoints::endpoint_of_principal(principal).is_some(), "live through the last block of its TTL");
		assert_noop!(Endpoints::remove_expired(RuntimeOrigin::signed(2), 1), Error::<Test>::NotExpired);
		assert_ok!(Endpoints::heartbeat(RuntimeOrigin::signed(1)));
		System::set_block_number(1 + 2 * TTL);
		assert!(Endpoints::live_endpoint(&1).is_some(), "the heartbeat extended it");
		System::set_block_number(2 + 2 * TTL);
		assert!(Endpoints::live_endpoint(&1).is_none());
		assert!(Endpoints::endpoint_of_principal(principal).is_none());
		assert!(Endpoints::endpoint_of_peer(&peer(1)).is_none());
		assert_noop!(Endpoints::heartbeat(RuntimeOrigin::signed(2)), Error::<Test>::NotRegistered);

		let before = Balances::free_balance(1);
		assert_ok!(Endpoints::remove_expired(RuntimeOrigin::signed(2), 1));
		assert_eq!(Balances::free_balance(1), before + DEPOSIT, "the deposit goes back to the owner");
		assert_eq!(held(1), 0);
		assert!(EndpointStore::<Test>::get(1).is_none());
		assert_eq!(AccountOfPrincipal::<Test>::get(principal), None);
		System::assert_last_event(Event::EndpointExpired { owner: 1 }.into());
		assert_noop!(Endpoints::remove_expired(RuntimeOrigin::signed(2), 1), Error::<Test>::NotRegistered);
	});
}

#[test]
fn deregister_returns_the_deposit_and_frees_the_peer_id() {
	run_test(false, || {
		assert_ok!(register(1, 1, &[public(1)]));
		assert_ok!(Endpoints::deregister(RuntimeOrigin::signed(1)));
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), 1000);
		assert_noop!(Endpoints::deregister(RuntimeOrigin::signed(1)), Error::<Test>::NotRegistered);
		assert_ok!(register(2, 1, &[public(1)]));
		assert_noop!(Endpoints::deregister(RuntimeOrigin::root()), DispatchError::BadOrigin);
	});
}

#[test]
fn addresses_decode_safely_from_arbitrary_bytes() {
	use codec::Decode;
	for bytes in [&[][..], &[2u8][..], &[0u8, 1, 2][..], &[1u8; 40][..], &[9u8; 7][..]] {
		let _ = NetAddress::decode(&mut &bytes[..]);
		let _ = crate::AddressesOf::<Test>::decode(&mut &bytes[..]);
	}
	let huge = codec::Encode::encode(&codec::Compact(u32::MAX));
	assert!(crate::AddressesOf::<Test>::decode(&mut &huge[..]).is_err());
}

/// Random sequences of calls from several accounts (one too poor for the deposit), over a few
/// node keys and with blocks passing, keep every invariant after every step, and each call
/// succeeds exactly when the rules say it should.
mod random_sequences {
	use super::*;
	use proptest::prelude::*;
	use std::collections::BTreeMap;

	/// What proof an update carries.
	#[derive(Clone, Copy, Debug)]
	enum Proof {
		ByTheNode,
		None,
		ByAnotherNode,
	}

	#[derive(Clone, Debug)]
	enum Op {
		Register { who: u64, node: u8 },
		Update { who: u64, node: u8, proof: Proof },
		Heartbeat { who: u64 },
		Deregister { who: u64 },
		RemoveExpired { caller: u64, owner: u64 },
		Advance { blocks: u64 },
		GrantPrincipal { who: u64 },
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = || 1u64..=5;
		let node = || 1u8..=4;
		let proof = prop_oneof![Just(Proof::ByTheNode), Just(Proof::None), Just(Proof::ByAnotherNode)];
		prop_oneof![
			3 => (who(), node()).prop_map(|(who, node)| Op::Register { who, node }),
			3 => (who(), node(), proof).prop_map(|(who, node, proof)| Op::Update { who, node, proof }),
			2 => who().prop_map(|who| Op::Heartbeat { who }),
			1 => who().prop_map(|who| Op::Deregister { who }),
			2 => (who(), who()).prop_map(|(caller, owner)| Op::RemoveExpired { caller, owner }),
			2 => (1..=TTL + 2).prop_map(|blocks| Op::Advance { blocks }),
			1 => (4u64..=5).prop_map(|who| Op::GrantPrincipal { who }),
		]
	}

	/// The model: each registered account's node and last-seen block.
	type Model = BTreeMap<u64, (u8, u64)>;

	fn node_taken_by_other(model: &Model, who: u64, node: u8) -> bool {
		model.iter().any(|(owner, (n, _))| *owner != who && *n == node)
	}

	/// Applies `op` to the chain and the model; panics if the chain's verdict differs from the
	/// model's.
	fn apply(model: &mut Model, op: &Op) {
		let now = System::block_number();
		let addresses = || addrs(&[public(1)]);
		match *op {
			Op::Register { who, node } => {
				let ok = !model.contains_key(&who) && who != 5 && !node_taken_by_other(model, who, node);
				let result = Endpoints::register(RuntimeOrigin::signed(who), peer(node), proof(node, who), addresses());
				assert_eq!(result.is_ok(), ok, "{op:?} gave {result:?}");
				if ok {
					model.insert(who, (node, now));
				}
			},
			Op::Update { who, node, proof: kind } => {
				let current = model.get(&who).map(|(n, _)| *n);
				let signature = match kind {
					Proof::ByTheNode => Some(proof(node, who)),
					Proof::None => None,
					Proof::ByAnotherNode => Some(proof(node % 4 + 1, who)),
				};
				let proof_ok = match kind {
					Proof::ByTheNode => true,
					Proof::None => current == Some(node),
					Proof::ByAnotherNode => false,
				};
				let ok = current.is_some() && proof_ok && !node_taken_by_other(model, who, node);
				let result = Endpoints::update(RuntimeOrigin::signed(who), peer(node), signature, addresses());
				assert_eq!(result.is_ok(), ok, "{op:?} gave {result:?}");
				if ok {
					model.insert(who, (node, now));
				}
			},
			Op::Heartbeat { who } => {
				let result = Endpoints::heartbeat(RuntimeOrigin::signed(who));
				assert_eq!(result.is_ok(), model.contains_key(&who), "{op:?} gave {result:?}");
				if let Some(entry) = model.get_mut(&who) {
					entry.1 = now;
				}
			},
			Op::Deregister { who } => {
				let result = Endpoints::deregister(RuntimeOrigin::signed(who));
				assert_eq!(result.is_ok(), model.remove(&who).is_some(), "{op:?} gave {result:?}");
			},
			Op::RemoveExpired { caller, owner } => {
				let expired = model.get(&owner).is_some_and(|(_, seen)| now > seen + TTL);
				let result = Endpoints::remove_expired(RuntimeOrigin::signed(caller), owner);
				assert_eq!(result.is_ok(), expired, "{op:?} gave {result:?}");
				if expired {
					model.remove(&owner);
				}
			},
			Op::Advance { blocks } => System::set_block_number(now + blocks),
			Op::GrantPrincipal { who } => grant_principal(who),
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]
		#[test]
		fn random_call_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 1..40)) {
			new_test_ext(false).execute_with(|| {
				let mut model = Model::new();
				for op in &ops {
					apply(&mut model, op);
					Endpoints::do_try_state().unwrap_or_else(|e| panic!("after {op:?}: {e:?}"));
					for who in 1..=5u64 {
						assert_eq!(
							EndpointStore::<Test>::get(who).map(|e| e.peer_id),
							model.get(&who).map(|(node, _)| peer(*node)),
							"account {who}'s endpoint after {op:?}"
						);
						let expected = if model.contains_key(&who) { DEPOSIT } else { 0 };
						assert_eq!(held(who), expected, "account {who}'s hold after {op:?}");
					}
				}
			});
		}
	}
}
