#!/usr/bin/env bash
# roundtrip.sh WORK SOURCE [FLAGS...]
# Compiles SOURCE with plain clang, then twice through objcache (cache in
# WORK/cache, shared by every call with the same WORK), and prints one line:
#   <source> <flags>: <first outcome> <second outcome> <same|DIFFERENT>
# where an outcome is the result field of objcache's log (miss, hit, ...)
# and "same" means both cached-path objects equal plain clang's byte for byte.
set -euo pipefail
work=$1 src=$2
shift 2
mkdir -p "$work"
export OBJCACHE_DIR=$work/cache OBJCACHE_LOGFILE=$work/log
ext=o
for f in "$@"; do [[ $f == -S ]] && ext=s; done
flags=("$@")
[[ $ext == s ]] || flags+=(-c)
env -u OBJCACHE_DIR -u OBJCACHE_LOGFILE \
  "$OC_CLANG" "${flags[@]}" "$src" -o "$work/plain.$ext"
outcome() { tail -n 1 "$work/log" | cut -f4; }
"$OC_CLANG" -fpass-plugin="$OC_PLUGIN" "${flags[@]}" "$src" -o "$work/first.$ext"
first=$(outcome)
"$OC_CLANG" -fpass-plugin="$OC_PLUGIN" "${flags[@]}" "$src" -o "$work/second.$ext"
second=$(outcome)
same=same
cmp -s "$work/plain.$ext" "$work/first.$ext" || same=DIFFERENT
cmp -s "$work/plain.$ext" "$work/second.$ext" || same=DIFFERENT
echo "$(basename "$src") $*: $first $second $same"
