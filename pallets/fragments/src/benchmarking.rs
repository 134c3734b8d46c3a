//! Benchmarks of every call and of the challenge hooks, for `weights.rs`. Contracts come from
//! the runtime's contract ledger (`ContractLedger::open_for_benchmark`).

use super::*;
use crate::Pallet as Fragments;
use blocktree_primitives::{
	merkle,
	block::SignedBlockHeader,
	cap::{BlockWriteAuthority, MAX_CAP_CHAIN},
	storage::{chunk_count, ContractId, ContractLedger, DataBlockId, OnContractEnded, PROOF_CHUNK_SIZE},
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::traits::Saturating;

fn owner<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account("owner", 0, 0);
	let funds = T::Currency::minimum_balance().saturating_mul(1_000_000_000u32.into());
	T::Currency::set_balance(&who, funds);
	who
}

/// `count` providers with a live contract each with `owner`: (provider, contract).
fn providers<T: Config>(owner: &T::AccountId, count: u32) -> alloc::vec::Vec<(T::AccountId, ContractId)> {
	(0..count)
		.map(|i| {
			let provider: T::AccountId = account("provider", i, 0);
			let contract = T::Contracts::open_for_benchmark(&provider, owner, u64::MAX / 4)
				.expect("the runtime's ledger supports benchmark contracts");
			(provider, contract)
		})
		.collect()
}

fn max_n<T: Config>() -> u32 {
	T::MaxDataFragments::get() as u32 + T::MaxParityFragments::get() as u32
}

/// A header `owner` may record, distinct for each `seed`, whose write needs `links` caps.
fn header<T: Config>(owner: &T::AccountId, seed: u32, links: u32) -> SignedBlockHeader {
	T::WriteAuthority::signed_header_for_benchmark(owner, seed, links)
		.expect("the runtime's write authority supports benchmark headers")
}

/// Records block `seed` of the largest size with `n` fragments (needs `n` providers); returns
/// its id and fragment size.
fn record<T: Config>(owner: &T::AccountId, seed: u32, n: u32, roots: Option<alloc::vec::Vec<H256>>) -> (DataBlockId, u64) {
	let tolerance = (n - T::MaxDataFragments::get() as u32) as u8;
	let roots = roots.unwrap_or_else(|| (0..n).map(|i| H256::repeat_byte(i as u8)).collect());
	let header = header::<T>(owner, seed, 0);
	let id = header.id();
	Fragments::<T>::record_block(
		RawOrigin::Signed(owner.clone()).into(),
		alloc::boxed::Box::new(header),
		T::MaxBlockSize::get(),
		tolerance,
		BoundedVec::try_from(roots).expect("n <= MaxFragments; qed"),
	)
	.expect("the owner has enough providers");
	(id, Blocks::<T>::get(id).map(|b| b.fragment_size).unwrap_or_default())
}

fn place<T: Config>(id: DataBlockId, providers: &[(T::AccountId, ContractId)], count: usize) {
	for (i, (provider, contract)) in providers.iter().take(count).enumerate() {
		Fragments::<T>::place_fragment(RawOrigin::Signed(provider.clone()).into(), id, i as u8, *contract)
			.expect("the provider holds a live contract with the owner");
	}
}

