#!/usr/bin/env bash
# run_fuzz.sh OUT_DIR [SECONDS] - builds the libFuzzer target for the entry
# decoder (test/fuzz/fuzz_entry.c plus the lib/ sources it needs) with
# clang-22 -fsanitize=fuzzer,address,undefined and runs it for a fixed time.
# New corpus entries go to OUT_DIR/corpus; test/fuzz/corpus holds the seeds.
# Exit status 0 when the build works and the run finds nothing.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run_fuzz.sh OUT_DIR [SECONDS]}
seconds=${2:-20}
cc=${OBJCACHE_FUZZ_CC:-clang-22}
mkdir -p "$out/corpus"

# shellcheck disable=SC2046
"$cc" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I"$src/include" \
  "$src/test/fuzz/fuzz_entry.c" "$src/lib/entry.c" "$src/lib/hash.c" \
  "$src/lib/buffer.c" "$src/lib/status.c" \
  $(pkg-config --cflags --libs libzstd) -lb2 -o "$out/fuzz_entry"

cd "$out" # crash-* artifacts land here
./fuzz_entry -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 corpus "$src/test/fuzz/corpus"
