#!/usr/bin/env bash
# drop-output.sh CACHE_DIR NAME [FILE] - rewrites every entry of the cache
# without its output NAME (test/tools/entry_tool.c), leaving a well-formed
# entry that lacks one of its compile's outputs; with FILE, with FILE's
# bytes as that output instead (a well-formed, wrong entry). With NAME
# --list, lists every entry's outputs. Manifests (.m) and writer records (.f) beside
# the entries are left alone.
set -euo pipefail
find "$1/objects" -type f ! -name '.*' ! -name '*.m' ! -name '*.f' |
  while read -r e; do
    if [[ $2 == --list ]]; then
      "$OC_ENTRY_TOOL" list "$e"
    elif [[ $# == 3 ]]; then
      "$OC_ENTRY_TOOL" set "$e" "$2" "$3"
    else
      "$OC_ENTRY_TOOL" drop "$e" "$2"
    fi
  done
