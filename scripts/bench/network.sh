# Sourced by the end-to-end benchmarks: starts the five-node loopback network
# (scripts/local-network.sh) in a fresh $work directory with the node binary $node
# ($BLOCKTREE_NODE, else the debug build) and the client $bin ($BLOCKTREE_CLIENT, else beside
# the node), registers Alice's principal ($key, $id) and waits until her node is under
# contract with the four others. Needs CONTRACT and CAPACITY set; `cleanup_extra`, if
# defined, runs first at exit.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
node=${BLOCKTREE_NODE:-$target_dir/debug/blocktree-node}
bin=${BLOCKTREE_CLIENT:-$(dirname "$node")/blocktree}
export BLOCKTREE_NODE=$node BLOCKTREE_PASSWORD="benchmark password" CONTRACT CAPACITY
work=$(mktemp -d /tmp/blocktree-bench.XXXXXX)
bash scripts/local-network.sh "$work/net" >"$work/network.log" 2>&1 &
net=$!
# `|| true`: under `set -e` a failing command in the trap (wait on the killed network) would
# replace the script's own status.
trap 'status=$?; declare -F cleanup_extra >/dev/null && cleanup_extra; kill $net 2>/dev/null || true; wait $net 2>/dev/null || true; rm -rf "$work"; exit $status' EXIT
echo "[bench] network starting in $work/net ($node, client $bin, contracts of $CONTRACT)"
key="$work/alice.key"
"$bin" principal create --key-file "$key" >"$work/create.out"
id=$(sed -n 's/^principal: 0x//p' "$work/create.out")
until "$bin" principal register --key-file "$key" --signer //Alice >/dev/null 2>&1; do sleep 3; done
"$bin" principal claim-root --signer //Alice >/dev/null
echo "[bench] waiting for the storage market: Alice's node under contract with the four others"
alice=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
until [ "$("$bin" storage contracts --account $alice 2>/dev/null | grep -c "client $alice")" -ge 4 ]; do sleep 3; done
