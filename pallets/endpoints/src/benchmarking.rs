//! Benchmarks of every call, for `weights.rs`. Worst cases: the most addresses, a peer proof
//! checked, and updates that move the peer-id index (with the new key's proof). Node keys are
//! generated and used through the keystore host functions, as in the node's `benchmark pallet`
//! command.

use super::*;
use crate::Pallet as Endpoints;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::{crypto::KeyTypeId, ed25519};
use sp_runtime::traits::Saturating;

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"btep");

/// A node's network key, fresh in the keystore.
struct Node {
	public: ed25519::Public,
}

impl Node {
	fn new() -> Self {
		Node { public: sp_io::crypto::ed25519_generate(KEY_TYPE, None) }
	}

	fn peer_id(&self) -> PeerId {
		PeerId::try_from(address::ed25519_peer_id(&self.public.0).to_vec()).expect("38 bytes fit; qed")
	}

	/// The node's proof that `who` may announce its peer id.
	fn proof<T: Config>(&self, who: &T::AccountId) -> ed25519::Signature {
		let message = peer_proof_message(&Endpoints::<T>::chain_tag(), who);
		sp_io::crypto::ed25519_sign(KEY_TYPE, &self.public, &message)
			.expect("the key was generated in the keystore; qed")
	}
}

/// `n` distinct public IPv6 addresses (the longer kind).
fn addresses<T: Config>(n: u32) -> AddressesOf<T> {
	let list = (0..n)
		.map(|i| {
			let mut ip = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
			ip[12..].copy_from_slice(&i.to_be_bytes());
			ip[11] = 1;
			NetAddress::Ip6 { ip, port: 30333 }
		})
		.collect::<alloc::vec::Vec<_>>();
	BoundedVec::try_from(list).expect("at most MaxAddresses; qed")
}

fn funded<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = whitelisted_caller();
	let funds = T::EndpointDeposit::get()
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, funds);
	who
}

fn registered<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>();
	let node = Node::new();
	Endpoints::<T>::register(
		RawOrigin::Signed(who.clone()).into(),
		node.peer_id(),
		node.proof::<T>(&who),
		addresses::<T>(T::MaxAddresses::get()),
	)
	.expect("a fresh account registers");
	who
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// `a`: number of addresses.
	#[benchmark]
	fn register(a: Linear<1, { T::MaxAddresses::get() }>) {
		let who = funded::<T>();
		let node = Node::new();
		let proof = node.proof::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), node.peer_id(), proof, addresses::<T>(a));
		assert!(Endpoints_::<T>::contains_key(&who));
	}

	/// `a`: number of addresses; the peer id changes, so the new key's proof is checked.
	#[benchmark]
	fn update(a: Linear<1, { T::MaxAddresses::get() }>) {
		let who = registered::<T>();
		let node = Node::new();
		let proof = node.proof::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), node.peer_id(), Some(proof), addresses::<T>(a));
		assert_eq!(AccountOfPeer::<T>::get(node.peer_id()), Some(who));
	}

	#[benchmark]
	fn heartbeat() {
		let who = registered::<T>();
		frame_system::Pallet::<T>::set_block_number(5u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Endpoints_::<T>::get(&who).map(|e| e.last_seen), Some(5u32.into()));
	}

	#[benchmark]
	fn deregister() {
		let who = registered::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Endpoints_::<T>::contains_key(&who));
	}

	#[benchmark]
	fn remove_expired() {
		let who = registered::<T>();
		let later: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::EndpointTtl::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(later);
		let anyone: T::AccountId = account("anyone", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), who.clone());
		assert!(!Endpoints_::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_allow_private_addresses() {
		#[extrinsic_call]
		_(RawOrigin::Root, true);
		assert!(AllowPrivateAddresses::<T>::get());
	}

	impl_benchmark_test_suite!(Endpoints, crate::mock::new_test_ext(false), crate::mock::Test);
}

use crate::pallet::Endpoints as Endpoints_;
