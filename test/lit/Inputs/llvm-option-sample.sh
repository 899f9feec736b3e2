#!/usr/bin/env bash
# llvm-option-sample.sh WORK SOURCE - the "any LLVM option" check.
# Compiles SOURCE once with no -mllvm option and once per option of a sample
# of LLVM cl::opt options picked across passes and targets. For each option
# prints "<option>: <value recorded in the llvm-option factor, or MISSING>
# <key new|SAME>", where "new" means the key differs from every key before.
set -euo pipefail
work=$1 src=$2
rm -rf "$work" && mkdir -p "$work"
export OBJCACHE_DIR=$work/cache OBJCACHE_LOGFILE=$work/log OBJCACHE_DEBUG=1
options=(
  inline-threshold=500                  # inliner
  unroll-threshold=77                   # loop unroll
  vectorizer-min-trip-count=7           # loop vectorizer
  force-vector-width=4
  force-vector-interleave=2
  slp-threshold=-3                      # SLP vectorizer
  enable-gvn-hoist=true                 # GVN hoist
  jump-threading-threshold=3            # jump threading
  memdep-block-scan-limit=50            # memory dependence analysis
  licm-versioning-max-depth-threshold=3 # LICM versioning
  enable-loop-distribute=true           # loop distribution
  phi-node-folding-threshold=1          # SimplifyCFG
  hot-cold-split=true                   # hot/cold splitting
  x86-asm-syntax=intel                  # X86 asm printer
  x86-cmov-converter=false              # X86 codegen
  align-all-functions=6                 # codegen: alignment
  align-all-nofallthru-blocks=3
  disable-block-placement=true          # machine block placement
  enable-ext-tsp-block-placement=true
  tail-dup-size=5                       # tail duplication
  enable-machine-outliner=always        # machine outliner
  regalloc=basic                        # register allocator registry
)
compile() { "$OC_CLANG" -fpass-plugin="$OC_PLUGIN" -O2 "$@" -c "$src" -o "$work/out.o"; }
compile
keys=" $(tail -n 1 "$work/log" | cut -f3) "
for option in "${options[@]}"; do
  name=${option%%=*}
  compile -mllvm "-$option"
  key=$(tail -n 1 "$work/log" | cut -f3)
  recorded=$(awk -F'\t' -v n="$name" '$1 == "llvm-option" && $2 == n { print $3 }' \
    "$OBJCACHE_DIR"/history/*/last)
  fresh=new
  [[ $keys == *" $key "* ]] && fresh=SAME
  keys+="$key "
  echo "$name: ${recorded:-MISSING} $fresh"
done
