#!/usr/bin/env bash
# run.sh BUILD - the benchmark behind `make bench`: builds real projects
# (Debian source packages) with plain clang-22, ccache, objcache (launcher
# and -fpass-plugin) and front-end only, cold and warm, checks that every
# object is identical to plain clang's, runs the projects' smoke tests on
# the cached build, times an edited-header rebuild, and writes a markdown
# report. docs/bench.md explains the knobs (BENCH_RUNS, BENCH_PROJECTS,
# BENCH_OPTS, BENCH_SINGLE_RUNS, BENCH_OUT, BENCH_NOTE) and the output.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
root=$(realpath "$here/../..")
# shellcheck source=utils/bench/lib.sh
source "$here/lib.sh"

# time: GNU time for CPU and peak RSS; dpkg-dev: dpkg-source; tcl: SQLite's
# amalgamation generator; patch: to take out Debian's lua build patches.
"$root/utils/scripts/bootstrap.sh" time dpkg-dev tcl patch
bench_init "${1:-build}"

all_projects="lua5.4 sqlite3 zstd tinyxml2"
runs=${BENCH_RUNS:-3}
projects=${BENCH_PROJECTS:-$all_projects}
opts=${BENCH_OPTS:-O2 O0g}
single_runs=${BENCH_SINGLE_RUNS:-5}
data=$bench/results
rm -rf "$data" "$bench/logs/ccache-differences.log" && mkdir -p "$data"
failures=0

optflags() { # optflags NAME: the compiler flags an optimization name means
  case $1 in
  O2) echo "-O2" ;;
  O0g) echo "-O0 -g" ;;
  *) echo "bench: unknown optimization level $1 (O2 or O0g)" >&2 && return 1 ;;
  esac
}

# stats TOOL: "hits misses" of the cache since it was last zeroed
stats() {
  case $1 in
  ccache-*) ccache --print-stats | awk '
      $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
      $1 == "cache_miss" { m += $2 }
      END { print h + 0, m + 0 }' ;;
  objcache-* | plugin-*) "$objcache" --print-stats | awk '
      $1 == "hits" || $1 == "direct_hits" { h += $2 }
      $1 == "misses" { m += $2 }
      END { print h + 0, m + 0 }' ;;
  *) echo "- -" ;;
  esac
}

zero_stats() {
  ccache -z >/dev/null
  "$objcache" -z >/dev/null
}

# measure PROJECT OPT MODE RUN: one timed build from a clean copy, its
# objects saved and compared with the plain build of the same run.
measure() {
  local project=$1 opt=$2 mode=$3 run=$4 t=$data/time.$$ cmpres
  bench_fresh "$project"
  zero_stats
  bench_build "$project" "$mode" "$(optflags "$opt")" "$t"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$project" "$opt" "$mode" "$run" \
    "$(cut -d' ' -f1-3 "$t" | tr ' ' '\t')" "$(stats "$mode" | tr ' ' '\t')" \
    >>"$data/times.tsv"
  [[ $mode == fe ]] && return 0 # bitcode, nothing to compare
  bench_save "$project" "$opt-$mode"
  [[ $mode == plain ]] && return 0
  cmpres=$(bench_compare "$project" "$opt-plain" "$opt-$mode")
  record_objects "$project" "$opt" "$mode" "$run" "$cmpres"
}

# record_objects PROJECT OPT MODE RUN "SAME TOTAL": a comparison's result;
# a difference is a failure unless MODE is ccache's (its objects are
# reported, not vouched for).
record_objects() {
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5/ /$'\t'}" \
    >>"$data/objects.tsv"
  local same=${5% *} total=${5#* }
  if [[ $same != "$total" || $total == 0 ]]; then
    echo "bench: ${3%%-*}: $1 $2 $3 run $4: $same of $total objects identical" >&2
    [[ $3 == ccache-* ]] || failures=$((failures + 1))
  fi
}

