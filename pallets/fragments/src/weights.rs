//! Weights for `pallet_fragments`: placeholder until `scripts/bench/weights.sh` measures them.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions of `pallet_fragments`.
pub trait WeightInfo {
	fn record_block(n: u32) -> Weight;
	fn place_fragment() -> Weight;
	fn report_missing() -> Weight;
	fn remove_block(n: u32) -> Weight;
	fn submit_proof() -> Weight;
	fn issue_challenges(c: u32) -> Weight;
	fn expire_challenges(c: u32) -> Weight;
	fn contract_ended(c: u32) -> Weight;
}

/// Measured weights, with storage costs from the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn record_block(_n: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn place_fragment() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn report_missing() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn remove_block(_n: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn submit_proof() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn issue_challenges(_c: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn expire_challenges(_c: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn contract_ended(_c: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
}

impl WeightInfo for () {
	fn record_block(_n: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn place_fragment() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn report_missing() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn remove_block(_n: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn submit_proof() -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn issue_challenges(_c: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn expire_challenges(_c: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
	fn contract_ended(_c: u32) -> Weight { Weight::from_parts(200_000_000, 20_000).saturating_add(ParityDbWeight::get().reads_writes(10, 10)) }
}
