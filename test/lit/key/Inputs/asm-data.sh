#!/usr/bin/env bash
# asm-data.sh WORK SOURCE [FLAGS...] - the stale-object check for inline
# assembly that may read a file: with data.bin (in WORK) saying
# "version-one", SOURCE is compiled through the plugin (cache WORK/cache),
# then data.bin becomes "version-two" and SOURCE is compiled through the
# plugin again and with plain clang. Prints one line:
#   <source> <flags>: <outcome of the 2nd compile> <same|STALE>
# where "same" means the 2nd object equals plain clang's byte for byte.
set -euo pipefail
work=$1 src=$2
shift 2
mkdir -p "$work"
cd "$work"
export OBJCACHE_DIR=$work/cache OBJCACHE_LOGFILE=$work/log
printf 'version-one' > data.bin
"$OC_CLANG" -fpass-plugin="$OC_PLUGIN" "$@" -c "$src" -o first.o
printf 'version-two' > data.bin
"$OC_CLANG" -fpass-plugin="$OC_PLUGIN" "$@" -c "$src" -o second.o
env -u OBJCACHE_DIR -u OBJCACHE_LOGFILE "$OC_CLANG" "$@" -c "$src" -o plain.o
same=same
cmp -s plain.o second.o || same=STALE
echo "$(basename "$src") $*: $(tail -n 1 log | cut -f4) $same"
