#!/usr/bin/env bash
# drop-output.sh CACHE_DIR NAME - rewrites every entry of the cache without
# its output NAME (test/tools/entry_tool.c), leaving a well-formed entry
# that lacks one of its compile's outputs.
set -euo pipefail
find "$1/objects" -type f ! -name '.*' ! -name '*.m' | while read -r e; do
  "$OC_ENTRY_TOOL" drop "$e" "$2"
done
