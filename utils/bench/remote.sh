#!/usr/bin/env bash
# remote.sh [BUILD] [ROUNDS] - what a remote hit costs over a local hit.
#
# Starts a private redis-server on a free loopback TCP port (stopped on exit,
# however the script ends), uploads the objects of a few test sources, then
# compiles each file, round after round, twice in a row:
#   local:  against a cache dir that holds it (a local hit)
#   remote: against a cache dir that does not (a remote hit, with the copy
#           into the local store that a remote hit makes)
# and prints the median time of each and the median of the paired
# differences (pairing cancels the drift of a machine shared with other
# work). The compiles run one at a time: latencies, not throughput.
# Then remote_get.c times the same three lookups inside the store, without
# clang's start-up and its noise.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
rounds=${2:-15}
src=$root/test/lit/Inputs
clang=${OC_CLANG:-clang-22}
plugin=$build/lib/objcache.so
files=(sort strings vec main twice)

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 500); do
  redis-cli -p "$port" PING >/dev/null 2>&1 && break
  sleep 0.01
done
export OBJCACHE_REMOTE=redis://127.0.0.1:$port
cd "$work"

compile() { # compile CACHE_DIR FILE: with the plugin
  OBJCACHE_DIR=$1 "$clang" -fpass-plugin="$plugin" -O2 -c "$src/$2.c" -o "$2.o"
}
now_us() { date +%s%6N; }

for f in "${files[@]}"; do # uploads, and the local cache for the local hits
  compile "$work/warm" "$f"
done
# Each cold cache dir exists already, as on a developer's machine (one
# unrelated compile made it): a remote hit is then timed without the one-off
# creation of the cache directory and its stats files.
for r in $(seq "$rounds"); do
  OBJCACHE_DIR=$work/cold-$r "$clang" -fpass-plugin="$plugin" -O0 \
    -c "$src/twice-reformatted.c" -o setup.o
done
local_us=() remote_us=() diff_us=()
for r in $(seq "$rounds"); do
  for f in "${files[@]}"; do
    start=$(now_us)
    compile "$work/warm" "$f"
    middle=$(now_us)
    compile "$work/cold-$r" "$f"
    end=$(now_us)
    local_us+=($((middle - start)))
    remote_us+=($((end - middle)))
    diff_us+=($((end - middle - (middle - start))))
  done
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
hits=$(OBJCACHE_DIR=$work/cold-1 "$build/bin/objcache" --print-stats |
  awk '$1 == "remote_hits" {print $2}')
ms() { awk -v us="$1" 'BEGIN {printf "%.3f ms", us / 1000}'; }
echo "end to end, through clang ($rounds rounds of ${#files[@]} objects; remote hits in a cold round: $hits):"
echo "  local hit, median              $(ms "$(median "${local_us[@]}")")"
echo "  remote hit, median             $(ms "$(median "${remote_us[@]}")")"
echo "  remote minus local, median     $(ms "$(median "${diff_us[@]}")") per object"

# The store alone: build remote_get.c against this build's core library.
"$clang" -O2 -std=c11 -D_GNU_SOURCE -I"$root/include" -I"$build/include" \
  "$root/utils/bench/remote_get.c" "$build/lib/libobjcache_core.a" \
  $(pkg-config --libs libzstd hiredis) -lb2 -o "$work/remote_get"
"$work/remote_get" "$OBJCACHE_REMOTE" "$work/store" 300