# edit PROJECT OPT MODE RUN KIND: after a warm build, an edit (see
# bench_edit) of a widely included header, then an incremental rebuild
# through the cache.
edit() {
  local project=$1 opt=$2 mode=$3 run=$4 kind=$5 t=$data/time.$$ rebuilt
  zero_stats
  bench_edit "$project" "$kind"
  bench_build "$project" "$mode" "$(optflags "$opt")" "$t"
  # What make rebuilt, whether or not the cache counted it (ccache leaves
  # out some compiles, neither counts assembly files).
  rebuilt=$(find "$bench/work/$project" -name '*.o' \
    -newer "$bench/work/$project/$edit_header" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$project" "$opt" "${mode%-*}" \
    "$kind" "$run" "$(cut -d' ' -f1-3 "$t" | tr ' ' '\t')" "$rebuilt" \
    "$(stats "$mode" | tr ' ' '\t')" >>"$data/edit.tsv"
  bench_save "$project" "$opt-$kind-${mode%-*}"
}

# Relocation: with a cache warm from the builds in $bench/work, a build
# somewhere else, the way a second build tree or a CI agent with its own
# workspace builds. KIND checkout2: a fresh copy of the sources at another
# path ($bench/work2, the same relative layout); builddir2: the same
# checkout built into another build directory (projects that build out of
# their source tree, proj_objdir=yes). relocated_plain builds plain clang's
# reference for each (with -g the working directory is in the objects, so
# plain clang's objects differ between checkouts too).
relocated_dir() { # relocated_dir KIND: "ROOT OBJDIR" of a scenario
  case $1 in
  checkout2) echo "$bench/work2 bench" ;;
  builddir2) echo "$bench/work bench2" ;;
  esac
}
relocated_kinds() { # the scenarios the loaded project supports
  echo checkout2
  [[ ${proj_objdir:-} == yes ]] && echo builddir2
  return 0
}
relocated_plain() { # relocated_plain PROJECT OPT KIND
  local root objdir t=$data/time.$$
  read -r root objdir < <(relocated_dir "$3")
  bench_fresh "$1" "$root"
  bench_build "$1" plain "$(optflags "$2")" "$t" "$root" "$objdir"
  bench_save "$1" "$2-plain-$3" "$root"
}
relocated() { # relocated PROJECT OPT TOOL RUN KIND
  local project=$1 opt=$2 mode=$3-$5 run=$4 kind=$5 t=$data/time.$$ root objdir
  read -r root objdir < <(relocated_dir "$kind")
  bench_fresh "$project" "$root"
  zero_stats
  bench_build "$project" "$mode" "$(optflags "$opt")" "$t" "$root" "$objdir"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$project" "$opt" "$mode" "$run" \
    "$(cut -d' ' -f1-3 "$t" | tr ' ' '\t')" "$(stats "$mode" | tr ' ' '\t')" \
    >>"$data/times.tsv"
  bench_save "$project" "$opt-$mode" "$root"
  record_objects "$project" "$opt" "$mode" "$run" \
    "$(bench_compare "$project" "$opt-plain-$kind" "$opt-$mode" \
      2>>"$bench/logs/ccache-differences.log")"
}

smoke() { # smoke PROJECT OPT MODE: the project's tests on the work copy
  local result=pass
  bench_smoke "$1" || {
    result=FAIL
    failures=$((failures + 1))
    echo "bench: $1 ($2, $3): smoke test failed" >&2
  }
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$result" >>"$data/smoke.tsv"
}

# single RUN: the largest compile alone, sqlite3.c at -O2: plain clang
# against objcache cold (key computation overhead, peak RSS), warm and
# front-end only.
single() {
  local run=$1 mode t=$data/time.$$ same
  bench_fresh sqlite3
  bench_load sqlite3
  for mode in plain objcache-cold objcache-warm fe; do
    [[ $mode == objcache-cold ]] && bench_clear
    rm -f "$bench/work/sqlite3/sqlite3.o"
    (
      cd "$bench/work/sqlite3"
      bench_mode "$mode" -O2
      /usr/bin/time -f '%e %U %S %M' -o "$t" \
        make -f "$here/projects/sqlite3.mk" CC="$cc" CFLAGS="$cflags" sqlite3.o
    ) >"$bench/logs/single-$mode.log" 2>&1 || {
      cat "$bench/logs/single-$mode.log" >&2
      return 1
    }
    printf '%s\t%s\t%s\n' "$mode" "$run" "$(tr ' ' '\t' <"$t")" >>"$data/single.tsv"
    case $mode in
    plain) cp "$bench/work/sqlite3/sqlite3.o" "$data/sqlite3-plain.o" ;;
    objcache-*)
      same=0
      cmp -s "$data/sqlite3-plain.o" "$bench/work/sqlite3/sqlite3.o" && same=1
      record_objects sqlite3 O2 "single-$mode" "$run" "$same 1"
      ;;
    esac
  done
}

