#!/usr/bin/env bash
# drop-output.sh CACHE_DIR NAME - rewrites every entry of the cache without
# its output NAME (test/tools/entry_tool.c), leaving a well-formed entry
# that lacks one of its compile's outputs. With NAME --list, lists every
# entry's outputs instead. Manifests (.m) and writer records (.f) beside
# the entries are left alone.
set -euo pipefail
find "$1/objects" -type f ! -name '.*' ! -name '*.m' ! -name '*.f' |
  while read -r e; do
    if [[ $2 == --list ]]; then
      "$OC_ENTRY_TOOL" list "$e"
    else
      "$OC_ENTRY_TOOL" drop "$e" "$2"
    fi
  done
