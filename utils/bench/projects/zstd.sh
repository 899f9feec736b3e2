# zstd.sh - the zstd command line tool (C, about 50 files including the
# library and an x86-64 assembly file), built with its own
# programs/Makefile. Sourced by lib.sh.
# shellcheck shell=bash disable=SC2034,SC2154 # lib.sh sets and reads the variables
source_package=libzstd
edit_header=lib/common/mem.h # included by nearly every file
proj_objdir=yes # builds into programs/obj/$objdir: a "second build dir"

proj_prepare() { :; }

proj_build() {
  # A fixed BUILD_DIR (by default it is named after a hash of CC and the
  # flags) keeps object paths the same in every mode; the HAVE_* values
  # replace probes that would otherwise depend on the mode's compiler.
  make -C programs -j"$jobs" zstd CC="$cc" CFLAGS="$cflags" \
    BUILD_DIR="obj/${objdir:-bench}" HAVE_PTHREAD=1 HAVE_THREAD=1 HAVE_ZLIB=0 \
    HAVE_LZMA=0 HAVE_LZ4=0
}

proj_smoke() {
  # Round trips of a text and a binary input, at a fast and a slow level.
  cat lib/*/*.c >smoke.in
  head -c 3000000 programs/zstd >>smoke.in
  local level
  for level in 1 19; do
    programs/zstd -q -f -"$level" smoke.in -o smoke.zst
    programs/zstd -q -f -d smoke.zst -o smoke.out
    cmp smoke.in smoke.out
    programs/zstd -q -t smoke.zst
  done
  echo "zstd smoke: ok"
}
