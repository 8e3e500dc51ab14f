# Two entry points: `make run` and `make test`. Both install what is missing first.
LAB       ?= lab
AIKMOCK   := build/dev/aikmock
SERVE_ARGS ?=

.PHONY: run test deps build build-asan build-fuzz test-dev test-asan test-fuzz fuzz-run lab docs clean

run: build lab
	exec $(AIKMOCK) serve --lab $(LAB) $(SERVE_ARGS)

test: build build-asan build-fuzz
	ctest --preset dev
	ctest --preset asan
	ctest --preset fuzz

deps:
	@scripts/install-deps.sh

build: deps
	@[ -f build/dev/build.ninja ] || cmake --preset dev
	cmake --build --preset dev

build-asan: deps
	@[ -f build/asan/build.ninja ] || cmake --preset asan
	cmake --build --preset asan

test-dev: build
	ctest --preset dev

test-asan: build-asan
	ctest --preset asan

build-fuzz: deps
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	cmake --build --preset fuzz

test-fuzz: build-fuzz
	ctest --preset fuzz

# A longer campaign on one target: make fuzz-run FUZZER=fuzz_tpm_public SECONDS=600
FUZZER  ?= fuzz_scep_pki_message
SECONDS ?= 300
fuzz-run: build-fuzz
	mkdir -p build/fuzz/campaign-$(FUZZER)
	AIKMOCK_FUZZ_SEED_DIR=build/fuzz/campaign-$(FUZZER) AIKMOCK_FUZZ_LAB=build/fuzz/fuzz/fuzz-lab build/fuzz/fuzz/$(FUZZER) \
	  -max_total_time=$(SECONDS) -max_len=8192 build/fuzz/campaign-$(FUZZER)

lab: build
	@[ -f $(LAB)/manifest.json ] || $(AIKMOCK) pki init --out $(LAB)

# Regenerates the docs that are made from code (the error table).
docs: build
	$(AIKMOCK) errors --markdown > docs/errors.md

clean:
	rm -rf build
