#!/usr/bin/env bash
# End-to-end storage benchmark on a five-node loopback network (scripts/local-network.sh):
# Alice puts a file of SIZE_MIB MiB through her node with the `blocktree file` CLI (seal,
# upload, encode, record, push to the other four, placements on chain; files over 32 MiB go as
# 32 MiB parts, three at a time, plus a manifest) and reads it back through Dave's node (fetch,
# decode if needed, open). Prints each phase's time (summed over parts, which overlap) and the
# wall-clock throughput.
#
#   scripts/bench/storage-e2e.sh [SIZE_MIB]        default 100
#
# The binaries: $BLOCKTREE_NODE and $BLOCKTREE_CLIENT (e.g. release builds), else the debug
# builds. Numbers and their reading: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-100}
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
node=${BLOCKTREE_NODE:-$target_dir/debug/blocktree-node}
bin=${BLOCKTREE_CLIENT:-$(dirname "$node")/blocktree}
# Every provider's contract must hold its share: n/k of the file over four providers, rounded up.
contract=$(( (size * 2 / 3 + 64) ))MiB
export BLOCKTREE_NODE=$node BLOCKTREE_PASSWORD="benchmark password" CONTRACT=${CONTRACT:-$contract} CAPACITY=${CAPACITY:-$(( size * 2 + 1024 ))MiB}
work=$(mktemp -d /tmp/blocktree-bench.XXXXXX)
bash scripts/local-network.sh "$work/net" >"$work/network.log" 2>&1 &
net=$!
# `|| true`: under `set -e` a failing command in the trap (wait on the killed network) would
# replace the script's own status.
trap 'status=$?; kill $net 2>/dev/null || true; wait $net 2>/dev/null || true; rm -rf "$work"; exit $status' EXIT
echo "[bench] network starting in $work/net ($node, client $bin, contracts of $CONTRACT)"
key="$work/alice.key"
"$bin" principal create --key-file "$key" >"$work/create.out"
id=$(sed -n 's/^principal: 0x//p' "$work/create.out")
until "$bin" principal register --key-file "$key" --signer //Alice >/dev/null 2>&1; do sleep 3; done
"$bin" principal claim-root --signer //Alice >/dev/null
head -c $((size << 20)) /dev/urandom >"$work/file.bin"
echo "[bench] waiting for the storage market: Alice's node under contract with the four others"
alice=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
until [ "$("$bin" storage contracts --account $alice 2>/dev/null | grep -c "client $alice")" -ge 4 ]; do sleep 3; done
until "$bin" file put "$work/file.bin" "/$id/bench.bin" --key-file "$key" >"$work/put.out" 2>"$work/put.err"; do
	grep -q "NotEnoughProviders" "$work/put.err" || { cat "$work/put.err" >&2; exit 1; }
	sleep 5
done
"$bin" file get "/$id/bench.bin" "$work/copy.bin" --key-file "$key" --rpc-url ws://127.0.0.1:9947 >"$work/get.out" 2>/dev/null
cmp -s "$work/file.bin" "$work/copy.bin" || { echo "[bench] the copy differs!" >&2; exit 1; }
python3 - "$size" "$work/put.out" "$work/get.out" <<'PY'
import re, sys
size = float(sys.argv[1])
def times(path):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r'^time: (.+?) ([0-9.]+)s$', open(path).read(), re.M)}
put, get = times(sys.argv[2]), times(sys.argv[3])
print(open(sys.argv[2]).read().strip())
print(f"put {size:.0f} MiB: {put['stored']:.2f}s wall -> {size / put['stored']:.0f} MiB/s to all fragments stored"
      f" (summed over parts: seal {put['seal']:.2f}s, upload {put['upload']:.2f}s, encode+record+push {put['encode, record and push']:.2f}s);"
      f" placements on chain +{put.get('placements on chain', 0):.2f}s")
print(f"get {size:.0f} MiB via another node: {get['fetched']:.2f}s wall -> {size / get['fetched']:.0f} MiB/s"
      f" (summed over parts: download {get['download']:.2f}s, open {get['open']:.2f}s)")
PY
