# tinyxml2.sh - TinyXML-2 (C++): the library and its test program xmltest,
# built with its own Makefile through tinyxml2.mk. Sourced by lib.sh.
# shellcheck shell=bash disable=SC2034,SC2154 # lib.sh sets and reads the variables
source_package=tinyxml2
edit_header=tinyxml2.h # included by both translation units

proj_prepare() { :; }

proj_build() {
  make -f "$here/projects/tinyxml2.mk" -j"$jobs" CXX="$cxx" \
    CXXFLAGS="-fPIC $cflags"
}

proj_smoke() {
  ./xmltest >xmltest.log || { tail -n 20 xmltest.log; return 1; }
  grep 'Pass' xmltest.log | tail -n 1
}
