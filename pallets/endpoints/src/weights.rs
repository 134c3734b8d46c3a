//! Weights for `pallet_endpoints`: placeholder until `scripts/bench/weights.sh` measures them.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions of `pallet_endpoints`.
pub trait WeightInfo {
	fn register(a: u32) -> Weight;
	fn update(a: u32) -> Weight;
	fn heartbeat() -> Weight;
	fn deregister() -> Weight;
	fn remove_expired() -> Weight;
	fn set_allow_private_addresses() -> Weight;
}

/// Measured weights, with storage costs from the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register(_a: u32) -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn update(_a: u32) -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn heartbeat() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(1, 1)) }
	fn deregister() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(3, 5)) }
	fn remove_expired() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(3, 5)) }
	fn set_allow_private_addresses() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1)) }
}

impl WeightInfo for () {
	fn register(_a: u32) -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn update(_a: u32) -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn heartbeat() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(1, 1)) }
	fn deregister() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(3, 5)) }
	fn remove_expired() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(3, 5)) }
	fn set_allow_private_addresses() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(ParityDbWeight::get().writes(1)) }
}
