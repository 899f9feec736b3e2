#!/usr/bin/env bash
# twice.sh CACHE DEPFILE ARGS... - compiles `clang-22 ARGS...` through
# objcache (cache dir CACHE) twice, removing DEPFILE in between: a miss
# that records a candidate, then a direct hit that must write DEPFILE
# again.
set -euo pipefail
cache=$1
dep=$2
shift 2
OBJCACHE_DIR=$cache "$OC_TOOL" clang-22 "$@"
rm -f -- "$dep"
OBJCACHE_DIR=$cache "$OC_TOOL" clang-22 "$@"
