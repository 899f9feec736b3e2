#!/usr/bin/env bash
# check.sh BUILD ASAN_BUILD - the whole test suite: unit tests (normal and
# ASan/UBSan builds of lib/), a short libFuzzer run of the entry decoder and
# the lit tests of the plugin and the tool, and a real project (Lua, from
# its Debian source) built plain and through objcache, object by object.
# Ends with one summary line "check: N passed, N failed".
set -uo pipefail
build=${1:-build}
asan_build=${2:-build-asan}
tools=$(grep -oP '(?<=^config.llvm_tools_dir = ")[^"]*' \
  "$build/test/lit/lit.site.cfg.py")
jobs=$(nproc)
passed=0
failed=0

count() { # count LOG: adds the "N tests passed/failed" of a ctest or lit log
  local log=$1 p f
  if grep -q 'tests passed' "$log"; then # ctest
    p=$(grep -oP '\d+(?= tests failed out of)' "$log" | tail -1)
    f=$p
    p=$(grep -oP '(?<=out of )\d+' "$log" | tail -1)
    p=$((p - f))
  else # lit
    p=$(grep -oP '^\s*(Passed|Expectedly Failed)\s*:\s*\K\d+' "$log" |
      awk '{s += $1} END {print s + 0}')
    f=$(grep -oP '^\s*(Failed|Unexpectedly Passed|Unresolved|Timed Out)\s*:\s*\K\d+' "$log" |
      awk '{s += $1} END {print s + 0}')
  fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== unit tests"
ctest --test-dir "$build" --output-on-failure -j "$jobs" | tee "$logs/unit"
count "$logs/unit"

echo "== unit tests under ASan/UBSan"
if cmake -S . -B "$asan_build" ${CMAKE_FLAGS:--G Ninja} -DOBJCACHE_SANITIZE=ON >/dev/null &&
  cmake --build "$asan_build" >"$logs/asan-build" 2>&1; then
  ctest --test-dir "$asan_build" --output-on-failure -j "$jobs" | tee "$logs/asan"
  count "$logs/asan"
else
  cat "$logs/asan-build"
  echo "ASan build failed"
  failed=$((failed + 1))
fi

echo "== fuzz: entry and manifest decoders (20 s each), direct record decoder and text parsers (10 s each), counted as one test"
if test/fuzz/run_fuzz.sh "$build/fuzz" 20 >"$logs/fuzz" 2>&1; then
  tail -n 9 "$logs/fuzz"
  passed=$((passed + 1))
else
  tail -n 60 "$logs/fuzz"
  echo "a fuzz target failed (inputs that crash are in $build/fuzz)"
  failed=$((failed + 1))
fi

echo "== lit tests"
"$tools/lit" -sv -j "$jobs" "$build/test/lit" | tee "$logs/lit"
count "$logs/lit"

echo "== real project: lua5.4 plain vs objcache (utils/bench/check.sh)"
utils/bench/check.sh "$build" 2>&1 | tee "$logs/bench"
p=$(grep -c '^PASS: ' "$logs/bench")
f=$(grep -c '^FAIL: ' "$logs/bench")
# A run that died before its summary (no network, a build error) fails.
grep -q '^bench-check: ' "$logs/bench" || f=$((f + 1))
passed=$((passed + p))
failed=$((failed + f))

echo "check: $passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
