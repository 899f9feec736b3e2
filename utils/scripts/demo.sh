#!/usr/bin/env bash
# demo.sh BUILD - builds a small multi-file C program twice through objcache
# with a fresh cache (the second time a clean rebuild), shows that the second
# build is served entirely from the cache, and checks every object against a
# plain clang build.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/../../test/lit/Inputs" && pwd)
objcache=$build/bin/objcache
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OBJCACHE_DIR=$work/cache

sources=(main.c sort.c strings.c vec.c)
build_once() { # build_once DIR CC...
  local dir=$1
  shift
  mkdir -p "$dir"
  for s in "${sources[@]}"; do
    "$@" -O2 -g -c "$src/$s" -o "$dir/${s%.c}.o"
  done
  "$@" "$dir"/main.o "$dir"/sort.o "$dir"/strings.o "$dir"/vec.o -o "$dir/demo"
}

echo "== plain clang-22 build"
time build_once "$work/plain" clang-22
echo "== first build through objcache (cold cache: all misses)"
time build_once "$work/out" "$objcache" clang-22
echo "== clean rebuild through objcache (warm cache)"
rm -rf "$work/out"
"$objcache" --zero-stats >/dev/null
time build_once "$work/out" "$objcache" clang-22
echo
"$objcache" --show-stats
echo
for s in "${sources[@]}"; do
  o=${s%.c}.o
  cmp "$work/plain/$o" "$work/out/$o"
done
echo "All ${#sources[@]} objects of the warm build are byte-identical to plain clang's."
"$work/out/demo"
# A direct hit (clang not started) or an IR-level hit (clang stopped
# after the front end) both count.
hits=$("$objcache" --print-stats |
  awk -F'\t' '$1 == "hits" || $1 == "direct_hits" { n += $2 } END { print n }')
if [[ $hits -ne ${#sources[@]} ]]; then
  echo "demo: expected ${#sources[@]} hits in the second build, got $hits" >&2
  exit 1
fi
echo "The second build was served entirely from the cache (${hits} hits)."
