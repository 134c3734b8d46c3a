//! The chains the node knows by name: `dev` and `local`, both built from the runtime's
//! genesis presets. Any other `--chain` value is read as a chain-spec JSON file.

use blocktree_primitives::{currency, SS58_PREFIX};
use sc_service::ChainType;

/// The chain specification type of Blocktree (no chain-spec extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// The wasm runtime embedded in the node, or an error that says how to get one.
fn wasm_binary() -> Result<&'static [u8], String> {
	blocktree_runtime_wasm::WASM_BINARY.ok_or_else(|| {
		"This node was built without the wasm runtime (SKIP_WASM_BUILD was set). Rebuild it \
		 without SKIP_WASM_BUILD, after running scripts/setup.sh for the wasm toolchain."
			.to_string()
	})
}

/// Chain properties that wallets (polkadot.js) read to show balances and addresses.
pub fn chain_properties() -> sc_service::Properties {
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), currency::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), currency::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

/// `dev`: a single validator (Alice), for development on one machine.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Blocktree Development")
		.with_id("blocktree_dev")
		.with_protocol_id("blocktree")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(chain_properties())
		.build())
}

/// `local`: four validators (Alice, Bob, Charlie, Dave) on one machine or a LAN.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Blocktree Local Testnet")
		.with_id("blocktree_local")
		.with_protocol_id("blocktree")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(chain_properties())
		.build())
}
