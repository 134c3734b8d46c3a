//! Unit tests of the endpoints pallet against the mock runtime.

use crate::{mock::*, AccountOfPeer, AccountOfPrincipal, Endpoints as EndpointStore, Error, Event, NetAddress, PeerId};
use blocktree_primitives::principal::PrincipalId;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use sp_runtime::{traits::BadOrigin, DispatchError};

/// An ed25519 peer id as libp2p writes it: identity multihash of the protobuf-encoded key.
fn peer(seed: u8) -> PeerId {
	let mut bytes = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
	bytes.extend([seed; 32]);
	PeerId::try_from(bytes).unwrap()
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
	new_test_ext(false).execute_with(|| {
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), addrs(&[public(30333)])));
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
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(4), peer(4), addrs(&[public(1)])));
		assert_eq!(EndpointStore::<Test>::get(4).unwrap().principal, None);
	});
}

#[test]
fn register_refuses_bad_input_and_changes_nothing() {
	new_test_ext(false).execute_with(|| {
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
			assert_noop!(
				Endpoints::register(RuntimeOrigin::signed(1), peer_id.clone(), addrs(&list)),
				error
			);
		}
		assert_noop!(Endpoints::register(RuntimeOrigin::none(), peer(1), ok.clone()), BadOrigin);
		// Not enough funds for the deposit.
		assert!(Endpoints::register(RuntimeOrigin::signed(5), peer(5), ok.clone()).is_err());
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
	new_test_ext(true).execute_with(|| {
		let local = addrs(&[NetAddress::Ip4 { ip: [127, 0, 0, 1], port: 30333 }, NetAddress::Ip6 { ip: loopback6(), port: 30333 }]);
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), local.clone()));
		assert_noop!(Endpoints::set_allow_private_addresses(RuntimeOrigin::signed(1), false), BadOrigin);
		assert_ok!(Endpoints::set_allow_private_addresses(RuntimeOrigin::root(), false));
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(2), peer(2), local),
			Error::<Test>::PrivateAddressNotAllowed
		);
	});
}

#[test]
fn peer_ids_are_unique_and_updates_move_the_indexes() {
	new_test_ext(false).execute_with(|| {
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), addrs(&[public(1)])));
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(2), peer(1), addrs(&[public(2)])),
			Error::<Test>::PeerIdInUse
		);
		assert_noop!(
			Endpoints::register(RuntimeOrigin::signed(1), peer(9), addrs(&[public(2)])),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(2), peer(2), addrs(&[public(2)])),
			Error::<Test>::NotRegistered
		);
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(2), peer(2), addrs(&[public(2)])));
		assert_noop!(
			Endpoints::update(RuntimeOrigin::signed(1), peer(2), addrs(&[public(1)])),
			Error::<Test>::PeerIdInUse
		);

		let v6 = NetAddress::Ip6 { ip: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], port: 4001 };
		assert_ok!(Endpoints::update(RuntimeOrigin::signed(1), peer(7), addrs(&[public(1), v6])));
		assert_eq!(AccountOfPeer::<Test>::get(peer(1)), None);
		assert_eq!(AccountOfPeer::<Test>::get(peer(7)), Some(1));
		assert_eq!(EndpointStore::<Test>::get(1).unwrap().addresses.len(), 2);
		assert_eq!(held(1), DEPOSIT, "an update holds nothing more");
		// The same peer id again is fine for its owner.
		assert_ok!(Endpoints::update(RuntimeOrigin::signed(1), peer(7), addrs(&[public(3)])));
	});
}

#[test]
fn endpoints_expire_without_heartbeats_and_anyone_may_remove_them() {
	new_test_ext(false).execute_with(|| {
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), addrs(&[public(1)])));
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
	new_test_ext(false).execute_with(|| {
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(1), peer(1), addrs(&[public(1)])));
		assert_ok!(Endpoints::deregister(RuntimeOrigin::signed(1)));
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), 1000);
		assert_noop!(Endpoints::deregister(RuntimeOrigin::signed(1)), Error::<Test>::NotRegistered);
		assert_ok!(Endpoints::register(RuntimeOrigin::signed(2), peer(1), addrs(&[public(1)])));
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
