//! Weights for `pallet_principals`.
//!
//! PROVISIONAL: these are not yet measured. The benchmarks exist only as a plan in the issue
//! tracker; until `benchmarking.rs` runs through the node's `benchmark pallet` command, the
//! numbers below are upper bounds derived from each call's storage accesses (reads and writes
//! at ParityDB cost) plus 50 µs of compute for every signature verification it performs. The
//! pallet is not part of the runtime until they are replaced by measured weights.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed by `pallet_principals`.
pub trait WeightInfo {
	fn register() -> Weight;
	fn rotate_keys() -> Weight;
	fn claim_root() -> Weight;
	fn revoke_write_cap() -> Weight;
	fn request_write_access() -> Weight;
	fn approve_write_request(c: u32) -> Weight;
	fn reject_write_request() -> Weight;
	fn cancel_write_request() -> Weight;
	fn remove_expired_request() -> Weight;
}

/// One signature verification (sr25519 or ed25519) plus hashing, in ref-time.
const VERIFY: u64 = 50_000_000;
/// Dispatch and decoding overhead of a call, in ref-time.
const BASE: u64 = 20_000_000;

fn rw(reads: u64, writes: u64) -> Weight {
	ParityDbWeight::get().reads_writes(reads, writes)
}

impl WeightInfo for () {
	fn register() -> Weight {
		Weight::from_parts(BASE + VERIFY, 1_000).saturating_add(rw(4, 4))
	}
	fn rotate_keys() -> Weight {
		Weight::from_parts(BASE + VERIFY, 1_000).saturating_add(rw(2, 1))
	}
	fn claim_root() -> Weight {
		Weight::from_parts(BASE, 1_000).saturating_add(rw(4, 3))
	}
	fn revoke_write_cap() -> Weight {
		Weight::from_parts(BASE, 1_000).saturating_add(rw(2, 1))
	}
	fn request_write_access() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(rw(6, 6))
	}
	fn approve_write_request(c: u32) -> Weight {
		// Every link of the chain (and the new cap) costs a principal read and a signature.
		Weight::from_parts(BASE + VERIFY, 4_000)
			.saturating_add(Weight::from_parts(VERIFY, 200).saturating_mul(c as u64))
			.saturating_add(rw(7, 6))
			.saturating_add(rw(2, 0).saturating_mul(c as u64))
	}
	fn reject_write_request() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(rw(4, 4))
	}
	fn cancel_write_request() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(rw(4, 4))
	}
	fn remove_expired_request() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(rw(3, 4))
	}
}
