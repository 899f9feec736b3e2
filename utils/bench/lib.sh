# lib.sh - shared by run.sh (the benchmark) and check.sh (its CI subset):
# fetching Debian source packages into the build tree, building a project
# in one of the benchmark's modes, and comparing its objects with the
# plain clang build. Sourced, not run.
#
# Every mode builds in the same absolute directory, $bench/work/PROJECT,
# because the working directory ends up in objects (-g) and in cache keys;
# the objects are then copied out to $bench/objs for comparison.
# shellcheck shell=bash disable=SC2154 # project variables come from projects/*.sh

# bench_init BUILD [DIR]: sets the paths every other function uses; the
# benchmark's files go to BUILD/DIR (default bench).
bench_init() {
  build=$(realpath "$1")
  here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
  bench=$build/${2:-bench}
  objcache=$build/bin/objcache
  plugin=$build/lib/objcache.so
  [[ -x $objcache && -f $plugin ]] || {
    echo "bench: $objcache or $plugin missing; run make build" >&2
    return 1
  }
  # Never more than two jobs: the numbers are meant for a 2-core machine
  # and must not depend on how many cores the runner happens to have.
  jobs=${BENCH_JOBS:-2}
  ((jobs <= $(nproc))) || jobs=$(nproc)
  mkdir -p "$bench"/{apt,src,work,objs,cache,logs}
  # The user's own cache settings must not leak into the measurements.
  unset CCACHE_DIR CCACHE_CONFIGPATH CCACHE_DISABLE CCACHE_PREFIX
  while read -r var; do unset "$var"; done < <(compgen -e | grep '^OBJCACHE_' || true)
  export CCACHE_DIR=$bench/cache/ccache OBJCACHE_DIR=$bench/cache/objcache
  export LC_ALL=C
}

# apt-get with a private sources list, package lists and cache under the
# build tree: the system's apt configuration is neither read nor changed.
# BENCH_MIRROR replaces the Debian mirror (when deb.debian.org is not
# reachable); bookworm is fixed so that every machine builds the same code.
bench_apt() {
  local apt=$bench/apt
  mkdir -p "$apt"/{lists/partial,cache/archives/partial,parts}
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
    "${BENCH_MIRROR:-http://deb.debian.org/debian} bookworm main" \
    >"$apt/sources.list"
  apt-get -q -o Dir::Etc::SourceList="$apt/sources.list" \
    -o Dir::Etc::SourceParts="$apt/parts" -o Dir::State::Lists="$apt/lists" \
    -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1 "$@"
}

bench_load() { # bench_load PROJECT: defines the project's proj_* functions
  unset -f proj_prepare proj_build proj_smoke
  unset source_package edit_header proj_objdir
  # shellcheck source=/dev/null
  source "$here/projects/$1.sh"
}

