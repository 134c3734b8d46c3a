//! Builds the runtime as a wasm blob (`WASM_BINARY`) with substrate-wasm-builder.
//!
//! The wasm toolchain is named by `WASM_BUILD_TOOLCHAIN` (see `.cargo/config.toml` and
//! `scripts/setup.sh`). `SKIP_WASM_BUILD=1` skips it for native-only checks.

fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
