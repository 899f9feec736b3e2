#!/usr/bin/env bash
# run_fuzz.sh OUT_DIR [SECONDS] - builds the libFuzzer targets for the
# decoders of untrusted bytes, the entry decoder (test/fuzz/fuzz_entry.c),
# decoders of untrusted bytes, the entry decoder (test/fuzz/fuzz_entry.c),
# the direct-mode manifest decoder (test/fuzz/fuzz_manifest.c), the direct
# record decoder (test/fuzz/fuzz_record.c) and the text parsers
# (test/fuzz/fuzz_parsers.c: conf, stats, URL, history, launcher
# arguments), each with the sources it needs and clang-22
# -fsanitize=fuzzer,address,undefined, and runs each for SECONDS (the
# record decoder and the parsers for half as long: they are small) under a
# memory limit. New corpus entries go to OUT_DIR/<target>-corpus;
# test/fuzz/corpus, test/fuzz/manifest-corpus, test/fuzz/record-corpus and
# test/fuzz/parsers-corpus hold the seeds.
# Exit status 0 when the builds work and no run finds anything.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run_fuzz.sh OUT_DIR [SECONDS]}
seconds=${2:-20}
cc=${OBJCACHE_FUZZ_CC:-clang-22}
mkdir -p "$out/entry-corpus" "$out/manifest-corpus" "$out/record-corpus" \
  "$out/parsers-corpus"

build() { # build NAME SOURCES...
  local name=$1
  shift
  # shellcheck disable=SC2046
  "$cc" -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$src/include" -I"$src/lib/support" -I"$src/lib/store" \
    -I"$src/lib/remote" -I"$src/lib/direct" -I"$src/lib/compile" "$@" "$src/lib/support/hash.c" "$src/lib/support/buffer.c" \
    "$src/lib/support/status.c" $(pkg-config --cflags --libs libzstd) -lb2 \
    -o "$out/$name"
}
build fuzz_entry "$src/test/fuzz/fuzz_entry.c" "$src/lib/store/entry.c"
build fuzz_manifest "$src/test/fuzz/fuzz_manifest.c" "$src/lib/direct/manifest.c" \
  "$src/lib/direct/replay.c"
build fuzz_record "$src/test/fuzz/fuzz_record.c" "$src/lib/direct/direct_record.c" \
  "$src/lib/direct/direct_lookup.c" "$src/lib/support/fsutil.c" "$src/lib/direct/manifest.c" \
  "$src/lib/direct/replay.c"
build fuzz_parsers "$src/test/fuzz/fuzz_parsers.c" "$src/lib/compile/config.c" \
  "$src/lib/remote/remote_url.c" "$src/lib/support/fsutil.c" "$src/lib/store/stats.c" \
  "$src/lib/compile/history.c" "$src/lib/compile/misses.c" "$src/lib/direct/replay.c" \
  "$src/lib/support/format.c" "$src/lib/direct/cc_args.c" "$src/lib/direct/cc_options.c"

cd "$out" # crash-* artifacts land here
./fuzz_entry -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
  -max_len=65536 -print_final_stats=1 entry-corpus "$src/test/fuzz/corpus"
./fuzz_manifest -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
  -max_len=65536 -print_final_stats=1 manifest-corpus \
  "$src/test/fuzz/manifest-corpus"
./fuzz_record -max_total_time="$(((seconds + 1) / 2))" -timeout=10 \
  -rss_limit_mb=768 -max_len=16384 -print_final_stats=1 record-corpus \
  "$src/test/fuzz/record-corpus"
./fuzz_parsers -max_total_time="$(((seconds + 1) / 2))" -timeout=10 \
  -rss_limit_mb=768 -max_len=16384 -print_final_stats=1 parsers-corpus \
  "$src/test/fuzz/parsers-corpus"
