//! Builds `blocktree-runtime` (the crate one directory up) as a wasm blob with
//! substrate-wasm-builder and writes `wasm_binary.rs` (`WASM_BINARY`) for `src/lib.rs`.
//!
//! The wasm toolchain is named by `WASM_BUILD_TOOLCHAIN` (see `.cargo/config.toml` and
//! `scripts/setup.sh`). `SKIP_WASM_BUILD=1` skips it for native-only checks. This crate's
//! `runtime-benchmarks` feature turns on the runtime's feature of that name in the wasm.

use std::path::PathBuf;

fn main() {
	let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR; qed"))
		.join("../Cargo.toml")
		.canonicalize()
		.expect("runtime/Cargo.toml exists next to runtime/wasm; qed");
	substrate_wasm_builder::WasmBuilder::new()
		.with_project(manifest)
		.expect("the runtime's Cargo.toml is a file; qed")
		.export_heap_base()
		.import_memory()
		.build();
}
