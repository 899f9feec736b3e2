#!/usr/bin/env bash
# hit-matrix.sh WORK MODE FLAGS-FILE SOURCE...
# Compiles every SOURCE with every flag set of FLAGS-FILE (one per line, see
# hit-matrix.flags) three times, each into WORK/<n>/out.o from WORK/<n> (so
# the output path and working directory, which some flags write into the
# object, are the same): with plain clang, then twice through objcache with
# a private cache. MODE is
#   plugin    clang -fpass-plugin=objcache.so, with OBJCACHE_DEBUG=1 (the
#             hit path checks its own work first);
#   launcher  objcache clang ...; the second compile adds a warning option,
#             a new direct key for the same IR key: a direct miss that ends
#             in an IR-level hit.
# Both objcache compiles must exit 0, print no objcache warning and write
# plain clang's object byte for byte; the stats must show a miss then a hit
# (or two uncacheable compiles for a line starting with "uncacheable"; for
# one starting with "bitcode", two uncacheable compiles through the plugin
# flag and two misses, stored by the launcher, through the launcher).
# Prints one line per pair, in order: "ok ...", "skip ..." (plain clang
# rejects the flags on this machine) or "FAIL ...: why", then a summary.
# Runs two pairs at a time.
set -uo pipefail

if [[ ${1:-} == --job ]]; then
  work=$2 mode=$3 n=$4 src=$5 line=$6 inputs=$7
  d=$work/$n
  mkdir -p "$d" && cd "$d" || exit 1
  expect=hit
  if [[ $line == uncacheable\ * ]]; then
    expect=uncacheable
    line=${line#uncacheable }
  fi
  # Bitcode output (-flto): the plugin cannot cache it, the launcher does
  # (docs/design.md); each new direct key is then a miss, never an
  # IR-level hit.
  if [[ $line == bitcode\ * ]]; then
    expect=uncacheable
    [[ $mode == launcher ]] && expect=misses
    line=${line#bitcode }
  fi
  line=${line//@INPUTS@/$inputs}
  read -ra flags <<< "$line"
  name="$(basename "$src") ${line//$inputs\//}"
  result() { echo "$1 $name${2:+: $2}" > "$work/result.$n"; exit 0; }

  # What the launcher learns about the compiler once per cache, learnt
  # once for all pairs (only a speed-up: without it each pair learns it).
  if [[ $mode == launcher ]]; then
    mkdir -p cache && cp -r "$work/seed/compilers" cache/ 2> /dev/null
  fi
  env -u OBJCACHE_DIR "$OC_CLANG" "${flags[@]}" -c "$src" -o out.o \
    2> plain.err || result skip "plain clang rejects it"
  mv out.o plain.o
  # step NAME EXTRA-ARG...: one objcache compile, checked.
  step() {
    local what=$1 rc
    shift
    if [[ $mode == plugin ]]; then
      OBJCACHE_DIR=$d/cache OBJCACHE_DEBUG=1 "$OC_CLANG" \
        -fpass-plugin="$OC_PLUGIN" "${flags[@]}" "$@" -c "$src" -o out.o \
        2> "$what.err"
    else
      OBJCACHE_DIR=$d/cache "$OC_TOOL" "$OC_CLANG" "${flags[@]}" "$@" \
        -c "$src" -o out.o 2> "$what.err"
    fi
    rc=$?
    [[ $rc == 0 ]] ||
      result FAIL "$what exited $rc: $(grep -m1 -v '^ *$' "$what.err")"
    ! grep -q objcache: "$what.err" ||
      result FAIL "$what: $(grep -m1 objcache: "$what.err")"
    cmp -s plain.o out.o || result FAIL "$what: object differs from plain clang's"
    mv out.o "$what.o"
  }
  step first
  step second -Wno-unused-variable
  stats=$(OBJCACHE_DIR=$d/cache "$OC_TOOL" --print-stats |
    awk -F'\t' '$1 ~ /^(hits|direct_hits|misses|uncacheable|errors)$/ {
      printf "%s=%s ", $1, $2 }')
  if [[ $expect == hit ]]; then
    want="hits=1 direct_hits=0 misses=1 uncacheable=0 errors=0 "
  elif [[ $expect == misses ]]; then
    want="hits=0 direct_hits=0 misses=2 uncacheable=0 errors=0 "
  else
    want="hits=0 direct_hits=0 misses=0 uncacheable=2 errors=0 "
  fi
  [[ $stats == "$want" ]] || result FAIL "stats: $stats(want $want)"
  result ok
fi

work=$1 mode=$2 flagfile=$3
inputs=$(cd "$(dirname "$flagfile")" && pwd)
shift 3
rm -rf "$work" && mkdir -p "$work"
n=0
for src in "$@"; do
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    n=$((n + 1))
    printf '%s\0' --job "$work" "$mode" "$n" "$src" "$line" "$inputs"
  done < "$flagfile"
done > "$work/jobs"
if [[ $mode == launcher ]]; then
  mkdir -p "$work/seed"
  echo 'int seed;' > "$work/seed/seed.c"
  (cd "$work/seed" &&
    OBJCACHE_DIR=$work/seed "$OC_TOOL" "$OC_CLANG" -c seed.c -o seed.o)
fi
xargs -0 -n 7 -P 2 "$0" < "$work/jobs"
ok=0 skip=0 fail=0
for i in $(seq 1 "$n"); do
  if [[ -f $work/result.$i ]]; then
    r=$(cat "$work/result.$i")
  else
    r="FAIL job $i left no result"
  fi
  echo "$r"
  case $r in ok*) ok=$((ok + 1)) ;; skip*) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
done
echo "matrix: $n pairs, $ok ok, $skip skipped, $fail failed"
