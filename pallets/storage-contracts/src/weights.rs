//! Weights for `pallet_storage_contracts`: placeholder until `scripts/bench/weights.sh` measures them.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions of `pallet_storage_contracts`.
pub trait WeightInfo {
	fn create_offer() -> Weight;
	fn update_offer() -> Weight;
	fn remove_offer() -> Weight;
	fn open_contract() -> Weight;
	fn settle() -> Weight;
	fn end_contract() -> Weight;
}

/// Measured weights, with storage costs from the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_offer() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn update_offer() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn remove_offer() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn open_contract() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn settle() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn end_contract() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
}

impl WeightInfo for () {
	fn create_offer() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn update_offer() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn remove_offer() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn open_contract() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn settle() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn end_contract() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
}
