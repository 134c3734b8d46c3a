#!/usr/bin/env bash
# Storage-path benchmarks (release build, one core per measurement): erasure coding with both
# candidate crates side by side, at the chain's common shapes. Prints MiB/s per shape.
#
#   scripts/bench/storage.sh
#
# Results and their reading: docs/performance.md. The raw criterion output stays in
# /tmp/blocktree-codec-bench.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "[bench] cargo bench -p blocktree-storage --bench codec (release build first time: several minutes)"
cargo bench -p blocktree-storage --bench codec >/tmp/blocktree-codec-bench.log 2>&1
python3 - /tmp/blocktree-codec-bench.log <<'PY'
import re, sys
res, name = {}, None
for line in open(sys.argv[1]):
    m = re.match(r'^(erasure/\S+)', line)
    if m:
        name = m.group(1)
    t = re.search(r'thrpt:\s+\[\S+ \S+ (\S+) (\S+) ', line)
    if name and t and '%' not in line:
        res[name] = float(t.group(1)) * (1024 if t.group(2) == 'GiB/s' else 1)
        name = None
print(f"{'shape':9} {'rse enc':>8} {'rse dec':>8} {'rss enc':>8} {'rss dec':>8} {'coder enc':>10}   (MiB/s of original data, one core)")
for shape in ['2_of_3', '4_of_6', '16_of_18', '3_of_10']:
    g = lambda k: res.get(f'erasure/{k}/{shape}', 0)
    print(f"{shape:9} {g('rse_encode'):8.0f} {g('rse_decode'):8.0f} {g('rss_encode'):8.0f} {g('rss_decode'):8.0f} {g('coder_encode'):10.0f}")
PY
