#!/usr/bin/env bash
# build.sh DIR CC... - builds the objects of the project in DIR the way its
# make rules would (-O2 -Wall -MD -Iinclude), with CC (any command words),
# keeping each compile's stderr in <file>.err.
set -eu
dir=$1
shift
cd "$dir"
for f in a b warn; do
  "$@" -O2 -Wall -Iinclude -MD -c "$f.c" -o "$f.o" 2> "$f.err"
done