/// A hash with `i` in its last bytes (no_std has no `from_low_u64_be`).
fn numbered(i: u64) -> H256 {
	let mut bytes = [0u8; 32];
	bytes[24..].copy_from_slice(&i.to_be_bytes());
	H256(bytes)
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// `c`: links of the writer's cap chain, each a signature checked on chain. The block has
	/// the most fragments, and the owner as many live contracts as a client may: counting its
	/// providers reads them all.
	#[benchmark]
	fn record_block(c: Linear<0, { MAX_CAP_CHAIN }>) {
		let o = owner::<T>();
		providers::<T>(&o, max_n::<T>().max(T::Contracts::max_contracts_per_client()));
		let n = max_n::<T>();
		let roots: alloc::vec::Vec<H256> = (0..n).map(|i| H256::repeat_byte(i as u8)).collect();
		let h = header::<T>(&o, 0, c);
		let id = h.id();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(o),
			alloc::boxed::Box::new(h),
			T::MaxBlockSize::get(),
			T::MaxParityFragments::get(),
			BoundedVec::try_from(roots).expect("n <= MaxFragments; qed"),
		);
		assert!(Blocks::<T>::contains_key(id));
	}

	/// The last fragment of the largest block: every other holder is checked.
	#[benchmark]
	fn place_fragment() {
		let o = owner::<T>();
		let n = max_n::<T>();
		let p = providers::<T>(&o, n);
		let (id, _) = record::<T>(&o, 0, n, None);
		place::<T>(id, &p, n as usize - 1);
		let (last, contract) = p[n as usize - 1].clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(last), id, (n - 1) as u8, contract);
		assert!(!BelowTarget::<T>::contains_key(id));
	}

	/// By the holder, under an open challenge: the fault itself is charged separately
	/// (`ContractLedger::max_fault_weight`).
	#[benchmark]
	fn report_missing() {
		let o = owner::<T>();
		let n = max_n::<T>();
		let p = providers::<T>(&o, n);
		let (id, _) = record::<T>(&o, 0, n, None);
		place::<T>(id, &p, n as usize);
		let deadline = frame_system::Pallet::<T>::block_number().saturating_add(T::ResponseWindow::get());
		Challenges::<T>::insert((id, 0), Challenge { provider: p[0].0.clone(), contract: p[0].1, chunk: 0, deadline });
		Deadlines::<T>::mutate(deadline, |keys| keys.try_push((id, 0)).expect("room for one; qed"));
		#[extrinsic_call]
		_(RawOrigin::Signed(p[0].0.clone()), id, 0);
		assert!(BelowTarget::<T>::contains_key(id));
	}

	/// `n`: fragments, all placed.
	#[benchmark]
	fn remove_block(n: Linear<{ T::MaxDataFragments::get() as u32 + 1 }, { max_n::<T>() }>) {
		let o = owner::<T>();
		let p = providers::<T>(&o, max_n::<T>());
		let (id, _) = record::<T>(&o, 0, n, None);
		place::<T>(id, &p, n as usize);
		#[extrinsic_call]
		_(RawOrigin::Signed(o), id);
		assert!(!Blocks::<T>::contains_key(id));
	}

	/// A proof on the largest fragment (the longest merkle path).
	#[benchmark]
	fn submit_proof() {
		let o = owner::<T>();
		let n = max_n::<T>();
		let p = providers::<T>(&o, n);
		let size = crate::Pallet::<T>::redundancy_rule(T::MaxBlockSize::get(), T::MaxParityFragments::get(), n)
			.map(|(_, _, s)| s)
			.expect("enough providers; qed");
		let chunks = chunk_count(size) as u32;
		let index = chunks - 2;
		let chunk = alloc::vec![7u8; PROOF_CHUNK_SIZE as usize];
		let leaves: alloc::vec::Vec<H256> = (0..chunks)
			.map(|i| if i == index { merkle::leaf_hash(&chunk) } else { numbered(i as u64) })
			.collect();
		let root = merkle::root(&leaves);
		let proof = merkle::prove(&leaves, index as usize).expect("index < chunks; qed");
		let mut roots: alloc::vec::Vec<H256> = (0..n).map(|i| H256::repeat_byte(i as u8)).collect();
		roots[0] = root;
		let (id, _) = record::<T>(&o, 0, n, Some(roots));
		place::<T>(id, &p, 1);
		let deadline = frame_system::Pallet::<T>::block_number().saturating_add(T::ResponseWindow::get());
		Challenges::<T>::insert((id, 0), Challenge { provider: p[0].0.clone(), contract: p[0].1, chunk: index, deadline });
		Deadlines::<T>::mutate(deadline, |keys| keys.try_push((id, 0)).expect("room for one; qed"));
		#[extrinsic_call]
		_(RawOrigin::Signed(p[0].0.clone()), id, 0, BoundedVec::try_from(chunk).expect("one chunk; qed"), proof);
		assert!(!Challenges::<T>::contains_key((id, 0)));
	}

	/// `c`: draws, over a pool of placed fragments.
	#[benchmark]
	fn issue_challenges(c: Linear<1, { T::ChallengesPerRound::get() }>) {
		let o = owner::<T>();
		let n = max_n::<T>();
		let p = providers::<T>(&o, n);
		for b in 0..2 {
			let (id, _) = record::<T>(&o, b, n, None);
			place::<T>(id, &p, n as usize);
		}
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			crate::Pallet::<T>::issue_draws(now, c);
		}
		assert!(Challenges::<T>::iter().next().is_some());
	}

	/// `c`: unanswered challenges due now, each a miss and a fault.
	#[benchmark]
	fn expire_challenges(c: Linear<1, { T::ChallengesPerRound::get() }>) {
		let o = owner::<T>();
		let n = max_n::<T>();
		let p = providers::<T>(&o, n);
		let now = frame_system::Pallet::<T>::block_number().saturating_add(T::ResponseWindow::get());
		for b in 0..c {
			let (id, _) = record::<T>(&o, b, n, None);
			place::<T>(id, &p, 1);
			let key = (id, 0u8);
			Challenges::<T>::insert(key, Challenge { provider: p[0].0.clone(), contract: p[0].1, chunk: 0, deadline: now });
			Deadlines::<T>::mutate(now, |keys| keys.try_push(key).expect("c <= ChallengesPerRound; qed"));
		}
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			crate::Pallet::<T>::expire_challenges(now);
		}
		assert!(Challenges::<T>::iter().next().is_none());
	}

	/// `c`: fragments held under the ended contract.
	#[benchmark]
	fn contract_ended(c: Linear<1, { T::MaxFragmentsPerContract::get() }>) {
		let o = owner::<T>();
		let n = T::MaxDataFragments::get() as u32 + 1;
		let p = providers::<T>(&o, n);
		for b in 0..c {
			let (id, _) = record::<T>(&o, b, n, None);
			place::<T>(id, &p, 1);
		}
		#[block]
		{
			<crate::Pallet<T> as OnContractEnded>::contract_ended(p[0].1);
		}
		assert_eq!(ContractFragmentCount::<T>::get(p[0].1), 0);
	}

	impl_benchmark_test_suite!(Fragments, crate::mock::new_test_ext(), crate::mock::Test);
}
