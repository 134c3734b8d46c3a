#!/usr/bin/env bash
# The FUSE mount against the direct route and the local disk, on a five-node loopback network
# (scripts/local-network.sh), with fio:
#   - sequential write and read of a SIZE_MIB MiB file (1 MiB requests; the write ends with
#     fsync, which is when the mount stores it), MiB/s;
#   - 4 KiB random reads of that file for 20 s, IOPS;
#   - metadata: files created (each one stored on close), stats and directory listings per
#     second;
# through a blocktree-fuse mount of Alice's tree (her node), next to the same work through the
# `blocktree file put | get | read` CLI (direct RPC) and on the local disk. Prints one table.
#
#   scripts/bench/fuse.sh [SIZE_MIB]        default 64
#
# The binaries: $BLOCKTREE_NODE, $BLOCKTREE_CLIENT and $BLOCKTREE_FUSE (e.g. release builds),
# else the debug builds. Installs fio (Debian) if missing. Numbers and their reading:
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-64}
if ! command -v fio >/dev/null; then
	echo "[bench] installing fio"
	$([ "$(id -u)" = 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fio >/dev/null
fi
CONTRACT=${CONTRACT:-$(( size * 3 + 128 ))MiB} CAPACITY=${CAPACITY:-$(( size * 8 + 1024 ))MiB}
cleanup_extra() { [ -z "${mnt:-}" ] || fusermount3 -u "$mnt" 2>/dev/null || true; }
source scripts/bench/network.sh
fuse=${BLOCKTREE_FUSE:-$(dirname "$node")/blocktree-fuse}
mnt=$work/mnt
mkdir -p "$mnt" "$work/disk"

mount_tree() {
	"$fuse" "$mnt" --key-file "$key" >"$work/fuse.log" 2>&1 &
	until grep -q " $mnt " /proc/self/mountinfo; do sleep 0.2; done
}
unmount_tree() {
	fusermount3 -u "$mnt"
	while grep -q " $mnt " /proc/self/mountinfo; do sleep 0.2; done
}

# fio JOB DIR NAME ARGS...: one fio job, its JSON result in $work/NAME-JOB.json.
run_fio() {
	local job=$1 dir=$2 name=$3
	shift 3
	fio --name="$job" --directory="$dir" --filename=bench.bin --size="${size}M" --ioengine=psync \
		--output-format=json --output="$work/$name-$job.json" "$@" >/dev/null
}
# metadata DIR NAME: files created, stats and listings per second, as JSON in $work/NAME-meta.json.
metadata() {
	python3 - "$1" "$work/$2-meta.json" <<'PY'
import json, os, sys, time
d, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(d, "meta"), exist_ok=True)
t = time.time()
for i in range(5):
    with open(os.path.join(d, "meta", f"f{i}"), "w") as f:
        f.write("x")
creates = 5 / (time.time() - t)
t = time.time()
for i in range(2000):
    os.stat(os.path.join(d, "meta", f"f{i % 5}"))
stats = 2000 / (time.time() - t)
t = time.time()
for i in range(200):
    os.listdir(os.path.join(d, "meta"))
listings = 200 / (time.time() - t)
json.dump({"creates": creates, "stats": stats, "listings": listings}, open(out, "w"))
PY
}

echo "[bench] local disk"
run_fio write "$work/disk" disk --rw=write --bs=1M --end_fsync=1
run_fio read "$work/disk" disk --rw=read --bs=1M --invalidate=1
run_fio randread "$work/disk" disk --rw=randread --bs=4k --time_based --runtime=20 --invalidate=1
metadata "$work/disk" disk

echo "[bench] the mount (writes are stored when fsync/close publishes them)"
mount_tree
run_fio write "$mnt" mount --rw=write --bs=1M --end_fsync=1
unmount_tree
mount_tree
run_fio read "$mnt" mount --rw=read --bs=1M
run_fio randread "$mnt" mount --rw=randread --bs=4k --time_based --runtime=20
metadata "$mnt" mount
unmount_tree

echo "[bench] the CLI (direct RPC): put, get, and 4 KiB reads at random offsets"
head -c $((size << 20)) /dev/urandom >"$work/direct.bin"
t0=$(date +%s.%N)
cli() { "$bin" "$@" --key-file "$key" >/dev/null 2>"$work/cli.err" || { cat "$work/cli.err" >&2; exit 1; }; }
cli file put "$work/direct.bin" "/$id/direct.bin"
t1=$(date +%s.%N)
cli file get "/$id/direct.bin" "$work/direct-copy.bin"
t2=$(date +%s.%N)
cmp -s "$work/direct.bin" "$work/direct-copy.bin" || { echo "[bench] the copy differs!" >&2; exit 1; }
reads=20
for i in $(seq $reads); do
	cli file read "/$id/direct.bin" --offset $(( (RANDOM * 32768 + RANDOM) % ((size << 20) - 4096) )) --len 4096
done
t3=$(date +%s.%N)

python3 - "$work" "$size" "$t0" "$t1" "$t2" "$t3" "$reads" <<'PY'
import json, sys
work, size, t0, t1, t2, t3, reads = sys.argv[1], float(sys.argv[2]), *map(float, sys.argv[3:7]), int(sys.argv[7])
def fio(name, job):
    j = json.load(open(f"{work}/{name}-{job}.json"))["jobs"][0]
    side = j["write"] if job == "write" else j["read"]
    return side["bw_bytes"] / (1 << 20), side["iops"]
meta = {n: json.load(open(f"{work}/{n}-meta.json")) for n in ("disk", "mount")}
rows = [
    ("sequential write MiB/s", fio("disk", "write")[0], fio("mount", "write")[0], size / (t1 - t0)),
    ("sequential read MiB/s", fio("disk", "read")[0], fio("mount", "read")[0], size / (t2 - t1)),
    ("4 KiB random read IOPS", fio("disk", "randread")[1], fio("mount", "randread")[1], reads / (t3 - t2)),
    ("creates/s (each stored)", meta["disk"]["creates"], meta["mount"]["creates"], None),
    ("stats/s", meta["disk"]["stats"], meta["mount"]["stats"], None),
    ("listings/s", meta["disk"]["listings"], meta["mount"]["listings"], None),
]
print(f"{'':28}{'local disk':>14}{'mount':>14}{'CLI / RPC':>14}")
for name, disk, mount, direct in rows:
    d = f"{direct:14.2f}" if direct is not None else f"{'-':>14}"
    print(f"{name:28}{disk:14.2f}{mount:14.2f}{d}")
print(f"mount sequential read / direct RPC get: {100 * fio('mount', 'read')[0] / (size / (t2 - t1)):.0f} %"
      " (the CLI's random reads are one process and connection each)")
PY
