#!/usr/bin/env bash
# Sets up this machine (scripts/setup.sh), builds blocktree-node and starts a development
# chain: one validator (Alice) authoring a block every 6 s and finalizing it, state kept in a
# temporary directory, JSON-RPC on ws://127.0.0.1:9944.
#
#   scripts/dev-node.sh                    a throw-away dev chain
#   scripts/dev-node.sh --base-path ./dev  extra arguments go to blocktree-node
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
echo "[dev-node] building blocktree-node and the blocktree client (a cold build takes ~20 min on 2 cores)"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -p blocktree-node -p blocktree-client --bins
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
echo "[dev-node] binaries: $target_dir/debug/blocktree-node and $target_dir/debug/blocktree (add $target_dir/debug to PATH)"
if [ "$#" -eq 0 ]; then set -- --tmp; fi
exec "$target_dir/debug/blocktree-node" --dev --rpc-cors all "$@"
