#!/usr/bin/env bash
# side-roundtrip.sh WORK SOURCE OUTPUT [FLAGS...]
# Compiles SOURCE (in WORK, to OUTPUT, so every side-output path is the same
# for all compiles) with plain clang, then three times through the plugin
# (cache in WORK/cache): the first two with the outputs removed before, the
# third over the second's outputs (a rebuild: old side outputs must not
# change the key). Prints:
#   <flags>: <outcome 1> <outcome 2> <outcome 3> <file>=<same|DIFFERENT>...
# for the object and every side output plain clang wrote (.dwo, .gcno, .su,
# .opt.yaml beside OUTPUT), comparing both cached compiles with plain clang's
# bytes. A side output plain clang did not write must not appear either.
# With OC_VIA_LAUNCHER=1 the cached compiles go through the launcher
# (objcache clang-22 ...), and an outcome is every line that compile logged,
# joined by "+" (e.g. direct-miss+miss, direct-hit).
set -euo pipefail
work=$1 src=$2 out=$3
shift 3
cd "$work"
export OBJCACHE_DIR=$work/cache OBJCACHE_LOGFILE=$work/log
stem=${out%.*}
outputs=("$out" "$stem.dwo" "$stem.gcno" "$stem.su" "$stem.opt.yaml" "$stem.opt.bitstream")
c_flag=-c
for f in "$@"; do [[ $f == -S ]] && c_flag=; done
rm -rf plain && mkdir -p plain
clean() { rm -f "${outputs[@]}"; }
clean
env -u OBJCACHE_DIR -u OBJCACHE_LOGFILE "$OC_CLANG" "$@" $c_flag "$src" -o "$out"
for f in "${outputs[@]}"; do
  if [[ -e $f ]]; then mkdir -p "plain/$(dirname "$f")"; mv "$f" "plain/$f"; fi
done
touch "$work/log"
outcome() { tail -n +"$((before + 1))" "$work/log" | cut -f4 | paste -sd+; }
line="$*:"
results=()
for round in 1 2 3; do
  [[ $round == 3 ]] || clean
  before=$(wc -l < "$work/log")
  if [[ ${OC_VIA_LAUNCHER:-} == 1 ]]; then
    "$OC_TOOL" clang-22 "$@" $c_flag "$src" -o "$out"
  else
    "$OC_CLANG" -fpass-plugin="$OC_PLUGIN" "$@" $c_flag "$src" -o "$out"
  fi
  line+=" $(outcome)"
  i=0
  for f in "${outputs[@]}"; do
    if [[ -e plain/$f ]]; then
      cmp -s "plain/$f" "$f" && r=same || r=DIFFERENT
    else
      [[ -e $f ]] && r=UNEXPECTED || r=absent
    fi
    [[ $round == 1 ]] && results[i]=$r || { [[ ${results[i]} == "$r" ]] || results[i]="$r/${results[i]}"; }
    i=$((i + 1))
  done
done
i=0
for f in "${outputs[@]}"; do
  [[ ${results[i]} == absent ]] || line+=" ${f##*.}=${results[i]}"
  i=$((i + 1))
done
echo "$line"
