#!/usr/bin/env bash
# record-cost.sh BASE_PLUGIN NEW_PLUGIN [ROUNDS] [FILES...]
# What keeping factor records on every compile costs a cold build: compiles
# FILES (default: objcache's own lib/*.c and utils/*.c, -O2) one at a time
# into an empty cache with each plugin, alternating, ROUNDS times (default
# 3), and prints the total wall time of each cold build and the median
# difference. BASE_PLUGIN is a build of the commit before the change (e.g.
# `git archive` it and build the objcache_plugin target). Not part of
# `make bench`: it answers one question, for docs/bench.md.
set -euo pipefail
base=$1 new=$2 rounds=${3:-3}
shift $(( $# >= 3 ? 3 : 2 ))
here=$(cd "$(dirname "$0")/../.." && pwd)
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=("$here"/lib/*.c "$here"/utils/*.c)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=${CC:-clang-22}
cold() { # cold PLUGIN: seconds for one cold build
  rm -rf "$work/cache" "$work/out" && mkdir -p "$work/out"
  local start end
  start=$(date +%s.%N)
  for f in "${files[@]}"; do
    OBJCACHE_DIR=$work/cache "$cc" -fpass-plugin="$1" -O2 -D_GNU_SOURCE \
      -I"$here/include" -I"$here/lib" -I"$here/build/include" \
      -c "$f" -o "$work/out/$(basename "$f").o"
  done
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
diffs=()
for ((r = 1; r <= rounds; r++)); do
  b=$(cold "$base") n=$(cold "$new")
  d=$(echo "scale=2; ($n - $b) * 100 / $b" | bc)
  diffs+=("$d")
  echo "round $r: base ${b}s new ${n}s (${d} %)"
done
printf '%s\n' "${diffs[@]}" | sort -g | awk '{a[NR]=$1} END {print "median difference: " a[int((NR+1)/2)] " %"}'
