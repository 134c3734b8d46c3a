#!/usr/bin/env bash
# Prepares this machine to build, run and test Blocktree. Idempotent: every step checks
# whether it is already done. Run as root (CI and the dev machines are root) or with sudo.
#
#   scripts/setup.sh            system packages, wasm toolchain, npm test deps
#
# What it does, and why (see docs/development.md):
#  1. Debian packages: protoc for litep2p, clang for bindgen, FUSE and TPM libraries and
#     simulators, and Debian's Rust (rustc-web) which ships the library sources needed to
#     build the wasm32v1-none core libraries that rustup cannot fetch here.
#  2. Builds core/alloc/compiler_builtins for wasm32v1-none with Debian's rustc and
#     installs them into Debian's sysroot, then links that compiler as the rustup toolchain
#     `blocktree-wasm`, which substrate-wasm-builder uses (WASM_BUILD_TOOLCHAIN).
#  3. Installs cargo-nextest if missing.
#  4. Installs the pinned npm packages of the @polkadot/api end-to-end test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[setup] %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# ---- 1. Debian packages -------------------------------------------------------------------
packages=(
  protobuf-compiler clang libclang-dev pkg-config
  libfuse3-dev fuse3
  libtss2-dev swtpm swtpm-tools tpm2-tools
  rustc-web cargo-web rust-web-llvm rust-web-src lld-22
  nodejs npm
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node/npm may come from elsewhere (the machine image ships them): only ask apt when absent.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/tmp/blocktree-apt.log 2>&1 || {
    tail -n 30 /tmp/blocktree-apt.log; echo "[setup] apt-get install failed (log above)"; exit 1; }
else
  log "Debian packages present"
fi

# ---- 2. wasm32v1-none core libraries for Debian's rustc -------------------------------------
sysroot_lib=/usr/lib/rustlib/wasm32v1-none/lib
if ! ls "$sysroot_lib"/libcore-*.rlib >/dev/null 2>&1; then
  log "building core/alloc for wasm32v1-none with Debian's rustc (~30 s)"
  work=$(mktemp -d)
  mkdir -p "$work/src"
  cat >"$work/Cargo.toml" <<'TOML'
[package]
name = "wasm-sysroot"
version = "0.0.0"
edition = "2021"
[lib]
path = "src/lib.rs"
[profile.release]
panic = "abort"
TOML
  echo '#![no_std]' >"$work/src/lib.rs"
  (cd "$work" && RUSTFLAGS="-C embed-bitcode=yes" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build --release -q -Zbuild-std=core,alloc \
    -Zbuild-std-features=compiler-builtins-mem --target wasm32v1-none)
  $SUDO mkdir -p "$sysroot_lib"
  for lib in core alloc compiler_builtins; do
    $SUDO cp "$work"/target/wasm32v1-none/release/deps/lib${lib}-*.rlib \
      "$work"/target/wasm32v1-none/release/deps/lib${lib}-*.rmeta "$sysroot_lib/"
  done
  rm -rf "$work"
else
  log "wasm32v1-none sysroot present"
fi

if ! rustup toolchain list | grep -q '^blocktree-wasm'; then
  log "linking Debian's rustc as rustup toolchain 'blocktree-wasm'"
  rustup toolchain link blocktree-wasm /usr
else
  log "rustup toolchain 'blocktree-wasm' present"
fi

# ---- 3. cargo-nextest, the test runner ------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest (test runner)"
  cargo install cargo-nextest --locked
else
  log "cargo-nextest present"
fi

# ---- 4. npm packages of the third-party client test ----------------------------------------
if [ -f "$here/tests/polkadot-js/package-lock.json" ]; then
  if [ ! -d "$here/tests/polkadot-js/node_modules/@polkadot/api" ]; then
    log "installing pinned @polkadot/api test client (npm ci)"
    (cd "$here/tests/polkadot-js" && npm ci --no-audit --no-fund --loglevel=error)
  else
    log "npm test client present"
  fi
fi
log "done"
