#!/usr/bin/env bash
# End-to-end storage benchmark on a five-node loopback network (scripts/local-network.sh):
# Alice puts a file of SIZE_MIB MiB through her node with the `file` CLI (seal, upload, encode,
# record, push to the other four, placements on chain) and reads it back through Dave's node
# (fetch, decode if needed, open). Prints each phase's time and the throughput.
#
#   scripts/bench/storage-e2e.sh [SIZE_MIB]        default 60 (one block holds up to 63 MiB)
#
# The binary: $BLOCKTREE_NODE (e.g. a release build), else the debug build. Numbers and their
# reading: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-60}
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin=${BLOCKTREE_NODE:-$target_dir/debug/blocktree-node}
export BLOCKTREE_NODE=$bin BLOCKTREE_PASSWORD="benchmark password"
work=$(mktemp -d /tmp/blocktree-bench.XXXXXX)
bash scripts/local-network.sh "$work/net" >"$work/network.log" 2>&1 &
net=$!
# `|| true`: under `set -e` a failing command in the trap (wait on the killed network) would
# replace the script's own status.
trap 'status=$?; kill $net 2>/dev/null || true; wait $net 2>/dev/null || true; rm -rf "$work"; exit $status' EXIT
echo "[bench] network starting in $work/net ($bin)"
key="$work/alice.key"
"$bin" principal create --key-file "$key" >"$work/create.out"
id=$(sed -n 's/^principal: 0x//p' "$work/create.out")
until "$bin" principal register --key-file "$key" --signer //Alice >/dev/null 2>&1; do sleep 3; done
"$bin" principal claim-root --signer //Alice >/dev/null
head -c $((size << 20)) /dev/urandom >"$work/file.bin"
echo "[bench] waiting for the storage market (endpoints, offers, contracts)"
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
stored = put['seal'] + put['upload'] + put['encode, record and push']
print(f"put {size:.0f} MiB: seal {put['seal']:.2f}s, upload {put['upload']:.2f}s, encode+record+push {put['encode, record and push']:.2f}s"
      f" -> {size / stored:.0f} MiB/s to all fragments stored; placements on chain +{put.get('placements on chain', 0):.2f}s")
fetched = get['download'] + get['open']
print(f"get {size:.0f} MiB via another node: download {get['download']:.2f}s, open {get['open']:.2f}s -> {size / fetched:.0f} MiB/s")
PY
