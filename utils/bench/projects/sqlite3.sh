# sqlite3.sh - SQLite: the amalgamation (sqlite3.c, 250k lines, the
# largest single compile of the benchmark) and its shell. Debian ships the
# full source tree; the amalgamation is generated once at fetch time (with
# tclsh), then sqlite3.mk compiles the two files as SQLite's own
# amalgamation build does. Sourced by lib.sh.
# shellcheck shell=bash disable=SC2034,SC2154 # lib.sh sets and reads the variables
source_package=sqlite3
edit_header=sqlite3.h # what shell.c and every SQLite user includes

proj_prepare() {
  mkdir amalgamation
  (cd amalgamation && ../configure --disable-tcl CC=cc >/dev/null &&
    make -j2 sqlite3.c shell.c >/dev/null &&
    cp sqlite3.c sqlite3.h sqlite3ext.h shell.c ..)
  rm -rf amalgamation
}

proj_build() {
  make -f "$here/projects/sqlite3.mk" -j"$jobs" CC="$cc" CFLAGS="$cflags"
}

proj_smoke() {
  local out want='3|6|a,b,c|{"n":3}|1|2.0'
  out=$(./sqlite3 :memory: <<'SQL'
create table t(x integer primary key, y text);
insert into t(y) values ('a'), ('b'), ('c');
create index ty on t(y);
create virtual table f using fts5(body);
insert into f values ('hello objcache'), ('goodbye');
select count(*), sum(x), group_concat(y), json_object('n', count(*)),
       (select count(*) from f where f match 'hello'), sqrt(4.0)
  from t;
SQL
  )
  [[ $out == "$want" ]] || { echo "sqlite3: got '$out', want '$want'"; return 1; }
  echo "sqlite3 smoke: ok"
}
