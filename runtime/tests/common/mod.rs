//! What runtime tests share: genesis from a preset, blocks as an Aura author builds them, and
//! signed transactions.

#![allow(dead_code)]

use blocktree_runtime::{
	genesis_config_presets, Executive, Header, RuntimeCall, RuntimeGenesisConfig, SignedPayload, System,
	TimestampCall, UncheckedExtrinsic, SLOT_DURATION,
};
use codec::Encode;
use frame_support::genesis_builder_helper::build_state;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::{Digest, DigestItem},
	traits::Header as _,
	MultiSignature,
};

/// Applies a JSON merge patch (objects merge key by key, anything else replaces).
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) =>
			for (k, v) in patch {
				merge(base.entry(k).or_insert(serde_json::Value::Null), v);
			},
		(base, patch) => *base = patch,
	}
}

/// Storage built from the preset `name` the way the node builds a chain spec's genesis: the
/// preset patch over the default config, through the runtime's GenesisBuilder path.
pub fn ext_from_preset(name: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&name.into())
		.unwrap_or_else(|| panic!("preset {name} exists"));
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	merge(&mut config, serde_json::from_slice(&patch).expect("presets are JSON"));
	let config = serde_json::to_vec(&config).expect("serializes");
	let mut ext = sp_io::TestExternalities::new(Default::default());
	ext.execute_with(|| build_state::<RuntimeGenesisConfig>(config).expect("preset builds"));
	ext
}

/// Starts block `number` in slot `slot`, as an Aura author would, and sets its timestamp.
pub fn start_block(number: u32, slot: u64) {
	let digest = Digest { logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())] };
	let header = Header::new(number, Default::default(), Default::default(), System::parent_hash(), digest);
	Executive::initialize_block(&header);
	let now = slot * SLOT_DURATION;
	let inherent = UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(TimestampCall::set { now }));
	Executive::apply_extrinsic(inherent)
		.expect("the timestamp inherent is valid")
		.expect("the timestamp inherent dispatches");
}

/// Finalizes the current block and starts the next one in the next slot; returns its number.
pub fn next_block() -> u32 {
	let header = Executive::finalize_block();
	let number = *header.number() + 1;
	let slot = pallet_aura::CurrentSlot::<blocktree_runtime::Runtime>::get();
	System::set_parent_hash(header.hash());
	start_block(number, u64::from(slot) + 1);
	number
}

/// `call` from `sender`'s account, signed by `signer` (the same key unless forging). Immortal:
/// these blocks are built natively, and an immortal era keeps the test independent of which
/// block hashes `System` holds (clients sign mortal eras; see `node/src/chain_client.rs`).
pub fn signed_as(sender: Sr25519Keyring, signer: Sr25519Keyring, call: RuntimeCall) -> UncheckedExtrinsic {
	let nonce = System::account_nonce(sender.to_account_id());
	let ext = blocktree_runtime::tx_extension(nonce, sp_runtime::generic::Era::Immortal);
	let payload = SignedPayload::new(call.clone(), ext.clone()).expect("implicit data available");
	let signature = payload.using_encoded(|p| signer.sign(p));
	UncheckedExtrinsic::new_signed(call, sender.to_account_id().into(), MultiSignature::Sr25519(signature), ext)
}

/// `call` signed by `who`.
pub fn signed(who: Sr25519Keyring, call: RuntimeCall) -> UncheckedExtrinsic {
	signed_as(who, who, call)
}
