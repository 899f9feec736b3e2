#!/usr/bin/env bash
# plugin-step.sh LABEL CACHE_WORK SOURCE [FLAGS...]
# In the working directory: compiles SOURCE plainly, then once through the
# plugin (cache in CACHE_WORK/cache, log in CACHE_WORK/log), and prints
#   LABEL: <outcome> <same|DIFFERENT>
# "same" when the plugin's object equals plain clang's in this directory.
set -euo pipefail
label=$1 work=$2 src=$3
shift 3
mkdir -p "$work"
"$OC_CLANG" "$@" -c "$src" -o plain.o
OBJCACHE_DIR=$work/cache OBJCACHE_LOGFILE=$work/log \
  "$OC_CLANG" -fpass-plugin="$OC_PLUGIN" "$@" -c "$src" -o cached.o
same=same
cmp -s plain.o cached.o || same=DIFFERENT
echo "$label: $(tail -n 1 "$work/log" | cut -f4) $same"
