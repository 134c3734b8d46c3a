//! Benchmarks of every call, for `weights.rs`. Keys are generated and used through the
//! keystore host functions, as in the node's `benchmark pallet` command.

use super::*;
use crate::Pallet as Principals;
use blocktree_primitives::{
	cap::{SignedWriteCap, WriteCap, WriteCapChain, MAX_CAP_CHAIN},
	path::BlockPath,
	principal::{Signature, SigningKey},
};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, InspectHold, Mutate},
	Get,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::sr25519;
use sp_runtime::traits::{Saturating, Zero};

struct Actor<T: Config> {
	account: T::AccountId,
	public: sr25519::Public,
	keys: Principal,
}

impl<T: Config> Actor<T> {
	fn id(&self) -> PrincipalId {
		self.keys.id()
	}

	fn sign(&self, message: &[u8]) -> Signature {
		Principals::<T>::benchmark_sign(&self.public, message)
			.expect("the key was generated in the keystore; qed")
	}
}

/// A funded account with fresh keys in the keystore (not registered).
fn actor<T: Config>(name: &'static str, index: u32) -> Actor<T>
where
	T::Currency: Mutate<T::AccountId>,
{
	let account: T::AccountId = frame_benchmarking::account(name, index, 0);
	let deposits = T::PrincipalDeposit::get()
		.saturating_add(T::RootDeposit::get())
		.saturating_add(T::RequestDeposit::get())
		.saturating_add(T::RevocationDeposit::get());
	let funds = deposits.saturating_mul(10u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&account, funds);
	let public = sp_io::crypto::sr25519_generate(BENCHMARK_KEY_TYPE, None);
	let keys = Principal { signing: SigningKey::Sr25519(public), encryption: [index as u8; 32] };
	Actor { account, public, keys }
}

/// A registered actor.
fn registered<T: Config>(name: &'static str, index: u32) -> Actor<T>
where
	T::Currency: Mutate<T::AccountId>,
{
	let a = actor::<T>(name, index);
	let proof = a.sign(&possession_message(&a.account, &a.keys));
	Principals::<T>::do_register(a.account.clone(), a.keys, proof).expect("fresh actor registers");
	a
}

/// A registered actor that claimed its root.
fn owner<T: Config>() -> Actor<T>
where
	T::Currency: Mutate<T::AccountId>,
{
	let a = registered::<T>("owner", 0);
	Principals::<T>::claim_root(RawOrigin::Signed(a.account.clone()).into()).expect("claims");
	a
}

/// A cap signed for this chain that never expires.
fn cap<T: Config>(issuer: &Actor<T>, subject: PrincipalId, prefix: &BlockPath) -> SignedWriteCap {
	let cap = WriteCap { issuer: issuer.id(), subject, prefix: prefix.clone(), expires_at: u64::MAX, nonce: 0 };
	let signature = issuer.sign(&cap.signing_payload(&Principals::<T>::chain_tag()));
	SignedWriteCap { cap, signature }
}

/// An owner with a claimed root and a requester whose request 0 for `/owner/photos` is pending.
fn pending_request<T: Config>() -> (Actor<T>, Actor<T>)
where
	T::Currency: Mutate<T::AccountId>,
{
	let o = owner::<T>();
	let r = registered::<T>("requester", 1);
	Principals::<T>::request_write_access(RawOrigin::Signed(r.account.clone()).into(), photos(&o.id()))
		.expect("request is accepted");
	(o, r)
}

fn photos(owner: &PrincipalId) -> BlockPath {
	BlockPath::root_of(owner).join("photos").expect("valid path; qed")
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		let a = actor::<T>("caller", 1);
		let proof = a.sign(&possession_message(&a.account, &a.keys));
		#[extrinsic_call]
		_(RawOrigin::Signed(a.account.clone()), a.keys, proof);
		assert!(PrincipalRecords::<T>::contains_key(a.id()));
	}

	#[benchmark]
	fn rotate_keys() {
		let a = registered::<T>("caller", 1);
		let new = actor::<T>("new", 2);
		let proof = new.sign(&possession_message(&a.account, &new.keys));
		#[extrinsic_call]
		_(RawOrigin::Signed(a.account.clone()), new.keys, proof);
		assert_eq!(PrincipalRecords::<T>::get(a.id()).map(|r| r.keys), Some(new.keys));
	}

	#[benchmark]
	fn claim_root() {
		let a = registered::<T>("caller", 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(a.account.clone()));
		assert!(Roots::<T>::contains_key(a.id()));
	}

	#[benchmark]
	fn revoke_write_cap() {
		let o = owner::<T>();
		let c = cap(&o, PrincipalId::repeat_byte(9), &photos(&o.id()));
		#[extrinsic_call]
		_(RawOrigin::Signed(o.account.clone()), c.cap.clone());
		assert!(Revocations::<T>::contains_key(c.cap.id()));
		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::RevocationDeposit.into(), &o.account),
			T::RevocationDeposit::get()
		);
	}

	/// The requester already has all but one of its allowed requests on the tree.
	#[benchmark]
	fn request_write_access() {
		let o = owner::<T>();
		let r = registered::<T>("requester", 1);
		for _ in 1..T::MaxRequestsPerRequester::get() {
			Principals::<T>::request_write_access(
				RawOrigin::Signed(r.account.clone()).into(),
				photos(&o.id()),
			)
			.expect("below the requester's bound");
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(r.account.clone()), photos(&o.id()));
		assert_eq!(
			RequesterRequestCount::<T>::get(o.id(), r.id()),
			T::MaxRequestsPerRequester::get()
		);
	}

	/// `c`: links of the approver's own chain before the new cap.
	#[benchmark]
	fn approve_write_request(c: Linear<0, { MAX_CAP_CHAIN - 1 }>) {
		let o = owner::<T>();
		let prefix = photos(&o.id());
		// owner -> d1 -> ... -> dc: the approver is dc (or the owner when c = 0).
		let mut chain = alloc::vec::Vec::new();
		let mut approver = o;
		for i in 0..c {
			let next = registered::<T>("delegate", 10 + i);
			chain.push(cap(&approver, next.id(), &prefix));
			approver = next;
		}
		let r = registered::<T>("requester", 1);
		Principals::<T>::request_write_access(RawOrigin::Signed(r.account.clone()).into(), prefix.clone())
			.expect("request is accepted");
		let owner_id = BlockPath::root(&prefix);
		let new_cap = cap(&approver, r.id(), &prefix);
		let chain = WriteCapChain::try_from(chain).expect("at most MAX_CAP_CHAIN - 1 links; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(approver.account.clone()), owner_id, 0, new_cap, chain);
		assert_eq!(PublishedCapCount::<T>::get(r.id()), 1);
	}

	/// The deposit moves from the requester's hold to the owner's free balance.
	#[benchmark]
	fn reject_write_request() {
		let (o, _requester) = pending_request::<T>();
		let before = T::Currency::balance(&o.account);
		#[extrinsic_call]
		_(RawOrigin::Signed(o.account.clone()), o.id(), 0);
		assert_eq!(PendingRequestCount::<T>::get(o.id()), 0);
		assert_eq!(
			T::Currency::balance(&o.account),
			before.saturating_add(T::RequestDeposit::get())
		);
	}

	#[benchmark]
	fn cancel_write_request() {
		let (o, r) = pending_request::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(r.account.clone()), o.id(), 0);
		assert_eq!(PendingRequestCount::<T>::get(o.id()), 0);
	}

	#[benchmark]
	fn remove_expired_request() {
		let (o, _requester) = pending_request::<T>();
		let later: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::RequestLifetime::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(later);
		let anyone: T::AccountId = frame_benchmarking::whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), o.id(), 0);
		assert_eq!(PendingRequestCount::<T>::get(o.id()), 0);
	}

	#[benchmark]
	fn remove_expired_revocation() {
		let o = owner::<T>();
		let mut c = cap(&o, PrincipalId::repeat_byte(9), &photos(&o.id()));
		// Expired at the epoch: any time the chain reports is at or after it.
		c.cap.expires_at = 0;
		Principals::<T>::revoke_write_cap(RawOrigin::Signed(o.account.clone()).into(), c.cap.clone())
			.expect("the owner revokes");
		let anyone: T::AccountId = frame_benchmarking::whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), c.cap.id());
		assert!(!Revocations::<T>::contains_key(c.cap.id()));
		assert!(T::Currency::balance_on_hold(&HoldReason::RevocationDeposit.into(), &o.account)
			.is_zero());
	}

	/// Removed by the tree's owner, the last of the three principals the call checks.
	#[benchmark]
	fn remove_published_cap() {
		let (o, r) = pending_request::<T>();
		let c = cap(&o, r.id(), &photos(&o.id()));
		Principals::<T>::approve_write_request(
			RawOrigin::Signed(o.account.clone()).into(),
			o.id(),
			0,
			c.clone(),
			WriteCapChain::default(),
		)
		.expect("the owner approves");
		#[extrinsic_call]
		_(RawOrigin::Signed(o.account.clone()), r.id(), c.cap.id());
		assert_eq!(PublishedCapCount::<T>::get(r.id()), 0);
	}

	impl_benchmark_test_suite!(Principals, crate::mock::new_test_ext(), crate::mock::Test);
}

#[cfg(test)]
mod tests {
	use crate::mock::*;
	use blocktree_primitives::cap::{BlockWriteAuthority, MAX_CAP_CHAIN};

	/// What the fragments pallet's benchmarks get passes the check they benchmark, for every
	/// chain length, seed after seed, for the same account.
	#[test]
	fn signed_header_for_benchmark_passes_check_block_header() {
		run_test(|| {
			let who = 1u64;
			for links in 0..=MAX_CAP_CHAIN {
				for seed in 0..2 {
					let header = Principals::signed_header_for_benchmark(&who, seed, links)
						.expect("supported in the mock");
					assert_eq!(header.header.write_caps.len() as u32, links);
					assert_eq!(Principals::check_block_header(&who, &header), Ok(()));
				}
			}
			assert!(Principals::signed_header_for_benchmark(&who, 0, MAX_CAP_CHAIN + 1).is_none());
		});
	}
}
