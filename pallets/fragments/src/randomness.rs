//! The randomness that seeds storage challenges.
//!
//! [`ParentHashRandomness`] hashes the parent block's hash with the subject. Every node computes
//! the same value, and nobody knows it before the parent block exists, so a provider cannot
//! prepare for the chunk it will be asked for. Its limit, stated plainly: the author of the
//! parent block could withhold a block to re-roll the draw; with Aura's fixed slot order that
//! buys one alternative per authored slot. A VRF-based source (BABE, or Aura with VRF outputs)
//! would remove that, and can replace it through the pallet's `Randomness` type.

use core::marker::PhantomData;
use frame_support::traits::Randomness;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::Saturating;

/// `blake2_256(parent hash ++ subject)`, known from the block before the current one.
pub struct ParentHashRandomness<T>(PhantomData<T>);

impl<T: frame_system::Config<Hash = H256>> Randomness<H256, BlockNumberFor<T>> for ParentHashRandomness<T> {
	fn random(subject: &[u8]) -> (H256, BlockNumberFor<T>) {
		let parent = frame_system::Pallet::<T>::parent_hash();
		let mut input = alloc::vec::Vec::with_capacity(32 + subject.len());
		input.extend_from_slice(parent.as_bytes());
		input.extend_from_slice(subject);
		let known_since = frame_system::Pallet::<T>::block_number().saturating_sub(1u32.into());
		(H256(sp_io::hashing::blake2_256(&input)), known_since)
	}
}
