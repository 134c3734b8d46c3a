//! The Blocktree runtime as the wasm blob the node executes and puts in its chain specs:
//! [`WASM_BINARY`] (compressed) and [`WASM_BINARY_BLOATY`], both `None` under
//! `SKIP_WASM_BUILD=1`.

include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));
