//! Benchmarks of every call, for `weights.rs`. Worst cases: settlement with faulted periods and
//! completion; ending by the provider (collateral moves).

use super::*;
use crate::Pallet as StorageContracts;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get,
};
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

/// A funded account.
fn funded<T: Config>(name: &'static str) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, 0, 0);
	let funds = T::Currency::minimum_balance().saturating_mul(1_000_000_000u32.into());
	T::Currency::set_balance(&who, funds);
	who
}

/// A provider with offer 0 (1 unit per byte per period, 1 unit of collateral per byte).
fn offer<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let provider = funded::<T>("provider");
	StorageContracts::<T>::create_offer(
		RawOrigin::Signed(provider.clone()).into(),
		1_000_000,
		1u32.into(),
		1u32.into(),
		1,
		1,
	)
	.expect("the provider can list an offer");
	provider
}

/// Contract 0 of the longest length, with `MaxFaults - 1` faulted periods.
fn contract<T: Config>() -> (T::AccountId, T::AccountId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let provider = offer::<T>();
	let client = funded::<T>("client");
	StorageContracts::<T>::open_contract(
		RawOrigin::Signed(client.clone()).into(),
		0,
		1000,
		T::MaxPeriods::get(),
		1u32.into(),
		1u32.into(),
	)
	.expect("the client can open a contract");
	Contracts::<T>::mutate(0, |c| {
		if let Some(c) = c {
			for p in 0..T::MaxFaults::get().saturating_sub(1) {
				let _ = c.faulted.try_push(p);
			}
			c.strikes = T::MaxFaults::get().saturating_sub(1);
		}
	});
	(provider, client)
}

fn after_periods<T: Config>(periods: u32) {
	let now = frame_system::Pallet::<T>::block_number()
		.saturating_add(T::PeriodLength::get().saturating_mul(periods.into()));
	frame_system::Pallet::<T>::set_block_number(now);
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_offer() {
		let provider = funded::<T>("provider");
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 1_000_000, 1u32.into(), 1u32.into(), 1, 1);
		assert!(Offers::<T>::contains_key(0));
	}

	#[benchmark]
	fn update_offer() {
		let provider = offer::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0, 2_000_000, 2u32.into(), 2u32.into(), 2, 2);
		assert_eq!(Offers::<T>::get(0).map(|o| o.capacity), Some(2_000_000));
	}

	#[benchmark]
	fn remove_offer() {
		let provider = offer::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0);
		assert!(!Offers::<T>::contains_key(0));
	}

	#[benchmark]
	fn open_contract() {
		let _provider = offer::<T>();
		let client = funded::<T>("client");
		#[extrinsic_call]
		_(RawOrigin::Signed(client), 0, 1000, T::MaxPeriods::get(), 1u32.into(), 1u32.into());
		assert!(Contracts::<T>::contains_key(0));
	}

	/// Every period due at once, some faulted, and the contract completes.
	#[benchmark]
	fn settle() {
		let (provider, _client) = contract::<T>();
		after_periods::<T>(T::MaxPeriods::get().saturating_add(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0);
		assert!(!Contracts::<T>::contains_key(0));
	}

	/// Ended by the provider half-way: settlement, refund and the collateral to the client.
	#[benchmark]
	fn end_contract() {
		let (provider, _client) = contract::<T>();
		after_periods::<T>(T::MaxPeriods::get() / 2);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0);
		assert!(!Contracts::<T>::contains_key(0));
	}

	impl_benchmark_test_suite!(StorageContracts, crate::mock::new_test_ext(), crate::mock::Test);
}

