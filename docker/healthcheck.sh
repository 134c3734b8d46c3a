#!/usr/bin/env bash
# Health check of a blocktree-node container, without curl: an HTTP GET of `/health` on the
# node's JSON-RPC port over bash's /dev/tcp. polkadot-sdk's RPC server answers `GET /health`
# with the result of `system_health` (200 while the node runs), and `GET /health/readiness`
# with 200 only when the node is not syncing and has peers (or is not expected to have any).
#
#   blocktree-healthcheck [--ready] [PORT]     PORT: the node's --rpc-port (default 9944)
#
# Installed in the image as /usr/local/bin/blocktree-healthcheck (docker/Dockerfile).
set -euo pipefail
path=/health
if [ "${1:-}" = --ready ]; then
	path=/health/readiness
	shift
fi
port=${1:-9944}
exec 3<>"/dev/tcp/127.0.0.1/$port"
# The RPC server filters Host headers when --rpc-cors is not `all`; localhost:<port> always passes.
printf 'GET %s HTTP/1.1\r\nHost: localhost:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
status=""
IFS= read -r -t 5 status <&3 || true
exec 3<&-
case $status in
"HTTP/1."?" 200"*) exit 0 ;;
*)
	echo "blocktree-node RPC on port $port: GET $path answered '${status%$'\r'}'" >&2
	exit 1
	;;
esac
