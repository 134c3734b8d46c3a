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
# Every provider's contract must hold its share: n/k of the file over four providers, rounded up.
contract=$(( (size * 2 / 3 + 64) ))MiB
CONTRACT=${CONTRACT:-$contract} CAPACITY=${CAPACITY:-$(( size * 2 + 1024 ))MiB}
source scripts/bench/network.sh
head -c $((size << 20)) /dev/urandom >"$work/file.bin"
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
