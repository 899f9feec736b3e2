#!/usr/bin/env bash
# stress.sh WORK - many concurrent compiles of an overlapping set of files
# into one small cache. 40 files at -O1 and -O2 (80 keys), each compiled three
# times, all 240 compiles in random order by 8 parallel jobs (more than the
# cores), with max_size small enough (1 MiB: 4 KiB per shard) that shards
# fill up and evict while others read and write. Prints one summary line.
set -euo pipefail
work=$1
rm -rf "$work" && mkdir -p "$work/src" "$work/ref" "$work/out"
export OBJCACHE_DIR=$work/cache OBJCACHE_MAX_SIZE=1M OBJCACHE_LOGFILE=$work/log

for i in $(seq 1 40); do
  printf 'int f%d(int x) {\n  int s = 0;\n  for (int k = 0; k < x; k++)\n    s += k * %d ^ (s >> %d);\n  return s;\n}\n' \
    "$i" "$i" "$((i % 7 + 1))" > "$work/src/f$i.c"
done
jobs=()
for i in $(seq 1 40); do
  for level in 1 2; do
    "$OC_CLANG" -O$level -c "$work/src/f$i.c" -o "$work/ref/f$i-O$level.o"
    for n in 1 2 3; do jobs+=("$i $level $n"); done
  done
done

compile_one() {
  read -r i level n <<< "$1"
  "$OC_CLANG" -fpass-plugin="$OC_PLUGIN" -O"$level" -c "$work/src/f$i.c" \
    -o "$work/out/f$i-O$level.$n.o"
}
export -f compile_one
export work
printf '%s\n' "${jobs[@]}" | shuf | xargs -P 8 -I{} bash -c 'compile_one "{}"'

identical=0
for i in $(seq 1 40); do
  for level in 1 2; do
    for n in 1 2 3; do
      cmp -s "$work/ref/f$i-O$level.o" "$work/out/f$i-O$level.$n.o" &&
        identical=$((identical + 1))
    done
  done
done
counter() { "$OC_TOOL" --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }
outcomes=$(($(counter hits) + $(counter direct_hits) + $(counter misses) +
  $(counter uncacheable) + $(counter errors)))
temps=$(find "$work/cache/objects" -name '.tmp.*' | wc -l)
echo "compiles ${#jobs[@]}, identical $identical, outcomes $outcomes," \
  "log lines $(wc -l < "$work/log"), errors $(counter errors)," \
  "evicted $([[ $(counter evictions) -gt 0 ]] && echo some || echo none)," \
  "temp files $temps"
