#!/usr/bin/env bash
# launch-step.sh LABEL OBJECT DEPFILE ARGS... - in the working directory,
# compiles `clang-22 ARGS...` plainly, keeps what it wrote to OBJECT and
# DEPFILE ("-" for none), then runs the same command through the launcher
# (cache and log from OBJCACHE_DIR, OBJCACHE_LOGFILE) and prints
#   LABEL: <results this compile logged> <same|DIFFERENT>
# "same" when the launcher's object (and .d file) are plain clang's bytes
# for this very command, and its stderr too.
set -euo pipefail
label=$1 object=$2 depfile=$3
shift 3
before=0
[ -f "$OBJCACHE_LOGFILE" ] && before=$(wc -l < "$OBJCACHE_LOGFILE")
tmp=$(mktemp -d)
env -u OBJCACHE_DIR clang-22 "$@" 2> "$tmp/plain.err"
cp "$object" "$tmp/plain.o"
[ "$depfile" = - ] || cp "$depfile" "$tmp/plain.d"
rm -f "$object"
[ "$depfile" = - ] || rm -f "$depfile"
"$OC_TOOL" clang-22 "$@" 2> "$tmp/cached.err"
results=$(tail -n +"$((before + 1))" "$OBJCACHE_LOGFILE" | cut -f4 | tr '\n' ' ')
same=same
cmp -s "$object" "$tmp/plain.o" || same=DIFFERENT
[ "$depfile" = - ] || cmp -s "$depfile" "$tmp/plain.d" || same=DIFFERENT
cmp -s "$tmp/cached.err" "$tmp/plain.err" || same=DIFFERENT
rm -rf "$tmp"
echo "$label: $results$same"
