#!/usr/bin/env bash
# step.sh LABEL CC ARGS... - one compile through objcache (cache and log
# from OBJCACHE_DIR and OBJCACHE_LOGFILE, in the current directory) with
# `-o cached.o`, and the same compile with plain clang-22 into plain.o.
# Prints one line:
#   LABEL: <results this compile logged> <same|DIFFERENT>
# e.g. "header edit: direct-miss miss same". A direct-mode miss logs
# direct-miss followed by the plugin's IR-level result (hit or miss).
set -euo pipefail
label=$1
shift
cc=$1
shift
before=0
if [ -f "$OBJCACHE_LOGFILE" ]; then
  before=$(wc -l < "$OBJCACHE_LOGFILE")
fi
rm -f cached.o plain.o
"$OC_TOOL" "$cc" "$@" -o cached.o
env -u OBJCACHE_DIR clang-22 "$@" -o plain.o
results=$(tail -n +"$((before + 1))" "$OBJCACHE_LOGFILE" | cut -f4 | tr '\n' ' ')
same=same
cmp -s cached.o plain.o || same=DIFFERENT
echo "$label: $results$same"
