#!/usr/bin/env bash
# Prepares this machine to build, run and test Blocktree: a fresh Debian 12 (bookworm) with
# nothing but its package registries is enough. Run as root or as a user with sudo.
# Idempotent: each step checks its input (installed packages, the compiler's version for the
# wasm core libraries, the npm lock file's hash) and redoes only what changed.
#
#   scripts/setup.sh            set up (or bring up to date)
#   scripts/setup.sh --check    change nothing; list the steps a run would do, exit 1 if any
#
# What it does, and why (see docs/development.md):
#  1. Debian packages: Debian's Rust (rustc-web, cargo-web: 1.96, from bookworm-security), which
#     ships the library sources the wasm32v1-none core libraries are built from (rustup cannot
#     fetch a wasm target here) and lld-22 (its rust-lld); build-essential and perl (C and C++
#     builds: vendored OpenSSL needs make, binaryen a C++ compiler); protoc for litep2p; clang
#     for bindgen; FUSE and TPM libraries and simulators; python3, git, curl; node and npm.
#  2. The Rust toolchain: with rustup, rustup's stable builds the workspace and Debian's rustc
#     is linked as the rustup toolchain `blocktree-wasm` for the wasm runtime
#     (runtime/wasm/build.rs names it). Without rustup, Debian's rustc builds everything.
#  3. Builds core/alloc/compiler_builtins for wasm32v1-none with Debian's rustc into its
#     sysroot, again whenever that compiler changes (a stamp records its version).
#  4. Installs cargo-nextest (the test runner) into ~/.cargo/bin if missing.
#  5. Installs the pinned npm packages of the @polkadot/api test (`npm ci`), again whenever
#     the lock file changes.
set -euo pipefail

# Debian's Rust, pinned here and nowhere else: the release whose wasm build this project's
# runtime is tested with. Security updates of the same release are fine.
DEBIAN_RUST=1.96

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check=false
[ "${1:-}" = "--check" ] && check=true
todo=()
log() { printf '[setup] %s\n' "$*"; }
# `step NAME`: true when the step must run; in --check mode, records it and answers false.
step() {
  if $check; then todo+=("$1"); return 1; fi
  log "$1"
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo env DEBIAN_FRONTEND=noninteractive "$@"; fi
}
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.cargo/bin:$PATH"

# ---- 1. Debian packages -------------------------------------------------------------------
packages=(
  protobuf-compiler clang libclang-dev pkg-config
  libfuse3-dev fuse3
  libtss2-dev swtpm swtpm-tools tpm2-tools
  rustc-web cargo-web rust-web-llvm rust-web-src lld-22
  build-essential perl python3 git curl ca-certificates
  nodejs npm
)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
# node/npm may come from elsewhere (a machine image, nvm): only ask apt when absent.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ] && step "installing Debian packages: ${missing[*]}"; then
  as_root apt-get update -qq
  # rustc-web, cargo-web and lld-22 are bookworm-security updates: without that suite in the
  # apt sources there is no candidate for them.
  for p in rustc-web lld-22; do
    # (The output is read whole first: `grep -q` closing the pipe early would fail it under
    # pipefail.)
    policy=$(apt-cache policy "$p" 2>/dev/null || true)
    if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
      echo "[setup] no installable '$p': it comes from Debian's security suite. Add it to the apt sources, e.g." >&2
      echo "        echo 'deb http://deb.debian.org/debian-security bookworm-security main' > /etc/apt/sources.list.d/security.list" >&2
      echo "        then run this script again." >&2
      exit 1
    fi
  done
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/blocktree-apt.log 2>&1 || {
    tail -n 30 /tmp/blocktree-apt.log; echo "[setup] apt-get install failed (log above)" >&2; exit 1; }
fi

# ---- 2. The Rust toolchain ------------------------------------------------------------------
debian_version=$(/usr/bin/rustc --version 2>/dev/null | awk '{print $2}' || true)
if [ -n "$debian_version" ] && [ "${debian_version%.*}" != "$DEBIAN_RUST" ]; then
  echo "[setup] Debian's rustc is $debian_version; this project builds its wasm runtime with $DEBIAN_RUST.x (DEBIAN_RUST in scripts/setup.sh)" >&2
  $check || exit 1
fi
if command -v rustup >/dev/null; then
  toolchains=$(rustup toolchain list)
  if ! grep -q '^blocktree-wasm' <<<"$toolchains" && step "linking Debian's rustc as the rustup toolchain 'blocktree-wasm' (wasm runtime)"; then
    rustup toolchain link blocktree-wasm /usr
  fi
elif ! $check; then
  log "no rustup: Debian's rustc $debian_version builds everything ($(command -v cargo))"
fi

# ---- 3. wasm32v1-none core libraries for Debian's rustc -------------------------------------
sysroot_lib=/usr/lib/rustlib/wasm32v1-none/lib
stamp="$sysroot_lib/.blocktree-built-by"
compiler=$(/usr/bin/rustc -vV 2>/dev/null | sha256sum | cut -c1-16 || true)
if [ "$(cat "$stamp" 2>/dev/null)" != "$compiler" ] && step "building core/alloc for wasm32v1-none with Debian's rustc $debian_version (~30 s)"; then
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
  # Bitcode embedded: the runtime's wasm build links with LTO.
  (cd "$work" && RUSTFLAGS="-C embed-bitcode=yes" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build --release -q -Zbuild-std=core,alloc \
    -Zbuild-std-features=compiler-builtins-mem --target wasm32v1-none)
  as_root rm -rf "$sysroot_lib"
  as_root mkdir -p "$sysroot_lib"
  for lib in core alloc compiler_builtins; do
    as_root cp "$work"/target/wasm32v1-none/release/deps/lib${lib}-*.rlib \
      "$work"/target/wasm32v1-none/release/deps/lib${lib}-*.rmeta "$sysroot_lib/"
  done
  echo "$compiler" | as_root tee "$stamp" >/dev/null
  rm -rf "$work"
fi

# ---- 4. cargo-nextest, the test runner ------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1 && step "installing cargo-nextest, the test runner (a few minutes)"; then
  cargo install cargo-nextest --locked
fi

# ---- 5. npm packages of the third-party client test ----------------------------------------
lock="$here/tests/polkadot-js/package-lock.json"
if [ -f "$lock" ]; then
  modules="$here/tests/polkadot-js/node_modules"
  want=$(sha256sum "$lock" | cut -c1-16)
  if [ "$(cat "$modules/.blocktree-lock" 2>/dev/null)" != "$want" ] && step "installing the pinned @polkadot/api test client (npm ci)"; then
    (cd "$here/tests/polkadot-js" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$modules/.blocktree-lock"
  fi
fi

if $check; then
  if [ "${#todo[@]}" -gt 0 ]; then
    printf '[setup] would do: %s\n' "${todo[@]}"
    exit 1
  fi
  log "up to date: nothing to do"
else
  log "done"
fi
