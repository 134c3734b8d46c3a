#!/usr/bin/env bash
# Measures the weights of Blocktree's pallets and writes each pallet's src/weights.rs.
#
#   scripts/bench/weights.sh                  # all four pallets
#   scripts/bench/weights.sh pallet_fragments # one
#
# Builds the runtime with the `runtime-benchmarks` feature (its wasm carries the benchmarks)
# and runs them with frame-omni-bencher, the benchmarking CLI of the polkadot-sdk line we use.
# Installing frame-omni-bencher the first time takes 35-40 minutes on 2 cores; it is not part of
# the test setup for that reason. STEPS and REPEAT can be lowered for a quick look.
set -euo pipefail
cd "$(dirname "$0")/../.."

OMNI_VERSION=0.28.0
STEPS=${STEPS:-20}
REPEAT=${REPEAT:-10}
PALLETS=("$@")
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=(pallet_principals pallet_endpoints pallet_storage_contracts pallet_fragments)

if ! frame-omni-bencher --version 2>/dev/null | grep -q "$OMNI_VERSION"; then
	echo "[bench] installing frame-omni-bencher $OMNI_VERSION (35-40 min on 2 cores)..."
	SKIP_WASM_BUILD=1 cargo install frame-omni-bencher@"$OMNI_VERSION" --locked
fi

echo "[bench] building the runtime with benchmarks..."
cargo build -p blocktree-runtime-wasm --features runtime-benchmarks
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
WBUILD="$TARGET_DIR/debug/wbuild/blocktree-runtime"
WASM="$WBUILD/blocktree_runtime.compact.compressed.wasm"
[ -f "$WASM" ] || WASM="$WBUILD/blocktree_runtime.wasm"
[ -f "$WASM" ] || { echo "[bench] no runtime wasm in $WBUILD" >&2; exit 1; }

for pallet in "${PALLETS[@]}"; do
	dir="pallets/${pallet#pallet_}"
	dir="${dir//_/-}"
	[ -d "$dir" ] || { echo "[bench] no crate for $pallet at $dir" >&2; exit 1; }
	echo "[bench] $pallet: $STEPS steps x $REPEAT repeats -> $dir/src/weights.rs"
	frame-omni-bencher v1 benchmark pallet \
		--runtime "$WASM" \
		--pallet "$pallet" --extrinsic '*' \
		--steps "$STEPS" --repeat "$REPEAT" \
		--heap-pages 4096 \
		--template scripts/bench/weight-template.hbs \
		--output "$dir/src/weights.rs"
done
echo "[bench] done: review the diffs of the weights.rs files"
