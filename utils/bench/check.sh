#!/usr/bin/env bash
# check.sh BUILD - the benchmark's correctness subset, run by `make check`:
# builds Lua 5.4 from its Debian source at -O2 and at -O0 -g with plain
# clang-22, then through the objcache launcher cold and warm and through
# -fpass-plugin warm, and checks that every object is byte-identical to
# plain clang's, that cold builds miss and warm builds hit on every
# compile, and that the cached interpreter passes its smoke test. No
# timing. Prints "PASS: ..." / "FAIL: ..." lines and a summary line.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
root=$(realpath "$here/../..")
# shellcheck source=utils/bench/lib.sh
source "$here/lib.sh"
"$root/utils/scripts/bootstrap.sh" time dpkg-dev patch
# Its own directory, so that it can run while `make bench` does.
bench_init "${1:-build}" bench-check
passed=0
failed=0

result() { # result NAME COMMAND...: one PASS or FAIL line
  local name=$1
  shift
  if "$@"; then
    echo "PASS: $name"
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}

identical() { # identical TAG: every object of TAG equals plain clang's
  local r
  r=$(bench_compare lua5.4 plain "$1")
  [[ ${r% *} == "${r#* }" && ${r#* } -gt 0 ]]
}

counted() { # counted WANT_HITS WANT_MISSES: objcache's counters match
  local hits misses
  hits=$("$objcache" --print-stats | awk '$1 == "hits" || $1 == "direct_hits" { s += $2 } END { print s + 0 }')
  misses=$("$objcache" --print-stats | awk '$1 == "misses" { print $2 }')
  [[ $hits == "$1" && $misses == "$2" ]] ||
    { echo "objcache: $hits hits, $misses misses; want $1, $2" && false; }
}

bench_fetch lua5.4
for opt in "-O2" "-O0 -g"; do
  bench_fresh lua5.4
  bench_build lua5.4 plain "$opt" /dev/null
  bench_save lua5.4 plain
  n=$(find "$bench/objs/lua5.4/plain" -name '*.o' | wc -l)
  bench_clear
  for mode in objcache-cold objcache-warm plugin-warm; do
    "$objcache" -z >/dev/null
    bench_fresh lua5.4
    bench_build lua5.4 "$mode" "$opt" /dev/null
    bench_save lua5.4 "$mode"
    result "lua5.4 $opt $mode: $n objects identical to plain clang's" \
      identical "$mode"
    if [[ $mode == *-cold ]]; then
      result "lua5.4 $opt $mode: every compile misses" counted 0 "$n"
    else
      result "lua5.4 $opt $mode: every compile hits" counted "$n" 0
    fi
  done
  result "lua5.4 $opt: the cached lua and luac pass the smoke test" \
    bench_smoke lua5.4
done
echo "bench-check: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
