# lua5.4.sh - the Lua 5.4 interpreter and compiler (C, 33 files), built
# with its own upstream Makefile. Sourced by lib.sh.
# shellcheck shell=bash disable=SC2034,SC2154 # lib.sh sets and reads the variables
source_package=lua5.4
edit_header=src/luaconf.h # included by every file through lua.h

proj_prepare() {
  # Debian's build-system patch compiles every file twice through libtool
  # and its module-path patch needs a generated header; the benchmark
  # wants upstream's plain make build (Debian's CVE fixes stay).
  patch -R -p1 <debian/patches/0002-lua-modules-paths.patch
  patch -R -p1 <debian/patches/0001-build-system.patch
}

proj_build() {
  make -C src -j"$jobs" linux CC="$cc -std=gnu99" \
    CFLAGS="-Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX $cflags"
}

proj_smoke() {
  cat >smoke.lua <<'LUA'
local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
local t = {}
for i = 1, 1000 do t[i] = (i * 7919) % 1009 end
table.sort(t)
local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
local words = {}
for w in ("the quick brown fox"):gmatch("%a+") do words[#words + 1] = w:upper() end
print(fib(25), t[1], t[1000], co() + co() + co(), table.concat(words, "-"),
      string.format("%.3f", math.sqrt(2)), utf8.char(72, 228), 7 // 2, 1 << 40)
LUA
  local want out
  want=$(printf '75025\t1\t1008\t14\tTHE-QUICK-BROWN-FOX\t1.414\tH\xc3\xa4\t3\t1099511627776')
  out=$(src/lua smoke.lua)
  [[ $out == "$want" ]] || { echo "lua: got '$out', want '$want'"; return 1; }
  # The compiler too: compile to bytecode and run that.
  src/luac -o smoke.luac smoke.lua
  out=$(src/lua smoke.luac)
  [[ $out == "$want" ]] || { echo "luac: got '$out', want '$want'"; return 1; }
  echo "lua5.4 smoke: ok"
}
