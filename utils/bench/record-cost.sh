#!/usr/bin/env bash
# record-cost.sh BUILD BASE_PLUGIN [PROJECT] [ROUNDS] [OPTFLAGS]
# What keeping every compile's factor records costs a cold build (the
# history for --explain and --show-misses, and the writer record beside
# each entry, issue 15): builds PROJECT (default lua5.4; any of projects/)
# cold through the plugin, alternating BASE_PLUGIN (a build of the commit
# before the change: `git archive` it and build its objcache_plugin target)
# and BUILD's plugin, ROUNDS times (default 5), each into an empty cache, and
# prints wall and CPU (user+sys) seconds per build and the median
# difference of each. Uses the benchmark's fetched sources
# (BUILD/bench-cost/src). Then record_steps.c times the added steps
# in-process, without the noise of whole builds. Not part of `make bench`:
# it answers one question, recorded in docs/bench.md.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
source "$here/lib.sh"
bench_init "$1" bench-cost
base_plugin=$(realpath "$2") new_plugin=$plugin
project=${3:-lua5.4} rounds=${4:-5} opt=${5:--O2}
bench_fetch "$project"

one() { # one PLUGIN: "wall cpu" of a cold build
  plugin=$1
  rm -rf "$OBJCACHE_DIR"
  bench_fresh "$project"
  bench_build "$project" plugin-cold "$opt" "$bench/logs/time"
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$bench/logs/time"
}
walls=() cpus=()
for ((r = 1; r <= rounds; r++)); do
  read -r bw bc < <(one "$base_plugin")
  read -r nw nc < <(one "$new_plugin")
  dw=$(awk -v a="$bw" -v b="$nw" 'BEGIN {printf "%.2f", (b - a) * 100 / a}')
  dc=$(awk -v a="$bc" -v b="$nc" 'BEGIN {printf "%.2f", (b - a) * 100 / a}')
  walls+=("$dw") cpus+=("$dc")
  echo "round $r: base wall ${bw}s cpu ${bc}s | new wall ${nw}s cpu ${nc}s | wall ${dw} % cpu ${dc} %"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "$project $opt, $rounds rounds: median difference wall $(median "${walls[@]}") %, cpu $(median "${cpus[@]}") %"

# The added steps alone, in-process, with a record from the last build.
record=$(find "$OBJCACHE_DIR/history" -name last | head -n 1)
src=$(dirname "$here")/..
clang-22 -O2 -I"$src/include" -I"$build/include" "$here/record_steps.c" \
  "$build/lib/libobjcache_core.a" -lzstd -lb2 -lhiredis -o "$bench/record_steps"
rm -rf "$bench/steps-cache"
"$bench/record_steps" "$record" "$bench/steps-cache"