echo "bench: fetching $projects" >&2
for project in $projects; do bench_fetch "$project"; done
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
# BENCH_RELOCATE_ONLY=1: only the relocation scenarios (and the cold
# builds that fill the caches for them), for a quick look at those.
relocate_only=${BENCH_RELOCATE_ONLY:-0}
for ((run = 1; run <= runs; run++)); do
  for project in $projects; do
    bench_load "$project"
    for opt in $opts; do
      echo "bench: run $run/$runs: $project $opt" >&2
      if ((relocate_only)); then
        measure "$project" "$opt" plain "$run"
        for kind in $(relocated_kinds); do relocated_plain "$project" "$opt" "$kind"; done
        for tool in ccache objcache; do
          bench_clear
          measure "$project" "$opt" "$tool-cold" "$run"
          measure "$project" "$opt" "$tool-warm" "$run"
          for kind in $(relocated_kinds); do
            relocated "$project" "$opt" "$tool" "$run" "$kind"
          done
        done
        continue
      fi
      measure "$project" "$opt" plain "$run"
      # Plain clang's incremental rebuilds after the edits are the
      # reference for the caches' rebuilds after the same edits.
      edit "$project" "$opt" plain "$run" comment
      edit "$project" "$opt" plain "$run" decl
      measure "$project" "$opt" fe "$run"
      for kind in $(relocated_kinds); do relocated_plain "$project" "$opt" "$kind"; done
      for tool in ccache objcache plugin; do
        bench_clear
        measure "$project" "$opt" "$tool-cold" "$run"
        measure "$project" "$opt" "$tool-warm" "$run"
        [[ $tool == ccache ]] || smoke "$project" "$opt" "$tool-warm"
        [[ $tool == plugin ]] && continue
        for kind in $(relocated_kinds); do
          relocated "$project" "$opt" "$tool" "$run" "$kind"
        done
        edit "$project" "$opt" "$tool-warm" "$run" comment
        edit "$project" "$opt" "$tool-warm" "$run" decl
      done
      for kind in comment decl; do
        record_objects "$project" "$opt" "objcache-$kind" "$run" \
          "$(bench_compare "$project" "$opt-$kind-plain" "$opt-$kind-objcache")"
        # ccache's differences are logged, not failures: after a comment,
        # its preprocessor mode hits and with -g returns objects that
        # still carry the header's old checksum.
        record_objects "$project" "$opt" "ccache-$kind" "$run" \
          "$(bench_compare "$project" "$opt-$kind-plain" "$opt-$kind-ccache" \
            2>>"$bench/logs/ccache-differences.log")"
      done
    done
  done
done
if [[ " $projects " == *" sqlite3 "* ]]; then
  for ((run = 1; run <= single_runs; run++)); do
    echo "bench: sqlite3.c alone, run $run/$single_runs" >&2
    single "$run"
  done
fi
rm -f "$data/time.$$"

# The report goes to docs/ only from a complete run; partial runs leave it
# in the build tree.
out=$bench/results.md
[[ $projects == "$all_projects" && $runs -ge 3 ]] && out=$root/docs/bench-results.md
out=${BENCH_OUT:-$out}
BENCH_STARTED=$started BENCH_LOAD_START=$load_start BENCH_RUNS=$runs \
  BENCH_JOBS_USED=$jobs OBJCACHE_COMMIT=$(git -C "$root" describe --always --dirty) \
  python3 "$here/report.py" "$data" >"$out"
echo "bench: report written to $out" >&2
if ((failures)); then
  echo "bench: $failures failures (object mismatches or smoke tests), see above" >&2
  exit 1
fi
