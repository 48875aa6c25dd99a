#!/bin/sh
# layers.sh - check that each source folder depends only on the folders
# below it (doc/layout.md).  Two checks:
#   1. includes: every #include "x.h" in FOLDER/*.{c,h,y,l} must name a
#      header of FOLDER itself or of a folder FOLDER may use;
#   2. calls: with object files built (pass the build directory), every
#      symbol a folder's objects use from another folder's objects must come
#      from a folder it may use (nm), so a call cycle is caught even where
#      a prototype was written by hand instead of included.
# usage: layers.sh SRCDIR [BUILDDIR]; exit 0 clean, 1 violation(s).
set -u
src=${1:?usage: layers.sh SRCDIR [BUILDDIR]}
build=${2:-}

# FOLDER: the folders it may use (besides itself).  Lower layers first.
rules='
util:
elf: util
bytecode: util
compiler: bytecode elf util
vm: bytecode util
python: vm bytecode elf util
ptrace: elf util
agent:
session: ptrace python vm bytecode elf agent util
cli: session compiler python vm bytecode elf util
'
folders=$(echo "$rules" | sed -n 's/^\([a-z]*\):.*/\1/p')
allowed() {	# allowed FROM TO
	[ "$1" = "$2" ] && return 0
	uses=$(echo "$rules" | sed -n "s/^$1: *//p")
	for u in $uses; do [ "$u" = "$2" ] && return 0; done
	return 1
}
bad=0
# header name -> folder
hdrmap=$(for f in $folders; do
	for h in "$src/$f"/*.h; do
		[ -f "$h" ] && echo "$(basename "$h") $f"
	done
done)
# generated headers
hdrmap="$hdrmap
parser.h compiler"
for f in $folders; do
	for file in "$src/$f"/*.c "$src/$f"/*.h "$src/$f"/*.y "$src/$f"/*.l; do
		[ -f "$file" ] || continue
		for inc in $(sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$file"); do
			base=$(basename "$inc")
			to=$(echo "$hdrmap" | awk -v h="$base" '$1 == h { print $2; exit }')
			if [ -z "$to" ]; then
				case $inc in
				tapsets_builtin.c|config.h) continue ;;
				esac
				echo "layers: ${file#$src/}: includes \"$inc\", which is in no source folder" >&2
				bad=1
				continue
			fi
			if ! allowed "$f" "$to"; then
				echo "layers: ${file#$src/}: includes \"$inc\" ($to/): $f/ may use only: $(echo "$rules" | sed -n "s/^$f: *//p")" >&2
				bad=1
			fi
		done
	done
done
if [ -n "$build" ]; then
	tmp=$(mktemp -d) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	for f in $folders; do
		ls "$build/$f"/*.o >/dev/null 2>&1 || continue
		nm --defined-only -g "$build/$f"/*.o 2>/dev/null |
			awk -v f="$f" 'NF == 3 { print $3, f }' >> "$tmp/defs"
	done
	for f in $folders; do
		ls "$build/$f"/*.o >/dev/null 2>&1 || continue
		nm -u "$build/$f"/*.o 2>/dev/null | awk 'NF == 2 { print $2 }' |
			sort -u > "$tmp/undef"
		while read -r sym; do
			to=$(awk -v s="$sym" '$1 == s { print $2; exit }' "$tmp/defs")
			[ -n "$to" ] || continue
			if ! allowed "$f" "$to"; then
				echo "layers: $f/ calls $sym of $to/: $f/ may use only: $(echo "$rules" | sed -n "s/^$f: *//p")" >&2
				bad=1
			fi
		done < "$tmp/undef"
	done
fi
[ $bad = 0 ] && echo "layers: ok ($(echo $folders | wc -w) folders)"
exit $bad
