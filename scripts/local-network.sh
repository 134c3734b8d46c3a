#!/usr/bin/env bash
# Starts a storage network on this machine's loopback: the four validators of the `local` chain
# (alice, bob, charlie, dave) and eve, a node that only stores. Every node offers storage
# (--storage-capacity), opens a contract with every other offer (--storage-auto-contract) and
# registers its loopback address as its endpoint, so that within a minute each account can store
# files on the others. Stops the nodes on Ctrl-C.
#
#   scripts/local-network.sh [DIR]      state and logs in DIR (default: a new temporary dir)
#
# JSON-RPC: alice ws://127.0.0.1:9944, bob 9945, charlie 9946, dave 9947, eve 9948.
# Store and fetch a file as Alice (see README.md, "Storing a file"):
#   blocktree principal create --key-file alice.key
#   blocktree principal register --key-file alice.key --signer //Alice
#   blocktree principal claim-root --signer //Alice
#   blocktree file put report.pdf /<alice's id>/report.pdf --key-file alice.key
#   blocktree file get /<alice's id>/report.pdf copy.pdf --key-file alice.key --rpc-url ws://127.0.0.1:9947
#
# The binary: $BLOCKTREE_NODE, else the debug build in the shared target directory (build it
# with `cargo build -p blocktree-node -p blocktree-client`, the client for the commands
# above). Environment: CAPACITY (default 1GiB), CONTRACT (256MiB).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin=${BLOCKTREE_NODE:-$target_dir/debug/blocktree-node}
[ -x "$bin" ] || { echo "[local-network] no node binary at $bin: run 'cargo build -p blocktree-node' first" >&2; exit 1; }
dir=${1:-$(mktemp -d /tmp/blocktree-net.XXXXXX)}
mkdir -p "$dir"
names=(alice bob charlie dave eve)
pids=()
stop() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "[local-network] stopped; state and logs stay in $dir"
}
trap stop EXIT INT TERM

bootnode=""
for i in "${!names[@]}"; do
	name=${names[$i]}
	printf '%064x' $((i + 1)) >"$dir/node-key-$name"
	peer=$("$bin" key inspect-node-key --file "$dir/node-key-$name")
	p2p=$((30333 + i))
	rpc=$((9944 + i))
	[ -n "$bootnode" ] || bootnode="/ip4/127.0.0.1/tcp/$p2p/p2p/$peer"
	"$bin" --chain local "--$name" --base-path "$dir/$name" --node-key-file "$dir/node-key-$name" \
		--port "$p2p" --rpc-port "$rpc" --bootnodes "$bootnode" --no-mdns --no-telemetry \
		--no-prometheus --public-addr "/ip4/127.0.0.1/tcp/$p2p" \
		--storage-capacity "${CAPACITY:-1GiB}" --storage-auto-contract "${CONTRACT:-256MiB}" \
		>"$dir/$name.log" 2>&1 &
	pids+=($!)
	echo "[local-network] $name: ws://127.0.0.1:$rpc, log $dir/$name.log"
done
echo "[local-network] running; Ctrl-C stops all nodes"
wait
