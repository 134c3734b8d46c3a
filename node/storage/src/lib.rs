//! The storage worker's logic that needs no node: how a sealed block becomes the `n` erasure-coded
//! fragments the chain records, and how any `k` of them give it back.
//!
//! - [`codec`]: the erasure code (systematic Reed-Solomon over GF(2^8)), with the fragment
//!   layout the fragments pallet's redundancy rule prescribes.
//!
//! The node wires these into its service; this crate builds and tests with
//! `cargo test -p blocktree-storage` alone.

pub mod codec;