# bench_fetch PROJECT: downloads the project's Debian source once and
# prepares a pristine tree in $bench/src/PROJECT that every build copies.
bench_fetch() {
  local project=$1 dl=$bench/src/.download/$1
  bench_load "$project"
  [[ -f $bench/src/$project/.bench-ready ]] && return 0
  if ! compgen -G "$dl/*.dsc" >/dev/null; then
    [[ -n $(compgen -G "$bench/apt/lists/*Sources*" || true) ]] ||
      bench_apt update >"$bench/logs/apt-update.log" 2>&1 || {
        cat "$bench/logs/apt-update.log" >&2
        return 1
      }
    rm -rf "$dl" && mkdir -p "$dl"
    (cd "$dl" && bench_apt --download-only source "$source_package") \
      >"$bench/logs/fetch-$project.log" 2>&1 || {
      cat "$bench/logs/fetch-$project.log" >&2
      return 1
    }
  fi
  rm -rf "$bench/src/$project" "$dl/tree"
  dpkg-source -x "$dl"/*.dsc "$dl/tree" >>"$bench/logs/fetch-$project.log" 2>&1
  (cd "$dl/tree" && proj_prepare) >>"$bench/logs/fetch-$project.log" 2>&1 || {
    tail -n 30 "$bench/logs/fetch-$project.log" >&2
    return 1
  }
  mv "$dl/tree" "$bench/src/$project"
  touch "$bench/src/$project/.bench-ready"
}

# bench_fresh PROJECT [ROOT]: a clean copy in the work directory (ROOT,
# default $bench/work; the second-checkout scenario uses another one).
bench_fresh() {
  local root=${2:-$bench/work}
  mkdir -p "$root"
  rm -rf "${root:?}/$1"
  cp -a "$bench/src/$1" "$root/$1"
}

# bench_mode MODE OPTFLAGS: sets cc, cxx and cflags, which the projects'
# proj_build functions pass to their build systems.
bench_mode() {
  local mode=$1
  cflags=$2 cc=clang-22 cxx=clang++-22
  case $mode in
  plain) ;;
  fe) cc="$here/fe-cc clang-22" cxx="$here/fe-cc clang++-22" ;;
  ccache-*) cc="ccache clang-22" cxx="ccache clang++-22" ;;
  objcache-*) cc="$objcache clang-22" cxx="$objcache clang++-22" ;;
  plugin-*) cflags="$cflags -fpass-plugin=$plugin" ;;
  *) echo "bench: unknown mode $mode" >&2 && return 1 ;;
  esac
}

# bench_build PROJECT MODE OPTFLAGS TIMEFILE [ROOT [OBJDIR]]: builds the
# work copy of PROJECT under ROOT (default $bench/work); TIMEFILE gets
# "wall user sys maxrss" of the whole build. OBJDIR names the build
# directory for projects that build out of their source tree
# (proj_objdir=yes; default "bench").
bench_build() {
  local project=$1 mode=$2 opt=$3 tfile=$4 root=${5:-$bench/work} log
  local objdir=${6:-bench}
  log=$bench/logs/build-$project-$mode.log
  bench_mode "$mode" "$opt"
  if ! (cd "$root/$project" &&
    /usr/bin/time -f '%e %U %S %M' -o "$tfile" bash -c \
      "$(declare -f proj_build); $(declare -p cc cxx cflags jobs here objdir); proj_build") \
    >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "bench: $project ($mode, $opt) failed to build; log: $log" >&2
    return 1
  fi
}

# bench_save PROJECT TAG [ROOT]: copies every object of the work copy (under
# ROOT, default $bench/work) to $bench/objs/PROJECT/TAG, keeping relative
# paths.
bench_save() {
  local dest=$bench/objs/$1/$2 root=${3:-$bench/work}
  rm -rf "$dest" && mkdir -p "$dest"
  (cd "$root/$1" && find . -name '*.o' -print0 | sort -z |
    xargs -0r cp --parents -t "$dest")
}

# bench_compare PROJECT REF TAG: cmp's every object of TAG with REF's.
# Prints "SAME TOTAL"; lists each differing or missing object on stderr.
bench_compare() {
  local ref=$bench/objs/$1/$2 dir=$bench/objs/$1/$3 same=0 total=0 f
  while IFS= read -r -d '' f; do
    total=$((total + 1))
    if [[ ! -f $dir/$f ]]; then
      echo "bench: MISMATCH $1: $f missing in $3" >&2
    elif cmp -s "$ref/$f" "$dir/$f"; then
      same=$((same + 1))
    else
      echo "bench: MISMATCH $1: $f differs between $2 and $3" \
        "($ref/$f vs $dir/$f)" >&2
    fi
  done < <(cd "$ref" && find . -name '*.o' -print0 | sort -z)
  # An object only the cached build has is a difference too.
  while IFS= read -r -d '' f; do
    [[ -f $ref/$f ]] || {
      total=$((total + 1))
      echo "bench: MISMATCH $1: $f only in $3" >&2
    }
  done < <(cd "$dir" && find . -name '*.o' -print0 | sort -z)
  echo "$same $total"
}

bench_smoke() { # bench_smoke PROJECT: the project's tests on its work copy
  (cd "$bench/work/$1" && proj_smoke) >"$bench/logs/smoke-$1.log" 2>&1 || {
    tail -n 30 "$bench/logs/smoke-$1.log" >&2
    return 1
  }
}

bench_clear() { # bench_clear: empties both caches (a cold build follows)
  rm -rf "$CCACHE_DIR" "$OBJCACHE_DIR"
  mkdir -p "$CCACHE_DIR" "$OBJCACHE_DIR"
}

# bench_edit PROJECT KIND: an edit at the end of the project's widely
# included header that changes no generated code: a comment (gone after
# preprocessing) or a declaration nothing uses (in the preprocessed text,
# so a preprocessor-level cache misses, but not in the IR).
bench_edit() {
  local text
  case $2 in
  comment) text='/* objcache bench: an edit that changes no code */' ;;
  decl) text='extern int objcache_bench_unused_declaration;' ;;
  *) echo "bench: unknown edit $2" >&2 && return 1 ;;
  esac
  printf '\n%s\n' "$text" >>"$bench/work/$1/$edit_header"
}
