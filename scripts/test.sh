#!/usr/bin/env bash
# Sets up this machine (scripts/setup.sh) and runs every test of the workspace with
# cargo-nextest: primitives and runtime tests, node end-to-end tests that start the real
# blocktree-node binary, the @polkadot/api client test and the four-validator network test.
# The last lines are nextest's summary.
#
#   scripts/test.sh                 all tests
#   scripts/test.sh -E 'test(dev)'  extra arguments go to `cargo nextest run`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# A second run must find nothing to do (setup is idempotent and records what it did).
bash scripts/setup.sh --check
export PATH="$HOME/.cargo/bin:$PATH"
echo "[test] docs/architecture.md's [built]/[planned] marks against the workspace"
bash scripts/check-docs.sh
echo "[test] pallet benchmarks as tests (runtime-benchmarks feature)"
cargo nextest run --no-fail-fast -p pallet-principals -p pallet-endpoints -p pallet-storage-contracts -p pallet-fragments \
	--features runtime-benchmarks -E 'test(/^benchmarking::/)'
echo "[test] building and running the tests (a cold build takes ~25 min on 2 cores)"
exec cargo nextest run --workspace --no-fail-fast "$@"
