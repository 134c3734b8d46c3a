//! # Blocktree runtime
//!
//! The state transition function of the Blocktree chain, written with FRAME. The node executes
//! it as a wasm blob (`WASM_BINARY` of the `blocktree-runtime-wasm` crate in `wasm/`, which
//! builds this crate for wasm); the same code compiles natively for tests, for the node's typed
//! access to runtime types and for clients (`client/`), which thus never build the wasm.
//!
//! Pallets today (see `docs/architecture.md` for what comes next):
//! - `System`, `Timestamp`: block bookkeeping and the block time.
//! - `Aura`, `Grandpa`: block authoring in slots and deterministic finality.
//! - `Balances`, `TransactionPayment`: the native token (BKT) and fees.
//! - `Sudo`: a root key for dev and local test chains.
//!
//! Modules: [`configs`] holds each pallet's configuration, [`apis`] the runtime APIs the node
//! and wallets call, [`genesis_config_presets`] the `dev` and `local` genesis states.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`'s expansion for a large enum of calls needs a deeper recursion limit.
#![recursion_limit = "256"]

extern crate alloc;

// Before `apis`: its `list_benchmarks!`/`add_benchmarks!` macros are used there.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;

use alloc::{borrow::Cow, vec::Vec};
use sp_runtime::{generic, traits::BlakeTwo256, MultiAddress};
use sp_version::RuntimeVersion;

pub use blocktree_primitives::{
	currency::{EXISTENTIAL_DEPOSIT, MILLI_UNIT, UNIT},
	AccountId, Balance, BlockNumber, Hash, Nonce, Signature,
};
pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_principals::Call as PrincipalsCall;
pub use pallet_storage_contracts::Call as StorageContractsCall;
pub use pallet_fragments::Call as FragmentsCall;
pub use pallet_endpoints::Call as EndpointsCall;
pub use pallet_timestamp::Call as TimestampCall;

/// Types the node needs without knowing the runtime's call and extrinsic formats: it handles
/// extrinsics as opaque bytes so that it keeps syncing across runtime upgrades.
pub mod opaque {
	use super::*;
	use sp_runtime::impl_opaque_keys;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Block with opaque extrinsics.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Block identifier: a hash or a number.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The keys a validator holds in its keystore: Aura to author, GRANDPA to finalize.
		pub struct SessionKeys {
			/// Signs authored blocks.
			pub aura: super::Aura,
			/// Signs finality votes.
			pub grandpa: super::Grandpa,
		}
	}
}
pub use opaque::SessionKeys;

/// The runtime's version: the node refuses to author with a runtime whose `spec_name` differs,
/// and wallets re-read metadata when `spec_version` changes.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("blocktree"),
	impl_name: Cow::Borrowed("blocktree-node"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// Target block time. Aura slots are this long; changing it on a live chain stops authoring.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration, equal to the block time.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// How an extrinsic names its sender: an account id (or index, unused here).
pub type Address = MultiAddress<AccountId, ()>;
/// Block header as the runtime sees it.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block as the runtime sees it.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions every signed transaction carries, in order. All are the standard
/// ones that polkadot.js and other wallets know how to fill in.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
);

/// The transaction extensions of a signed transaction from an account with nonce `nonce`,
/// valid during `era` and without tip: what a Rust client fills in (wallets do the same through
/// metadata). Clients sign mortal eras (`Era::mortal(64, best_block)`), so that a signed
/// transaction cannot be replayed after it dies; the implicit data signed for `CheckEra` is
/// then the hash of the era's birth block, not the genesis hash.
pub fn tx_extension(nonce: Nonce, era: generic::Era) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(era),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::new(false),
	)
}

/// An extrinsic as it arrives from the network, before its signature is checked.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// What a signer signs: the call, the extensions and their implicit data.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations to run on the next runtime upgrade, beyond the pallets' own.
#[allow(unused_parens)]
type Migrations = ();

/// Dispatches extrinsics to pallets and runs the block hooks.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	/// The Blocktree runtime.
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Principals = pallet_principals;

	#[runtime::pallet_index(8)]
	pub type Endpoints = pallet_endpoints;

	#[runtime::pallet_index(9)]
	pub type StorageContracts = pallet_storage_contracts;

	#[runtime::pallet_index(10)]
	pub type Fragments = pallet_fragments;
}
