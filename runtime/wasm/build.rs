//! Builds `blocktree-runtime` (the crate one directory up) as a wasm blob with
//! substrate-wasm-builder and writes `wasm_binary.rs` (`WASM_BINARY`) for `src/lib.rs`.
//!
//! The wasm needs a compiler with the `wasm32v1-none` core libraries, which rustup cannot
//! fetch here: `scripts/setup.sh` builds them for Debian's compiler (`rustc-web`). On a
//! machine with rustup, setup links that compiler as the rustup toolchain `blocktree-wasm`,
//! and this script names it in `WASM_BUILD_TOOLCHAIN` unless the environment already names
//! one. Without rustup the whole build runs on Debian's compiler, and the cargo running this
//! script builds the wasm too. `SKIP_WASM_BUILD=1` skips the wasm for native-only checks. This
//! crate's `runtime-benchmarks` feature turns on the runtime's feature of that name in the
//! wasm.

use std::{path::PathBuf, process::Command};

/// The rustup toolchain `scripts/setup.sh` links to Debian's compiler.
const LINKED_TOOLCHAIN: &str = "blocktree-wasm";

/// Names the linked toolchain for substrate-wasm-builder when rustup has it and nobody chose
/// another.
fn choose_toolchain() {
	println!("cargo:rerun-if-env-changed=WASM_BUILD_TOOLCHAIN");
	if std::env::var_os("WASM_BUILD_TOOLCHAIN").is_some() {
		return
	}
	let linked = Command::new("rustup")
		.args(["toolchain", "list"])
		.output()
		.ok()
		.filter(|out| out.status.success())
		.is_some_and(|out| String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().next() == Some(LINKED_TOOLCHAIN)));
	if linked {
		// A build script is single-threaded here; the builder reads the variable below.
		std::env::set_var("WASM_BUILD_TOOLCHAIN", LINKED_TOOLCHAIN);
	}
}

fn main() {
	choose_toolchain();
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
