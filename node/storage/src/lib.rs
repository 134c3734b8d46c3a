//! The storage worker's logic that needs no node: how a sealed block becomes the `n` erasure-coded
//! fragments the chain records, and how any `k` of them give it back.
//!
//! - [`codec`]: the erasure code (systematic Reed-Solomon over GF(2^8)), with the fragment
//!   layout the fragments pallet's redundancy rule prescribes.
//! - [`store`]: fragments held for others on disk, crash-safe, verified on every read.
//! - [`protocol`]: the messages and limits of the fragment exchange between nodes.
//! - [`service`]: a provider's rules for accepting pushes and serving fetches.
//!
//! The node wires these into its service; this crate builds and tests with
//! `cargo test -p blocktree-storage` alone.

pub mod codec;
pub mod protocol;
pub mod service;
pub mod store;
