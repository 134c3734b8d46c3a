#!/usr/bin/env bash
# Writes a copy of the Cargo workspace that has the real manifests but empty sources, so that
# `cargo build` on it compiles every dependency and nothing of ours. docker/Dockerfile builds it
# in a layer of its own: a change to the sources then rebuilds only the workspace crates, and
# the dependency layer is reused as long as no manifest, Cargo.lock or .cargo/config.toml
# changes (the copy is the same byte for byte, so Docker's cache matches it).
#
#   docker/stub-workspace.sh SRC OUT
#
# Copied as they are: Cargo.toml, Cargo.lock, .cargo/config.toml, and every crate's
# Cargo.toml. Stand-ins for every build target cargo would look for: `src/lib.rs` and any
# `[lib] path` get an empty library; `src/main.rs`, `src/bin/*.rs`, `benches/*.rs`,
# `tests/*.rs`, `examples/*.rs`, `build.rs` and any `[[bin]]`/`[[bench]]`/`[[test]]`/
# `[[example]]` path get `fn main() {}`. Benches declared by name only get `benches/<name>.rs`.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SRC OUT" >&2; exit 2; }
src=$(cd "$1" && pwd)
out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$src"

lib() { mkdir -p "$(dirname "$out/$1")"; : >"$out/$1"; }
bin() { mkdir -p "$(dirname "$out/$1")"; echo 'fn main() {}' >"$out/$1"; }

cp Cargo.toml Cargo.lock "$out/"
mkdir -p "$out/.cargo"
cp .cargo/config.toml "$out/.cargo/"

crates=0
while IFS= read -r manifest; do
	dir=$(dirname "$manifest")
	dir=${dir#./}
	[ "$dir" != "." ] || continue
	grep -q '^\[package\]' "$manifest" || continue
	mkdir -p "$out/$dir"
	cp "$manifest" "$out/$dir/Cargo.toml"
	crates=$((crates + 1))
	# Targets cargo discovers by itself.
	[ ! -f "$dir/src/lib.rs" ] || lib "$dir/src/lib.rs"
	for f in "$dir"/src/main.rs "$dir"/src/bin/*.rs "$dir"/benches/*.rs "$dir"/tests/*.rs \
		"$dir"/examples/*.rs "$dir"/build.rs; do
		[ ! -f "$f" ] || bin "$f"
	done
	# Targets the manifest names: `path = "..."` inside [lib] or [[bin|bench|test|example]],
	# and `[[bench]]` entries with a name and no path (cargo then wants benches/<name>.rs).
	awk -v dir="$dir" '
		function flush() { if (section == "bench" && name != "" && path == "") print "bin", dir "/benches/" name ".rs" }
		/^\[/ { flush(); section = ""; name = ""; path = "" }
		/^\[lib\]/ { section = "lib" }
		/^\[\[(bin|bench|test|example)\]\]/ { section = $0; gsub(/[][]/, "", section) }
		section != "" && /^name[ \t]*=/ { name = $0; sub(/^[^"]*"/, "", name); sub(/".*/, "", name) }
		section != "" && /^path[ \t]*=/ {
			path = $0; sub(/^[^"]*"/, "", path); sub(/".*/, "", path)
			print (section == "lib" ? "lib" : "bin"), dir "/" path
		}
		/^build[ \t]*=/ { b = $0; sub(/^[^"]*"/, "", b); sub(/".*/, "", b); print "bin", dir "/" b }
		END { flush() }
	' "$manifest" | while read -r kind file; do
		if [ "$kind" = lib ]; then lib "$file"; else bin "$file"; fi
	done
done < <(find . -name Cargo.toml -not -path './target/*' -not -path '*/node_modules/*' \
	-not -path './.git/*' | sort)

echo "[stub-workspace] $crates crates stubbed in $out"
