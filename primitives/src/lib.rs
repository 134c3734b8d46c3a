//! Types and cryptography shared by the Blocktree runtime, the node and clients.
//!
//! `no_std` in the runtime, `std` everywhere else. What every party must agree on:
//! - chain types: accounts, balances, block numbers, nonces, and the BKT token's
//!   denomination (this file);
//! - [`principal`]: who is who (signing + encryption keys, identified by a hash);
//! - [`path`]: where a block sits in a principal's tree, strictly validated;
//! - [`cap`]: write capabilities and the chain check the runtime and clients share;
//! - [`block`]: the block format (signed header, encrypted sectors);
//! - [`merkle`]: per-sector integrity proofs against the signed root;
//! - [`storage`]: the storage market's identifiers, proof-of-storage chunks and the contract
//!   ledger interface the fragment index uses;
//! - `crypto` (feature `client`): sealing and opening blocks, read caps, principal keys and
//!   the block key cache, for clients and the node; never compiled into the runtime.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod block;
pub mod cap;
#[cfg(feature = "client")]
pub mod crypto;
pub mod merkle;
pub mod path;
pub mod principal;
pub mod storage;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// An index to a block.
pub type BlockNumber = u32;

/// Signature of a transaction: sr25519, ed25519 or ecdsa (what polkadot.js and subkey sign with).
pub type Signature = MultiSignature;

/// An account on the chain: the public key of the transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account, in the token's smallest unit.
pub type Balance = u128;

/// Number of transactions an account has sent.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// The native token: its symbol, decimals and the units derived from them.
pub mod currency {
	use super::Balance;

	/// Ticker shown by wallets.
	pub const TOKEN_SYMBOL: &str = "BKT";
	/// Decimal places between the smallest unit and one token.
	pub const TOKEN_DECIMALS: u8 = 12;
	/// One whole token in the smallest unit.
	pub const UNIT: Balance = 10u128.pow(TOKEN_DECIMALS as u32);
	/// A thousandth of a token.
	pub const MILLI_UNIT: Balance = UNIT / 1_000;
	/// A millionth of a token.
	pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
	/// The smallest balance an account may hold; below it the account is reaped.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;
}

/// SS58 address format of Blocktree accounts (42: the generic Substrate prefix, `5...`
/// addresses, so that dev keys such as //Alice read the same as in other tools).
pub const SS58_PREFIX: u16 = 42;

#[cfg(test)]
mod tests {
	use super::currency::*;

	#[test]
	fn units_follow_the_declared_decimals() {
		assert_eq!(UNIT, 1_000_000_000_000);
		assert_eq!(MILLI_UNIT * 1_000, UNIT);
		assert_eq!(MICRO_UNIT * 1_000_000, UNIT);
		assert!(EXISTENTIAL_DEPOSIT > 0 && EXISTENTIAL_DEPOSIT < UNIT);
	}
}
