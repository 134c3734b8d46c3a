#!/usr/bin/env bash
# Checks the [built]/[planned] marks of docs/architecture.md against the workspace, so that the
# document cannot claim a component that does not exist or call a built one planned. No cargo:
# it reads Cargo.toml and the directory tree.
#
#   scripts/check-docs.sh [DOC]        default docs/architecture.md
#
# The marks it reads (the syntax is described at the top of docs/architecture.md):
#   - **Name** (`dir`, [built]) ...      a component, one per list item
#   - **Name** (`dir`, [planned]) ...
#   ## Heading [built: `dir`, `dir`]     a section about built components
# Rules:
#   built:   the path exists; if it holds a Cargo.toml, it is a workspace member.
#   planned: the path is not a workspace member; a path without a Cargo.toml (a module, a web
#            app) does not exist yet (once it does, mark it built).
#   every workspace member is listed as a component marked built.
# Exits 1 with one line per mismatch (file:line: what is wrong and what to do).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
doc=${1:-docs/architecture.md}
[ -f "$doc" ] || { echo "check-docs: no $doc" >&2; exit 2; }

# Workspace members: the quoted strings of `members = [...]` in [workspace] (one or more lines).
mapfile -t members < <(awk '
	/^\[/ { in_ws = ($0 == "[workspace]") }
	in_ws && /^[ \t]*members[ \t]*=/ { collecting = 1 }
	collecting {
		line = $0
		while (match(line, /"[^"]*"/)) {
			print substr(line, RSTART + 1, RLENGTH - 2)
			line = substr(line, RSTART + RLENGTH)
		}
		if ($0 ~ /\]/) collecting = 0
	}
' Cargo.toml)
[ "${#members[@]}" -gt 0 ] || { echo "check-docs: found no workspace members in Cargo.toml" >&2; exit 2; }

norm() { local p=${1#./}; p=${p%/}; printf '%s' "$p"; }
is_member() {
	local m
	for m in "${members[@]}"; do [ "$(norm "$m")" = "$1" ] && return 0; done
	return 1
}

errors=0
checked=0
fail() { echo "$doc:$1: $2" >&2; errors=$((errors + 1)); }

check_mark() { # line mark path
	local line=$1 mark=$2 path
	path=$(norm "$3")
	checked=$((checked + 1))
	case $mark in
	built)
		if [ ! -e "$path" ]; then
			fail "$line" "\`$path\` is marked [built] but does not exist: mark it [planned] or fix the path"
		elif [ -f "$path/Cargo.toml" ] && ! is_member "$path"; then
			fail "$line" "\`$path\` is marked [built] but is not a workspace member: add it to members in Cargo.toml or mark it [planned]"
		fi
		;;
	planned)
		if is_member "$path"; then
			fail "$line" "\`$path\` is marked [planned] but is a workspace member (Cargo.toml): mark it [built]"
		elif [ -e "$path" ] && [ ! -f "$path/Cargo.toml" ]; then
			fail "$line" "\`$path\` is marked [planned] but exists: mark it [built]"
		fi
		;;
	esac
}

# Components: `- **Name** (`path`, [built|planned]...`.
built_components=()
while IFS='|' read -r line mark path; do
	check_mark "$line" "$mark" "$path"
	[ "$mark" != built ] || built_components+=("$(norm "$path")")
done < <(grep -nE '^[[:space:]]*- \*\*[^*]+\*\* \(`[^`]+`, \[(built|planned)\]' "$doc" |
	sed -E 's/^([0-9]+):[[:space:]]*- \*\*[^*]+\*\* \(`([^`]+)`, \[(built|planned)\].*/\1|\3|\2/')
[ "$checked" -gt 0 ] || fail 1 "no component marks found (- **Name** (\`dir\`, [built]) ...): was the syntax changed?"

# Headings: `#... [built: `path`, `path`]` (or planned).
while IFS= read -r entry; do
	line=${entry%%:*}
	text=${entry#*:}
	mark=$(sed -E 's/.*\[(built|planned): .*/\1/' <<<"$text")
	inside=$(sed -E 's/.*\[(built|planned): ([^]]*)\].*/\2/' <<<"$text")
	found=0
	while IFS= read -r path; do
		[ -n "$path" ] || continue
		found=1
		check_mark "$line" "$mark" "$path"
	done < <(grep -oE '`[^`]+`' <<<"$inside" | tr -d '`')
	[ "$found" = 1 ] || fail "$line" "heading mark without a \`path\`: write [$mark: \`dir\`, ...]"
done < <(grep -nE '^#+ .*\[(built|planned): ' "$doc" || true)

# Every workspace member is a built component.
for m in "${members[@]}"; do
	m=$(norm "$m")
	listed=0
	for c in "${built_components[@]}"; do [ "$c" = "$m" ] && listed=1; done
	[ "$listed" = 1 ] || fail 1 "workspace member \`$m\` is not a [built] component: list it as \"- **Name** (\`$m\`, [built]): ...\" in \"The parts\""
done

if [ "$errors" -gt 0 ]; then
	echo "check-docs: $errors mark(s) of $doc disagree with the workspace" >&2
	exit 1
fi
echo "check-docs: $checked marks in $doc agree with the workspace (${#members[@]} members)"
