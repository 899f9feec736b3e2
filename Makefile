# Entry points. `make demo` and `make check` do all the set-up themselves on
# a fresh Debian machine (packages, configure, build).
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all bootstrap build demo check check-asan bench clean

all: build

bootstrap:
	@utils/scripts/bootstrap.sh

$(BUILD)/build.ninja: | bootstrap
	cmake -S . -B $(BUILD) -G Ninja

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD)

demo: build
	utils/scripts/demo.sh $(BUILD)

check: build
	utils/scripts/check.sh $(BUILD) $(ASAN_BUILD)

bench: build
	utils/bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
