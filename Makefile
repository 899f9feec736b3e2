# Entry points. `make demo` and `make check` do all the set-up themselves on
# a fresh Debian machine (packages, configure, build).
BUILD ?= build
ASAN_BUILD ?= build-asan

PREFIX ?= /usr/local

.PHONY: all bootstrap build demo check check-asan bench clean install deb

all: build

bootstrap:
	@utils/scripts/bootstrap.sh

# clang-22 builds everything: the plugin must match the clang it loads into,
# and the fuzzer needs clang's -fsanitize=fuzzer.
CMAKE_FLAGS = -G Ninja -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22

$(BUILD)/build.ninja: | bootstrap
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD)

demo: build
	utils/scripts/demo.sh $(BUILD)

check: build
	CMAKE_FLAGS="$(CMAKE_FLAGS)" utils/scripts/check.sh $(BUILD) $(ASAN_BUILD)

# The launcher, the plugin, the man page and the masquerade links under
# $(PREFIX) (bin/, lib/objcache/, share/man/man1/); DESTDIR works as usual.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# $(BUILD)/objcache_<version>_<arch>.deb, installing under /usr.
deb: build
	cd $(BUILD) && cpack -G DEB

bench: build
	utils/bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
